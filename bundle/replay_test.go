package bundle

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// TestRoundTripReplaysTheFailure is the proof: a full sync of
// scenario M with 403 on apps, 5% 429 and one 401, exported, scanned
// independently, and replayed from the bundle alone.
func TestRoundTripReplaysTheFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("scenario M")
	}
	f := newFixture(t, "M")
	// A first, clean sync gives the snapshot; the faulty one is the run
	// support has to reproduce.
	f.Sync(t, dsync.Options{})
	var groups []directory.Group
	if err := f.Client.ListGroups(context.Background(), okta.Query{}, func(p []directory.Group) error {
		groups = append(groups, p...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	victim := groups[len(groups)*3/4].ID
	f.Server.Sim.SetFaults([]oktasim.FaultRule{
		{Method: "GET", Path: "/api/v1/apps*", Probability: 1, Status: 403},
		{Method: "GET", Path: "/api/v1/groups/" + victim + "/users*", Probability: 1, Status: 401},
		{Path: "/api/v1/*", Probability: 0.05, Status: 429},
	})
	run, err := dsync.Run(context.Background(), f.Client, f.Store, dsync.Options{Full: true})
	f.Server.Sim.SetFaults(nil)
	if run.Status != directory.RunFailed || len(run.Partial) == 0 {
		t.Fatalf("the faulty run: %s (%v), partial %v", run.Status, err, run.Partial)
	}

	b, _ := f.export(t, f.options())
	if l := leaks(t, b, f.users(t), f.Token); len(l) > 0 {
		t.Fatalf("%d leaks, first: %v", len(l), l[:min(5, len(l))])
	}

	sum := Inspect(b)
	orig := sum.Runs[0].Journal
	codes := map[string]bool{}
	for _, e := range orig.Errors {
		codes[e.ErrorCode] = true
	}
	for _, c := range []string{"E0000006", "E0000011", "E0000047"} {
		if !codes[c] {
			t.Fatalf("the original run has no %s: %+v", c, orig.Errors)
		}
	}

	rep, err := Replay(context.Background(), b, ReplayOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	t.Logf("original %d requests (%d cancelled), replay %d (%d cancelled), %d scripted faults",
		rep.Original.Requests, rep.Original.Cancelled, rep.Replay.Requests, rep.Replay.Cancelled, rep.Script)
	if !rep.Reproduced {
		t.Fatalf("not reproduced: %s", strings.Join(rep.Differences, "; "))
	}
	if rep.Replay.Partial["apps"] != "E0000006" || rep.Replay.Status != directory.RunFailed {
		t.Fatalf("replay %s, partial %v", rep.Replay.Status, rep.Replay.Partial)
	}
}

// TestReplayOfCleanRuns replays a clean full and a clean incremental run
// of scenario S, and checks that a different outcome is not taken for a
// reproduction.
func TestReplayOfCleanRuns(t *testing.T) {
	f := newFixture(t, "S")
	f.Sync(t, dsync.Options{})
	f.Server.Sim.Churn(20)
	run := f.Sync(t, dsync.Options{})
	if run.Mode != dsync.ModeIncremental {
		t.Fatalf("second run is %s", run.Mode)
	}
	b, _ := f.export(t, f.options())
	first := b.Runs[len(b.Runs)-1].Run.ID
	rep, err := Replay(context.Background(), b, ReplayOptions{Run: first})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Reproduced || rep.Replay.Status != directory.RunOK || rep.Script != 0 {
		t.Fatalf("clean full run: reproduced %v, %s, %d scripted: %v", rep.Reproduced, rep.Replay.Status, rep.Script, rep.Differences)
	}
	// The simulated org served exactly the snapshot, through the real SDK.
	if rep.Digest != b.Meta.Cache.Digest {
		t.Fatalf("replay cache digest %s, snapshot %s", rep.Digest, b.Meta.Cache.Digest)
	}
	// A plan apply's re-sync (mode "plan", a few requests) is newer than
	// the incremental run; the default replays the newest sync anyway.
	newest := b.Runs[0].Run
	for _, r := range b.Runs {
		if r.Run.ID > newest.ID {
			newest = r.Run
		}
	}
	b.Runs = append(b.Runs, RunRecord{Run: directory.SyncRun{ID: newest.ID + 1, Mode: "plan", Status: directory.RunOK,
		Started: newest.Finished, Finished: newest.Finished}})
	rep, err = Replay(context.Background(), b, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Original.Mode != dsync.ModeIncremental || rep.Replay.Mode != dsync.ModeIncremental || !rep.Reproduced {
		t.Fatalf("the default replayed a %s run as %s, reproduced %v: %v", rep.Original.Mode, rep.Replay.Mode, rep.Reproduced, rep.Differences)
	}
	if js, _ := json.Marshal(rep); !strings.Contains(string(js), `"differences":[]`) {
		t.Fatalf("a reproduced replay's JSON lacks \"differences\":[]: %s", js)
	}
	if _, err := (&Bundle{Runs: b.Runs[len(b.Runs)-1:]}).Run(0); err == nil || !strings.Contains(err.Error(), "--run") {
		t.Fatalf("a bundle with only a plan re-sync: %v", err)
	}

	// A journal that says 403 on apps, compared with a replay that was not
	// told about it, is a difference.
	a := rep.Original
	a.Partial = map[string]string{"apps": "E0000006"}
	a.Errors = append(a.Errors, ErrorGroup{ErrorCode: "E0000006", Endpoint: "GET /api/v1/apps", Status: 403, Count: 1})
	if d := compare(a, rep.Replay); len(d) != 2 {
		t.Fatalf("differences %v", d)
	}
	if _, err := Replay(context.Background(), b, ReplayOptions{Run: 999}); err == nil {
		t.Fatal("replay of an unknown run")
	}
}

// TestCompareRequestCounts: a full run's request count may differ from
// its replay's by 5% and by the requests in flight when either stopped,
// not by more.
func TestCompareRequestCounts(t *testing.T) {
	tests := []struct {
		a, b, cancelledA, cancelledB int
		same                         bool
	}{
		{a: 700, b: 666, same: true},
		{a: 700, b: 664, same: false},
		{a: 702, b: 666, cancelledA: 38, same: true},
		{a: 689, b: 613, cancelledB: 54, same: true},
		{a: 700, b: 600, cancelledA: 10, cancelledB: 20, same: false},
		{a: 20, b: 19, same: true},
	}
	for _, tt := range tests {
		a := RunDigest{Mode: dsync.ModeFull, Requests: tt.a, Cancelled: tt.cancelledA}
		b := RunDigest{Mode: dsync.ModeFull, Requests: tt.b, Cancelled: tt.cancelledB}
		if d := compare(a, b); (len(d) == 0) != tt.same {
			t.Errorf("%d (%d in flight) against %d (%d): differences %v, want same %v", tt.a, tt.cancelledA, tt.b, tt.cancelledB, d, tt.same)
		}
	}
}

func TestScriptFromJournal(t *testing.T) {
	j := []directory.Request{
		{Method: "GET", Path: "/api/v1/users", Status: 200},
		{Method: "GET", Path: "/api/v1/apps", Status: 403, ErrorCode: "E0000006"},
		{Method: "GET", Path: "/api/v1/users", Status: 429},
		{Method: "GET", Path: "/api/v1/users", Status: 200, LatencyMS: 4000},
		{Method: "GET", Path: "/api/v1/groups/{groupId}/users", Status: 0, Network: "connection reset by peer"},
		{Method: "GET", Path: "/api/v1/groups/{groupId}/users", Status: 0, Network: "context canceled"},
	}
	got := Script(j)
	want := []oktasim.ScriptedFault{
		{Seq: 1, Method: "GET", PathTemplate: "/api/v1/apps", Status: 403},
		{Seq: 2, Method: "GET", PathTemplate: "/api/v1/users", Status: 429},
		{Seq: 3, Method: "GET", PathTemplate: "/api/v1/users", LatencyMS: 4000},
		{Seq: 1, Method: "GET", PathTemplate: "/api/v1/groups/{groupId}/users", Status: 503},
	}
	if len(got) != len(want) {
		t.Fatalf("script %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("script[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestReplayEnforcesObservedLimits replays a run against an org with
// rate limits: the replay's org reports (and enforces) the same limits.
func TestReplayEnforcesObservedLimits(t *testing.T) {
	f := newFixtureWith(t, oktasim.Options{Scenario: "S", Seed: 7, RateLimits: "dev"})
	f.Sync(t, dsync.Options{})
	b, _ := f.export(t, f.options())
	rep, err := Replay(context.Background(), b, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Reproduced || rep.RateLimits["/api/v1/users"] != 6000 || rep.RateLimits["/api/v1/apps"] != 1000 {
		t.Fatalf("reproduced %v, limits %v: %v", rep.Reproduced, rep.RateLimits, rep.Differences)
	}
	for _, bu := range rep.Replay.Buckets {
		if want := rep.RateLimits[bu.Bucket]; bu.Limit != want {
			t.Errorf("bucket %s: replay saw limit %d, want %d", bu.Bucket, bu.Limit, want)
		}
	}
	rep, err = Replay(context.Background(), b, ReplayOptions{IgnoreRateLimits: true})
	if err != nil || len(rep.RateLimits) != 0 {
		t.Fatalf("ignoring limits: %v, %v", err, rep.RateLimits)
	}
}

// TestScriptCapsLatency: a journal of hour-long answers (real, or edited
// in) scripts delays of at most 5 s each and 60 s in all; the statuses
// stay scripted.
func TestScriptCapsLatency(t *testing.T) {
	var journal []directory.Request
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for i := range 100 {
		journal = append(journal, directory.Request{Time: at.Add(time.Duration(i) * time.Second), Method: "GET",
			Path: "/api/v1/users", Status: 503, LatencyMS: 3_600_000})
	}
	script := Script(journal)
	var total int
	for _, f := range script {
		if f.LatencyMS > maxScriptedLatency || f.Status != 503 {
			t.Fatalf("scripted fault %+v", f)
		}
		total += f.LatencyMS
	}
	if len(script) != 100 || total > maxScriptedTotal || total == 0 {
		t.Fatalf("%d faults with %d ms of delay in all, want 100 faults and at most %d ms", len(script), total, maxScriptedTotal)
	}
}
