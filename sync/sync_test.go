package sync_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// fixture is a simulated org, a client for it and a cache file.
type fixture struct {
	t   *testing.T
	srv *oktasim.Server
	c   *okta.Client
	st  *store.Store
}

func newFixture(t *testing.T, opts oktasim.Options, token string) *fixture {
	t.Helper()
	t.Setenv("HOME", t.TempDir()) // the SDK must not see a real ~/.okta
	srv := oktasim.NewServer(t, opts)
	c, err := okta.New(context.Background(), okta.Credentials{OrgURL: srv.URL, Token: srv.Token(token)}, okta.Options{BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &fixture{t: t, srv: srv, c: c, st: st}
}

func (f *fixture) sync(opts dsync.Options) directory.SyncRun {
	f.t.Helper()
	t0 := time.Now()
	run, err := dsync.Run(context.Background(), f.c, f.st, opts)
	f.t.Logf("%s run: %d requests, %d waits, %v", run.Mode, run.Requests, run.ThrottledWaits, time.Since(t0))
	if err != nil {
		f.t.Fatalf("sync: %v", err)
	}
	return run
}

// cache returns the cache's counts and digest.
func (f *fixture) cache() (directory.Counts, string) {
	f.t.Helper()
	var counts directory.Counts
	var digest string
	err := f.st.View(func(r *store.Reader) error {
		counts = r.Counts()
		var err error
		digest, err = r.Digest()
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return counts, digest
}

// assertTruth fails unless the cache equals what the org holds.
func (f *fixture) assertTruth(when string) {
	f.t.Helper()
	truth := f.srv.Sim.Truth()
	counts, digest := f.cache()
	if digest != truth.Digest {
		f.t.Fatalf("%s: cache digest %s, truth %s\ncache counts %+v\ntruth counts %v", when, digest, truth.Digest, counts, truth.Counts)
	}
}

func TestFullThenIncrementalEqualsTruth(t *testing.T) {
	for _, seed := range []int64{1, 7} {
		t.Run(fmt.Sprintf("S/seed%d", seed), func(t *testing.T) {
			f := newFixture(t, oktasim.Options{Scenario: "S", Seed: seed}, "readonly")
			run := f.sync(dsync.Options{})
			if run.Mode != dsync.ModeFull || run.Status != directory.RunOK {
				t.Fatalf("first run: mode %s status %s", run.Mode, run.Status)
			}
			f.assertTruth("after full sync")
			for round := 1; round <= 10; round++ {
				res, err := f.srv.Sim.Churn(100)
				if err != nil {
					t.Fatal(err)
				}
				run := f.sync(dsync.Options{})
				if run.Mode != dsync.ModeIncremental {
					t.Fatalf("round %d: mode %s, want incremental", round, run.Mode)
				}
				f.assertTruth(fmt.Sprintf("after churn round %d %v", round, res.ByKind))
			}
		})
	}
}
