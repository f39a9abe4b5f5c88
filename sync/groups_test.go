package sync_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// twoGroups picks the first two OKTA_GROUPs (by id) that have members,
// and an active user in neither.
func (f *fixture) twoGroups() (g1, g2, outsider string) {
	f.t.Helper()
	err := f.Store.View(func(r *store.Reader) error {
		in := map[string]bool{}
		for g := range r.Groups() {
			if g.Type != directory.GroupTypeOkta || len(slices.Collect(r.MembersOf(g.ID))) == 0 {
				continue
			}
			switch {
			case g1 == "":
				g1 = g.ID
			case g2 == "":
				g2 = g.ID
			default:
				continue
			}
			for uid := range r.MembersOf(g.ID) {
				in[uid] = true
			}
		}
		for u := range r.Users() {
			if !in[u.ID] && u.Status == directory.StatusActive && outsider == "" {
				outsider = u.ID
			}
		}
		return nil
	})
	if err != nil || g2 == "" || outsider == "" {
		f.t.Fatalf("no two groups with members and an outsider: %v", err)
	}
	return g1, g2, outsider
}

// cachedMembers returns a group's members in the cache.
func (f *fixture) cachedMembers(gid string) map[string]bool {
	f.t.Helper()
	var out map[string]bool
	if err := f.Store.View(func(r *store.Reader) error {
		out = maps.Collect(func(yield func(string, bool) bool) {
			for uid := range r.MembersOf(gid) {
				if !yield(uid, true) {
					return
				}
			}
		})
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
	return out
}

// flags is a run's partial-data flags without their reasons (which carry
// request ids).
func flags(run directory.SyncRun) []directory.Partial {
	out := []directory.Partial{}
	for _, p := range run.Partial {
		out = append(out, directory.Partial{Resource: p.Resource, ErrorCode: p.ErrorCode})
	}
	return out
}

// TestGroupsFollowsTheSyncsPartialPolicy: reading groups back flags the
// cache partial exactly as a sync does — a 403 on one group's members
// keeps that group's cached members and flags memberships, and a flag of
// the run the cache reflects is not dropped by a run that read nothing
// whole — and the next incremental sync keeps the flag.
func TestGroupsFollowsTheSyncsPartialPolicy(t *testing.T) {
	tests := []struct {
		name  string
		token string
		// forbidFirst answers 403 to the listing of the first group's
		// members from the read-back on.
		forbidFirst bool
		want        []directory.Partial
	}{
		{"403 on one group's members", "readonly", true, []directory.Partial{{Resource: "memberships", ErrorCode: "E0000006"}}},
		{"an earlier run's flag carries over", "noapps", false, []directory.Partial{{Resource: "apps", ErrorCode: "E0000006"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 2}, tt.token)
			f.Sync(t, dsync.Options{})
			g1, g2, outsider := f.twoGroups()
			admin := f.NewClient(t, "superadmin", okta.Options{})
			for _, gid := range []string{g1, g2} {
				if err := admin.AddGroupMember(ctx, gid, outsider); err != nil {
					t.Fatal(err)
				}
			}
			kept := f.cachedMembers(g1)
			if tt.forbidFirst {
				f.Server.Sim.SetFaults([]oktasim.FaultRule{{Method: "GET", Path: "/api/v1/groups/" + g1 + "/users*", Probability: 1, Status: 403}})
			}

			run, err := dsync.Groups(ctx, f.Client, f.Store, []string{g1, g2}, dsync.Options{})
			if err != nil {
				t.Fatalf("groups: %v", err)
			}
			if run.Mode != dsync.ModeGroups || run.Status != directory.RunPartial || !slices.Equal(flags(run), tt.want) {
				t.Fatalf("run %s/%s partial %+v, want %s/%s %+v", run.Mode, run.Status, flags(run), dsync.ModeGroups, directory.RunPartial, tt.want)
			}
			if run.Requests == 0 {
				t.Errorf("the run recorded no requests")
			}
			var committed directory.SyncRun
			if err := f.Store.View(func(r *store.Reader) error { committed, _ = r.CommittedRun(); return nil }); err != nil {
				t.Fatal(err)
			}
			if committed.ID != run.ID {
				t.Fatalf("committed run %d, want the read-back's %d", committed.ID, run.ID)
			}
			if !f.cachedMembers(g2)[outsider] {
				t.Errorf("group %s read back without the member added in Okta", g2)
			}
			if got := f.cachedMembers(g1); tt.forbidFirst && !maps.Equal(got, kept) {
				t.Errorf("forbidden group %s: cached members changed to %d (had %d)", g1, len(got), len(kept))
			} else if !tt.forbidFirst && !got[outsider] {
				t.Errorf("group %s read back without the member added in Okta", g1)
			}

			// A full sync under the same conditions flags the same.
			full := f.Sync(t, dsync.Options{Full: true})
			if !slices.Equal(flags(full), tt.want) {
				t.Errorf("full sync flags %+v, the read-back %+v", flags(full), tt.want)
			}
		})
	}
}

// TestGroupsFlagSurvivesTheNextIncremental: after a read-back that got a
// 403 on members, an incremental sync (which lists no memberships whole)
// still reports the cache partial.
func TestGroupsFlagSurvivesTheNextIncremental(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 2}, "readonly")
	f.Sync(t, dsync.Options{})
	g1, g2, _ := f.twoGroups()
	f.Server.Sim.SetFaults([]oktasim.FaultRule{{Method: "GET", Path: "/api/v1/groups/" + g1 + "/users*", Probability: 1, Status: 403}})
	if _, err := dsync.Groups(ctx, f.Client, f.Store, []string{g1, g2}, dsync.Options{}); err != nil {
		t.Fatal(err)
	}
	f.Server.Sim.SetFaults(nil)
	run := f.Sync(t, dsync.Options{})
	if run.Mode != dsync.ModeIncremental || !hasPartial(run, "memberships") {
		t.Fatalf("incremental after the read-back: %s, partial %+v: the memberships flag was dropped", run.Mode, run.Partial)
	}
}
