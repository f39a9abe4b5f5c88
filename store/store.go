package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Errors callers tell apart with errors.Is. Their texts say what to do
// because the CLI shows them as they are.
var (
	// ErrLocked: another process has the cache open (bbolt's file lock).
	ErrLocked = errors.New("cache is locked by another process; close the other dirdeck or wait for its sync to finish")
	// ErrCorrupt: the file is not a readable dirdeck cache.
	ErrCorrupt = errors.New("cache file is corrupt or not a dirdeck cache; run `dirdeck sync --rebuild` to move it aside and resync")
	// ErrNewerSchema: the file was written by a newer dirdeck.
	ErrNewerSchema = errors.New("cache was written by a newer dirdeck; upgrade dirdeck or run `dirdeck sync --rebuild`")
	// ErrReadOnly: a write was attempted on a store opened read-only.
	ErrReadOnly = errors.New("cache is open read-only")
	// ErrBusy: a FullWriter or Delta is already open on this Store; finish
	// it (Commit or Abort) first. One writer at a time keeps change logs
	// and generations linear.
	ErrBusy = errors.New("another cache write is in progress")
	// ErrNoGeneration: an incremental sync needs a generation to apply to.
	ErrNoGeneration = errors.New("cache holds no synced data yet; run a full sync first")
	// ErrInvalidID: an id is empty, too long or contains control characters.
	// Ids are parts of composite keys and digest lines, so they must not.
	ErrInvalidID = errors.New("invalid object id")
	// ErrDone: the FullWriter or Delta was already committed or aborted.
	ErrDone = errors.New("cache writer already committed or aborted")
)

// DefaultTimeout is how long Open waits for another process's lock.
const DefaultTimeout = 2 * time.Second

// checkLimit is the file size up to which Open runs bbolt's full
// consistency check (about 2.5 ms per MiB: 40 ms here, 0.9 s for scenario
// L); above it Open relies on the meta checksums, the truncation check and
// panic recovery, and Verify does the full check on demand.
// A variable so that tests can exercise the path without the check.
var checkLimit int64 = 16 << 20

// Options configure Open.
type Options struct {
	// ReadOnly opens with a shared lock: several read-only processes may
	// share the file, but not while a writer holds it (and a writer waits
	// for them). Writes fail with ErrReadOnly.
	ReadOnly bool
	// Timeout bounds the wait for another process's lock (default 2s).
	Timeout time.Duration
}

// Store is an open cache file. It is safe for concurrent use; at most one
// FullWriter or Delta is open at a time.
type Store struct {
	db *bbolt.DB
	// ledger is the plan ledger file (ledger.go), nil until it exists;
	// ledgerMu guards its lazy creation, with ledgerOpts.
	ledger     *bbolt.DB
	ledgerMu   gosync.Mutex
	ledgerOpts Options
	path       string
	readOnly   bool
	pidFile    string
	writing    atomic.Bool

	digestMu gosync.Mutex
	digests  map[genRev]string
}

type genRev struct{ gen, rev uint64 }

// Open opens (creating if needed, unless read-only) the cache file at path.
func Open(path string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create cache directory: %w", err)
		}
	}
	info, statErr := os.Stat(path)
	switch {
	case statErr == nil && info.IsDir():
		return nil, fmt.Errorf("open cache %s: is a directory", path)
	case errors.Is(statErr, fs.ErrNotExist) && opts.ReadOnly:
		return nil, fmt.Errorf("open cache %s: no cache yet, run `dirdeck sync` first: %w", path, statErr)
	}
	if statErr == nil && info.Size() > 0 {
		if err := checkPages(path); err != nil {
			return nil, fmt.Errorf("open cache %s: %w: %w", path, ErrCorrupt, err)
		}
	}
	db, err := openBolt(path, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, readOnly: opts.ReadOnly, digests: map[genRev]string{}}
	if err := s.prepare(); err != nil {
		db.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		if info != nil && info.Mode().Perm() != 0o600 {
			if err := os.Chmod(path, 0o600); err != nil {
				db.Close()
				return nil, fmt.Errorf("restrict cache file mode: %w", err)
			}
		}
		s.pidFile = path + ".pid"
		if err := os.WriteFile(s.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
			db.Close()
			return nil, fmt.Errorf("write cache pid file: %w", err)
		}
	}
	if err := s.openLedger(opts); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// OpenReadOnly opens an existing cache with a shared lock, for processes
// that only read (dirdeck status/export while no writer has the file).
func OpenReadOnly(path string) (*Store, error) {
	return Open(path, Options{ReadOnly: true})
}

