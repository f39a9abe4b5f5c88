package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

// tmuxSession drives the real dirdeck binary in a detached tmux session.
type tmuxSession struct {
	t        *testing.T
	socket   string
	exitFile string // where the shell writes the command's exit status
}

// tmuxBinary skips a test that drives the real binary in -short runs or
// without tmux; otherwise it builds dirdeck and returns its path.
func tmuxBinary(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; .ci/run installs it (apt-get install tmux)")
	}
	return builtBinary(t)
}

// builtBinary builds dirdeck into a temporary directory (skipped in
// -short mode).
func builtBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and drives the binary")
	}
	bin := filepath.Join(t.TempDir(), "dirdeck")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startTmux runs `env ENV... TERM=xterm-256color COMMAND...` in a detached
// tmux session, cols wide and rows high, on a tmux server of its own that
// is killed when the test ends. The socket is named after this process and
// name, so concurrent test runs do not share a server. When the command
// ends the shell records its exit status and prints SHELL-BACK.
func startTmux(t *testing.T, name string, cols, rows int, env []string, command ...string) *tmuxSession {
	t.Helper()
	s := &tmuxSession{t: t, socket: fmt.Sprintf("dirdeck-e2e-%d-%s", os.Getpid(), name), exitFile: filepath.Join(t.TempDir(), "exit")}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	script := "env " + strings.Join(env, " ") + " TERM=xterm-256color " + strings.Join(command, " ") +
		"; echo $? > " + s.exitFile + "; echo SHELL-BACK; sleep 600"
	s.tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", strconv.Itoa(cols), "-y", strconv.Itoa(rows), script)
	return s
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

// waitForExit waits for the shell to come back and fails the test unless
// dirdeck exited 0; it returns the last screen.
func (s *tmuxSession) waitForExit() string {
	s.t.Helper()
	scr := s.waitFor("SHELL-BACK")
	code, err := os.ReadFile(s.exitFile)
	if err != nil || strings.TrimSpace(string(code)) != "0" {
		s.t.Fatalf("exit status %q (%v), want 0; screen:\n%s", code, err, scr)
	}
	return scr
}

// TestDemoDashboardInTmux runs `dirdeck` with an empty DIRDECK_HOME, as a
// newcomer's `go run ./cmd/dirdeck` does, and drives it like a person.
func TestDemoDashboardInTmux(t *testing.T) {
	bin := tmuxBinary(t)
	home := t.TempDir()
	s := startTmux(t, "demo", 100, 30, []string{"-u", "DIRDECK_ORG_URL", "-u", "DIRDECK_API_TOKEN", "-u", "DIRDECK_PROFILE",
		"DIRDECK_HOME=" + home, "HOME=" + home}, bin)

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
	scr = s.waitForExit()
	if strings.Contains(scr, "DEMO") {
		t.Fatalf("the alternate screen was not left on exit:\n%s", scr)
	}
}

// TestHelpInSightInTmux: in the real binary at 80×24, the hint line ends
// with the global keys and the pane bar names every pane, abbreviated.
func TestHelpInSightInTmux(t *testing.T) {
	bin := tmuxBinary(t)
	home := t.TempDir()
	s := startTmux(t, "insight", 80, 24, []string{"-u", "DIRDECK_ORG_URL", "-u", "DIRDECK_API_TOKEN", "-u", "DIRDECK_PROFILE",
		"DIRDECK_HOME=" + home, "HOME=" + home}, bin)
	s.waitFor("250 users")
	s.keys("2")
	scr := s.waitFor("1/250 · 250 users")
	lines := strings.Split(strings.TrimRight(scr, "\n"), "\n")
	if last := strings.TrimRight(lines[len(lines)-1], " "); !strings.HasSuffix(last, ": command • ? help • q quit") {
		t.Errorf("hint line %q", last)
	}
	for _, tab := range []string{"1 Ove", "2 Users", "3 Gro", "8 Sig"} {
		if !strings.Contains(scr, tab) {
			t.Errorf("pane bar lacks %q:\n%s", tab, scr)
		}
	}
	s.keys("q")
	s.waitForExit()
}

// TestDemoFourEyesInTmux walks the demo as a newcomer would, from the
// Access pane to an applied plan: the checks of the sim's credential and
// tokens, stage a removal, submit, `:profile reviewer`, approve as the
// second admin, apply, and the re-sync in the Sync pane.
func TestDemoFourEyesInTmux(t *testing.T) {
	bin := tmuxBinary(t)
	home := t.TempDir()
	s := startTmux(t, "foureyes", 120, 40, []string{"-u", "DIRDECK_ORG_URL", "-u", "DIRDECK_API_TOKEN", "-u", "DIRDECK_PROFILE",
		"DIRDECK_HOME=" + home, "HOME=" + home}, bin)
	s.waitFor("250 users")
	s.keys("6")
	scr := s.waitFor("API tokens")
	for _, want := range []string{"push group changes", "Legacy SCIM connector", "idles out in 5 days"} {
		if !strings.Contains(scr, want) {
			t.Fatalf("the Access pane lacks %q:\n%s", want, scr)
		}
	}
	// Legal's first member, staged for removal and submitted.
	s.keys("3")
	s.waitFor("40 groups")
	s.keys("Down", "Enter")
	s.waitFor("groups › Legal")
	s.keys("d")
	s.waitFor("1 staged change")
	s.keys("S")
	s.waitFor("Submit for review")
	s.keys("Enter")
	s.waitFor("┃ > Submit for review")
	s.keys("Enter")
	s.waitFor("submitted plan")
	// The author cannot approve; the reviewer can.
	s.keys("Enter")
	s.waitFor("State:  pending")
	s.keys("a")
	s.waitFor("four eyes")
	s.keys(":profile reviewer", "Enter")
	s.waitFor("now acting as Priya Raman")
	s.keys("a")
	s.waitFor("comment for the author")
	s.tmux("send-keys", "-t", "e2e", "-l", "looks right")
	s.keys("Enter")
	s.waitFor("State:  approved")
	s.keys("A")
	s.waitFor("Type the org's domain")
	s.tmux("send-keys", "-t", "e2e", "-l", "127.0.0.1")
	s.keys("Enter")
	s.waitFor("State:  applied")
	s.keys("5")
	scr = s.waitFor("plan        ok")
	if !strings.Contains(scr, "#2") {
		t.Fatalf("the Sync pane does not show the apply's re-sync:\n%s", scr)
	}
	s.keys("q")
	s.waitForExit()
}

// TestProfileSwitchInTmux opens the dashboard on one profile and switches
// to another with `:profile NAME`.
func TestProfileSwitchInTmux(t *testing.T) {
	bin := tmuxBinary(t)
	home := profHome(t)
	// Same seed, so the same read-only token opens both orgs.
	first := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 5})
	second := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 5})
	for _, p := range []struct{ name, url string }{{"first", first.URL}, {"second", second.URL}} {
		if res := profRun(t, "", "profile", "add", p.name, "--org-url", p.url); res.code != exitOK {
			t.Fatalf("profile add %s: %v", p.name, res.err)
		}
	}
	if res := profRun(t, "", "profile", "use", "first"); res.code != exitOK {
		t.Fatal(res.err)
	}
	s := startTmux(t, "switch", 120, 30, []string{"DIRDECK_HOME=" + home, "HOME=" + home, "DBUS_SESSION_BUS_ADDRESS=",
		"DIRDECK_API_TOKEN=" + first.ReadOnlyToken()}, bin)
	s.waitFor(strings.TrimPrefix(first.URL, "http://"))
	s.waitFor("250 users")
	s.keys(":profile second", "Enter")
	scr := s.waitFor(strings.TrimPrefix(second.URL, "http://"))
	if strings.Contains(scr, strings.TrimPrefix(first.URL, "http://")) {
		t.Fatalf("still showing the first org:\n%s", scr)
	}
	s.waitFor("250 users")
	s.keys("q")
	s.waitForExit()
}

// TestSecondDashboardOpensASnapshotInTmux: a second dirdeck on a profile
// whose cache the first one holds opens read-only on a copy, saying why.
func TestSecondDashboardOpensASnapshotInTmux(t *testing.T) {
	bin := tmuxBinary(t)
	home := profHome(t)
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 6})
	env := []string{"DIRDECK_HOME=" + home, "HOME=" + home, "DIRDECK_ORG_URL=" + srv.URL, "DIRDECK_API_TOKEN=" + srv.ReadOnlyToken()}
	first := startTmux(t, "snapshot-first", 120, 30, env, bin)
	first.waitFor("250 users")
	second := startTmux(t, "snapshot-second", 120, 30, env, bin)
	scr := second.waitFor("250 users")
	if !strings.Contains(scr, "READ-ONLY SNAPSHOT") || !strings.Contains(scr, "another dirdeck (pid") {
		t.Fatalf("the second dashboard does not say it is a read-only snapshot:\n%s", scr)
	}
	second.keys("q")
	second.waitFor("SHELL-BACK")
	first.keys("q")
	first.waitFor("SHELL-BACK")
}
