package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/oktasim"
)

// waitGlob waits until pattern matches something (want true) or nothing
// (want false), failing the test after a generous deadline: the process
// it watches runs on its own, so there is no event to wait for.
func waitGlob(t *testing.T, pattern string, want bool) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		m, _ := filepath.Glob(pattern)
		if (len(m) > 0) == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: matches %v after 60 s, want any: %v", pattern, m, want)
		}
		time.Sleep(20 * time.Millisecond) // polling a file system condition, not synchronising goroutines
	}
}

// TestSignalsCleanUpTempDirs: SIGTERM during a replay and SIGHUP (the
// terminal going away) during `bundle open` and the demo remove their
// temporary directories, as q and Ctrl-C do.
func TestSignalsCleanUpTempDirs(t *testing.T) {
	bin := tmuxBinary(t)
	srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 4}, "readonly")
	// Slow member pages: the journal scripts a replay that takes a while.
	srv.Sim.SetFaults([]oktasim.FaultRule{{Method: "GET", Path: "/api/v1/groups/*/users*", Probability: 0.2, LatencyMS: 1100}})
	file := syncAndExport(t, exitOK)

	t.Run("SIGTERM during replay", func(t *testing.T) {
		tmp := t.TempDir()
		cmd := exec.Command(bin, "bundle", "replay", file)
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitGlob(t, filepath.Join(tmp, "dirdeck-replay-*"), true)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() < 0 {
			t.Errorf("replay did not exit on its own after SIGTERM: %v", err)
		}
		if left, _ := filepath.Glob(filepath.Join(tmp, "dirdeck-*")); len(left) != 0 {
			t.Errorf("left behind after SIGTERM: %v", left)
		}
	})

	t.Run("SIGHUP during bundle open", func(t *testing.T) {
		home := t.TempDir()
		s := startTmux(t, "sighup", 120, 40, []string{"-u", "DIRDECK_ORG_URL", "-u", "DIRDECK_API_TOKEN",
			"DIRDECK_HOME=" + home, "HOME=" + home, "TMPDIR=" + home}, bin, "bundle", "open", file)
		s.waitFor("BUNDLE")
		waitGlob(t, filepath.Join(home, "dirdeck-bundle-*"), true)
		// Closing the session hangs up the terminal: the shell and
		// dirdeck get SIGHUP.
		s.tmux("kill-session", "-t", "e2e")
		waitGlob(t, filepath.Join(home, "dirdeck-bundle-*"), false)
	})

	t.Run("SIGHUP during the demo", func(t *testing.T) {
		home := t.TempDir()
		s := startTmux(t, "demohup", 100, 30, []string{"-u", "DIRDECK_ORG_URL", "-u", "DIRDECK_API_TOKEN", "-u", "DIRDECK_PROFILE",
			"DIRDECK_HOME=" + home, "HOME=" + home, "TMPDIR=" + home}, bin)
		s.waitFor("250 users")
		waitGlob(t, filepath.Join(home, "dirdeck-demo-*"), true)
		s.tmux("kill-session", "-t", "e2e")
		waitGlob(t, filepath.Join(home, "dirdeck-demo-*"), false)
	})
}
