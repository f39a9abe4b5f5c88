package store

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
)

// org is an in-memory directory used to drive writes and to compute the
// expected counts and digest independently of the store.
type org struct {
	users     map[string]directory.User
	groups    map[string]directory.Group
	apps      map[string]directory.App
	members   map[string][]string // group → users
	appUsers  map[string][]directory.AppUser
	appGroups map[string][]directory.AppGroup
}

var t0 = time.Date(2026, 11, 26, 4, 36, 0, 0, time.UTC)

const hostile = "<script>alert(1)</script>\x1b[31mred\x1b[0m\x1b]8;;http://evil\x07link"

// genOrg builds a deterministic org of n users, n/10 groups and n/100+1
// apps. A few users carry hostile values (HTML, escape sequences, 2,000
// characters).
func genOrg(seed uint64, n int) *org {
	r := rand.New(rand.NewPCG(seed, 7))
	o := &org{users: map[string]directory.User{}, groups: map[string]directory.Group{}, apps: map[string]directory.App{},
		members: map[string][]string{}, appUsers: map[string][]directory.AppUser{}, appGroups: map[string][]directory.AppGroup{}}
	depts := []string{"Engineering", "Sales", "Marketing", "Support", "Finance", ""}
	for i := range n {
		id := fmt.Sprintf("00u%07d", i)
		u := directory.User{
			ID: id, Status: directory.StatusActive, Created: t0.Add(-time.Duration(i) * time.Hour),
			LastUpdated: t0.Add(-time.Duration(r.IntN(1000)) * time.Minute),
			Login:       fmt.Sprintf("user%d@example.com", i), Email: fmt.Sprintf("user%d@example.com", i),
			FirstName: fmt.Sprintf("First%d", i), LastName: fmt.Sprintf("Last%d", i),
			Department: depts[r.IntN(len(depts))], Title: "Engineer",
			Attributes: map[string]any{"costCenter": fmt.Sprintf("cc%d", i%7)},
		}
		if i%5 == 0 {
			u.Status = directory.StatusDeprovisioned
		}
		if i%97 == 3 {
			u.DisplayName = hostile
			u.Title = strings.Repeat("ü", 2000)
		}
		o.users[id] = u
	}
	userIDs := slices.Sorted(maps.Keys(o.users))
	for i := range max(1, n/10) {
		id := fmt.Sprintf("00g%06d", i)
		o.groups[id] = directory.Group{ID: id, Type: directory.GroupTypeOkta, Name: fmt.Sprintf("Group %d", i),
			LastUpdated: t0.Add(-time.Duration(i) * time.Second), LastMembershipUpdated: t0}
		for _, u := range userIDs {
			if r.IntN(10) == 0 {
				o.members[id] = append(o.members[id], u)
			}
		}
	}
	groupIDs := slices.Sorted(maps.Keys(o.groups))
	for i := range n/100 + 1 {
		id := fmt.Sprintf("0oa%05d", i)
		o.apps[id] = directory.App{ID: id, Name: "app", Label: fmt.Sprintf("App %d", i), Status: "ACTIVE",
			SignOnMode: "SAML_2_0", LastUpdated: t0}
		for _, u := range userIDs {
			if r.IntN(20) == 0 {
				o.appUsers[id] = append(o.appUsers[id], directory.AppUser{AppID: id, UserID: u, Scope: directory.ScopeUser, LastUpdated: t0})
			}
		}
		for j, g := range groupIDs {
			if r.IntN(5) == 0 {
				o.appGroups[id] = append(o.appGroups[id], directory.AppGroup{AppID: id, GroupID: g, Priority: j, LastUpdated: t0})
			}
		}
	}
	return o
}