// openBolt opens the bbolt file, turning lock timeouts into ErrLocked and
// format errors (or panics) into ErrCorrupt.
func openBolt(path string, opts Options) (db *bbolt.DB, err error) {
	defer func() {
		if v := recover(); v != nil {
			db, err = nil, fmt.Errorf("open cache %s: %w: bbolt panicked: %v", path, ErrCorrupt, v)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	db, err = bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:      opts.Timeout,
		ReadOnly:     opts.ReadOnly,
		FreelistType: bbolt.FreelistMapType,
		// A writer must wait for every open read transaction whenever it
		// has to remap a growing file; mapping 1 GiB of address space up
		// front makes that rare, so a TUI holding a View does not stall a
		// sync. Windows would grow the file itself to this size.
		InitialMmapSize: initialMmapSize(),
	})
	if err == nil {
		db.AllocSize = growStep
		return db, nil
	}
	var pathErr *fs.PathError
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, lockedError(path)
	case errors.As(err, &pathErr):
		return nil, fmt.Errorf("open cache %s: %w", path, err)
	default:
		return nil, fmt.Errorf("open cache %s: %w: %w", path, ErrCorrupt, err)
	}
}

// growStep is how far bbolt grows the file beyond what a commit needs.
// Its default, 16 MiB, applies as soon as the mapping is larger than that
// (from the start, with initialMmapSize), so every cache carried up to
// 16 MiB of unused tail, half a 10k-user cache. Growing costs a truncate
// and an fsync per commit that grows; a full sync's commits grow the file
// by their batch (megabytes) anyway, and incremental ones rarely grow it.
const growStep = 1 << 20

func initialMmapSize() int {
	if runtime.GOOS == "windows" || strconv.IntSize < 64 {
		return 0
	}
	return 1 << 30
}

