package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/columns"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/userindex"
)

// simEnv serves a simulated org and points the environment configuration
// at it with the named token.
func simEnv(t *testing.T, opts oktasim.Options, token string) *simtest.Server {
	t.Helper()
	profHome(t)
	t.Setenv("HOME", t.TempDir()) // the Okta SDK must not see a real ~/.okta
	srv := simtest.NewServer(t, opts)
	t.Setenv("DIRDECK_ORG_URL", srv.URL)
	t.Setenv("DIRDECK_API_TOKEN", srv.Token(token))
	return srv
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, s)
	}
	return v
}

func TestSyncStatusHistoryExportAgainstSim(t *testing.T) {
	srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 2}, "readonly")

	res := profRun(t, "", "sync", "--json")
	if res.code != exitOK {
		t.Fatalf("sync exit %d: %v\n%s", res.code, res.err, res.stderr)
	}
	rep := decode[syncReport](t, res.stdout)
	if rep.Mode != "full" || rep.Requests == 0 || rep.Changes["user.added"] == 0 {
		t.Fatalf("sync report %+v", rep)
	}

	checkStatus := func(when string) {
		t.Helper()
		res := profRun(t, "", "status", "--json")
		if res.code != exitOK {
			t.Fatalf("%s: status exit %d: %v", when, res.code, res.err)
		}
		st := decode[statusReport](t, res.stdout)
		truth := srv.Sim.Truth()
		if st.Digest != truth.Digest || st.Counts.Users != truth.Counts["users"] || st.OrgURL != srv.URL {
			t.Fatalf("%s: status %+v, truth %+v", when, st, truth)
		}
	}
	checkStatus("after full sync")
	// The sync leaves the dashboard's users table ready for its commit.
	usersIndex := func(when string) string {
		t.Helper()
		r, err := config.Resolve("")
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(r.CachePath, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		f, err := columns.Open(userindex.IndexPath(st))
		if err != nil {
			t.Fatalf("%s: no users index: %v", when, err)
		}
		var run directory.SyncRun
		_ = st.View(func(r *store.Reader) error { run, _ = r.CommittedRun(); return nil })
		if f.Rows() != srv.Sim.Truth().Counts["users"] || !strings.Contains(f.Tag(), fmt.Sprintf(" run %d ", run.ID)) {
			t.Fatalf("%s: users index of %d rows tagged %q, run %d", when, f.Rows(), f.Tag(), run.ID)
		}
		return f.Tag()
	}
	first := usersIndex("after full sync")

	if _, err := srv.Sim.Churn(40); err != nil {
		t.Fatal(err)
	}
	res = profRun(t, "", "sync", "--json")
	if rep := decode[syncReport](t, res.stdout); res.code != exitOK || rep.Mode != "incremental" {
		t.Fatalf("second sync exit %d, report %+v", res.code, rep)
	}
	checkStatus("after churn and incremental sync")
	if usersIndex("after incremental sync") == first {
		t.Fatal("the incremental sync left the full sync's users index")
	}

	res = profRun(t, "", "history", "--json")
	runs := decode[[]store.RunChanges](t, res.stdout)
	if len(runs) != 2 || len(runs[1].Changes) == 0 {
		t.Fatalf("history: %d runs, want 2 with changes in the second", len(runs))
	}
	res = profRun(t, "", "history")
	if !strings.Contains(res.stdout, "incremental sync #") {
		t.Fatalf("history text:\n%s", res.stdout)
	}

	res = profRun(t, "", "export", "users")
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if res.code != exitOK || len(lines) != srv.Sim.Truth().Counts["users"]+1 || !strings.HasPrefix(lines[0], "id,status,login") {
		t.Fatalf("export users: exit %d, %d lines", res.code, len(lines))
	}
	out := filepath.Join(t.TempDir(), "m.jsonl")
	res = profRun(t, "", "export", "memberships", "--format", "jsonl", "--out", out)
	data, err := os.ReadFile(out)
	if res.code != exitOK || err != nil || strings.Count(string(data), "\n") != srv.Sim.Truth().Counts["memberships"] {
		t.Fatalf("export memberships: exit %d %v %v", res.code, res.err, err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file mode %v, want 0600", fi.Mode().Perm())
	}
	if res := profRun(t, "", "export", "secrets"); res.code != exitUsage {
		t.Fatalf("export of an unknown kind: exit %d, want %d", res.code, exitUsage)
	}
	if res := profRun(t, "", "export", "users", "--format", "xml"); res.code != exitUsage {
		t.Fatalf("export --format xml: exit %d, want %d", res.code, exitUsage)
	}
}

func TestSyncExitCodes(t *testing.T) {
	t.Run("forbidden apps is partial, exit 1", func(t *testing.T) {
		simEnv(t, oktasim.Options{Scenario: "S", Seed: 3}, "noapps")
		res := profRun(t, "", "sync", "--json")
		rep := decode[syncReport](t, res.stdout)
		if res.code != exitWarnings || rep.Status != "partial" || len(rep.Partial) != 1 || rep.Partial[0].Resource != "apps" {
			t.Fatalf("exit %d report %+v", res.code, rep)
		}
		if res := profRun(t, "", "status"); res.code != exitWarnings || !strings.Contains(res.stdout, "partial: apps") {
			t.Fatalf("status after a partial sync: exit %d\n%s", res.code, res.stdout)
		}
	})
	t.Run("revoked token fails with E0000011, exit 2", func(t *testing.T) {
		simEnv(t, oktasim.Options{Scenario: "S", Seed: 3}, "readonly")
		t.Setenv("DIRDECK_API_TOKEN", "00thisTokenWasRevokedLongAgo0000000000000x")
		res := profRun(t, "", "sync")
		if res.code != exitFailed || !strings.Contains(res.errText(), "E0000011") {
			t.Fatalf("exit %d, error %q", res.code, res.errText())
		}
		if strings.Contains(res.errText()+res.stderr, "00thisTokenWasRevoked") {
			t.Fatal("the token appears in the output")
		}
	})
	t.Run("nothing configured", func(t *testing.T) {
		profHome(t)
		res := profRun(t, "", "sync")
		if res.code != exitFailed || !strings.Contains(res.errText(), "dirdeck profile add") {
			t.Fatalf("exit %d, error %q", res.code, res.errText())
		}
	})
}

func TestCacheInUseAndCorrupt(t *testing.T) {
	simEnv(t, oktasim.Options{Scenario: "S", Seed: 4}, "readonly")
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("sync: %v", res.err)
	}
	r, err := config.Locate("")
	if err != nil {
		t.Fatal(err)
	}
	holder, err := store.Open(r.CachePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A sync needs the cache itself: it says who holds it, within seconds.
	start := time.Now()
	res := profRun(t, "", "sync")
	if res.code != exitFailed || !strings.Contains(res.errText(), "in use") {
		t.Fatalf("sync while another process holds the cache: exit %d, %q", res.code, res.errText())
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("waited %v for a locked cache", waited)
	}
	// Reading commands read a snapshot copy meanwhile.
	res = profRun(t, "", "status", "--json")
	holder.Close()
	if st := decode[statusReport](t, res.stdout); res.code != exitOK || !strings.Contains(res.stderr, "snapshot copy") || st.Counts.Users == 0 {
		t.Fatalf("status while another process holds the cache: exit %d, %q, %+v", res.code, res.stderr, st.Counts)
	}

	if err := os.WriteFile(r.CachePath, []byte(strings.Repeat("not a database ", 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	res = profRun(t, "", "status")
	if res.code != exitFailed || !strings.Contains(res.errText(), "--rebuild") {
		t.Fatalf("status on a corrupt cache: exit %d, %q", res.code, res.errText())
	}
	res = profRun(t, "", "sync", "--rebuild")
	if res.code != exitOK || !strings.Contains(res.stderr, "Moved the old cache to") {
		t.Fatalf("sync --rebuild: exit %d, %v\n%s", res.code, res.err, res.stderr)
	}
	if res := profRun(t, "", "status"); res.code != exitOK {
		t.Fatalf("status after rebuild: exit %d %v", res.code, res.err)
	}
}

// TestSyncUnreachableOrg syncs from an org URL nothing listens on: stderr
// says what is being retried and which URL did not answer, and the error
// does not claim a previous sync in a cache that never had one.
func TestSyncUnreachableOrg(t *testing.T) {
	profHome(t)
	t.Setenv("HOME", t.TempDir())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now: connections are refused
	t.Setenv("DIRDECK_ORG_URL", url)
	t.Setenv("DIRDECK_API_TOKEN", "00"+strings.Repeat("x", 40))

	res := profRun(t, "", "sync")
	if res.code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", res.code, exitFailed, res.stderr)
	}
	msg := res.err.Error()
	// The listings run concurrently: which one reports its retry first
	// varies, so any /api/v1 listing will do.
	for _, want := range []string{"retrying GET /api/v1/", "no answer from " + url, "connection refused"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, res.stderr)
		}
	}
	for _, want := range []string{"no answer from " + url, "nothing was cached", "check the org URL"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "previous sync is still in the cache") {
		t.Errorf("error claims a previous sync that never happened: %s", msg)
	}
}

func TestProgressNotes(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressPrinter(&buf, 0, "https://acme.okta.com")
	p.retry(directory.Request{Method: "GET", Path: "/api/v1/groups", Status: 503, ErrorCode: "E0000009", Attempt: 1}, 1500*time.Millisecond)
	reset := time.Now().Add(42 * time.Second)
	p.throttle("/api/v1/users", reset)
	p.throttle("/api/v1/users", reset) // the same window is announced once
	want := "retrying GET /api/v1/groups in 1.5s (attempt 1 failed: HTTP 503 E0000009)\n" +
		"waiting for the rate-limit window of /api/v1/users: dirdeck's budget share is used up until it resets at " +
		reset.Format("15:04:05") + " (in 42s)\n"
	if got := buf.String(); got != want {
		t.Errorf("notes:\n%s\nwant:\n%s", got, want)
	}
}

// TestTwoSyncProcessesShareTheCredentialCap: two `dirdeck sync` processes
// on two profiles of one org with one API token run at once. Okta caps a
// token at 50% of each bucket's limit, the sim too; each process's own
// governor would take its 50% share, so without the rate ledger in the
// data directory the two together would pass the token's cap and get 429s
// (which the okta package's test shows). The group-members bucket is set
// to 80 a minute: the two syncs need 40 member listings each (scenario S
// has 40 groups), the token may send 40 a minute, so they share two
// windows; the sim clock is set 4 s before a window ends.
func TestTwoSyncProcessesShareTheCredentialCap(t *testing.T) {
	bin := builtBinary(t)
	home := profHome(t)
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 21, RateLimits: "realistic"})
	if err := srv.Sim.SetRateLimits(map[string]int{"/api/v1/groups/{id}*": 80}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		if res := profRun(t, "", "profile", "add", name, "--org-url", srv.URL); res.code != exitOK {
			t.Fatalf("profile add %s: %v", name, res.err)
		}
	}
	simtest.AlignToWindowEnd(srv.Sim, 4*time.Second)
	env := append(os.Environ(), "DIRDECK_HOME="+home, "HOME="+home, "DBUS_SESSION_BUS_ADDRESS=", "DIRDECK_API_TOKEN="+srv.ReadOnlyToken())
	outs := make([][]byte, 2)
	errs := make([]error, 2)
	var wg gosync.WaitGroup
	for i, name := range []string{"a", "b"} {
		wg.Go(func() {
			cmd := exec.CommandContext(t.Context(), bin, "sync", "--profile", name, "--json")
			cmd.Env = env
			outs[i], errs[i] = cmd.Output()
		})
	}
	wg.Wait()
	truth := srv.Sim.Truth()
	for i, name := range []string{"a", "b"} {
		if errs[i] != nil {
			t.Fatalf("sync --profile %s: %v\n%s", name, errs[i], outs[i])
		}
		if rep := decode[syncReport](t, string(outs[i])); rep.Mode != "full" || rep.Retries != 0 {
			t.Errorf("profile %s: sync report %+v, want a full sync without retries", name, rep)
		}
		res := profRun(t, "", "status", "--profile", name, "--json")
		if st := decode[statusReport](t, res.stdout); res.code != exitOK || st.Digest != truth.Digest {
			t.Errorf("profile %s: status exit %d, digest %s, truth %s", name, res.code, st.Digest, truth.Digest)
		}
	}
	if st := srv.Sim.Stats(); st.Throttled != 0 || st.ByEndpoint["GET /api/v1/groups/{id}/users"] < 80 {
		t.Errorf("the sim answered %d requests with 429 and %d member listings (want none, and at least 80)", st.Throttled, st.ByEndpoint["GET /api/v1/groups/{id}/users"])
	}
}
