package store

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// changeSet renders changes as sorted "kind op id fields" strings.
func changeSet(cs []directory.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = fmt.Sprintf("%s %s %s %s", c.Kind, c.Op, c.ID, strings.Join(c.Fields, ","))
	}
	slices.Sort(out)
	return out
}

func changesOf(t *testing.T, s *Store, run uint64) []string {
	t.Helper()
	var cs []directory.Change
	if err := s.View(func(r *Reader) error { cs = r.Changes(run); return nil }); err != nil {
		t.Fatal(err)
	}
	return changeSet(cs)
}

func TestFullSyncChangeLog(t *testing.T) {
	s := openT(t, tempCache(t))
	a := genOrg(3, 50)
	fullSync(t, s, a)

	b := a.clone()
	// user added, removed, updated (title + custom attribute), deprovisioned
	nu := b.users["00u0000001"]
	nu.ID, nu.Login = "00u9999999", "new@example.com"
	b.users[nu.ID] = nu
	delete(b.users, "00u0000002")
	up := b.users["00u0000003"]
	up.Title, up.Attributes = "Director", map[string]any{"costCenter": "zz", "badge": "7"}
	b.users[up.ID] = up
	dp := b.users["00u0000004"]
	dp.Status, dp.LastUpdated = directory.StatusDeprovisioned, t0.Add(time.Hour)
	b.users[dp.ID] = dp
	// zone-only difference is not a change
	same := b.users["00u0000006"]
	same.LastUpdated = same.LastUpdated.In(time.FixedZone("X", 7200))
	b.users[same.ID] = same
	// group renamed, app removed with its assignments
	g := b.groups["00g000000"]
	g.Name = "Renamed"
	b.groups[g.ID] = g
	delete(b.apps, "0oa00000")
	delete(b.appUsers, "0oa00000")
	delete(b.appGroups, "0oa00000")
	// membership changes: the removed user's memberships go, one add, one remove
	for gid, us := range b.members {
		b.members[gid] = slices.DeleteFunc(us, func(u string) bool { return u == "00u0000002" })
	}
	b.members["00g000001"] = append(b.members["00g000001"], nu.ID)
	removedMember := b.members["00g000002"][0]
	b.members["00g000002"] = b.members["00g000002"][1:]

	run := fullSync(t, s, b)
	wantState(t, s, b)

	var want []string
	add := func(kind, op, id, fields string) {
		want = append(want, fmt.Sprintf("%s %s %s %s", kind, op, id, fields))
	}
	add("user", "added", nu.ID, "")
	add("user", "removed", "00u0000002", "")
	add("user", "updated", "00u0000003", "title,attributes.badge,attributes.costCenter")
	add("user", "updated", "00u0000004", "status,lastUpdated")
	add("group", "updated", "00g000000", "name")
	add("app", "removed", "0oa00000", "")
	for gid, us := range a.members {
		if slices.Contains(us, "00u0000002") {
			add("member", "removed", gid+"/00u0000002", "")
		}
	}
	add("member", "added", "00g000001/"+nu.ID, "")
	add("member", "removed", "00g000002/"+removedMember, "")
	for _, au := range a.appUsers["0oa00000"] {
		add("appuser", "removed", "0oa00000/"+au.UserID, "")
	}
	for _, ag := range a.appGroups["0oa00000"] {
		add("appgroup", "removed", "0oa00000/"+ag.GroupID, "")
	}
	slices.Sort(want)
	if got := changesOf(t, s, run.ID); !slices.Equal(got, want) {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if run.Changes["user.removed"] != 1 || run.Changes["app.removed"] != 1 {
		t.Errorf("summary = %v", run.Changes)
	}

	err := s.View(func(r *Reader) error {
		var tombs []string
		for ts := range r.Archived("") {
			tombs = append(tombs, ts.Kind+" "+ts.ID+" "+ts.Label)
			if !ts.Deleted.Equal(t0.Add(time.Minute)) || ts.RunID != run.ID {
				t.Errorf("tombstone %s: deleted %v run %d", ts.ID, ts.Deleted, ts.RunID)
			}
		}
		want := []string{"app 0oa00000 App 0", "user 00u0000002 user2@example.com"}
		if !slices.Equal(tombs, want) {
			t.Errorf("archive = %v, want %v", tombs, want)
		}
		if _, ok := r.User("00u0000002"); ok {
			t.Error("archived user still readable as current")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The user comes back: it leaves the archive.
	c := b.clone()
	c.users["00u0000002"] = a.users["00u0000002"]
	fullSync(t, s, c)
	err = s.View(func(r *Reader) error {
		if n := len(slicesOf(r.Archived(directory.KindUser))); n != 0 {
			t.Errorf("%d archived users after the user came back", n)
		}
		if n := len(slicesOf(r.Archived(directory.KindApp))); n != 1 {
			t.Errorf("%d archived apps, want 1 (carried over)", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func slicesOf[T any](seq func(func(T) bool)) []T {
	var out []T
	for v := range seq {
		out = append(out, v)
	}
	return out
}

func TestIncrementalChangeLog(t *testing.T) {
	s := openT(t, tempCache(t))
	o := genOrg(4, 40)
	fullSync(t, s, o)
	victim := o.members["00g000000"][0]

	tests := []struct {
		name  string
		apply func(d *Delta, o *org)
		want  []string
	}{
		{
			name: "user added and updated",
			apply: func(d *Delta, o *org) {
				u := directory.User{ID: "00unew", Status: directory.StatusStaged, Login: "n@x", LastUpdated: t0}
				d.PutUser(u)
				o.users[u.ID] = u
				v := o.users["00u0000001"]
				v.Department = "Legal"
				d.PutUser(v)
				o.users[v.ID] = v
				d.PutUser(o.users["00u0000005"]) // unchanged: no record
			},
			want: []string{"user added 00unew ", "user updated 00u0000001 department"},
		},
		{
			name: "user deleted cascades",
			apply: func(d *Delta, o *org) {
				d.DeleteUser(victim)
				delete(o.users, victim)
				for g, us := range o.members {
					o.members[g] = slices.DeleteFunc(us, func(u string) bool { return u == victim })
				}
				for a, aus := range o.appUsers {
					o.appUsers[a] = slices.DeleteFunc(aus, func(au directory.AppUser) bool { return au.UserID == victim })
				}
				d.DeleteUser("00unothere")
			},
		},
		{
			name: "memberships replaced, added, removed",
			apply: func(d *Delta, o *org) {
				d.ReplaceMembers("00g000001", []string{"00u0000001", "00u0000002"})
				o.members["00g000001"] = []string{"00u0000001", "00u0000002"}
				d.AddMember("00g000002", "00unew")
				o.members["00g000002"] = append(o.members["00g000002"], "00unew")
				d.AddMember("00g000002", "00unew") // twice: one record
				first := o.members["00g000003"][0]
				d.RemoveMember("00g000003", first)
				o.members["00g000003"] = o.members["00g000003"][1:]
			},
		},
		{
			name: "assignments",
			apply: func(d *Delta, o *org) {
				au := directory.AppUser{AppID: "0oa00000", UserID: "00unew", Scope: directory.ScopeGroup, LastUpdated: t0}
				d.AddAppUser(au)
				o.appUsers[au.AppID] = append(o.appUsers[au.AppID], au)
				ag := directory.AppGroup{GroupID: "00g000001", Priority: 99, LastUpdated: t0}
				d.ReplaceAppGroups("0oa00000", []directory.AppGroup{ag})
				ag.AppID = "0oa00000"
				o.appGroups["0oa00000"] = []directory.AppGroup{ag}
			},
			want: []string{"appuser added 0oa00000/00unew "},
		},
		{
			name: "group and app deleted cascade",
			apply: func(d *Delta, o *org) {
				d.DeleteGroup("00g000001")
				delete(o.groups, "00g000001")
				delete(o.members, "00g000001")
				for a, ags := range o.appGroups {
					o.appGroups[a] = slices.DeleteFunc(ags, func(ag directory.AppGroup) bool { return ag.GroupID == "00g000001" })
				}
				d.DeleteApp("0oa00000")
				delete(o.apps, "0oa00000")
				delete(o.appUsers, "0oa00000")
				delete(o.appGroups, "0oa00000")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := o.clone()
			d, err := s.BeginIncremental()
			if err != nil {
				t.Fatal(err)
			}
			tt.apply(d, o)
			run, err := d.Commit(directory.SyncRun{Status: directory.RunOK, Finished: t0.Add(2 * time.Hour)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			wantState(t, s, o)
			got := changesOf(t, s, run.ID)
			want := tt.want
			if want == nil {
				want = edgeDiff(before, o)
			}
			slices.Sort(want)
			if !slices.Equal(got, want) && (tt.want == nil || !containsAll(got, want)) {
				t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
	err := s.View(func(r *Reader) error {
		since := r.ChangesSince(t0.Add(90 * time.Minute))
		if len(since) != len(tests) {
			t.Errorf("ChangesSince = %d runs, want %d", len(since), len(tests))
		}
		if len(r.ChangesSince(t0.Add(3*time.Hour))) != 0 {
			t.Error("ChangesSince in the future returned runs")
		}
		if n := len(slicesOf(r.Archived(directory.KindUser))); n != 1 {
			t.Errorf("%d archived users, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func containsAll(got, want []string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// edgeDiff computes the expected change records between two orgs from
// the in-memory model (objects and edges; no field-level updates).
func edgeDiff(a, b *org) []string {
	var out []string
	set := func(o *org) map[string]string {
		m := map[string]string{}
		for id := range o.users {
			m["user "+id] = ""
		}
		for id := range o.groups {
			m["group "+id] = ""
		}
		for id := range o.apps {
			m["app "+id] = ""
		}
		for g, us := range o.members {
			for _, u := range us {
				m["member "+g+"/"+u] = ""
			}
		}
		for _, aus := range o.appUsers {
			for _, au := range aus {
				m["appuser "+au.AppID+"/"+au.UserID] = fmt.Sprint(au)
			}
		}
		for _, ags := range o.appGroups {
			for _, ag := range ags {
				m["appgroup "+ag.AppID+"/"+ag.GroupID] = fmt.Sprint(ag.Priority)
			}
		}
		return m
	}
	sa, sb := set(a), set(b)
	for k := range sa {
		kind, id, _ := strings.Cut(k, " ")
		if _, ok := sb[k]; !ok {
			out = append(out, kind+" removed "+id+" ")
		}
	}
	for k, v := range sb {
		kind, id, _ := strings.Cut(k, " ")
		old, ok := sa[k]
		switch {
		case !ok:
			out = append(out, kind+" added "+id+" ")
		case old != v && kind == "appgroup":
			out = append(out, kind+" updated "+id+" priority")
		}
	}
	return out
}

func TestGenerationIsolation(t *testing.T) {
	s := openT(t, tempCache(t))
	a, b := genOrg(5, 200), genOrg(6, 300)
	fullSync(t, s, a)
	before := readState(t, s)

	started, committed, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- s.View(func(r *Reader) error {
			check := func(when string) {
				d, err := r.Digest()
				if err != nil || r.Generation() != before.gen || r.Counts() != before.counts || d != before.digest {
					t.Errorf("%s: reader saw gen %d counts %+v digest %s (%v), want %+v", when, r.Generation(), r.Counts(), d, err, before)
				}
				if n := len(slicesOf(r.Users())); n != len(a.users) {
					t.Errorf("%s: %d users, want %d", when, n, len(a.users))
				}
			}
			check("before the write")
			close(started)
			<-committed
			check("after the commit")
			return nil
		})
	}()
	<-started
	fullSync(t, s, b)
	close(committed)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wantState(t, s, b)
	if readState(t, s).gen == before.gen {
		t.Fatal("generation did not change")
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	path := tempCache(t)
	s := openT(t, path)
	a := genOrg(7, 100)
	fullSync(t, s, a)
	before := readState(t, s)
	var runsBefore int
	s.View(func(r *Reader) error { runsBefore = len(r.Runs(0)); return nil })

	w, err := s.BeginFull()
	if err != nil {
		t.Fatal(err)
	}
	if err := genOrg(8, 150).writeTo(w, 50); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(spoolDir(path)); err != nil || !fi.IsDir() {
		t.Fatalf("no spool while writing: %v", err)
	}
	w.SetCursor("users", "2026-12-01T00:00:00.000Z")
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spoolDir(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("spool left behind by Abort: %v", err)
	}
	if _, err := w.Commit(directory.SyncRun{}, nil); err != ErrDone {
		t.Errorf("Commit after Abort = %v, want ErrDone", err)
	}
	d, err := s.BeginIncremental()
	if err != nil {
		t.Fatalf("BeginIncremental after Abort: %v", err)
	}
	d.PutUser(directory.User{ID: "00uaborted"})
	d.SetCursor("users", "x")
	d.Abort()

	if got := readState(t, s); got != before {
		t.Fatalf("state after aborts = %+v, want %+v", got, before)
	}
	err = s.View(func(r *Reader) error {
		if c := r.Cursor("users"); c != "" {
			t.Errorf("cursor advanced by an aborted write: %q", c)
		}
		if n := len(r.Runs(0)); n != runsBefore {
			t.Errorf("%d runs, want %d", n, runsBefore)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	gens, orphans := bucketCounts(t, s)
	if gens != 1 || orphans != 0 {
		t.Fatalf("after abort: %d generation buckets, %d orphan change logs", gens, orphans)
	}
}

// bucketCounts counts generation buckets and change logs without a run.
func bucketCounts(t testing.TB, s *Store) (gens, orphans int) {
	t.Helper()
	err := s.db.View(func(tx *bbolt.Tx) error {
		tx.Bucket(bGens).ForEachBucket(func([]byte) error { gens++; return nil })
		tx.Bucket(bChanges).ForEachBucket(func(k []byte) error {
			if tx.Bucket(bRuns).Get(k) == nil {
				orphans++
			}
			return nil
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return gens, orphans
}

func TestKeepFromPrevious(t *testing.T) {
	s := openT(t, tempCache(t))
	a := genOrg(9, 100)
	fullSync(t, s, a)

	// Apps forbidden (403): nothing of apps read; one group's member
	// listing failed half-way.
	b := a.clone()
	b.apps, b.appUsers, b.appGroups = map[string]directory.App{}, map[string][]directory.AppUser{}, map[string][]directory.AppGroup{}
	b.members["00g000003"] = b.members["00g000003"][:1]
	run := fullSync(t, s, b, ResApps, ResAppUsers, ResAppGroups, "memberships:00g000003")
	wantState(t, s, a)
	for k := range run.Changes {
		t.Errorf("unexpected change %s after keeping everything missing", k)
	}

	// A kept resource still takes the new values it did read.
	c := a.clone()
	app := c.apps["0oa00000"]
	app.Label = "Relabelled"
	c.apps = map[string]directory.App{app.ID: app}
	run = fullSync(t, s, c, ResApps)
	want := a.clone()
	want.apps["0oa00000"] = app
	wantState(t, s, want)
	if got := changesOf(t, s, run.ID); !slices.Equal(got, []string{"app updated 0oa00000 label"}) {
		t.Errorf("changes = %v", got)
	}

	w, err := s.BeginFull()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for _, bad := range []string{"widgets", "users:00u1", "memberships:\x01"} {
		if err := w.KeepFromPrevious(bad); err == nil {
			t.Errorf("KeepFromPrevious(%q) accepted", bad)
		}
	}
}

func TestCursorsAndRuns(t *testing.T) {
	s := openT(t, tempCache(t))
	o := genOrg(10, 20)
	w, err := s.BeginFull()
	if err != nil {
		t.Fatal(err)
	}
	o.writeTo(w, 10)
	w.SetCursor("users", "u1")
	w.SetCursor("logs", "l1")
	journal := []directory.Request{{Method: "GET", Path: "/api/v1/users", Status: 200}, {Method: "GET", Path: "/api/v1/groups", Status: 429, ErrorCode: "E0000047"}}
	r1, err := w.Commit(directory.SyncRun{Status: directory.RunOK, Finished: t0}, journal)
	if err != nil {
		t.Fatal(err)
	}
	before := readState(t, s)
	failed, err := s.RecordFailedRun(directory.SyncRun{Mode: "incremental", Error: "boom", Finished: t0.Add(time.Hour)}, journal[:1])
	if err != nil {
		t.Fatal(err)
	}
	if after := readState(t, s); after != before {
		t.Errorf("RecordFailedRun changed the data: %+v → %+v", before, after)
	}
	w, err = s.BeginFull()
	if err != nil {
		t.Fatal(err)
	}
	o.writeTo(w, 10)
	w.SetCursor("users", "u2")
	partial := []directory.Partial{{Resource: "apps", Reason: "403", ErrorCode: "E0000006"}}
	r3, err := w.Commit(directory.SyncRun{Status: directory.RunPartial, Partial: partial, Finished: t0.Add(2 * time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A later failure is the last run, but not the data's run.
	if _, err := s.RecordFailedRun(directory.SyncRun{Finished: t0.Add(3 * time.Hour)}, nil); err != nil {
		t.Fatal(err)
	}
	err = s.View(func(r *Reader) error {
		if got := r.Cursor("users") + "," + r.Cursor("logs"); got != "u2,l1" {
			t.Errorf("cursors = %s, want u2,l1 (unset ones carried over)", got)
		}
		runs := r.Runs(0)
		if len(runs) != 4 || runs[1].ID != r3.ID || runs[2].ID != failed.ID || runs[3].ID != r1.ID {
			t.Errorf("runs = %+v", runs)
		}
		if last, ok := r.LastRun(); !ok || last.Status != directory.RunFailed {
			t.Errorf("LastRun = %+v", last)
		}
		if f, ok := r.Run(failed.ID); !ok || f.Status != directory.RunFailed || f.Error != "boom" {
			t.Errorf("failed run = %+v", f)
		}
		if c, ok := r.CommittedRun(); !ok || c.ID != r3.ID || len(c.Partial) != 1 {
			t.Errorf("CommittedRun = %+v, want run %d", c, r3.ID)
		}
		if j := r.Journal(r1.ID); len(j) != 2 || j[1].ErrorCode != "E0000047" {
			t.Errorf("journal = %+v", j)
		}
		if len(r.Runs(2)) != 2 {
			t.Error("Runs(2) did not limit")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWriterRules(t *testing.T) {
	s := openT(t, tempCache(t))
	d, err := s.BeginIncremental()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginFull(); err == nil {
		t.Error("second writer allowed")
	}
	d.PutUser(directory.User{ID: "00u1"})
	if _, err := d.Commit(directory.SyncRun{}, nil); err == nil {
		t.Error("incremental commit without a generation succeeded")
	}
	w, err := s.BeginFull()
	if err != nil {
		t.Fatalf("BeginFull after a finished Delta: %v", err)
	}
	for _, bad := range [][]directory.User{{{ID: ""}}, {{ID: "00u\t1"}}, {{ID: strings.Repeat("x", 300)}}} {
		if err := w.PutUsers(bad); err == nil {
			t.Errorf("PutUsers(%q) accepted", bad[0].ID)
		}
	}
	if _, err := w.Commit(directory.SyncRun{}, nil); err == nil {
		t.Error("Commit after invalid input succeeded")
	}
	w.Abort()
	w, err = s.BeginFull()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.PutAppUsers("0oa1", []directory.AppUser{{AppID: "0oa2", UserID: "00u1"}}); err == nil {
		t.Error("assignment of another app accepted")
	}
	w.Abort()
}

func TestConcurrentFullWriter(t *testing.T) {
	s := openT(t, tempCache(t))
	o := genOrg(30, 400)
	saved := flushItems
	flushItems = 300 // many flushes while the writers race
	t.Cleanup(func() { flushItems = saved })
	w, err := s.BeginFull()
	if err != nil {
		t.Fatal(err)
	}
	users := slices.Collect(maps.Values(o.users))
	errs := make(chan error, 4)
	for part := range 4 {
		go func() {
			for i := part * 10; i < len(users); i += 40 {
				if err := w.PutUsers(users[i:min(i+10, len(users))]); err != nil {
					errs <- err
					return
				}
			}
			for g, us := range o.members {
				if int(g[len(g)-1])%4 == part {
					if err := w.PutMembers(g, us); err != nil {
						errs <- err
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := w.PutGroups(slices.Collect(maps.Values(o.groups))); err != nil {
		t.Fatal(err)
	}
	o.apps, o.appUsers, o.appGroups = nil, nil, nil
	if _, err := w.Commit(directory.SyncRun{}, nil); err != nil {
		t.Fatal(err)
	}
	wantState(t, s, o)
}

func TestJournalRetention(t *testing.T) {
	s := openT(t, tempCache(t))
	journal := []directory.Request{{Method: "GET", Path: "/api/v1/users", Status: 500}}
	var ids []uint64
	for range keepJournals + 5 {
		run, err := s.RecordFailedRun(directory.SyncRun{Mode: "full"}, journal)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, run.ID)
	}
	err := s.View(func(r *Reader) error {
		for i, id := range ids {
			want := 1
			if i < 5 {
				want = 0 // pruned: older than the newest keepJournals runs
			}
			if got := len(r.Journal(id)); got != want {
				t.Errorf("run %d journal has %d entries, want %d", id, got, want)
			}
			if _, ok := r.Run(id); !ok {
				t.Errorf("run %d record pruned", id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestChangedValues(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	login := at("2026-01-02T03:04:05Z")
	base := directory.User{ID: "00u1", Department: "Sales", LastUpdated: at("2026-01-01T00:00:00Z"),
		Attributes: map[string]any{"costCenter": "CC-10", "badge": float64(7)}}
	for _, tc := range []struct {
		name string
		edit func(u *directory.User)
		want []directory.FieldChange
	}{
		{"string", func(u *directory.User) { u.Department = "Finance" },
			[]directory.FieldChange{{Field: "department", Old: "Sales", New: "Finance"}}},
		{"set and cleared", func(u *directory.User) { u.Title, u.Department = "Director", "" },
			[]directory.FieldChange{{Field: "title", Old: "", New: "Director"}, {Field: "department", Old: "Sales", New: ""}}},
		{"time pointer set", func(u *directory.User) { u.LastLogin = &login },
			[]directory.FieldChange{{Field: "lastLogin", Old: "", New: "2026-01-02T03:04:05Z"}}},
		{"same instant in another zone", func(u *directory.User) { u.LastUpdated = u.LastUpdated.In(time.FixedZone("X", 3600)) }, nil},
		{"attributes per key", func(u *directory.User) {
			u.Attributes = map[string]any{"costCenter": "CC-20", "badge": float64(7), "floor": true}
		}, []directory.FieldChange{{Field: "attributes.costCenter", Old: "CC-10", New: "CC-20"}, {Field: "attributes.floor", Old: "", New: "true"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := base
			u.Attributes = maps.Clone(base.Attributes)
			tc.edit(&u)
			if got := changedValues(base, u); !slices.Equal(got, tc.want) {
				t.Errorf("changedValues = %+v, want %+v", got, tc.want)
			}
		})
	}
}
