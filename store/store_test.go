package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
)

func TestRoundTrip(t *testing.T) {
	path := tempCache(t)
	s := openT(t, path)
	o := genOrg(1, 300)
	run := fullSync(t, s, o)
	if run.ID == 0 || run.Changes["user.added"] != len(o.users) {
		t.Fatalf("run = %+v", run)
	}
	wantState(t, s, o)

	err := s.View(func(r *Reader) error {
		var n int
		prev := ""
		for u := range r.Users() {
			want := o.users[u.ID]
			if !reflect.DeepEqual(u, want) {
				t.Errorf("user %s = %+v\nwant %+v", u.ID, u, want)
			}
			if u.ID <= prev {
				t.Errorf("users out of order: %s after %s", u.ID, prev)
			}
			prev = u.ID
			n++
		}
		if n != len(o.users) {
			t.Errorf("Users yielded %d, want %d", n, len(o.users))
		}
		counts := r.Counts()
		if n := len(slices.Collect(r.Memberships())); n != counts.Memberships {
			t.Errorf("Memberships yielded %d, want %d", n, counts.Memberships)
		}
		if n := len(slices.Collect(r.AppUsers())); n != counts.AppUsers {
			t.Errorf("AppUsers yielded %d, want %d", n, counts.AppUsers)
		}
		if n := len(slices.Collect(r.AppGroups())); n != counts.AppGroups {
			t.Errorf("AppGroups yielded %d, want %d", n, counts.AppGroups)
		}
		for m := range r.Memberships() {
			if !slices.Contains(o.members[m.GroupID], m.UserID) {
				t.Errorf("unexpected membership %+v", m)
			}
		}
		for id, g := range o.groups {
			if got, ok := r.Group(id); !ok || !reflect.DeepEqual(got, g) {
				t.Errorf("group %s = %+v, %v", id, got, ok)
			}
			if got := slices.Collect(r.MembersOf(id)); !slices.Equal(got, o.members[id]) {
				t.Errorf("members of %s = %v, want %v", id, got, o.members[id])
			}
			if got := r.MemberCount(id); got != len(o.members[id]) {
				t.Errorf("MemberCount(%s) = %d, want %d", id, got, len(o.members[id]))
			}
			var apps []string
			for _, ag := range r.AppsOfGroup(id) {
				apps = append(apps, ag.AppID)
			}
			var want []string
			for a, ags := range o.appGroups {
				for _, ag := range ags {
					if ag.GroupID == id {
						want = append(want, a)
					}
				}
			}
			slices.Sort(want)
			if !slices.Equal(apps, want) {
				t.Errorf("apps of group %s = %v, want %v", id, apps, want)
			}
		}
		for id, a := range o.apps {
			if got, ok := r.App(id); !ok || got != a {
				t.Errorf("app %s = %+v, %v", id, got, ok)
			}
			if got := r.AppUserCount(id); got != len(o.appUsers[id]) {
				t.Errorf("AppUserCount(%s) = %d, want %d", id, got, len(o.appUsers[id]))
			}
			if got := slices.Collect(r.AppUsersOf(id)); !reflect.DeepEqual(got, o.appUsers[id]) {
				t.Errorf("app users of %s differ: %d vs %d", id, len(got), len(o.appUsers[id]))
			}
			if got := r.AppGroupsOf(id); !reflect.DeepEqual(got, o.appGroups[id]) {
				t.Errorf("app groups of %s differ", id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestHostileValuesRoundTrip(t *testing.T) {
	s := openT(t, tempCache(t))
	u := directory.User{ID: "00uhostile", Status: directory.StatusActive, Login: hostile, Email: "a@b",
		FirstName: strings.Repeat("Ω", 2000), DisplayName: "\x00\x07\x1b[2J<b>bold</b>\u202e",
		Attributes: map[string]any{"html": "<img src=x onerror=alert(1)>", "ansi": "\x1b]0;title\x07"}}
	o := &org{users: map[string]directory.User{u.ID: u}, groups: map[string]directory.Group{
		"00g1": {ID: "00g1", Name: hostile, Description: strings.Repeat("x", 2000)}}}
	fullSync(t, s, o)
	err := s.View(func(r *Reader) error {
		got, ok := r.User(u.ID)
		if !ok || !reflect.DeepEqual(got, u) {
			t.Errorf("user = %q, want %q", got.DisplayName, u.DisplayName)
		}
		if g, ok := r.GroupByName(strings.ToUpper(hostile)); !ok || g.Name != hostile {
			t.Errorf("GroupByName = %q, %v", g.Name, ok)
		}
		if got := slices.Collect(r.UsersByPrefix("ΩΩΩ")); len(got) != 1 {
			t.Errorf("UsersByPrefix(ΩΩΩ) = %d users", len(got))
		}
		if got := slices.Collect(r.UsersByPrefix(strings.Repeat("ω", 1500))); len(got) != 1 {
			t.Errorf("UsersByPrefix(long lower-case) = %d users", len(got))
		}
		if got := slices.Collect(r.UsersByPrefix(strings.Repeat("ω", 1500) + "x")); len(got) != 0 {
			t.Errorf("UsersByPrefix(long, mismatching beyond the index) = %d users", len(got))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestIndexes(t *testing.T) {
	s := openT(t, tempCache(t))
	o := genOrg(2, 200)
	fullSync(t, s, o)
	err := s.View(func(r *Reader) error {
		tests := []struct {
			prefix string
			want   func(u directory.User) bool
		}{
			{"USER1", func(u directory.User) bool { return strings.HasPrefix(u.Login, "user1") }},
			{"first19", func(u directory.User) bool { return strings.HasPrefix(u.FirstName, "First19") }},
			{"last7", func(u directory.User) bool { return strings.HasPrefix(u.LastName, "Last7") }},
			{"nobody", func(directory.User) bool { return false }},
			{"", func(directory.User) bool { return true }},
		}
		for _, tt := range tests {
			var want []string
			for _, u := range o.users {
				if tt.want(u) {
					want = append(want, u.ID)
				}
			}
			var got []string
			for u := range r.UsersByPrefix(tt.prefix) {
				got = append(got, u.ID)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("UsersByPrefix(%q) = %v, want %v", tt.prefix, got, want)
			}
		}
		var want, got []string
		for _, u := range o.users {
			if u.Department == "Sales" {
				want = append(want, u.ID)
			}
		}
		for u := range r.UsersInDepartment("sALES") {
			got = append(got, u.ID)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("UsersInDepartment = %d users, want %d", len(got), len(want))
		}
		for g, us := range o.members {
			for _, u := range us {
				if !slices.Contains(r.GroupsOf(u), g) {
					t.Errorf("GroupsOf(%s) lacks %s", u, g)
				}
			}
		}
		for a, aus := range o.appUsers {
			for _, au := range aus {
				if !slices.ContainsFunc(r.AppsOfUser(au.UserID), func(x directory.AppUser) bool { return x.AppID == a }) {
					t.Errorf("AppsOfUser(%s) lacks %s", au.UserID, a)
				}
			}
		}
		if g, ok := r.GroupByName("group 3"); !ok || g.ID != "00g000003" {
			t.Errorf("GroupByName(group 3) = %+v, %v", g, ok)
		}
		if got := slices.Collect(r.GroupsByPrefix("Group 1")); len(got) != 11 {
			t.Errorf("GroupsByPrefix(Group 1) = %d groups, want 11", len(got))
		}
		if got := slices.Collect(r.UsersAfter("00u0000197")); len(got) != 2 {
			t.Errorf("UsersAfter = %d users, want 2", len(got))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFileModes(t *testing.T) {
	path := tempCache(t)
	openT(t, path)
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700, path + ".pid": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %o, want %o", p, got, want)
		}
	}
}

// TestDigestHandComputed stores the eight-row fixture of
// directory/digest_test.go, whose digest was computed with sha256sum.
func TestDigestHandComputed(t *testing.T) {
	const want = "sha256:6c4ffb2b3545adf89360007884bb87a9d51693d57b7b198433d4bd432d293206"
	paris := time.FixedZone("CET", 3600)
	at := func(y, mo, d, h, mi, s, ns int, loc *time.Location) time.Time {
		return time.Date(y, time.Month(mo), d, h, mi, s, ns, loc)
	}
	o := &org{
		users: map[string]directory.User{
			"00u1": {ID: "00u1", Status: directory.StatusActive, LastUpdated: at(2026, 11, 26, 5, 36, 0, 0, paris)},
			"00u2": {ID: "00u2", Status: directory.StatusDeprovisioned, LastUpdated: at(2026, 11, 26, 4, 36, 0, 999_999_999, time.UTC)},
		},
		groups:    map[string]directory.Group{"00g1": {ID: "00g1", LastUpdated: at(2026, 1, 2, 3, 4, 5, 120_000_000, time.UTC)}},
		apps:      map[string]directory.App{"0oa1": {ID: "0oa1", LastUpdated: at(2026, 1, 2, 3, 4, 5, 0, time.UTC)}},
		members:   map[string][]string{"00g1": {"00u2", "00u1"}},
		appUsers:  map[string][]directory.AppUser{"0oa1": {{UserID: "00u1"}}},
		appGroups: map[string][]directory.AppGroup{"0oa1": {{GroupID: "00g1"}}},
	}
	s := openT(t, tempCache(t))
	fullSync(t, s, o)
	if got := readState(t, s).digest; got != want {
		t.Fatalf("stored digest = %s, want %s", got, want)
	}
	// After an incremental sync the digest is computed, not stored.
	d, err := s.BeginIncremental()
	if err != nil {
		t.Fatal(err)
	}
	d.RemoveMember("00g1", "00u2")
	if _, err := d.Commit(directory.SyncRun{}, nil); err != nil {
		t.Fatal(err)
	}
	d, err = s.BeginIncremental()
	if err != nil {
		t.Fatal(err)
	}
	d.AddMember("00g1", "00u2")
	if _, err := d.Commit(directory.SyncRun{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := readState(t, s).digest; got != want {
		t.Fatalf("computed digest = %s, want %s", got, want)
	}
}

// TestIndexesAcrossRuns writes a full sync in many small transactions,
// rewriting some users and groups with new names in later pages, as
// overlapping pages do: the merged indexes must hold only the final
// versions, each entry once.
func TestIndexesAcrossRuns(t *testing.T) {
	saved := flushItems
	flushItems = 7
	t.Cleanup(func() { flushItems = saved })
	s := openT(t, tempCache(t))
	o := genOrg(31, 120)
	w, err := s.BeginFull()
	if err != nil {
		t.Fatal(err)
	}
	if err := o.writeTo(w, 5); err != nil {
		t.Fatal(err)
	}
	// Second versions of two users and a group, plus repeated edges.
	renamed := o.users["00u0000010"]
	renamed.Login, renamed.Email, renamed.FirstName, renamed.Department = "zed@example.com", "zed@example.com", "Zed", "Skunkworks"
	o.users[renamed.ID] = renamed
	grp := o.groups["00g000001"]
	grp.Name = "Renamed group"
	o.groups[grp.ID] = grp
	if err := w.PutUsers([]directory.User{renamed}); err != nil {
		t.Fatal(err)
	}
	if err := w.PutGroups([]directory.Group{grp}); err != nil {
		t.Fatal(err)
	}
	if err := w.PutMembers("00g000001", o.members["00g000001"]); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(directory.SyncRun{}, nil); err != nil {
		t.Fatal(err)
	}
	wantState(t, s, o)
	err = s.View(func(r *Reader) error {
		if got := slices.Collect(r.UsersByPrefix("user10@")); len(got) != 0 {
			t.Errorf("old login still indexed: %d users", len(got))
		}
		if got := slices.Collect(r.UsersByPrefix("ZED")); len(got) != 1 || got[0].ID != renamed.ID {
			t.Errorf("UsersByPrefix(ZED) = %v", got)
		}
		if got := slices.Collect(r.UsersInDepartment("skunkworks")); len(got) != 1 {
			t.Errorf("UsersInDepartment(skunkworks) = %d users", len(got))
		}
		if _, ok := r.GroupByName("Group 1"); ok {
			t.Error("old group name still indexed")
		}
		if g, ok := r.GroupByName("renamed GROUP"); !ok || g.ID != grp.ID {
			t.Errorf("GroupByName(renamed) = %+v, %v", g, ok)
		}
		terms, depts, revs := r.g.ixUser.Stats().KeyN, 0, 0
		for _, u := range o.users {
			terms -= len(userTerms(u))
			if u.Department != "" {
				depts++
			}
		}
		if terms != 0 {
			t.Errorf("user name index holds %d entries too many", terms)
		}
		if n := r.g.ixDept.Stats().KeyN; n != depts {
			t.Errorf("department index holds %d entries, want %d", n, depts)
		}
		for _, us := range o.members {
			revs += len(us)
		}
		n := 0
		c := r.g.membersRev.cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		if n != revs || c.err != nil {
			t.Errorf("reverse membership index holds %d entries, want %d", n, revs)
		}
		for g, us := range o.members {
			for _, u := range us {
				if !slices.Contains(r.GroupsOf(u), g) {
					t.Errorf("GroupsOf(%s) lacks %s", u, g)
				}
			}
		}
		if _, err := os.Stat(spoolDir(s.path)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("spool left behind after the commit: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
