package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/config"
	"golang.org/x/sys/unix"
)

// profOpenPTY opens a pseudo-terminal pair, so that set-token sees a real
// terminal on stdin.
func profOpenPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetUint32(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty slave: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

func TestProfileSetTokenHiddenPrompt(t *testing.T) {
	profHome(t)
	profMockKeyring(t)
	if r := profRun(t, "", "profile", "add", "work", "--org-url", "https://acme.okta.com"); r.code != 0 {
		t.Fatal(r.err)
	}
	master, slave := profOpenPTY(t)

	var out, errb bytes.Buffer
	root := newRootCmd()
	root.SetArgs([]string{"profile", "set-token", "work"})
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(slave)
	done := make(chan error, 1)
	go func() { done <- root.Execute() }()

	// Type the token only once the prompt has turned echo off, as a person
	// would after seeing the prompt; typed earlier, the terminal would echo it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatal("set-token never turned terminal echo off to read the token")
		}
		select {
		case err := <-done:
			t.Fatalf("set-token returned before reading the terminal: %v", err)
		default:
		}
		tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		runtime.Gosched()
	}
	if _, err := master.Write([]byte(profTestToken + "\n")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("set-token: %v", err)
	}
	if !strings.Contains(errb.String(), "API token for profile work (input hidden): ") || strings.Contains(errb.String()+out.String(), profTestToken) {
		t.Fatalf("prompt/output wrong or shows the token: stderr %q stdout %q", errb.String(), out.String())
	}
	if got, err := config.Token("work"); err != nil || got != profTestToken {
		t.Fatalf("stored token matches: %v, %v", got == profTestToken, err)
	}
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil || tio.Lflag&unix.ECHO == 0 {
		t.Fatalf("terminal echo not restored after the prompt (%v)", err)
	}
}
