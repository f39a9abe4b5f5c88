package store

import (
	"slices"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// mergeAll merges every spooled index into the staging generation and
// drops the spool.
func (w *FullWriter) mergeAll() error {
	indexes := []struct {
		name []byte
		dst  func(*genTx) *bbolt.Bucket
		// valid re-checks an entry whose object was written more than once
		// during the sync: the runs still hold its earlier version's terms.
		valid func(g *genTx, term, id string) (bool, error)
	}{
		{bMembersRev, func(g *genTx) *bbolt.Bucket { return g.membersRev }, nil},
		{bAppUsersRev, func(g *genTx) *bbolt.Bucket { return g.appUsersRev }, nil},
		{bAppGroupsRev, func(g *genTx) *bbolt.Bucket { return g.appGroupsRev }, nil},
		{bIxUser, func(g *genTx) *bbolt.Bucket { return g.ixUser }, w.validUser(func(u directory.User) []string { return userTerms(u) })},
		{bIxDept, func(g *genTx) *bbolt.Bucket { return g.ixDept }, w.validUser(func(u directory.User) []string {
			if u.Department == "" {
				return nil
			}
			return []string{term(u.Department)}
		})},
		{bIxGroup, func(g *genTx) *bbolt.Bucket { return g.ixGroup }, func(g *genTx, t, id string) (bool, error) {
			if !w.replaced[directory.KindGroup+"\t"+id] {
				return true, nil
			}
			gr, err := decodeRec[directory.Group]("group", []byte(id), g.groups.Get([]byte(id)))
			return err == nil && term(gr.Name) == t, err
		}},
	}
	for _, ix := range indexes {
		if err := w.mergeRuns(ix.name, ix.dst, ix.valid); err != nil {
			return err
		}
	}
	return w.sp.close()
}

func (w *FullWriter) validUser(terms func(directory.User) []string) func(g *genTx, t, id string) (bool, error) {
	return func(g *genTx, t, id string) (bool, error) {
		if !w.replaced[directory.KindUser+"\t"+id] {
			return true, nil
		}
		u, err := decodeRec[directory.User]("user", []byte(id), g.users.Get([]byte(id)))
		return err == nil && slices.Contains(terms(u), t), err
	}
}

// mergeRuns merges the runs spooled for one index into it, in ascending
// key order (so pages fill sequentially), scanBatch entries per write
// transaction.
func (w *FullWriter) mergeRuns(name []byte, dst func(*genTx) *bbolt.Bucket, valid func(g *genTx, term, id string) (bool, error)) error {
	m := w.sp.merged(name)
	k, v := m.next()
	for k != nil {
		err := w.s.update(func(tx *bbolt.Tx) error {
			g, err := loadGen(tx, w.gen)
			if err != nil {
				return err
			}
			out := dst(g)
			out.FillPercent = sequentialFill
			for n := 0; k != nil && n < scanBatch; n++ {
				ok := true
				if valid != nil {
					t, id := splitKey(k)
					if ok, err = valid(g, t, id); err != nil {
						return err
					}
				}
				if ok {
					if err := out.Put(k, v); err != nil {
						return err
					}
				}
				k, v = m.next()
			}
			return m.err
		})
		if err != nil {
			return err
		}
		if k != nil {
			commitProgress("batch")
		}
	}
	return m.err
}
