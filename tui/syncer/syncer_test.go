package syncer_test

import (
	"context"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
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

// env is a simulated org, a client for it with token, and a cache file.
func env(t *testing.T, token func(*simtest.Server) string) (*simtest.Server, *okta.Client, *store.Store) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 9})
	c, err := okta.New(context.Background(), okta.Credentials{OrgURL: srv.URL, Token: token(srv)}, okta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "c.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return srv, c, st
}

func readOnly(srv *simtest.Server) string { return srv.ReadOnlyToken() }

func TestRunnerSyncsAndReports(t *testing.T) {
	srv, c, st := env(t, readOnly)

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
	srv, c, st := env(t, readOnly)
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
	_, c, st := env(t, func(*simtest.Server) string { return "00revokedTokenNoLongerValid000000000000000" })
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
