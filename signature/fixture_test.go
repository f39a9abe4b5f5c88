package signature

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// shared is scenario S (seed 1) synced through the real SDK into a real
// cache; tests that only read use it, tests that write copy it.
var (
	shared    *store.Store
	sharedDir *Directory
	sharedSim *oktasim.Sim
)

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "dirdeck-signature-test")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	// The SDK reads ~/.okta: point HOME at an empty directory.
	os.Setenv("HOME", dir)
	st, sim, err := syncScenario(dir, "S", 1)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	shared, sharedSim = st, sim
	if sharedDir, err = LoadDirectory(st); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// syncScenario serves a simulated org and runs the real full sync of it
// into a new cache under dir.
func syncScenario(dir, scenario string, seed int64) (*store.Store, *oktasim.Sim, error) {
	sim, err := oktasim.New(oktasim.Options{Scenario: scenario, Seed: seed})
	if err != nil {
		return nil, nil, err
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	ctx := context.Background()
	c, err := okta.New(ctx, okta.Credentials{OrgURL: srv.URL, Token: sim.Token("readonly")}, okta.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("okta client: %w", err)
	}
	st, err := store.Open(filepath.Join(dir, scenario+".db"), store.Options{})
	if err != nil {
		return nil, nil, err
	}
	if _, err := dsync.Run(ctx, c, st, dsync.Options{}); err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("sync scenario %s: %w", scenario, err)
	}
	return st, sim, nil
}

// freshStore is a writable cache of its own with scenario S's data, for
// tests that save templates or rules.
func freshStore(t *testing.T) *store.Store {
	t.Helper()
	st, _, err := syncScenario(t.TempDir(), "S", 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
