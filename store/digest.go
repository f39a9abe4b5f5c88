package store

import (
	"bytes"
	"fmt"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// releaseEvery is how many keys a long walk reads between two
// releaseMapped calls.
const releaseEvery = 1 << 16

// digestGen streams the canonical digest of a generation. Bucket key order
// equals digest line order (ids hold no bytes below the tab), and kinds
// are visited in the order their line prefixes sort: app, appgroup,
// appuser, group, member, user. Objects give their line tails from the
// leading fields of their records (appendStamp), assignments their keys
// ("parent\tchild") and memberships the children of each member list
// chunk, expanded straight into the line, so nothing is decoded in full.
// SortedDigester checks the order anyway.
func digestGen(g *genTx) (string, error) {
	d := directory.NewSortedDigester()
	steps := []struct {
		kind  string
		b     *bbolt.Bucket
		tag   byte // record tag of an object, 0 for assignments
		lists bool // an edge list
	}{
		{directory.KindApp, g.apps, tagApp, false},
		{directory.KindAppGroup, g.appGroups, 0, false},
		{directory.KindAppUser, g.appUsers, 0, false},
		{directory.KindGroup, g.groups, tagGroup, false},
		{directory.KindMembership, g.members.b, 0, true},
		{directory.KindUser, g.users, tagUser, false},
	}
	var line []byte
	walked := 0
	for _, st := range steps {
		c := st.b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			// The digest reads the whole generation in one transaction.
			if walked++; walked%releaseEvery == 0 {
				releaseMapped(g.gb.Tx())
			}
			line = append(append(append(line[:0], st.kind...), '\t'), k...)
			var err error
			switch {
			case st.lists:
				line = line[:len(st.kind)+1+bytes.LastIndexByte(k, '\t')+1]
				var addErr error
				err = walkChunk(k, v, func(child []byte) bool {
					addErr = d.AddBytes(append(line, child...))
					return addErr == nil
				})
				if err == nil && addErr != nil {
					return "", fmt.Errorf("%w: %w", ErrCorrupt, addErr)
				}
			case st.tag != 0:
				if line, err = appendStamp(append(line, '\t'), st.tag, v); err == nil {
					err = d.AddBytes(line)
				}
			default:
				err = d.AddBytes(line)
			}
			if err != nil {
				return "", fmt.Errorf("%w: %s %q: %w", ErrCorrupt, st.kind, k, err)
			}
		}
	}
	return d.Sum()
}
