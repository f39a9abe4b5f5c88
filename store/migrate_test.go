package store

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// copyFixture copies testdata/cache-v1.db to a new cache path.
func copyFixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cache-v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := tempCache(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMigrateV1Cache opens a cache written in the schema-1 layout (JSON
// records, stamp buckets): in one step, in many small steps, and after a
// step that was left half done. Every object reads back as it was
// written, the digest (recomputed from the records) matches, the run
// history survives, and a full sync of the same data finds no change,
// so migrated records are byte for byte what a new write produces.
func TestMigrateV1Cache(t *testing.T) {
	tests := []struct {
		name    string
		batch   int
		partial bool // run one step by hand first, as if killed after it
	}{
		{"one step", 50_000, false},
		{"steps of 7 records", 7, false},
		{"steps of 1 record", 1, false},
		{"resumed after a committed step", 7, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := migrateBatch
			t.Cleanup(func() { migrateBatch = saved })
			migrateBatch = tt.batch
			path := copyFixture(t)
			if tt.partial {
				rawUpdate(t, path, func(tx *bbolt.Tx) error {
					more, err := migrateCompactRecords(tx)
					if err == nil && !more {
						t.Error("the first step of 7 records did everything")
					}
					return err
				})
			}
			s := openT(t, path)
			want := v1FixtureWant()
			wantState(t, s, want)
			checkV1Migrated(t, s, want)
			run := fullSync(t, s, want)
			if len(run.Changes) != 0 {
				t.Errorf("a full sync of the migrated data recorded changes: %v", run.Changes)
			}
			wantState(t, s, want)
		})
	}
}

func checkV1Migrated(t *testing.T, s *Store, want *org) {
	t.Helper()
	err := s.db.View(func(tx *bbolt.Tx) error {
		if v := getU64(tx.Bucket(bMeta), kSchema); v != schemaVersion() {
			t.Errorf("schema = %d, want %d", v, schemaVersion())
		}
		gens := 0
		tx.Bucket(bGens).ForEachBucket(func(k []byte) error {
			gens++
			for _, b := range []string{"st_users", "st_groups", "st_apps", "members", "members_rev", "appusers_rev", "appgroups_rev"} {
				if tx.Bucket(bGens).Bucket(k).Bucket([]byte(b)) != nil {
					t.Errorf("bucket %s left behind", b)
				}
			}
			return nil
		})
		if gens != 1 {
			t.Errorf("%d generations", gens)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, special, gone := v1Fixture()
	err = s.View(func(r *Reader) error {
		n := 0
		for u := range r.Users() {
			n++
			if !reflect.DeepEqual(u, want.users[u.ID]) {
				t.Errorf("user %s = %+v\nwant %+v", u.ID, u, want.users[u.ID])
			}
		}
		if n != len(want.users) {
			t.Errorf("%d users, want %d", n, len(want.users))
		}
		for g := range r.Groups() {
			if !reflect.DeepEqual(g, want.groups[g.ID]) {
				t.Errorf("group %s = %+v, want %+v", g.ID, g, want.groups[g.ID])
			}
		}
		for a := range r.Apps() {
			if !reflect.DeepEqual(a, want.apps[a.ID]) {
				t.Errorf("app %s = %+v, want %+v", a.ID, a, want.apps[a.ID])
			}
			if got := slices.Collect(r.AppUsersOf(a.ID)); !reflect.DeepEqual(got, want.appUsers[a.ID]) {
				t.Errorf("app users of %s = %v, want %v", a.ID, got, want.appUsers[a.ID])
			}
			if got := r.AppGroupsOf(a.ID); !reflect.DeepEqual(got, want.appGroups[a.ID]) {
				t.Errorf("app groups of %s = %v, want %v", a.ID, got, want.appGroups[a.ID])
			}
		}
		if got := r.GroupsOf(special.ID); !slices.Equal(got, []string{"00g000000"}) {
			t.Errorf("groups of the special user = %v", got)
		}
		groupsOf, appsOf := map[string][]string{}, map[string][]string{}
		for _, g := range slices.Sorted(maps.Keys(want.members)) {
			for _, u := range want.members[g] {
				groupsOf[u] = append(groupsOf[u], g)
			}
		}
		for _, a := range slices.Sorted(maps.Keys(want.appUsers)) {
			for _, au := range want.appUsers[a] {
				appsOf[au.UserID] = append(appsOf[au.UserID], a)
			}
		}
		for id := range want.users {
			if got := r.GroupsOf(id); !slices.Equal(got, groupsOf[id]) {
				t.Errorf("GroupsOf(%s) = %v, want %v", id, got, groupsOf[id])
			}
			var apps []string
			for _, au := range r.AppsOfUser(id) {
				apps = append(apps, au.AppID)
			}
			if !slices.Equal(apps, appsOf[id]) {
				t.Errorf("AppsOfUser(%s) = %v, want %v", id, apps, appsOf[id])
			}
		}
		for id := range want.groups {
			var apps []string
			for _, ag := range r.AppsOfGroup(id) {
				apps = append(apps, ag.AppID)
			}
			var wantApps []string
			for _, a := range slices.Sorted(maps.Keys(want.appGroups)) {
				for _, ag := range want.appGroups[a] {
					if ag.GroupID == id {
						wantApps = append(wantApps, a)
					}
				}
			}
			if !slices.Equal(apps, wantApps) {
				t.Errorf("AppsOfGroup(%s) = %v, want %v", id, apps, wantApps)
			}
		}
		if got := slices.Collect(r.UsersByPrefix("<B>X</b>@")); len(got) != 1 || got[0].ID != special.ID {
			t.Errorf("UsersByPrefix = %v", got)
		}
		var archived []string
		for ts := range r.Archived(directory.KindUser) {
			if ts.User == nil || ts.User.ID != ts.ID || ts.Label != ts.User.Login {
				t.Errorf("tombstone %+v", ts)
			}
			archived = append(archived, ts.ID)
		}
		if wantGone := []string{"00u0000004", "00u0000017", "00u0000023", "00u0000042"}; !slices.Equal(archived, wantGone) {
			t.Errorf("archived users = %v, want %v (%s deleted last)", archived, wantGone, gone)
		}
		if len(r.Changes(2)) == 0 || len(r.Changes(3)) == 0 {
			t.Errorf("change logs lost: %d, %d records", len(r.Changes(2)), len(r.Changes(3)))
		}
		if c := r.Cursor("users"); c != "fixture" {
			t.Errorf("cursor = %q", c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
