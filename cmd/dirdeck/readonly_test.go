package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/oktasim"
)

// TestReadOnlyCommandsWriteNothing: status, export and history only read
// the cache, so they need no pid file (a full disk, or anything in the
// pid file's way, must not stop them) and no token.
func TestReadOnlyCommandsWriteNothing(t *testing.T) {
	simEnv(t, oktasim.Options{Scenario: "S", Seed: 2}, "readonly")
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("sync: exit %d %v", res.code, res.err)
	}
	r, err := config.Locate("")
	if err != nil {
		t.Fatal(err)
	}
	// A directory where the pid file would go: writing it fails as it
	// does on a full disk, even for root.
	if err := os.Mkdir(r.CachePath+".pid", 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DIRDECK_API_TOKEN", "") // only DIRDECK_ORG_URL: reading the cache needs no token
	before, _ := os.ReadDir(filepath.Dir(r.CachePath))
	for _, args := range [][]string{{"status"}, {"export", "users"}, {"export", "groups", "--format", "jsonl"}, {"history"}, {"history", "--json"}} {
		if res := profRun(t, "", args...); res.code != exitOK {
			t.Errorf("%v: exit %d %v", args, res.code, res.err)
		}
	}
	after, _ := os.ReadDir(filepath.Dir(r.CachePath))
	if len(after) != len(before) {
		t.Errorf("the data directory changed: %d entries before, %d after", len(before), len(after))
	}
}

// TestFailedFirstSyncLeavesNoCache: a first sync against a URL that is
// not an Okta org fails and leaves no empty cache file; a failed sync over
// an existing cache keeps it.
func TestFailedFirstSyncLeavesNoCache(t *testing.T) {
	profHome(t)
	t.Setenv("HOME", t.TempDir())
	notOkta := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notOkta.Close)
	t.Setenv("DIRDECK_ORG_URL", notOkta.URL)
	t.Setenv("DIRDECK_API_TOKEN", "00aValidLookingTokenForANonOktaServer000000")
	if res := profRun(t, "", "sync"); res.code != exitFailed {
		t.Fatalf("sync against a non-Okta server: exit %d %v", res.code, res.err)
	}
	r, err := config.Locate("")
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(r.CachePath))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), r.Name+".db") {
			t.Errorf("a failed first sync left %s behind", e.Name())
		}
	}

	srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 2}, "readonly")
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("sync: exit %d %v", res.code, res.err)
	}
	r, _ = config.Locate("")
	t.Setenv("DIRDECK_API_TOKEN", srv.Token("readonly")[:20]+"0000000000000000000000")
	if res := profRun(t, "", "sync"); res.code != exitFailed {
		t.Fatalf("sync with a bad token: exit %d %v", res.code, res.err)
	}
	if _, err := os.Stat(r.CachePath); err != nil {
		t.Errorf("a failed sync removed an existing cache: %v", err)
	}
}

// TestLookalikeOrgURLWarns: a host with a Cyrillic а passes for
// acme.okta.com; adding it is allowed (it may be real) but warned about,
// with the punycode name it really has.
func TestLookalikeOrgURLWarns(t *testing.T) {
	profHome(t)
	profMockKeyring(t)
	res := profRun(t, "", "profile", "add", "acme", "--org-url", "https://\u0430cme.okta.com")
	if res.code != exitOK || !strings.Contains(res.stderr, "warning:") || !strings.Contains(res.stderr, "xn--cme-5cd.okta.com") {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	if res := profRun(t, "", "profile", "add", "plain", "--org-url", "https://acme.okta.com"); strings.Contains(res.stderr, "warning") {
		t.Fatalf("an ASCII host was warned about: %q", res.stderr)
	}
}

// TestReplayTimeoutAndProgress: bundle replay shows the replayed sync's
// progress on stderr and gives up at --timeout.
func TestReplayTimeoutAndProgress(t *testing.T) {
	simEnv(t, oktasim.Options{Scenario: "S", Seed: 4}, "readonly")
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("sync: exit %d %v", res.code, res.err)
	}
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	if res := profRun(t, "", "bundle", "export", "--out", out); res.code != exitOK {
		t.Fatalf("export: exit %d %v", res.code, res.err)
	}
	res := profRun(t, "", "bundle", "replay", out)
	if res.code != exitOK || !strings.Contains(res.stderr, "users: ") || !strings.Contains(res.stderr, "memberships: ") {
		t.Errorf("replay: exit %d %v, stderr %q (want progress)", res.code, res.err, res.stderr)
	}
	res = profRun(t, "", "bundle", "replay", out, "--timeout", "1ms")
	if res.code != exitFailed || !strings.Contains(res.errText(), "replay stopped after --timeout 1ms") {
		t.Errorf("replay --timeout 1ms: exit %d %v", res.code, res.err)
	}
}
