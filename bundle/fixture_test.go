package bundle

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// fixture is a simulated org synced into a real cache file.
type fixture struct {
	srv   *oktasim.Server
	c     *okta.Client
	st    *store.Store
	token string
	key   []byte
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newFixture(t testing.TB, scenario string) *fixture {
	t.Helper()
	return newFixtureWith(t, oktasim.Options{Scenario: scenario, Seed: 7})
}

func newFixtureWith(t testing.TB, opts oktasim.Options) *fixture {
	t.Helper()
	t.Setenv("HOME", t.TempDir()) // the SDK must not see a real ~/.okta
	srv := oktasim.NewServer(t, opts)
	tok := srv.Token("readonly")
	c, err := okta.New(context.Background(), okta.Credentials{OrgURL: srv.URL, Token: tok}, okta.Options{BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &fixture{srv: srv, c: c, st: st, token: tok, key: testKey}
}

// sync runs a sync and returns the run; a failed run is no test failure.
func (f *fixture) sync(t testing.TB, opts dsync.Options) directory.SyncRun {
	t.Helper()
	run, err := dsync.Run(context.Background(), f.c, f.st, opts)
	if err != nil && run.Status != directory.RunFailed {
		t.Fatalf("sync: %v", err)
	}
	return run
}

// options are export options for the fixture's profile.
func (f *fixture) options() Options {
	return Options{Key: f.key, Version: "test", Secrets: []string{f.token},
		Profile: ProfileInfo{Name: "test", OrgURL: f.srv.URL, Auth: "ssws", BudgetShare: 0.5}}
}

// users returns every cached user.
func (f *fixture) users(t testing.TB) []directory.User {
	t.Helper()
	var out []directory.User
	if err := f.st.View(func(r *store.Reader) error {
		for u := range r.Users() {
			out = append(out, u)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
