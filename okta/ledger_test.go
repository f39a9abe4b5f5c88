package okta

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

// TestTwoProcessesShareTheCredentialCap: two processes (this test binary,
// run twice as TestLedgerChildProcess) read the org at once with one API
// token under realistic limits, each with its own governor. Okta caps the
// token at 50% of each bucket (the sim does too); sharing the rate ledger
// file, the two together stay within it: every listing exact, not one
// 429, and no window in which the token sent more than its share.
func TestTwoProcessesShareTheCredentialCap(t *testing.T) {
	t.Parallel()
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 13, RateLimits: "realistic"})
	simtest.AlignToWindowEnd(srv.Sim, 4*time.Second)
	ledgerPath := filepath.Join(t.TempDir(), "rate-"+CredentialKey(srv.URL, Credentials{Token: srv.ReadOnlyToken()}))
	reports := make([]ledgerChildReport, 2)
	err := parallel([]func() error{
		func() error { return runLedgerChild(t, srv, ledgerPath, &reports[0]) },
		func() error { return runLedgerChild(t, srv, ledgerPath, &reports[1]) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := srv.Sim.Stats(); st.Throttled != 0 {
		t.Errorf("the sim answered %d requests with 429", st.Throttled)
	}
	truth := srv.Sim.Truth()
	perWindow := map[int64]int{}
	for i, r := range reports {
		if r.Digest != truth.Digest {
			t.Errorf("process %d: digest %s, truth %s", i+1, r.Digest, truth.Digest)
		}
		if r.RateLimited != 0 {
			t.Errorf("process %d got %d 429s", i+1, r.RateLimited)
		}
		for reset, n := range r.AppsPerWindow {
			perWindow[reset] += n
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

// ledgerChildReport is what one child process of
// TestTwoProcessesShareTheCredentialCap read and sent.
type ledgerChildReport struct {
	Digest        string        `json:"digest"`
	RateLimited   int64         `json:"rate_limited"`
	AppsPerWindow map[int64]int `json:"apps_per_window"` // rate-limit reset → successful list-apps requests
}

// ledgerChildEnv names the environment that makes TestLedgerChildProcess
// the child: the org URL, the token and the ledger path, tab-separated.
const (
	ledgerChildEnv    = "DIRDECK_TEST_LEDGER_CHILD"
	ledgerChildMarker = "ledger-child-report: "
)

// runLedgerChild runs this test binary as one child process and reads
// its report.
func runLedgerChild(t *testing.T, srv *simtest.Server, ledgerPath string, report *ledgerChildReport) error {
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestLedgerChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), ledgerChildEnv+"="+strings.Join([]string{srv.URL, srv.ReadOnlyToken(), ledgerPath}, "\t"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("child process: %w\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		if rest, ok := strings.CutPrefix(line, ledgerChildMarker); ok {
			return json.Unmarshal([]byte(rest), report)
		}
	}
	return fmt.Errorf("child process printed no report:\n%s", out)
}

// TestLedgerChildProcess is one process of
// TestTwoProcessesShareTheCredentialCap; run alone, it does nothing.
func TestLedgerChildProcess(t *testing.T) {
	env := os.Getenv(ledgerChildEnv)
	if env == "" {
		t.Skip("run by TestTwoProcessesShareTheCredentialCap")
	}
	args := strings.Split(env, "\t")
	if len(args) != 3 {
		t.Fatalf("%s: want url, token and ledger path", ledgerChildEnv)
	}
	c, err := New(t.Context(), Credentials{OrgURL: args[0], Token: args[1]}, Options{RateLedger: args[2], BaseBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var digest string
	steps := []func() error{func() error {
		s, err := listAll(t.Context(), c)
		if err == nil {
			digest = s.digest.Sum()
		}
		return err
	}}
	// The apps bucket (100 a minute, 50 for the token) is the contended
	// one: each process pages its apps one at a time, four times over.
	for range 4 {
		steps = append(steps, func() error {
			return c.ListApps(t.Context(), Query{Limit: 1}, func([]directory.App) error { return nil })
		})
	}
	if err := parallel(steps); err != nil {
		t.Fatal(err)
	}
	r := ledgerChildReport{Digest: digest, RateLimited: c.Stats().RateLimited, AppsPerWindow: map[int64]int{}}
	for _, e := range c.Journal() {
		if e.Bucket == BucketApps && e.Status == http.StatusOK {
			r.AppsPerWindow[e.RateReset]++
		}
		if e.Status == http.StatusTooManyRequests {
			t.Logf("429: %+v", e)
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%s%s\n", ledgerChildMarker, b)
}