func (o *org) clone() *org {
	c := &org{users: maps.Clone(o.users), groups: maps.Clone(o.groups), apps: maps.Clone(o.apps),
		members: map[string][]string{}, appUsers: map[string][]directory.AppUser{}, appGroups: map[string][]directory.AppGroup{}}
	for k, v := range o.members {
		c.members[k] = slices.Clone(v)
	}
	for k, v := range o.appUsers {
		c.appUsers[k] = slices.Clone(v)
	}
	for k, v := range o.appGroups {
		c.appGroups[k] = slices.Clone(v)
	}
	return c
}

func (o *org) digester() *directory.Digester {
	var d directory.Digester
	for _, u := range o.users {
		d.AddUser(u)
	}
	for _, g := range o.groups {
		d.AddGroup(g)
	}
	for _, a := range o.apps {
		d.AddApp(a)
	}
	for g, us := range o.members {
		for _, u := range us {
			d.AddMember(g, u)
		}
	}
	for _, aus := range o.appUsers {
		for _, au := range aus {
			d.AddAppUser(au.AppID, au.UserID)
		}
	}
	for _, ags := range o.appGroups {
		for _, ag := range ags {
			d.AddAppGroup(ag.AppID, ag.GroupID)
		}
	}
	return &d
}

// writeTo streams the org into w in pages, as a sync would.
func (o *org) writeTo(w *FullWriter, page int) error {
	users := slices.SortedFunc(maps.Values(o.users), func(a, b directory.User) int { return strings.Compare(a.ID, b.ID) })
	for i := 0; i < len(users); i += page {
		if err := w.PutUsers(users[i:min(i+page, len(users))]); err != nil {
			return err
		}
	}
	if err := w.PutGroups(slices.Collect(maps.Values(o.groups))); err != nil {
		return err
	}
	if err := w.PutApps(slices.Collect(maps.Values(o.apps))); err != nil {
		return err
	}
	for _, g := range slices.Sorted(maps.Keys(o.members)) {
		us := o.members[g]
		for i := 0; i < len(us); i += page {
			if err := w.PutMembers(g, us[i:min(i+page, len(us))]); err != nil {
				return err
			}
		}
	}
	for a, aus := range o.appUsers {
		if err := w.PutAppUsers(a, aus); err != nil {
			return err
		}
	}
	for a, ags := range o.appGroups {
		if err := w.PutAppGroups(a, ags); err != nil {
			return err
		}
	}
	return nil
}

func openT(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tempCache(t testing.TB) string {
	return filepath.Join(t.TempDir(), "cache", "org.db")
}

// fullSync writes o as a complete full sync and returns the run.
func fullSync(t testing.TB, s *Store, o *org, keep ...string) directory.SyncRun {
	t.Helper()
	w, err := s.BeginFull()
	if err != nil {
		t.Fatalf("BeginFull: %v", err)
	}
	if err := o.writeTo(w, 200); err != nil {
		t.Fatalf("write: %v", err)
	}
	for _, k := range keep {
		if err := w.KeepFromPrevious(k); err != nil {
			t.Fatalf("keep %s: %v", k, err)
		}
	}
	run, err := w.Commit(directory.SyncRun{Status: directory.RunOK, Started: t0, Finished: t0.Add(time.Minute)}, nil)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return run
}

// state is what a reader sees, for comparing generations.
type state struct {
	gen    uint64
	counts directory.Counts
	digest string
	cursor string // the "users" cursor
}

func readState(t testing.TB, s *Store) state {
	t.Helper()
	var st state
	err := s.View(func(r *Reader) error {
		st.gen, st.counts, st.cursor = r.Generation(), r.Counts(), r.Cursor("users")
		var err error
		st.digest, err = r.Digest()
		return err
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	return st
}

// wantState checks counts and digest against the in-memory org.
func wantState(t testing.TB, s *Store, o *org) {
	t.Helper()
	d := o.digester()
	st := readState(t, s)
	if st.counts != d.Counts() {
		t.Fatalf("counts = %+v, want %+v", st.counts, d.Counts())
	}
	if want := d.Sum(); st.digest != want {
		t.Fatalf("digest = %s, want %s", st.digest, want)
	}
}
