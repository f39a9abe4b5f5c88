package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/oktasim"
)

// tmuxSession drives the real dirdeck binary in a detached tmux session.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *tmuxSession) screen() string { return s.tmux("capture-pane", "-p", "-t", "e2e") }

// waitFor polls the screen until it contains want; the program renders
// asynchronously, so there is no single moment to look at.
func (s *tmuxSession) waitFor(want string) string {
	s.t.Helper()
	return s.waitUntil(fmt.Sprintf("%q", want), func(scr string) bool { return strings.Contains(scr, want) })
}

// waitUntil polls the screen until ok accepts it.
func (s *tmuxSession) waitUntil(what string, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		scr := s.screen()
		if ok(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("screen never showed %s; last screen:\n%s", what, scr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *tmuxSession) keys(keys ...string) {
	s.tmux(append([]string{"send-keys", "-t", "e2e"}, keys...)...)
}

// TestDemoDashboardInTmux runs `dirdeck` with an empty DIRDECK_HOME, as a
// newcomer's `go run ./cmd/dirdeck` does, and drives it like a person.
func TestDemoDashboardInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and drives the binary")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; .ci/run installs it (apt-get install tmux)")
	}
	bin := filepath.Join(t.TempDir(), "dirdeck")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	home := t.TempDir()
	exitFile := filepath.Join(t.TempDir(), "exit")
	s := &tmuxSession{t: t, socket: "dirdeck-e2e-" + filepath.Base(home)}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	script := "env -u DIRDECK_ORG_URL -u DIRDECK_API_TOKEN -u DIRDECK_PROFILE DIRDECK_HOME=" + home +
		" HOME=" + home + " TERM=xterm-256color " + bin + "; echo $? > " + exitFile + "; echo SHELL-BACK; sleep 600"
	s.tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "100", "-y", "30", script)

	scr := s.waitFor("250 users")
	if !strings.Contains(scr, "DEMO") || !strings.Contains(scr, "dirdeck profile add") {
		t.Fatalf("no DEMO badge or hint:\n%s", scr)
	}
	s.keys(":users", "Enter")
	scr = s.waitFor("LOGIN")
	for _, r := range scr {
		if r == 0x1b {
			t.Fatal("an escape character from the data reached the screen")
		}
	}
	s.keys("/")
	s.tmux("send-keys", "-t", "e2e", "-l", "ana")
	// The filter is debounced: wait for its result, which must be narrower.
	s.waitUntil("fewer than 250 users", func(scr string) bool {
		return strings.Contains(scr, "/ana") && strings.Contains(scr, "of 250 users") && !strings.Contains(scr, " 250 of 250 users")
	})
	s.keys("Enter")
	s.keys("Enter")
	// The detail loads asynchronously under its breadcrumb.
	s.waitUntil("the user's detail", func(scr string) bool {
		return strings.Contains(scr, "users › ") && strings.Contains(scr, "Profile") && strings.Contains(scr, "Login")
	})
	// Wait for esc to land: ESC followed at once by "?" reads as alt+?.
	s.keys("Escape")
	s.waitFor("of 250 users")
	s.keys("?")
	s.waitFor("quit")
	s.keys("q")
	scr = s.waitFor("SHELL-BACK")
	code, err := os.ReadFile(exitFile)
	if err != nil || strings.TrimSpace(string(code)) != "0" {
		t.Fatalf("exit status %q (%v), want 0; screen:\n%s", code, err, scr)
	}
	if strings.Contains(scr, "DEMO") {
		t.Fatalf("the alternate screen was not left on exit:\n%s", scr)
	}
}

// TestProfileSwitchInTmux opens the dashboard on one profile and switches
// to another with `:profile NAME`.
func TestProfileSwitchInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and drives the binary")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; .ci/run installs it (apt-get install tmux)")
	}
	home := profHome(t)
	// Same seed, so the same read-only token opens both orgs.
	first := oktasim.NewServer(t, oktasim.Options{Scenario: "S", Seed: 5})
	second := oktasim.NewServer(t, oktasim.Options{Scenario: "S", Seed: 5})
	for _, p := range []struct{ name, url string }{{"first", first.URL}, {"second", second.URL}} {
		if res := profRun(t, "", "profile", "add", p.name, "--org-url", p.url); res.code != exitOK {
			t.Fatalf("profile add %s: %v", p.name, res.err)
		}
	}
	if res := profRun(t, "", "profile", "use", "first"); res.code != exitOK {
		t.Fatal(res.err)
	}
	bin := filepath.Join(t.TempDir(), "dirdeck")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	exitFile := filepath.Join(t.TempDir(), "exit")
	s := &tmuxSession{t: t, socket: "dirdeck-e2e-" + filepath.Base(home)}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	script := "env DIRDECK_HOME=" + home + " HOME=" + home + " DBUS_SESSION_BUS_ADDRESS= DIRDECK_API_TOKEN=" + first.ReadOnlyToken() +
		" TERM=xterm-256color " + bin + "; echo $? > " + exitFile + "; echo SHELL-BACK; sleep 600"
	s.tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "30", script)
	s.waitFor(strings.TrimPrefix(first.URL, "http://"))
	s.waitFor("250 users")
	s.keys(":profile second", "Enter")
	scr := s.waitFor(strings.TrimPrefix(second.URL, "http://"))
	if strings.Contains(scr, strings.TrimPrefix(first.URL, "http://")) {
		t.Fatalf("still showing the first org:\n%s", scr)
	}
	s.waitFor("250 users")
	s.keys("q")
	s.waitFor("SHELL-BACK")
	if code, _ := os.ReadFile(exitFile); strings.TrimSpace(string(code)) != "0" {
		t.Fatalf("exit status %q", code)
	}
}

// TestSecondDashboardOpensASnapshotInTmux: a second dirdeck on a profile
// whose cache the first one holds opens read-only on a copy, saying why.
func TestSecondDashboardOpensASnapshotInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and drives the binary")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; .ci/run installs it (apt-get install tmux)")
	}
	bin := filepath.Join(t.TempDir(), "dirdeck")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	home := profHome(t)
	srv := oktasim.NewServer(t, oktasim.Options{Scenario: "S", Seed: 6})
	script := "env DIRDECK_HOME=" + home + " HOME=" + home + " DIRDECK_ORG_URL=" + srv.URL +
		" DIRDECK_API_TOKEN=" + srv.ReadOnlyToken() + " TERM=xterm-256color " + bin + "; echo SHELL-BACK; sleep 600"
	open := func(name string) *tmuxSession {
		s := &tmuxSession{t: t, socket: "dirdeck-e2e-" + name + "-" + filepath.Base(home)}
		t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
		s.tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "30", script)
		return s
	}
	first := open("first")
	first.waitFor("250 users")
	second := open("second")
	scr := second.waitFor("250 users")
	if !strings.Contains(scr, "READ-ONLY SNAPSHOT") || !strings.Contains(scr, "another dirdeck (pid") {
		t.Fatalf("the second dashboard does not say it is a read-only snapshot:\n%s", scr)
	}
	second.keys("q")
	second.waitFor("SHELL-BACK")
	first.keys("q")
	first.waitFor("SHELL-BACK")
}
