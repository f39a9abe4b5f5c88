package sync_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// TestCrashChild is the child process of TestKilledSyncKeepsPreviousGeneration:
// it syncs the org named in its environment into the cache and exits.
func TestCrashChild(t *testing.T) {
	path := os.Getenv("DIRDECK_CRASH_CACHE")
	if path == "" {
		t.Skip("child process of TestKilledSyncKeepsPreviousGeneration")
	}
	c, err := okta.New(context.Background(), okta.Credentials{OrgURL: os.Getenv("DIRDECK_CRASH_ORG"), Token: os.Getenv("DIRDECK_CRASH_TOKEN")}, okta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(path, store.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := dsync.Run(context.Background(), c, st, dsync.Options{Full: os.Getenv("DIRDECK_CRASH_FULL") == "1"}); err != nil {
		t.Fatal(err)
	}
}

func cacheDigest(t *testing.T, path string) string {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("cache does not open after a kill: %v", err)
	}
	defer st.Close()
	var d string
	if err := st.View(func(r *store.Reader) error {
		var err error
		d, err = r.Digest()
		return err
	}); err != nil {
		t.Fatalf("cache unreadable after a kill: %v", err)
	}
	return d
}

// TestKilledSyncKeepsPreviousGeneration kills sync processes with SIGKILL
// at many points of a full or incremental sync: the cache must always open
// with a complete generation (the previous one, or the new one if the sync
// finished first), and a later sync must reach the org's truth.
func TestKilledSyncKeepsPreviousGeneration(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns many processes")
	}
	t.Setenv("HOME", t.TempDir())
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 21})
	path := filepath.Join(t.TempDir(), "cache.db")
	child := func(full bool) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		flag := "0"
		if full {
			flag = "1"
		}
		cmd.Env = append(os.Environ(), "DIRDECK_CRASH_CACHE="+path, "DIRDECK_CRASH_ORG="+srv.URL,
			"DIRDECK_CRASH_TOKEN="+srv.ReadOnlyToken(), "DIRDECK_CRASH_FULL="+flag)
		return cmd
	}
	if out, err := child(true).CombinedOutput(); err != nil {
		t.Fatalf("first sync: %v\n%s", err, out)
	}
	previous := cacheDigest(t, path)

	// Slow every answer down a little so kills land inside the sync.
	srv.Sim.SetFaults([]oktasim.FaultRule{{Path: "/api/v1/*", Probability: 1, LatencyMS: 40}})
	rng := rand.New(rand.NewPCG(21, 7))
	interrupted := 0
	for point := 0; point < 24; point++ {
		if _, err := srv.Sim.Churn(20); err != nil {
			t.Fatal(err)
		}
		cmd := child(point%2 == 0)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.IntN(200)) * time.Millisecond
		timer := time.AfterFunc(delay, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		err := cmd.Wait()
		timer.Stop()
		got := cacheDigest(t, path)
		truth := srv.Sim.Truth().Digest
		switch {
		case err == nil && got != truth:
			t.Fatalf("point %d: sync finished but cache %s != truth %s", point, got, truth)
		case err != nil && got != previous && got != truth:
			t.Fatalf("point %d (killed after %v): cache holds neither the previous generation nor the truth", point, delay)
		}
		if err != nil && got == previous {
			interrupted++
		}
		previous = got
	}
	if interrupted < 20 {
		t.Fatalf("only %d of 24 kills interrupted a sync; slow the sync down", interrupted)
	}
	srv.Sim.SetFaults(nil)
	if out, err := child(false).CombinedOutput(); err != nil {
		t.Fatalf("sync after the kills: %v\n%s", err, out)
	}
	if got, truth := cacheDigest(t, path), srv.Sim.Truth().Digest; got != truth {
		t.Fatalf("after the kills a sync gives %s, truth %s", got, truth)
	}
}
