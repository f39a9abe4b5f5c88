// Package keyringtest runs a test against this machine's real OS keyring
// code in a child process of the test binary: keyring.MockInit, which the
// other tests of a package use, cannot be undone in the process that
// called it.
package keyringtest

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// childEnv marks the child process.
const childEnv = "DIRDECK_TEST_REAL_KEYRING"

// InChild reports whether this process is the child RunChild started;
// the child test skips itself otherwise.
func InChild() bool { return os.Getenv(childEnv) == "1" }

// RunChild runs the test named child (a top-level test of the same
// binary) in a child process and fails t unless it passed. It skips in
// the child itself, and on platforms that always have a keyring, where
// the child would write to the real one.
func RunChild(t *testing.T, child string) {
	t.Helper()
	if InChild() {
		t.Skip("already in the child")
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("this platform always has a keyring; the child would write to it")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: "+child) {
		t.Fatalf("child did not run the test:\n%s", out)
	}
	t.Logf("child output:\n%s", out)
}