// checkPages compares the file size with the page count bbolt's newest
// valid meta page records, and checks the header of the freelist page it
// names. bbolt itself would map the short file and fault on the first
// missing page, or panic on a damaged freelist, while loading its
// freelist inside Open, where a recovered panic would leak the locked
// file handle.
//
// The size is taken after reading the meta page: a writer in another
// process grows the file before it commits a meta page that needs the
// room, so this order never mistakes a growing file for a truncated one.
func checkPages(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// Page header: id (8), flags (2), count (2), overflow (4); then the
	// meta: magic, version, pageSize, flags (4 each), root bucket (16),
	// freelist, pgid, txid, checksum (8 each).
	const hdrLen, metaLen = 16, 64
	e := binary.NativeEndian
	type meta struct {
		pageSize       uint32
		freelist, pgid uint64
		txid           uint64
		ok             bool
	}
	read := func(off int64) (m meta) {
		b := make([]byte, hdrLen+metaLen)
		if _, err := f.ReadAt(b, off); err != nil {
			return m
		}
		mb := b[hdrLen:]
		h := fnv.New64a()
		h.Write(mb[:56])
		if e.Uint32(mb[0:]) != 0xED0CDAED || e.Uint64(mb[56:]) != h.Sum64() {
			return m
		}
		return meta{e.Uint32(mb[8:]), e.Uint64(mb[32:]), e.Uint64(mb[40:]), e.Uint64(mb[48:]), true}
	}
	m0 := read(0)
	ps := m0.pageSize
	if !m0.ok {
		ps = uint32(os.Getpagesize())
	}
	m := m0
	if m1 := read(int64(ps)); m1.ok && (!m0.ok || m1.txid > m0.txid) {
		m = m1
	}
	if !m.ok {
		return nil // bbolt reports the invalid meta pages itself
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if need := int64(m.pgid) * int64(m.pageSize); fi.Size() < need {
		return fmt.Errorf("file is %d bytes, its pages need %d (truncated)", fi.Size(), need)
	}
	const noFreelist, freelistFlag = ^uint64(0), 0x10
	if m.freelist == noFreelist {
		return nil
	}
	if m.freelist < 2 || m.freelist >= m.pgid {
		return fmt.Errorf("freelist page %d outside the file's %d pages", m.freelist, m.pgid)
	}
	hdr := make([]byte, hdrLen+8)
	if _, err := f.ReadAt(hdr, int64(m.freelist)*int64(m.pageSize)); err != nil {
		return fmt.Errorf("read freelist page: %w", err)
	}
	flags, count, overflow := e.Uint16(hdr[8:]), uint64(e.Uint16(hdr[10:])), uint64(e.Uint32(hdr[12:]))
	if e.Uint64(hdr[0:]) != m.freelist || flags != freelistFlag || m.freelist+overflow >= m.pgid {
		return fmt.Errorf("freelist page %d is damaged", m.freelist)
	}
	if count == 0xFFFF { // the real count is the first element
		count = e.Uint64(hdr[16:]) + 1
	}
	if count > ((overflow+1)*uint64(m.pageSize)-hdrLen)/8 {
		return fmt.Errorf("freelist page %d lists more ids than it holds", m.freelist)
	}
	return nil
}

// lockedError names the process holding the lock when the pid file tells
// a live one.
func lockedError(path string) error {
	if pid := HolderPID(path); pid > 0 {
		return fmt.Errorf("cache %s is in use by pid %d: %w", path, pid, ErrLocked)
	}
	// No live writer pid: the holder is a read-only process (they share
	// the lock and write no pid file) or a writer that just started.
	return fmt.Errorf("cache %s is in use by another process: %w", path, ErrLocked)
}

// HolderPID is the live process that has the cache at path open for
// writing, from its pid file, or 0 when none is known.
func HolderPID(path string) int {
	b, err := os.ReadFile(path + ".pid")
	if err != nil {
		return 0
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 && processAlive(pid) {
		return pid
	}
	return 0
}

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close closes the file and removes the pid file if it is still ours.
func (s *Store) Close() error {
	err := s.db.Close()
	if db := s.ledgerDB(); db != nil {
		err = errors.Join(err, db.Close())
	}
	if s.pidFile != "" {
		if b, rerr := os.ReadFile(s.pidFile); rerr == nil && strings.TrimSpace(string(b)) == strconv.Itoa(os.Getpid()) {
			os.Remove(s.pidFile)
		}
	}
	if err != nil {
		return fmt.Errorf("close cache %s: %w", s.path, err)
	}
	return nil
}

// Verify runs bbolt's full consistency check (reads every page; seconds on
// a large cache) and reports problems as ErrCorrupt.
func (s *Store) Verify() error {
	return s.view(func(tx *bbolt.Tx) error { return checkTx(tx) })
}

func checkTx(tx *bbolt.Tx) error {
	var errs []error
	for e := range tx.Check() {
		errs = append(errs, e)
		if len(errs) == 10 {
			break
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrCorrupt, errors.Join(errs...))
	}
	return nil
}

// Rebuild moves a bad cache file aside to "<path>.corrupt-<UTC time>" so
// the next sync starts from an empty cache, and returns the new name. It
// refuses (ErrLocked) while another process has the file open.
func Rebuild(path string) (string, error) {
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("rebuild cache: %w", err)
	}
	unlock, err := tryLockFile(path)
	if err != nil {
		return "", err
	}
	defer unlock()
	base := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405Z")
	dest := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(dest); errors.Is(err, fs.ErrNotExist) {
			break
		}
		dest = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(path, dest); err != nil {
		return "", fmt.Errorf("rebuild cache: move %s aside: %w", path, err)
	}
	os.Remove(path + ".pid")
	return dest, nil
}

// view runs fn in a read transaction, converting bbolt panics and memory
// faults on the mapped file into ErrCorrupt.
func (s *Store) view(fn func(*bbolt.Tx) error) (err error) {
	defer s.recoverCorrupt(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return s.db.View(fn)
}

// update is view's writing twin.
func (s *Store) update(fn func(*bbolt.Tx) error) (err error) {
	if s.readOnly {
		return fmt.Errorf("write cache %s: %w", s.path, ErrReadOnly)
	}
	defer s.recoverCorrupt(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return s.db.Update(fn)
}

// recoverCorrupt turns a panic raised inside bbolt (or a fault on its
// memory map) into ErrCorrupt. Panics from elsewhere (a caller's bug in a
// View callback) are re-raised: calling them corruption would send users
// to --rebuild for nothing.
func (s *Store) recoverCorrupt(err *error) {
	v := recover()
	if v == nil {
		return
	}
	stack := debug.Stack()
	if !corruptionPanic(v, stack) {
		panic(v)
	}
	*err = fmt.Errorf("read cache %s: %w: %v", s.path, ErrCorrupt, v)
}

func corruptionPanic(v any, stack []byte) bool {
	if re, ok := v.(interface{ Addr() uintptr }); ok && re != nil {
		return true // a fault with an address: the mapped file is shorter than bbolt thinks
	}
	// The frame right after the "panic(" frame is where the panic started.
	lines := strings.Split(string(stack), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") {
			for _, next := range lines[i+1:] {
				if next == "" || strings.HasPrefix(next, "\t") {
					continue
				}
				if strings.HasPrefix(next, "runtime.") {
					continue // runtime.panicIndex and friends
				}
				return strings.HasPrefix(next, "go.etcd.io/bbolt")
			}
		}
	}
	return false
}
