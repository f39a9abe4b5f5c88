package sync_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/dirdeck/dirdeck/bundle"
	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/testorg"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// fixture is a simulated org, a client for it and a cache file.
type fixture struct {
	*testorg.Org
	t *testing.T
}

func newFixture(t *testing.T, opts oktasim.Options, token string) *fixture {
	t.Helper()
	return &fixture{Org: testorg.Start(t, testorg.Options{Sim: opts, Token: token}), t: t}
}

// cache returns the cache's counts and digest.
func (f *fixture) cache() (directory.Counts, string) {
	f.t.Helper()
	return testorg.Cache(f.t, f.Store)
}

// assertTruth fails unless the cache equals what the org holds.
func (f *fixture) assertTruth(when string) {
	f.t.Helper()
	truth := f.Server.Sim.Truth()
	counts, digest := f.cache()
	if digest != truth.Digest {
		f.t.Fatalf("%s: cache digest %s, truth %s\ncache counts %+v\ntruth counts %v", when, digest, truth.Digest, counts, truth.Counts)
	}
}

func TestFullThenIncrementalEqualsTruth(t *testing.T) {
	for _, seed := range []int64{1, 7} {
		t.Run(fmt.Sprintf("S/seed%d", seed), func(t *testing.T) {
			f := newFixture(t, oktasim.Options{Scenario: "S", Seed: seed}, "readonly")
			run := f.Sync(t, dsync.Options{})
			if run.Mode != dsync.ModeFull || run.Status != directory.RunOK {
				t.Fatalf("first run: mode %s status %s", run.Mode, run.Status)
			}
			f.assertTruth("after full sync")
			for round := 1; round <= 10; round++ {
				res, err := f.Server.Sim.Churn(100)
				if err != nil {
					t.Fatal(err)
				}
				run := f.Sync(t, dsync.Options{})
				if run.Mode != dsync.ModeIncremental {
					t.Fatalf("round %d: mode %s, want incremental", round, run.Mode)
				}
				f.assertTruth(fmt.Sprintf("after churn round %d %v", round, res.ByKind))
			}
		})
	}
}

func TestFaultsStillReachTruth(t *testing.T) {
	f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 3}, "readonly")
	f.Server.Sim.SetFaults([]oktasim.FaultRule{
		{Path: "/api/v1/*", Probability: 0.05, Status: 503},
		{Path: "/api/v1/*", Probability: 0.03, Status: 429},
		{Path: "/api/v1/groups/*", Probability: 0.03, Reset: true},
		{Path: "/api/v1/*", Probability: 0.1, LatencyMS: 5},
	})
	run := f.Sync(t, dsync.Options{})
	if run.Retries == 0 {
		t.Fatalf("no retries recorded: the faults did not bite (%+v)", run)
	}
	f.assertTruth("full sync under faults")
	for round := 1; round <= 3; round++ {
		if _, err := f.Server.Sim.Churn(50); err != nil {
			t.Fatal(err)
		}
		f.Sync(t, dsync.Options{})
		f.assertTruth(fmt.Sprintf("incremental round %d under faults", round))
	}
}

func TestForbiddenAppsIsPartial(t *testing.T) {
	f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 4}, "noapps")
	run := f.Sync(t, dsync.Options{})
	if run.Status != directory.RunPartial {
		t.Fatalf("status %s, want partial", run.Status)
	}
	if len(run.Partial) == 0 || run.Partial[0].Resource != "apps" || run.Partial[0].ErrorCode != "E0000006" {
		t.Fatalf("partial = %+v, want apps with E0000006", run.Partial)
	}
	counts, _ := f.cache()
	truth := f.Server.Sim.Truth().Counts
	if counts.Users != truth["users"] || counts.Groups != truth["groups"] || counts.Memberships != truth["memberships"] {
		t.Fatalf("users/groups incomplete: cache %+v truth %v", counts, truth)
	}
	if counts.Apps != 0 {
		t.Fatalf("apps = %d from a token that cannot read apps", counts.Apps)
	}
	// Incremental runs stay partial but keep users and groups exact.
	if _, err := f.Server.Sim.Churn(30); err != nil {
		t.Fatal(err)
	}
	run = f.Sync(t, dsync.Options{})
	if run.Status != directory.RunPartial || run.Mode != dsync.ModeIncremental {
		t.Fatalf("second run %s/%s, want incremental/partial", run.Mode, run.Status)
	}
	counts, _ = f.cache()
	truth = f.Server.Sim.Truth().Counts
	if counts.Users != truth["users"] || counts.Groups != truth["groups"] || counts.Memberships != truth["memberships"] {
		t.Fatalf("after churn: cache %+v truth %v", counts, truth)
	}
}

func TestForbiddenAppsKeepsPreviousApps(t *testing.T) {
	f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 5}, "readonly")
	f.Sync(t, dsync.Options{})
	before, _ := f.cache()
	f.Server.Sim.SetFaults([]oktasim.FaultRule{{Path: "/api/v1/apps*", Probability: 1, Status: 403}})
	run := f.Sync(t, dsync.Options{Full: true})
	if run.Status != directory.RunPartial {
		t.Fatalf("status %s, want partial", run.Status)
	}
	after, _ := f.cache()
	if after.Apps != before.Apps || after.AppUsers != before.AppUsers || after.AppGroups != before.AppGroups {
		t.Fatalf("a forbidden apps listing dropped cached apps: before %+v after %+v", before, after)
	}
}

