package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

// readmeBlock is one ```sh block of README.md.
type readmeBlock struct {
	line   int    // of the opening fence
	script string // dedented
	skip   string // why it is not run, from a "<!-- readme-test: not run (…) -->" line just above
}

// readmeBlocks extracts the ```sh blocks of a Markdown file.
func readmeBlocks(t *testing.T, path string) []readmeBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []readmeBlock
	var cur *readmeBlock
	var indent, prev string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```sh"):
			indent = line[:len(line)-len(trimmed)]
			cur = &readmeBlock{line: n}
			if p := strings.TrimSpace(prev); strings.HasPrefix(p, "<!-- readme-test: not run") {
				cur.skip = strings.TrimSuffix(strings.TrimPrefix(p, "<!-- readme-test: not run"), "-->")
			}
		case cur != nil && trimmed == "```" && strings.HasPrefix(line, indent):
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.script += strings.TrimPrefix(line, indent) + "\n"
		}
		prev = line
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("README.md:%d: unterminated ```sh block", cur.line)
	}
	return blocks
}

// TestReadmeBlocks runs every ```sh block of README.md as written, each in
// a fresh bash with the built dirdeck on PATH and DIRDECK_HOME in a
// temporary directory. A block that starts its own simulated org (the
// try-out) runs as it is; every other one runs in the state the try-out
// leaves — scenario S, seed 7, synced, churned by 50 changes, synced again
// — which the test prepares with a simulated org of its own. A command
// exiting 2 or more fails the block (1 means done with warnings, e.g.
// `dirdeck tokens` flagging an old token). Blocks must stop what they
// start and write nothing into the checkout. Blocks marked
// "<!-- readme-test: not run (reason) -->" are skipped.
func TestReadmeBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds dirdeck and runs the README's examples")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlocks(t, filepath.Join(root, "README.md"))
	bin := filepath.Join(t.TempDir(), "bin")
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "dirdeck"), ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	before := checkoutState(t, root)

	var ran, skipped int
	for _, b := range blocks {
		t.Run(fmt.Sprintf("line%d", b.line), func(t *testing.T) {
			if b.skip != "" {
				skipped++
				t.Skipf("marked not run:%s", b.skip)
			}
			ran++
			home := t.TempDir()
			env := []string{
				"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
				"HOME=" + home, // the Okta SDK must not read a real ~/.okta
				"DIRDECK_HOME=" + filepath.Join(home, "dirdeck"),
				"TMPDIR=" + t.TempDir(),
				"NO_COLOR=1", "TERM=dumb", "LANG=C.UTF-8",
			}
			if !strings.Contains(b.script, "sim serve") {
				env = append(env, afterTryOut(t, filepath.Join(bin, "dirdeck"), env)...)
			}
			runReadmeBlock(t, root, b, env)
		})
	}
	if after := checkoutState(t, root); after != before {
		t.Errorf("README blocks changed the checkout:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if ran < 5 || skipped > 6 {
		t.Errorf("%d blocks ran, %d skipped: keep the README runnable and the not-run marks few", ran, skipped)
	}
}

// checkoutState lists the checkout's untracked and modified files.
func checkoutState(t *testing.T, root string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=all").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	return string(out)
}

// afterTryOut serves scenario S (seed 7) for the rest of the test and brings
// it and a cache to the state the README's try-out leaves: a full sync, 50
// changes, an incremental sync. It returns the environment the try-out
// exports.
func afterTryOut(t *testing.T, dirdeck string, env []string) []string {
	t.Helper()
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 7})
	tryEnv := []string{"DIRDECK_ORG_URL=" + srv.URL, "DIRDECK_API_TOKEN=" + srv.ReadOnlyToken()}
	sync := func() {
		cmd := exec.Command(dirdeck, "sync")
		cmd.Env = append(env, tryEnv...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("dirdeck sync: %v\n%s", err, out)
		}
	}
	sync()
	if _, err := srv.Sim.Churn(50); err != nil {
		t.Fatal(err)
	}
	sync()
	return tryEnv
}

// runReadmeBlock runs one block in bash from the checkout's root, in a
// process group of its own, and checks that nothing it started outlives it.
func runReadmeBlock(t *testing.T, root string, b readmeBlock, env []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Exit status 1 is "done with warnings"; anything higher is a failure.
	guard := `trap 'rc=$?; if [ $rc -gt 1 ]; then echo "README.md block: \` + "`" + `$BASH_COMMAND\` + "`" + ` exited $rc" >&2; exit $rc; fi' ERR` + "\n"
	cmd := exec.CommandContext(ctx, "bash", "-c", guard+b.script)
	cmd.Dir, cmd.Env = root, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	pgid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == exitWarnings {
		err = nil // the last command finished with warnings
	}
	if err != nil {
		t.Fatalf("README.md:%d: %v\n--- script\n%s--- output\n%s", b.line, err, b.script, out.String())
	}
	// Processes the block left running would still be in its group; a
	// killed one may take a moment to exit.
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("README.md:%d left processes running (a sim it did not stop?)\n%s", b.line, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("README.md:%d output:\n%s", b.line, out.String())
}

// TestReadmeLinks checks that the files README.md and docs/ link to exist.
func TestReadmeLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	for _, doc := range []string{"README.md", "docs/DESIGN.md"} {
		path := filepath.Join("..", "..", doc)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), target)); err != nil {
				t.Errorf("%s links to %s: %v", doc, target, err)
			}
		}
		for _, bare := range regexp.MustCompile(`(?:^|[\s(])DESIGN\.md`).FindAllString(string(b), -1) {
			t.Errorf("%s names %q without its path (docs/DESIGN.md)", doc, strings.TrimSpace(bare))
		}
	}
}
