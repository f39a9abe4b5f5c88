package sync_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/oktasim"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// TestIncrementalReadsOnlyConsumedEvents: a day of sign-in noise (the
// default rate) and some churn; the incremental sync asks the System Log
// only for the event types it applies, so the log costs one page, and
// the cache still equals the org.
func TestIncrementalReadsOnlyConsumedEvents(t *testing.T) {
	f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 8}, "readonly")
	f.Sync(t, dsync.Options{})
	f.Server.Sim.Advance(24 * time.Hour)
	if _, err := f.Server.Sim.Churn(40); err != nil {
		t.Fatal(err)
	}
	f.Server.Sim.ResetStats()
	run := f.Sync(t, dsync.Options{})
	if run.Mode != dsync.ModeIncremental {
		t.Fatalf("mode %s (%s), want incremental", run.Mode, run.Reason)
	}
	f.assertTruth("after a noisy day")
	if n := f.Server.Sim.Stats().ByEndpoint["GET /api/v1/logs"]; n > 2 {
		t.Fatalf("%d System Log requests for a day of noise, want at most 2", n)
	}
}

// TestLogGapBeyondRetentionForcesFullSync: when the last sync is older
// than the System Log Okta keeps, the events in between may be gone, so
// the run is full and says why.
func TestLogGapBeyondRetentionForcesFullSync(t *testing.T) {
	f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 8}, "readonly")
	f.Sync(t, dsync.Options{})
	for _, tt := range []struct {
		gap      time.Duration
		mode     string
		inReason string
	}{
		{30 * 24 * time.Hour, dsync.ModeIncremental, ""},
		{95 * 24 * time.Hour, dsync.ModeFull, "Okta keeps the System Log for 90 days"},
	} {
		t.Run(fmt.Sprint(tt.gap), func(t *testing.T) {
			later := func() time.Time { return time.Now().Add(tt.gap) }
			// A long reconcile period, so that only the log's age decides.
			run := f.Sync(t, dsync.Options{Now: later, ReconcileEvery: 365 * 24 * time.Hour})
			if run.Mode != tt.mode || !strings.Contains(run.Reason, tt.inReason) {
				t.Fatalf("after %s: mode %s, reason %q; want %s with %q", tt.gap, run.Mode, run.Reason, tt.mode, tt.inReason)
			}
		})
	}
}

// TestOverlapCoversIngestionLag: the System Log shows an event only some
// seconds after it happened, so a sync right after a change can miss it;
// the overlap window makes the next sync read it, and the cache ends
// equal to the org.
func TestOverlapCoversIngestionLag(t *testing.T) {
	const lag = 10 * time.Second
	f := newFixture(t, oktasim.Options{Scenario: "S", Seed: 12, LogLag: lag}, "readonly")
	f.Sync(t, dsync.Options{})
	if _, err := f.Server.Sim.Churn(60); err != nil {
		t.Fatal(err)
	}
	// Five seconds on, the churn's events are still not visible: this sync
	// misses them, and its cursor lies after them.
	f.Server.Sim.Advance(lag / 2)
	f.Sync(t, dsync.Options{})
	f.Server.Sim.Advance(lag)
	if run := f.Sync(t, dsync.Options{}); run.Mode != dsync.ModeIncremental {
		t.Fatalf("mode %s", run.Mode)
	}
	f.assertTruth("after the lag has passed")
}
