package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// maxIDLen bounds ids; Okta's are 20 characters.
const maxIDLen = 255

// maxTermLen bounds index terms so hostile 2,000-character names do not
// bloat the index; UsersByPrefix re-checks the full value.
const maxTermLen = 128

// checkID rejects ids that would break composite keys or digest order.
func checkID(kind, id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("%s id %.40q (%d bytes): %w", kind, id, len(id), ErrInvalidID)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] == 0x7f {
			return fmt.Errorf("%s id %.40q has a control character: %w", kind, id, ErrInvalidID)
		}
	}
	return nil
}

// ck joins the parts of a composite key.
func ck(a, b string) []byte {
	k := make([]byte, 0, len(a)+1+len(b))
	k = append(k, a...)
	k = append(k, '\t')
	return append(k, b...)
}

// splitKey splits a composite key at its last tab: ids never hold tabs,
// index terms may.
func splitKey(k []byte) (string, string) {
	i := bytes.LastIndexByte(k, '\t')
	if i < 0 {
		return string(k), ""
	}
	return string(k[:i]), string(k[i+1:])
}

// term normalises an index term: case-folded, cut to maxTermLen on a rune
// boundary.
func term(s string) string {
	s = strings.ToLower(s)
	if len(s) <= maxTermLen {
		return s
	}
	s = s[:maxTermLen]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// userTerms are the prefix-searchable names of a user.
func userTerms(u directory.User) []string {
	var out []string
	for _, s := range []string{u.Login, u.Email, u.FirstName, u.LastName, u.DisplayName, u.Name()} {
		if s == "" {
			continue
		}
		t := term(s)
		dup := false
		for _, o := range out {
			dup = dup || o == t
		}
		if !dup {
			out = append(out, t)
		}
	}
	return out
}

// genTx is one generation bucket inside a transaction, with its counts.
type genTx struct {
	gb                                     *bbolt.Bucket
	info, users, groups, apps              *bbolt.Bucket
	members, membersRev                    edgeList
	appUsers, appGroups                    *bbolt.Bucket
	appUsersRev, appGroupsRev              edgeList
	ixUser, ixDept, ixGroup, archive, curs *bbolt.Bucket
	counts                                 directory.Counts
}

func createGen(tx *bbolt.Tx, gen uint64) error {
	gb, err := tx.Bucket(bGens).CreateBucket(u64(gen))
	if err != nil {
		return fmt.Errorf("create generation %d: %w", gen, err)
	}
	for _, name := range genBuckets {
		if _, err := gb.CreateBucket(name); err != nil {
			return fmt.Errorf("create generation %d: %w", gen, err)
		}
	}
	return nil
}

// loadGen opens generation gen; a missing bucket means the file is damaged.
func loadGen(tx *bbolt.Tx, gen uint64) (*genTx, error) {
	gb := tx.Bucket(bGens).Bucket(u64(gen))
	if gb == nil {
		return nil, fmt.Errorf("%w: generation %d is missing", ErrCorrupt, gen)
	}
	g := &genTx{gb: gb}
	for _, p := range []struct {
		dst  **bbolt.Bucket
		name []byte
	}{
		{&g.info, bInfo}, {&g.users, bUsers}, {&g.groups, bGroups}, {&g.apps, bApps},
		{&g.members.b, bMembers}, {&g.membersRev.b, bMembersRev}, {&g.appUsers, bAppUsers},
		{&g.appUsersRev.b, bAppUsersRev}, {&g.appGroups, bAppGroups}, {&g.appGroupsRev.b, bAppGroupsRev},
		{&g.ixUser, bIxUser}, {&g.ixDept, bIxDept}, {&g.ixGroup, bIxGroup}, {&g.archive, bArchive},
		{&g.curs, bCursors},
	} {
		if *p.dst = gb.Bucket(p.name); *p.dst == nil {
			return nil, fmt.Errorf("%w: generation %d lacks bucket %s", ErrCorrupt, gen, p.name)
		}
	}
	if v := g.info.Get(kCounts); v != nil {
		if err := json.Unmarshal(v, &g.counts); err != nil {
			return nil, fmt.Errorf("%w: generation %d counts: %w", ErrCorrupt, gen, err)
		}
	}
	return g, nil
}

// cursor opens a walk over the generation's bucket name: key by key, or
// edge by edge for an edge list; damaged reports a chunk that stopped it.
func (g *genTx) cursor(name []byte) (c kvCursor, damaged func() error) {
	for _, l := range []struct {
		name []byte
		l    edgeList
	}{{bMembers, g.members}, {bMembersRev, g.membersRev}, {bAppUsersRev, g.appUsersRev}, {bAppGroupsRev, g.appGroupsRev}} {
		if bytes.Equal(name, l.name) {
			ec := l.l.cursor()
			return ec, func() error { return ec.err }
		}
	}
	return g.gb.Bucket(name).Cursor(), func() error { return nil }
}

// saveCounts persists counts changed by the put/remove helpers.
func (g *genTx) saveCounts() error {
	b, _ := json.Marshal(g.counts)
	return g.info.Put(kCounts, b)
}

func decode[T any](what string, v []byte) (T, error) {
	var t T
	if err := json.Unmarshal(v, &t); err != nil {
		return t, fmt.Errorf("%w: decode %s: %w", ErrCorrupt, what, err)
	}
	return t, nil
}

// putUser stores u (encoded as val) and keeps indexes and counts; it
// returns the previous encoding, nil if the user is new.
func (g *genTx) putUser(u directory.User, val []byte) ([]byte, error) {
	id := []byte(u.ID)
	old := bytes.Clone(g.users.Get(id))
	var oldTerms, oldDept []string
	if old != nil {
		if bytes.Equal(old, val) {
			return old, nil
		}
		ou, err := decodeRec[directory.User]("user", id, old)
		if err != nil {
			return nil, err
		}
		oldTerms, oldDept = userTerms(ou), deptTerms(ou)
	} else {
		g.counts.Users++
	}
	if err := g.users.Put(id, val); err != nil {
		return nil, err
	}
	if err := reindex(g.ixUser, u.ID, oldTerms, userTerms(u)); err != nil {
		return nil, err
	}
	return old, reindex(g.ixDept, u.ID, oldDept, deptTerms(u))
}

// deptTerms is a user's entry in the department index, if any.
func deptTerms(u directory.User) []string {
	if u.Department == "" {
		return nil
	}
	return []string{term(u.Department)}
}

// reindex moves id's entries in the index b from the terms old to new,
// writing only those that differ: every page a transaction touches is
// copied, so an update that keeps a user's names leaves the index alone.
func reindex(b *bbolt.Bucket, id string, old, new []string) error {
	for _, t := range old {
		if !slices.Contains(new, t) {
			if err := b.Delete(ck(t, id)); err != nil {
				return err
			}
		}
	}
	for _, t := range new {
		if !slices.Contains(old, t) {
			if err := b.Put(ck(t, id), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *genTx) unindexUser(u directory.User) error {
	if err := reindex(g.ixUser, u.ID, userTerms(u), nil); err != nil {
		return err
	}
	return reindex(g.ixDept, u.ID, deptTerms(u), nil)
}

// deleteUser removes a user (not its edges) and returns it, nil if absent.
func (g *genTx) deleteUser(id string) ([]byte, error) {
	old := bytes.Clone(g.users.Get([]byte(id)))
	if old == nil {
		return nil, nil
	}
	ou, err := decodeRec[directory.User]("user", []byte(id), old)
	if err != nil {
		return nil, err
	}
	if err := g.unindexUser(ou); err != nil {
		return nil, err
	}
	g.counts.Users--
	return old, g.users.Delete([]byte(id))
}

func (g *genTx) putGroup(gr directory.Group, val []byte) ([]byte, error) {
	id := []byte(gr.ID)
	old := bytes.Clone(g.groups.Get(id))
	var oldTerms []string
	if old != nil {
		if bytes.Equal(old, val) {
			return old, nil
		}
		og, err := decodeRec[directory.Group]("group", id, old)
		if err != nil {
			return nil, err
		}
		oldTerms = []string{term(og.Name)}
	} else {
		g.counts.Groups++
	}
	if err := g.groups.Put(id, val); err != nil {
		return nil, err
	}
	return old, reindex(g.ixGroup, gr.ID, oldTerms, []string{term(gr.Name)})
}

func (g *genTx) deleteGroup(id string) ([]byte, error) {
	old := bytes.Clone(g.groups.Get([]byte(id)))
	if old == nil {
		return nil, nil
	}
	og, err := decodeRec[directory.Group]("group", []byte(id), old)
	if err != nil {
		return nil, err
	}
	if err := g.ixGroup.Delete(ck(term(og.Name), id)); err != nil {
		return nil, err
	}
	g.counts.Groups--
	return old, g.groups.Delete([]byte(id))
}

func (g *genTx) putApp(a directory.App, val []byte) ([]byte, error) {
	old := bytes.Clone(g.apps.Get([]byte(a.ID)))
	if old == nil {
		g.counts.Apps++
	} else if bytes.Equal(old, val) {
		return old, nil
	}
	return old, g.apps.Put([]byte(a.ID), val)
}

func (g *genTx) deleteApp(id string) ([]byte, error) {
	old := bytes.Clone(g.apps.Get([]byte(id)))
	if old == nil {
		return nil, nil
	}
	g.counts.Apps--
	return old, g.apps.Delete([]byte(id))
}

// addMember adds a membership; it reports false if it was already there.
func (g *genTx) addMember(gid, uid string) (bool, error) {
	added, err := g.members.addOne(gid, uid)
	if !added || err != nil {
		return false, err
	}
	g.counts.Memberships++
	_, err = g.membersRev.addOne(uid, gid)
	return true, err
}

// present is the value an edge walk (edgeCursor) gives each edge: bbolt
// treats a nil value as "no value".
var present = []byte{1}

func (g *genTx) removeMember(gid, uid string) (bool, error) {
	removed, err := g.members.removeOne(gid, uid)
	if !removed || err != nil {
		return false, err
	}
	g.counts.Memberships--
	_, err = g.membersRev.removeOne(uid, gid)
	return true, err
}

func (g *genTx) putAppUser(au directory.AppUser, val []byte) ([]byte, error) {
	k := ck(au.AppID, au.UserID)
	old := bytes.Clone(g.appUsers.Get(k))
	if old == nil {
		g.counts.AppUsers++
		if _, err := g.appUsersRev.addOne(au.UserID, au.AppID); err != nil {
			return nil, err
		}
	} else if bytes.Equal(old, val) {
		return old, nil
	}
	return old, g.appUsers.Put(k, val)
}

func (g *genTx) removeAppUser(aid, uid string) ([]byte, error) {
	k := ck(aid, uid)
	old := bytes.Clone(g.appUsers.Get(k))
	if old == nil {
		return nil, nil
	}
	g.counts.AppUsers--
	if err := g.appUsers.Delete(k); err != nil {
		return nil, err
	}
	_, err := g.appUsersRev.removeOne(uid, aid)
	return old, err
}

func (g *genTx) putAppGroup(ag directory.AppGroup, val []byte) ([]byte, error) {
	k := ck(ag.AppID, ag.GroupID)
	old := bytes.Clone(g.appGroups.Get(k))
	if old == nil {
		g.counts.AppGroups++
		if _, err := g.appGroupsRev.addOne(ag.GroupID, ag.AppID); err != nil {
			return nil, err
		}
	} else if bytes.Equal(old, val) {
		return old, nil
	}
	return old, g.appGroups.Put(k, val)
}

func (g *genTx) removeAppGroup(aid, gid string) ([]byte, error) {
	k := ck(aid, gid)
	old := bytes.Clone(g.appGroups.Get(k))
	if old == nil {
		return nil, nil
	}
	g.counts.AppGroups--
	if err := g.appGroups.Delete(k); err != nil {
		return nil, err
	}
	_, err := g.appGroupsRev.removeOne(gid, aid)
	return old, err
}

// children lists the second halves of the keys in b that start with
// parent+"\t" (the users of an app in appusers, the groups in appgroups).
func children(b *bbolt.Bucket, parent string) []string {
	var out []string
	prefix := ck(parent, "")
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, string(k[len(prefix):]))
	}
	return out
}

// Tombstone is an archived (deleted) user, group or app: the last version
// the cache held and when a sync first saw it gone.
type Tombstone struct {
	Kind    string           `json:"kind"` // directory.KindUser, KindGroup or KindApp
	ID      string           `json:"id"`
	Label   string           `json:"label"`
	Deleted time.Time        `json:"deleted"`
	RunID   uint64           `json:"run_id"`
	User    *directory.User  `json:"user,omitempty"`
	Group   *directory.Group `json:"group,omitempty"`
	App     *directory.App   `json:"app,omitempty"`
}

// tombstone archives an object removed from the generation; old is its
// last encoding.
func (g *genTx) tombstone(kind, id string, old []byte, seen time.Time, run uint64) (label string, err error) {
	t := Tombstone{Kind: kind, ID: id, Deleted: seen, RunID: run}
	switch kind {
	case directory.KindUser:
		u, err := decodeRec[directory.User]("user", []byte(id), old)
		if err != nil {
			return "", err
		}
		t.User, t.Label = &u, u.Login
	case directory.KindGroup:
		gr, err := decodeRec[directory.Group]("group", []byte(id), old)
		if err != nil {
			return "", err
		}
		t.Group, t.Label = &gr, gr.Name
	case directory.KindApp:
		a, err := decodeRec[directory.App]("app", []byte(id), old)
		if err != nil {
			return "", err
		}
		t.App, t.Label = &a, a.Label
	}
	b, err := json.Marshal(t)
	if err != nil {
		return "", fmt.Errorf("encode tombstone %s %s: %w", kind, id, err)
	}
	return t.Label, g.archive.Put(ck(kind, id), b)
}

// unarchive drops the tombstone of an object that came back.
func (g *genTx) unarchive(kind, id string) error { return g.archive.Delete(ck(kind, id)) }

// label implements labeler: the login, name or label of a cached user,
// group or app, or its tombstone's when it was deleted; "" when neither
// is known.
func (g *genTx) label(kind, id string) string {
	var b *bbolt.Bucket
	switch kind {
	case directory.KindUser:
		b = g.users
	case directory.KindGroup:
		b = g.groups
	default:
		b = g.apps
	}
	if v := b.Get([]byte(id)); v != nil {
		return labelOf(kind, []byte(id), v)
	}
	var t struct {
		Label string `json:"label"`
	}
	if v := g.archive.Get(ck(kind, id)); v == nil || json.Unmarshal(v, &t) != nil {
		return ""
	}
	return t.Label
}
