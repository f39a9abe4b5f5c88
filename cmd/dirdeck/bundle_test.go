package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/bundle"
	"github.com/dirdeck/dirdeck/oktasim"
)

func TestBundleExportInspectReplay(t *testing.T) {
	srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 4}, "noapps")
	if res := profRun(t, "", "sync"); res.code != exitWarnings {
		t.Fatalf("sync with the noapps token: exit %d, %v", res.code, res.err)
	}
	out := filepath.Join(t.TempDir(), "b.tar.gz")

	res := profRun(t, "", "bundle", "export", "--show")
	if res.code != exitOK || !strings.Contains(res.stdout, "snapshot/users.jsonl") || !strings.Contains(res.stdout, "Nothing was written") {
		t.Fatalf("--show: exit %d %v\n%s", res.code, res.err, res.stdout)
	}
	if strings.Contains(res.stdout, srv.Token("noapps")) {
		t.Fatal("--show printed the token")
	}

	res = profRun(t, "", "bundle", "export", "--out", out)
	if res.code != exitOK || !strings.Contains(res.stdout, "Wrote "+out) {
		t.Fatalf("export: exit %d %v\n%s", res.code, res.err, res.stdout)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 {
		t.Fatal("empty bundle")
	}

	res = profRun(t, "", "bundle", "inspect", out, "--json")
	if res.code != exitOK {
		t.Fatalf("inspect: exit %d %v", res.code, res.err)
	}
	sum := decode[bundle.Summary](t, res.stdout)
	if len(sum.Runs) != 1 || sum.Runs[0].Journal.Partial["apps"] != "E0000006" || !strings.Contains(string(sum.Reports), "scopes") {
		t.Fatalf("summary runs %+v, reports %d bytes", sum.Runs, len(sum.Reports))
	}
	if !strings.Contains(strings.Join(sum.Findings, "\n"), "okta.apps.read") {
		t.Errorf("findings do not name the missing apps scope: %q", sum.Findings)
	}
	res = profRun(t, "", "bundle", "inspect", out)
	if res.code != exitOK || !strings.Contains(res.stdout, "E0000006") || !strings.Contains(res.stdout, "access denied") ||
		!strings.Contains(res.stdout, "Scope and token findings") {
		t.Fatalf("inspect: exit %d\n%s", res.code, res.stdout)
	}

	res = profRun(t, "", "bundle", "replay", out, "--json")
	if res.code != exitOK {
		t.Fatalf("replay: exit %d %v\n%s", res.code, res.err, res.stdout)
	}
	rep := decode[map[string]any](t, res.stdout)
	if rep["reproduced"] != true || rep["original"] == nil || rep["replay"] == nil {
		t.Fatalf("replay report %v", rep)
	}

	bad := filepath.Join(t.TempDir(), "cut.tar.gz")
	if err := os.WriteFile(bad, raw[:len(raw)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"inspect", "replay", "open"} {
		res = profRun(t, "", "bundle", sub, bad)
		if res.code != exitFailed || !strings.Contains(res.errText(), "truncated") {
			t.Errorf("%s of a truncated bundle: exit %d, %v", sub, res.code, res.err)
		}
	}
	if res = profRun(t, "", "bundle", "export", "--runs", "0"); res.code != exitUsage {
		t.Errorf("--runs 0: exit %d", res.code)
	}
}

// syncAndExport syncs the profile simEnv set up, wanting exit code
// wantSync, and exports an offline bundle of its cache; it returns the
// bundle's path.
func syncAndExport(t *testing.T, wantSync int) string {
	t.Helper()
	if res := profRun(t, "", "sync"); res.code != wantSync {
		t.Fatalf("sync: exit %d, %v", res.code, res.err)
	}
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	if res := profRun(t, "", "bundle", "export", "--offline", "--out", file); res.code != exitOK {
		t.Fatalf("export: exit %d, %v", res.code, res.err)
	}
	return file
}

// TestBundleOpenInTmux opens a bundle in the real binary: the dashboard
// shows the pseudonymised snapshot, read-only with the BUNDLE badge, and
// the customer's run with its timeline in the Sync pane.
func TestBundleOpenInTmux(t *testing.T) {
	// Built before simEnv moves HOME, where the go command keeps its caches.
	bin := tmuxBinary(t)
	srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 4}, "readonly")
	srv.Sim.SetFaults([]oktasim.FaultRule{{Method: "GET", Path: "/api/v1/apps*", Probability: 1, Status: 403}})
	file := syncAndExport(t, exitWarnings)
	home := t.TempDir()
	s := startTmux(t, "bundle", 140, 40, []string{"-u", "DIRDECK_ORG_URL", "-u", "DIRDECK_API_TOKEN",
		"DIRDECK_HOME=" + home, "HOME=" + home, "TMPDIR=" + home}, bin, "bundle", "open", file)

	scr := s.waitFor("250 users")
	for _, want := range []string{"BUNDLE", "READ-ONLY", "Support bundle b.tar.gz", "snapshot taken"} {
		if !strings.Contains(scr, want) {
			t.Fatalf("no %q:\n%s", want, scr)
		}
	}
	s.keys(":users", "Enter")
	// The header shows before the rows load: wait for the rows themselves
	// (waitFor fails with the screen if no pseudonymised login appears).
	s.waitFor("@" + bundle.RedactedDomain)
	s.keys(":runs", "Enter")
	s.waitFor("partial: apps E0000006")
	s.keys("Enter")
	if scr = s.waitFor("Timeline"); !strings.Contains(scr, "E0000006") {
		t.Fatalf("journal without the error:\n%s", scr)
	}
	s.keys("q")
	s.waitForExit()
	left, _ := filepath.Glob(filepath.Join(home, "dirdeck-bundle-*"))
	if len(left) != 0 {
		t.Errorf("the temporary cache was left behind: %v", left)
	}
}
