package store

import (
	"bytes"
	"container/heap"
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
	return w.s.update(func(tx *bbolt.Tx) error {
		gb := tx.Bucket(bGens).Bucket(u64(w.gen))
		if gb == nil || gb.Bucket(bTmp) == nil {
			return nil
		}
		return gb.DeleteBucket(bTmp)
	})
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

// runHead is the current entry of one spooled run.
type runHead struct {
	c    *bbolt.Cursor
	k, v []byte
}

type runHeap []*runHead

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return bytes.Compare(h[i].k, h[j].k) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runHead)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// mergeRuns k-way merges the runs spooled for one index into it, in
// ascending key order (so pages fill sequentially), scanBatch entries per
// write transaction. Equal keys from several runs are written once.
func (w *FullWriter) mergeRuns(name []byte, dst func(*genTx) *bbolt.Bucket, valid func(g *genTx, term, id string) (bool, error)) error {
	var after []byte
	for {
		more := false
		err := w.s.update(func(tx *bbolt.Tx) error {
			g, err := loadGen(tx, w.gen)
			if err != nil {
				return err
			}
			tmp := g.gb.Bucket(bTmp)
			if tmp == nil || tmp.Bucket(name) == nil {
				return nil
			}
			var h runHeap
			err = tmp.Bucket(name).ForEachBucket(func(seq []byte) error {
				c := tmp.Bucket(name).Bucket(seq).Cursor()
				k, v := c.First()
				if after != nil {
					if k, v = c.Seek(after); bytes.Equal(k, after) {
						k, v = c.Next()
					}
				}
				if k != nil {
					h = append(h, &runHead{c, k, v})
				}
				return nil
			})
			if err != nil {
				return err
			}
			heap.Init(&h)
			out := dst(g)
			out.FillPercent = sequentialFill
			for n := 0; h.Len() > 0; n++ {
				if n == scanBatch {
					more = true
					break
				}
				top := h[0]
				k, v := top.k, top.v
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
				// Advance every run positioned on this key.
				for h.Len() > 0 && bytes.Equal(h[0].k, k) {
					hd := h[0]
					if hd.k, hd.v = hd.c.Next(); hd.k == nil {
						heap.Pop(&h)
					} else {
						heap.Fix(&h, 0)
					}
				}
				after = append(after[:0], k...)
			}
			return nil
		})
		if err != nil || !more {
			return err
		}
		commitProgress("batch")
	}
}
