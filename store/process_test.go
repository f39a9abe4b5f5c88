package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
)

// The tests below re-execute the test binary as a second process (a real
// flock holder, a writer that gets SIGKILLed). The child's role comes from
// these environment variables.
const (
	envChild = "DIRDECK_STORE_TEST_CHILD"
	envPath  = "DIRDECK_STORE_TEST_PATH"
	envSeed  = "DIRDECK_STORE_TEST_SEED"
)

// crashOrgSize is the org a crash child writes: small enough for 24 rounds
// to stay fast, split into many transactions by the lowered batch sizes.
const crashOrgSize = 1500

func TestMain(m *testing.M) {
	switch os.Getenv(envChild) {
	case "":
		os.Exit(m.Run())
	case "hold", "hold-ro":
		os.Exit(childHold(os.Getenv(envChild) == "hold-ro"))
	case "crash-write":
		os.Exit(childCrashWrite())
	default:
		fmt.Fprintln(os.Stderr, "unknown child role")
		os.Exit(3)
	}
}

// childHold opens the cache and keeps it open until stdin closes.
func childHold(readOnly bool) int {
	s, err := Open(os.Getenv(envPath), Options{ReadOnly: readOnly})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// childCrashWrite writes a full generation, printing a line after every
// step so the parent can pick where to kill it.
func childCrashWrite() int {
	flushItems, scanBatch = 400, 300
	commitProgress = func(stage string) { fmt.Println(stage) }
	seed, _ := strconv.ParseUint(os.Getenv(envSeed), 10, 64)
	s, err := Open(os.Getenv(envPath), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// SIGKILL leaves the kernel's page cache to be written out; fsync only
	// matters for power loss, which this test does not simulate.
	s.db.NoSync = true
	w, err := s.BeginFull()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	o := genOrg(seed, crashOrgSize)
	step := func(err error) {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("step")
	}
	users := slices.Sorted(maps.Keys(o.users))
	for i := 0; i < len(users); i += 100 {
		var page []directory.User
		for _, id := range users[i:min(i+100, len(users))] {
			page = append(page, o.users[id])
		}
		step(w.PutUsers(page))
	}
	step(w.PutGroups(slices.Collect(maps.Values(o.groups))))
	step(w.PutApps(slices.Collect(maps.Values(o.apps))))
	for _, g := range slices.Sorted(maps.Keys(o.members)) {
		step(w.PutMembers(g, o.members[g]))
	}
	for _, a := range slices.Sorted(maps.Keys(o.appUsers)) {
		step(w.PutAppUsers(a, o.appUsers[a]))
	}
	for _, a := range slices.Sorted(maps.Keys(o.appGroups)) {
		step(w.PutAppGroups(a, o.appGroups[a]))
	}
	w.SetCursor("users", "seed-"+strconv.FormatUint(seed, 10))
	fmt.Println("commit")
	if _, err := w.Commit(directory.SyncRun{Status: directory.RunOK}, []directory.Request{{Method: "GET", Path: "/api/v1/users"}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("committed")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// child starts the test binary in a child role.
func child(t *testing.T, role, path string, extraEnv ...string) (*exec.Cmd, *bufio.Reader, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{envChild + "=" + role, envPath + "=" + path}, extraEnv...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewReader(stdout), stdin
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	l, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("child output: %v", err)
	}
	return strings.TrimSpace(l)
}

func TestLockedBySecondProcess(t *testing.T) {
	path := tempCache(t)
	s := openT(t, path)
	fullSync(t, s, genOrg(12, 20))
	s.Close()

	cmd, out, in := child(t, "hold", path)
	if l := readLine(t, out); l != "ready" {
		t.Fatalf("child said %q", l)
	}
	start := time.Now()
	_, err := Open(path, Options{})
	elapsed := time.Since(start)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Open while locked = %v, want ErrLocked", err)
	}
	if want := fmt.Sprintf("in use by pid %d", cmd.Process.Pid); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	// bbolt polls the lock every 50 ms until the deadline passes.
	if elapsed < DefaultTimeout-100*time.Millisecond || elapsed > DefaultTimeout+time.Second {
		t.Errorf("Open gave up after %v, want about %v", elapsed, DefaultTimeout)
	}
	if _, err := Open(path, Options{ReadOnly: true, Timeout: 100 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Errorf("read-only Open while a writer holds the file = %v, want ErrLocked", err)
	}
	if _, err := Rebuild(path); !errors.Is(err, ErrLocked) {
		t.Errorf("Rebuild while locked = %v, want ErrLocked", err)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	s = openT(t, path)
	wantState(t, s, genOrg(12, 20))
	s.Close()

	// Read-only processes share the file, and keep writers out.
	cmd, out, in = child(t, "hold-ro", path)
	if l := readLine(t, out); l != "ready" {
		t.Fatalf("child said %q", l)
	}
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatalf("OpenReadOnly beside another reader: %v", err)
	}
	wantState(t, ro, genOrg(12, 20))
	if _, err := ro.BeginFull(); !errors.Is(err, ErrReadOnly) {
		t.Errorf("BeginFull on a read-only store = %v", err)
	}
	ro.Close()
	if _, err := Open(path, Options{Timeout: 100 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Errorf("Open for writing beside a reader = %v, want ErrLocked", err)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
}

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns 24 writer processes")
	}
	path := tempCache(t)
	s := openT(t, path)
	fullSync(t, s, genOrg(100, crashOrgSize/2))
	cur := readState(t, s)
	s.Close()

	// The child's steps: user pages, groups, apps, member pages, app
	// user pages, app group pages, then "commit".
	o := genOrg(101, crashOrgSize)
	steps := (crashOrgSize+99)/100 + 2 + len(o.members) + len(o.appUsers) + len(o.appGroups)
	// Commit's transactions (scanBatch 300): the archive and cursor
	// carry-over, the index merges, then the walk over users, groups, apps
	// and edges — about 256 for these orgs; the margin lets some kills
	// land after the flip (while the old generation is deleted).
	commitBatches := 290
	rng := rand.New(rand.NewPCG(2026, 11))
	targets := map[uint64]state{}
	const rounds = 24
	var landed [2]int // killed before / after the flip
	for round := range rounds {
		seed := uint64(101 + round%3)
		want, ok := targets[seed]
		if !ok {
			// What a complete write of this seed looks like, computed on a
			// scratch file.
			scratch := openT(t, tempCache(t))
			fullSync(t, scratch, genOrg(seed, crashOrgSize))
			want = readState(t, scratch)
			scratch.Close()
			targets[seed] = want
		}
		// Kill after a random line: a write step, or (every other round)
		// a transaction of the commit (carry-over, change log, flip).
		killAt := rng.IntN(steps)
		if round%2 == 1 {
			killAt = steps + 1 + rng.IntN(commitBatches)
		}
		cmd, out, _ := child(t, "crash-write", path, envSeed+"="+strconv.FormatUint(seed, 10))
		for n := 0; n <= killAt; n++ {
			if l := readLine(t, out); l == "flipped" || l == "committed" {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		s := openT(t, path)
		got := readState(t, s)
		switch {
		case got == cur:
			landed[0]++
		case got.counts == want.counts && got.digest == want.digest && got.cursor == "seed-"+strconv.FormatUint(seed, 10):
			landed[1]++
		default:
			t.Fatalf("round %d (kill after step %d): state %+v is neither the previous %+v nor the new %+v", round, killAt, got, cur, want)
		}
		if err := s.Verify(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		cur = got
		s.Close()
	}
	t.Logf("kills before the flip: %d, after: %d", landed[0], landed[1])
	if landed[0] == 0 {
		t.Error("no kill landed before the commit; the test did not exercise recovery")
	}

	s = openT(t, path)
	final := genOrg(200, 300)
	fullSync(t, s, final)
	wantState(t, s, final)
	if _, err := os.Stat(spoolDir(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a killed writer's spool outlived the next full write: %v", err)
	}
	if gens, orphans := bucketCounts(t, s); gens != 1 || orphans != 0 {
		t.Errorf("after recovery: %d generations, %d orphan change logs", gens, orphans)
	}
}
