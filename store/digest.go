package store

import (
	"fmt"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// digestGen streams the canonical digest of a generation. Bucket key order
// equals digest line order (ids hold no bytes below the tab), and kinds
// are visited in the order their line prefixes sort: app, appgroup,
// appuser, group, member, user. Objects come from the st_* buckets, whose
// values are the line tails, and edges from the edge keys themselves
// ("parent\tchild"), so no JSON is decoded. SortedDigester checks the
// order anyway.
func digestGen(g *genTx) (string, error) {
	d := directory.NewSortedDigester()
	steps := []struct {
		kind     string
		b        *bbolt.Bucket
		withTail bool
	}{
		{directory.KindApp, g.stApps, true},
		{directory.KindAppGroup, g.appGroups, false},
		{directory.KindAppUser, g.appUsers, false},
		{directory.KindGroup, g.stGroups, true},
		{directory.KindMembership, g.members, false},
		{directory.KindUser, g.stUsers, true},
	}
	var line []byte
	for _, st := range steps {
		c := st.b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			line = append(append(append(line[:0], st.kind...), '\t'), k...)
			if st.withTail {
				line = append(append(line, '\t'), v...)
			}
			if err := d.AddBytes(line); err != nil {
				return "", fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
		}
	}
	return d.Sum()
}
