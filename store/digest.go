package store

import (
	"fmt"

	"github.com/dirdeck/dirdeck/directory"
)

// digestGen streams the canonical digest of a generation. Bucket key order
// equals digest line order (ids hold no bytes below the tab), and kinds
// are visited in the order their line prefixes sort: app, appgroup,
// appuser, group, member, user. Objects give their line tails from the
// leading fields of their records (appendStamp), edges their keys
// ("parent\tchild"), so nothing is decoded in full. SortedDigester checks
// the order anyway.
func digestGen(g *genTx) (string, error) {
	d := directory.NewSortedDigester()
	members := g.members.cursor()
	steps := []struct {
		kind string
		c    kvCursor
		tag  byte // record tag of an object, 0 for edges
	}{
		{directory.KindApp, g.apps.Cursor(), tagApp},
		{directory.KindAppGroup, g.appGroups.Cursor(), 0},
		{directory.KindAppUser, g.appUsers.Cursor(), 0},
		{directory.KindGroup, g.groups.Cursor(), tagGroup},
		{directory.KindMembership, members, 0},
		{directory.KindUser, g.users.Cursor(), tagUser},
	}
	var line []byte
	for _, st := range steps {
		c := st.c
		for k, v := c.First(); k != nil; k, v = c.Next() {
			line = append(append(append(line[:0], st.kind...), '\t'), k...)
			if st.tag != 0 {
				var err error
				if line, err = appendStamp(append(line, '\t'), st.tag, v); err != nil {
					return "", fmt.Errorf("%w: %s %q: %w", ErrCorrupt, st.kind, k, err)
				}
			}
			if err := d.AddBytes(line); err != nil {
				return "", fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
		}
	}
	if members.err != nil {
		return "", members.err
	}
	return d.Sum()
}
