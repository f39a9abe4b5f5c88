// Package testorg starts a simulated Okta org for the tests of packages
// that sync from one: the simulator (oktasim) served over loopback HTTP, a
// real client built on the Okta SDK for one of its tokens, and a real bbolt
// cache file in the test's temporary directory.
package testorg

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// Options choose the simulated org and its client.
type Options struct {
	// Sim picks the org's scenario, seed and rate limits.
	Sim oktasim.Options
	// Token names the published token the client uses: "readonly" (the
	// default), "superadmin", "noapps" or "reviewer".
	Token string
	// Client tunes the client. A zero BaseBackoff becomes a millisecond,
	// so that retries of injected faults take milliseconds, not seconds.
	Client okta.Options
}

// Org is a simulated org with a client for it and an empty cache.
type Org struct {
	// Server serves the org; Server.Sim churns it, injects faults and
	// tells its truth.
	Server *simtest.Server
	// Token is the secret the client authenticates with.
	Token string
	// Client talks to Server with Token.
	Client *okta.Client
	// Store is a fresh cache file, closed when the test ends.
	Store *store.Store
}

// Start serves a simulated org for the duration of the test, builds a
// client for it and opens an empty cache. HOME points at a temporary
// directory so that the SDK cannot read a real ~/.okta.
func Start(t testing.TB, opts Options) *Org {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	o := &Org{Server: simtest.NewServer(t, opts.Sim)}
	if opts.Token == "" {
		opts.Token = "readonly"
	}
	o.Token = o.Server.Token(opts.Token)
	o.Client = o.NewClient(t, opts.Token, opts.Client)
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatalf("open the cache: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	o.Store = st
	return o
}

// NewClient builds another client for the org with the published token
// named token; a zero opts.BaseBackoff becomes a millisecond, as in Start.
func (o *Org) NewClient(t testing.TB, token string, opts okta.Options) *okta.Client {
	t.Helper()
	if opts.BaseBackoff == 0 {
		opts.BaseBackoff = time.Millisecond
	}
	c, err := okta.New(context.Background(), okta.Credentials{OrgURL: o.Server.URL, Token: o.Server.Token(token)}, opts)
	if err != nil {
		t.Fatalf("client for token %q: %v", token, err)
	}
	return c
}

// Sync syncs the org into the cache with Client, logs the run's mode,
// requests, throttled waits and duration, and fails the test if the sync
// returns an error.
func (o *Org) Sync(t testing.TB, opts dsync.Options) directory.SyncRun {
	t.Helper()
	start := time.Now()
	run, err := dsync.Run(context.Background(), o.Client, o.Store, opts)
	t.Logf("%s run: %d requests, %d waits, %v", run.Mode, run.Requests, run.ThrottledWaits, time.Since(start))
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return run
}

// Cache returns the counts and canonical digest of a cache, failing the
// test if it cannot be read.
func Cache(t testing.TB, st *store.Store) (directory.Counts, string) {
	t.Helper()
	var counts directory.Counts
	var digest string
	if err := st.View(func(r *store.Reader) error {
		counts = r.Counts()
		var err error
		digest, err = r.Digest()
		return err
	}); err != nil {
		t.Fatalf("read the cache: %v", err)
	}
	return counts, digest
}

// Writes counts the write requests to the org's API in s (an OAuth token
// request is a POST but writes nothing): what a refused apply must keep
// at zero.
func Writes(s oktasim.Stats) int64 {
	var n int64
	for k, v := range s.ByEndpoint {
		if !strings.HasPrefix(k, "GET ") && strings.Contains(k, " /api/") {
			n += v
		}
	}
	return n
}
