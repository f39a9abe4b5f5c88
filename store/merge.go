package store

import (
	"slices"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// mergeAll merges every spooled index into the staging generation and
// drops the spool.
func (w *FullWriter) mergeAll() error {
	lists := []struct {
		name []byte
		dst  func(*genTx) edgeList
	}{
		{bMembersRev, func(g *genTx) edgeList { return g.membersRev }},
		{bAppUsersRev, func(g *genTx) edgeList { return g.appUsersRev }},
		{bAppGroupsRev, func(g *genTx) edgeList { return g.appGroupsRev }},
	}
	for _, l := range lists {
		if err := w.mergeRuns(l.name, listSink(l.dst)); err != nil {
			return err
		}
	}
	indexes := []struct {
		name []byte
		dst  func(*genTx) *bbolt.Bucket
		// valid re-checks an entry whose object was written more than once
		// during the sync: the runs still hold its earlier version's terms.
		valid func(g *genTx, term, id string) (bool, error)
	}{
		{bIxUser, func(g *genTx) *bbolt.Bucket { return g.ixUser }, w.validUser(userTerms)},
		{bIxDept, func(g *genTx) *bbolt.Bucket { return g.ixDept }, w.validUser(deptTerms)},
		{bIxGroup, func(g *genTx) *bbolt.Bucket { return g.ixGroup }, func(g *genTx, t, id string) (bool, error) {
			if !w.replaced[directory.KindGroup+"\t"+id] {
				return true, nil
			}
			gr, err := decodeRec[directory.Group]("group", []byte(id), g.groups.Get([]byte(id)))
			return err == nil && term(gr.Name) == t, err
		}},
	}
	for _, ix := range indexes {
		if err := w.mergeRuns(ix.name, indexSink(ix.dst, ix.valid)); err != nil {
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

// sink receives a merged index in key order: put for each entry, flush
// at the end of each transaction.
type sink struct {
	put   func(g *genTx, k, v []byte) error
	flush func(g *genTx) error
}

// indexSink writes entries that pass valid (nil: all) as keys of a bucket.
func indexSink(dst func(*genTx) *bbolt.Bucket, valid func(g *genTx, term, id string) (bool, error)) sink {
	return sink{
		put: func(g *genTx, k, v []byte) error {
			if valid != nil {
				t, id := splitKey(k)
				if ok, err := valid(g, t, id); err != nil || !ok {
					return err
				}
			}
			out := dst(g)
			out.FillPercent = sequentialFill
			return out.Put(k, v)
		},
		flush: func(*genTx) error { return nil },
	}
}

// listSink collects "parent\tchild" entries per parent into an edge list.
func listSink(dst func(*genTx) edgeList) sink {
	var parent string
	var kids []string
	flush := func(g *genTx) error {
		if len(kids) == 0 {
			return nil
		}
		l := dst(g)
		l.b.FillPercent = sequentialFill
		_, err := l.add(parent, kids)
		kids = kids[:0]
		return err
	}
	return sink{
		put: func(g *genTx, k, _ []byte) error {
			p, c := splitKey(k)
			if p != parent || len(kids) == 4*maxChunk {
				if err := flush(g); err != nil {
					return err
				}
				parent = p
			}
			kids = append(kids, c)
			return nil
		},
		flush: flush,
	}
}

// mergeRuns merges the runs spooled for one index into it, in ascending
// key order (so pages fill sequentially), scanBatch entries per write
// transaction.
func (w *FullWriter) mergeRuns(name []byte, out sink) error {
	m := w.sp.merged(name)
	k, v := m.next()
	for k != nil {
		err := w.update(func(tx *bbolt.Tx) error {
			g, err := loadGen(tx, w.gen)
			if err != nil {
				return err
			}
			for n := 0; k != nil && n < scanBatch; n++ {
				if err := out.put(g, k, v); err != nil {
					return err
				}
				k, v = m.next()
			}
			if m.err != nil {
				return m.err
			}
			return out.flush(g)
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