func TestWithoutSystemLogFallsBack(t *testing.T) {
	f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 6}, "readonly")
	f.Server.Sim.SetFaults([]oktasim.FaultRule{{Path: "/api/v1/logs*", Probability: 1, Status: 403}})
	f.Sync(t, dsync.Options{})
	for round := 1; round <= 4; round++ {
		if _, err := f.Server.Sim.Churn(60); err != nil {
			t.Fatal(err)
		}
		run := f.Sync(t, dsync.Options{})
		if run.Mode != dsync.ModeIncremental || run.Status != directory.RunOK {
			t.Fatalf("round %d: %s/%s", round, run.Mode, run.Status)
		}
		f.assertTruth(fmt.Sprintf("fallback round %d", round))
	}
}

func TestMalformedBodiesFailCleanly(t *testing.T) {
	for _, mode := range []string{dsync.ModeFull, dsync.ModeIncremental} {
		t.Run(mode, func(t *testing.T) {
			f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 8}, "readonly")
			f.Sync(t, dsync.Options{})
			_, before := f.cache()
			if _, err := f.Server.Sim.Churn(40); err != nil {
				t.Fatal(err)
			}
			f.Server.Sim.SetFaults([]oktasim.FaultRule{{Path: "/api/v1/groups", Probability: 1, Truncate: true}})
			run, err := dsync.Run(context.Background(), f.Client, f.Store, dsync.Options{Full: mode == dsync.ModeFull})
			if err == nil {
				t.Fatalf("sync with truncated bodies succeeded: %+v", run)
			}
			if !errors.Is(err, okta.ErrMalformedResponse) {
				t.Fatalf("error %v does not say the response was malformed", err)
			}
			if _, after := f.cache(); after != before {
				t.Fatalf("failed sync changed the cache: %s → %s", before, after)
			}
			var last directory.SyncRun
			if err := f.Store.View(func(r *store.Reader) error { last, _ = r.LastRun(); return nil }); err != nil {
				t.Fatal(err)
			}
			if last.Status != directory.RunFailed || last.Error == "" {
				t.Fatalf("failed run not recorded: %+v", last)
			}
			// Once the org answers properly again, the next sync catches up.
			f.Server.Sim.SetFaults(nil)
			f.Sync(t, dsync.Options{})
			f.assertTruth("after recovery")
		})
	}
}

func TestScenarioMIncremental(t *testing.T) {
	if testing.Short() {
		t.Skip("scenario M takes a few seconds")
	}
	f := newFixture(t, oktasim.Options{Scenario: "M", Seed: 11}, "readonly")
	full := f.Sync(t, dsync.Options{})
	f.assertTruth("M full")
	for round := 1; round <= 3; round++ {
		if _, err := f.Server.Sim.Churn(100); err != nil {
			t.Fatal(err)
		}
		run := f.Sync(t, dsync.Options{})
		f.assertTruth(fmt.Sprintf("M round %d", round))
		if run.Requests*100 > full.Requests*3 {
			t.Errorf("round %d: incremental took %d requests, more than 3%% of the full sync's %d", round, run.Requests, full.Requests)
		}
	}
}

// TestPartialStaysFlaggedUntilReadWhole: a full sync that got 403 on app
// users is partial; incremental syncs do not list every app's users, so
// they keep the flag while the cache may differ from the org; a full sync
// that reads them whole clears it and reaches the truth.
func TestPartialStaysFlaggedUntilReadWhole(t *testing.T) {
	f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 5}, "readonly")
	f.Server.Sim.SetFaults([]oktasim.FaultRule{{Path: "/api/v1/apps/*/users*", Probability: 1, Status: 403}})
	run := f.Sync(t, dsync.Options{})
	if run.Mode != dsync.ModeFull || run.Status != directory.RunPartial || !hasPartial(run, "app_users") {
		t.Fatalf("first run %s/%s partial %+v, want full/partial on app_users", run.Mode, run.Status, run.Partial)
	}
	f.Server.Sim.SetFaults(nil)
	counts, _ := f.cache()
	if truth := f.Server.Sim.Truth().Counts; counts.AppUsers == truth["app_users"] {
		t.Fatalf("the cache has every app user (%d) although they were forbidden", counts.AppUsers)
	}
	for round := 1; round <= 2; round++ {
		if _, err := f.Server.Sim.Churn(30); err != nil {
			t.Fatal(err)
		}
		run = f.Sync(t, dsync.Options{})
		if run.Mode != dsync.ModeIncremental || run.Status != directory.RunPartial || !hasPartial(run, "app_users") {
			t.Fatalf("incremental %d: %s/%s partial %+v: the app_users flag was forgotten", round, run.Mode, run.Status, run.Partial)
		}
		if hasPartial(run, "apps") || hasPartial(run, "groups") {
			t.Fatalf("incremental %d flags what it read whole: %+v", round, run.Partial)
		}
	}
	run = f.Sync(t, dsync.Options{Full: true})
	if run.Status != directory.RunOK || len(run.Partial) != 0 {
		t.Fatalf("full sync after the fault: %s, partial %+v", run.Status, run.Partial)
	}
	f.assertTruth("after the full sync read app users whole")
}

