package syncer_test

import (
	"context"
	gosync "sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/internal/testorg"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
	"github.com/dirdeck/dirdeck/tui/msgs"
	"github.com/dirdeck/dirdeck/tui/syncer"
)

// recorder collects what the runner sends to the program.
type recorder struct {
	mu   gosync.Mutex
	msgs []tea.Msg
}

func (r *recorder) send(m tea.Msg) { r.mu.Lock(); r.msgs = append(r.msgs, m); r.mu.Unlock() }

// env serves scenario S and returns it with an SDK client of its
// read-only admin and an empty cache.
func env(t *testing.T) (*simtest.Server, *okta.Client, *store.Store) {
	o := testorg.Start(t, testorg.Options{Sim: oktasim.Options{Scenario: "S", Seed: 9}})
	return o.Server, o.Client, o.Store
}

func TestRunnerSyncsAndReports(t *testing.T) {
	srv, c, st := env(t)

	r := syncer.New(dsync.Source{Client: c}, st, 0)
	var rec recorder
	var succeeded []directory.SyncRun
	r.OnSuccess = func(run directory.SyncRun, _ time.Time) { succeeded = append(succeeded, run) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.Attach(ctx, rec.send)
	r.Start(ctx)
	r.Wait()

	var states []msgs.SyncState
	var committed, progress int
	for _, m := range rec.msgs {
		switch m := m.(type) {
		case msgs.SyncStateMsg:
			states = append(states, m.State)
		case msgs.GenerationCommittedMsg:
			committed++
			if m.Generation == 0 || m.RunID == 0 {
				t.Fatalf("committed message without generation or run: %+v", m)
			}
		case msgs.SyncProgressMsg:
			progress++
		}
	}
	if len(states) < 2 || states[0] != msgs.SyncRunning || states[len(states)-1] != msgs.SyncIdle {
		t.Fatalf("states %v, want running … idle", states)
	}
	if committed == 0 || progress == 0 || len(succeeded) == 0 {
		t.Fatalf("committed %d, progress %d, succeeded %d", committed, progress, len(succeeded))
	}
	var digest string
	_ = st.View(func(rd *store.Reader) error { digest, _ = rd.Digest(); return nil })
	if digest != srv.Sim.Truth().Digest {
		t.Fatal("background sync did not reach the org's truth")
	}
}

func TestRunnerRunsOneSyncAtATime(t *testing.T) {
	srv, c, st := env(t)
	// Slow the first answer so that the sync is surely still running when
	// the second request comes.
	srv.Sim.SetFaults([]oktasim.FaultRule{{Path: "/api/v1/users", Probability: 1, LatencyMS: 200}})
	r := syncer.New(dsync.Source{Client: c}, st, 0)
	if r.SyncNow() == nil {
		t.Fatal("SyncNow did not start a sync")
	}
	if r.SyncNow() != nil {
		t.Fatal("SyncNow started a second sync while one was running")
	}
	r.Wait()
}

func TestRunnerReportsFailure(t *testing.T) {
	srv, _, st := env(t)
	c, err := okta.New(context.Background(), okta.Credentials{OrgURL: srv.URL, Token: "00revokedTokenNoLongerValid000000000000000"}, okta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := syncer.New(dsync.Source{Client: c}, st, 0)
	var rec recorder
	r.Attach(context.Background(), rec.send)
	r.Start(context.Background())
	r.Wait()
	last, ok := rec.msgs[len(rec.msgs)-1].(msgs.SyncStateMsg)
	if !ok || last.State != msgs.SyncFailed || last.Err == "" {
		t.Fatalf("last message %#v, want a failed state with the error", rec.msgs[len(rec.msgs)-1])
	}
}
