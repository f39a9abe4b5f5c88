//go:build linux

package store

import (
	"go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// releaseMapped drops the cache file's pages from this process's resident
// set. bbolt reads the file through a read-only shared memory map, and
// every page a full sync's commit walks (the previous generation, the
// index merge, the digest) stays counted in the process's RSS until the
// kernel needs the memory: at a million users that was 557 MiB of file
// pages on top of 207 MiB of heap. The pages stay in the page cache, so a
// later read faults them back in cheaply; the data cannot change, because
// bbolt writes with pwrite, never through the map.
//
// It must run inside a transaction: a transaction holds bbolt's mmap lock,
// so the map cannot be moved while madvise runs (advising memory that had
// been unmapped and reused by the Go heap would zero it).
func releaseMapped(tx *bbolt.Tx) {
	info := tx.DB().Info()
	if info == nil || info.Data == 0 || tx.Size() <= 0 {
		return
	}
	// The address comes from bbolt as a uintptr and goes to the kernel as
	// one; Go never dereferences it here.
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, info.Data, uintptr(tx.Size()), unix.MADV_DONTNEED)
}
