package store

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// batch is a full sync's pending writes, applied in one transaction in key
// order per bucket. bbolt only splits nodes when a transaction commits, so
// tens of thousands of inserts in random order (index terms, reverse
// edges) into one node shift its entries on every insert, quadratic in the
// batch size; inserting in ascending order keeps each insert near the end.
type batch struct {
	users     []encoded[directory.User]
	groups    []encoded[directory.Group]
	apps      []encoded[directory.App]
	members   []edge
	appUsers  []encoded[directory.AppUser]
	appGroups []encoded[directory.AppGroup]
	items     int
	bytes     int
}

type edge struct{ parent, child string }

type kv struct{ k, v []byte }

// sequentialFill packs pages full for buckets filled mostly in ascending
// order across transactions (objects by id, edges by parent), where
// bbolt's default 0.5 would leave the file half empty. Buckets whose keys
// arrive in random order across transactions (reverse edges, name
// indexes) keep the default: bbolt splits an overfull page into one page
// at the fill threshold plus the rest, so at 0.9 every few inserts into a
// full page would leave a nearly empty page behind.
const sequentialFill = 0.9

// appendOnlyFill packs pages completely for buckets that are only ever
// appended to in key order and never changed (a run's journal and change
// log): the default 0.5 left them half empty.
const appendOnlyFill = 1.0

func (b *batch) empty() bool {
	return len(b.users)+len(b.groups)+len(b.apps)+len(b.members)+len(b.appUsers)+len(b.appGroups) == 0
}

// lastByKey sorts vs by key and keeps the last of equal keys (a later page
// of the same object wins, as it would with individual puts).
func lastByKey[T any](vs []T, compare func(a, b T) int) []T {
	slices.SortStableFunc(vs, compare)
	out := vs[:0]
	for i, v := range vs {
		if i+1 < len(vs) && compare(vs[i+1], v) == 0 {
			continue
		}
		out = append(out, v)
	}
	return out
}

// byID orders encoded objects by id.
func byID[T any](id func(T) string) func(a, b encoded[T]) int {
	return func(a, b encoded[T]) int { return cmp.Compare(id(a.v), id(b.v)) }
}

// byPair orders by parent, then child: the order of "parent\tchild" keys,
// since ids hold no bytes below the tab.
func byPair(p1, c1, p2, c2 string) int {
	if c := cmp.Compare(p1, p2); c != 0 {
		return c
	}
	return cmp.Compare(c1, c2)
}

// apply writes the batch into the staging generation: objects and edges
// directly, index entries spooled as sorted runs. Users and groups it
// replaces are added to replaced, so that mergeRuns can drop the index
// entries of their earlier versions.
func (g *genTx) apply(b *batch, replaced map[string]bool, sp *spool) error {
	for _, bk := range []*bbolt.Bucket{g.users, g.groups, g.apps, g.members.b, g.appUsers, g.appGroups} {
		bk.FillPercent = sequentialFill
	}
	var ix, dept, rev []kv
	for _, e := range lastByKey(b.users, byID(func(u directory.User) string { return u.ID })) {
		id := []byte(e.v.ID)
		if old := g.users.Get(id); old != nil {
			if bytes.Equal(old, e.val) {
				continue
			}
			replaced[directory.KindUser+"\t"+e.v.ID] = true
		} else {
			g.counts.Users++
		}
		if err := g.users.Put(id, e.val); err != nil {
			return err
		}
		for _, t := range userTerms(e.v) {
			ix = append(ix, kv{ck(t, e.v.ID), nil})
		}
		if e.v.Department != "" {
			dept = append(dept, kv{ck(term(e.v.Department), e.v.ID), nil})
		}
	}
	if err := sp.add(bIxUser, ix); err != nil {
		return err
	}
	if err := sp.add(bIxDept, dept); err != nil {
		return err
	}

	ix = ix[:0]
	for _, e := range lastByKey(b.groups, byID(func(g directory.Group) string { return g.ID })) {
		id := []byte(e.v.ID)
		if old := g.groups.Get(id); old != nil {
			if bytes.Equal(old, e.val) {
				continue
			}
			replaced[directory.KindGroup+"\t"+e.v.ID] = true
		} else {
			g.counts.Groups++
		}
		if err := g.groups.Put(id, e.val); err != nil {
			return err
		}
		ix = append(ix, kv{ck(term(e.v.Name), e.v.ID), nil})
	}
	if err := sp.add(bIxGroup, ix); err != nil {
		return err
	}

	for _, e := range lastByKey(b.apps, byID(func(a directory.App) string { return a.ID })) {
		if _, err := g.putApp(e.v, e.val); err != nil {
			return err
		}
	}

	edges := lastByKey(b.members, func(a, b edge) int { return byPair(a.parent, a.child, b.parent, b.child) })
	for i := 0; i < len(edges); {
		parent := edges[i].parent
		var kids []string
		for ; i < len(edges) && edges[i].parent == parent; i++ {
			kids = append(kids, edges[i].child)
		}
		added, err := g.members.add(parent, kids)
		if err != nil {
			return err
		}
		g.counts.Memberships += len(added)
		for _, u := range added {
			rev = append(rev, kv{ck(u, parent), present})
		}
	}
	if err := sp.add(bMembersRev, rev); err != nil {
		return err
	}

	rev = rev[:0]
	for _, e := range lastByKey(b.appUsers, func(a, b encoded[directory.AppUser]) int {
		return byPair(a.v.AppID, a.v.UserID, b.v.AppID, b.v.UserID)
	}) {
		k := ck(e.v.AppID, e.v.UserID)
		old := g.appUsers.Get(k)
		if old == nil {
			g.counts.AppUsers++
			rev = append(rev, kv{ck(e.v.UserID, e.v.AppID), present})
		} else if bytes.Equal(old, e.val) {
			continue
		}
		if err := g.appUsers.Put(k, e.val); err != nil {
			return err
		}
	}
	if err := sp.add(bAppUsersRev, rev); err != nil {
		return err
	}

	rev = rev[:0]
	for _, e := range lastByKey(b.appGroups, func(a, b encoded[directory.AppGroup]) int {
		return byPair(a.v.AppID, a.v.GroupID, b.v.AppID, b.v.GroupID)
	}) {
		k := ck(e.v.AppID, e.v.GroupID)
		old := g.appGroups.Get(k)
		if old == nil {
			g.counts.AppGroups++
			rev = append(rev, kv{ck(e.v.GroupID, e.v.AppID), present})
		} else if bytes.Equal(old, e.val) {
			continue
		}
		if err := g.appGroups.Put(k, e.val); err != nil {
			return err
		}
	}
	return sp.add(bAppGroupsRev, rev)
}
