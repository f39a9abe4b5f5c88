package okta

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

// TestTwoProcessesShareTheCredentialCap: two dirdeck clients — each with
// its own governor, as two processes have — read the org at once with one
// API token under realistic limits. Okta caps the token at 50% of each
// bucket (the sim does too); sharing the rate ledger, the two together stay
// within it: every listing exact, not one 429, and no window in which the
// token sent more than its share.
func TestTwoProcessesShareTheCredentialCap(t *testing.T) {
	t.Parallel()
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 13, RateLimits: "realistic"})
	alignToWindowEnd(srv.Sim, 4*time.Second)
	ledgerPath := filepath.Join(t.TempDir(), "rate-"+CredentialKey(srv.URL, Credentials{Token: srv.ReadOnlyToken()}))
	clients := []*Client{
		simClient(t, srv, srv.ReadOnlyToken(), Options{RateLedger: ledgerPath}),
		simClient(t, srv, srv.ReadOnlyToken(), Options{RateLedger: ledgerPath}),
	}
	var steps []func() error
	for _, c := range clients {
		steps = append(steps, func() error {
			s, err := listAll(t.Context(), c)
			if err == nil {
				checkTruth(t, srv, s)
			}
			return err
		})
		// The apps bucket (100 a minute, 50 for the token) is the
		// contended one: each client pages its apps one at a time, four
		// times over.
		for range 4 {
			steps = append(steps, func() error {
				return c.ListApps(t.Context(), Query{Limit: 1}, func([]directory.App) error { return nil })
			})
		}
	}
	if err := parallel(steps); err != nil {
		t.Fatal(err)
	}
	if st := srv.Sim.Stats(); st.Throttled != 0 {
		t.Errorf("the sim answered %d requests with 429", st.Throttled)
	}
	perWindow := map[int64]int{}
	for _, c := range clients {
		if st := c.Stats(); st.RateLimited != 0 {
			t.Errorf("client got %d 429s", st.RateLimited)
			for _, e := range c.Journal() {
				if e.Status == 429 {
					t.Logf("429: %+v", e)
				}
			}
		}
		for _, e := range c.Journal() {
			if e.Bucket == BucketApps && e.Status == http.StatusOK {
				perWindow[e.RateReset]++
			}
		}
	}
	if len(perWindow) < 2 {
		t.Errorf("apps requests in %d window(s): the test did not contend", len(perWindow))
	}
	for reset, n := range perWindow {
		if n > 50 {
			t.Errorf("window ending %d: the token sent %d list-apps requests, its cap is 50", reset, n)
		}
	}
}