func hasPartial(run directory.SyncRun, resource string) bool {
	for _, p := range run.Partial {
		if p.Resource == resource {
			return true
		}
	}
	return false
}

// TestTruncatedBodiesAreRetried: member pages whose bodies are cut short
// (three times in ten, so that on a small org some are cut twice running,
// as one in ten does on a large one) are read again like a dropped
// connection, so full and incremental syncs still end exact, and the
// journal says what happened.
func TestTruncatedBodiesAreRetried(t *testing.T) {
	f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 11}, "readonly")
	f.Server.Sim.SetFaults([]oktasim.FaultRule{{Method: "GET", Path: "/api/v1/groups/*/users*", Probability: 0.3, Truncate: true}})
	run := f.Sync(t, dsync.Options{})
	if run.Status != directory.RunOK || run.Retries == 0 {
		t.Fatalf("full sync under truncation: %s, %d retries", run.Status, run.Retries)
	}
	f.assertTruth("full sync with truncated member pages")
	var cut int
	if err := f.Store.View(func(r *store.Reader) error {
		for _, e := range r.Journal(run.ID) {
			if e.Status == 200 && e.Network != "" {
				cut++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if cut == 0 {
		t.Errorf("no journal entry says a body was cut short")
	}
	for round := 1; round <= 3; round++ {
		if _, err := f.Server.Sim.Churn(60); err != nil {
			t.Fatal(err)
		}
		f.Sync(t, dsync.Options{})
		f.assertTruth(fmt.Sprintf("incremental %d with truncated member pages", round))
	}
}

// TestCancelledRequestsAreNotFailures: when a 401 fails a full sync, the
// listings in flight are cancelled. They are journaled as cancelled (not
// as network errors), left out of the run's request count, which then
// never exceeds what the org received, and the bundle digest does not
// blame the network.
func TestCancelledRequestsAreNotFailures(t *testing.T) {
	f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 12}, "readonly")
	f.Server.Sim.SetFaults([]oktasim.FaultRule{
		{Method: "GET", Path: "/api/v1/groups/*/users*", Probability: 0.05, Status: 401},
		{Method: "GET", Path: "/api/v1/groups/*/users*", Probability: 1, LatencyMS: 20},
	})
	f.Server.Sim.ResetStats()
	run, err := dsync.Run(context.Background(), f.Client, f.Store, dsync.Options{})
	if err == nil {
		t.Fatalf("a sync that got 401 succeeded: %+v", run)
	}
	var journal []directory.Request
	if err := f.Store.View(func(r *store.Reader) error { journal = r.Journal(run.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	served := f.Server.Sim.Stats().Requests
	cancelled, answered := 0, 0
	for _, e := range journal {
		switch {
		case e.Cancelled:
			cancelled++
		case e.Status == 0:
			t.Errorf("a request with no answer is not marked cancelled: %+v", e)
		default:
			answered++
		}
	}
	if cancelled == 0 {
		t.Fatalf("no request was cancelled (%d answered): the test proves nothing", answered)
	}
	if run.Requests != answered || int64(run.Requests) > served {
		t.Errorf("run counts %d requests, %d were answered, the org received %d (%d cancelled)", run.Requests, answered, served, cancelled)
	}
	d := bundle.Digest(run, journal)
	for _, g := range d.Errors {
		if g.ErrorCode == "network" {
			t.Errorf("the digest blames the network: %+v", g)
		}
	}
	if d.Cancelled != cancelled {
		t.Errorf("digest: %d cancelled, journal %d", d.Cancelled, cancelled)
	}
}

// TestDeletedUserNeedsNoMemberRelist: Okta ends a deleted user's
// memberships without a membership event, and each of its groups gets a
// new lastMembershipUpdated. The deletion event explains them: the
// incremental sync removes the memberships the cache holds instead of
// listing every one of those groups' members again.
func TestDeletedUserNeedsNoMemberRelist(t *testing.T) {
	f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 5}, "readonly")
	f.Sync(t, dsync.Options{})
	sim := f.Server.Sim
	for round := 1; ; round++ {
		if round > 2000 {
			t.Fatal("churn deleted no user that belonged to a group in 2000 rounds")
		}
		res, err := sim.Churn(1)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := f.cache()
		sim.ResetStats()
		f.Sync(t, dsync.Options{})
		f.assertTruth(fmt.Sprintf("round %d", round))
		after, _ := f.cache()
		if res.ByKind["user.lifecycle.delete.initiated"] == 0 || after.Memberships >= before.Memberships {
			continue
		}
		if n := sim.Stats().ByEndpoint["GET /api/v1/groups/{id}/users"]; n != 0 {
			t.Fatalf("round %d: deleting a user in %d groups listed group members %d times", round, before.Memberships-after.Memberships, n)
		}
		return
	}
}
