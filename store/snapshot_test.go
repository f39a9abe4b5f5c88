package store_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
)

// putUsers commits a generation of n users.
func putUsers(st *store.Store, n int, at time.Time) error {
	users := make([]directory.User, n)
	for i := range users {
		users[i] = directory.User{ID: fmt.Sprintf("00u%05d", i), Status: "ACTIVE", Login: fmt.Sprintf("u%d@example.com", i), LastUpdated: at}
	}
	w, err := st.BeginFull()
	if err != nil {
		return err
	}
	if err := w.PutUsers(users); err != nil {
		return err
	}
	_, err = w.Commit(directory.SyncRun{Mode: "full", Started: at, Finished: at, Status: directory.RunOK}, nil)
	return err
}

// TestSnapshotOfALockedCache: while one process holds the cache (and even
// while it commits), another can read a consistent copy.
func TestSnapshotOfALockedCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	holder, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if err := putUsers(holder, 500, at); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(path, store.Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}

	// The holder keeps committing new generations while snapshots are taken.
	done := make(chan error, 1)
	go func() {
		for i := 1; i <= 20; i++ {
			if err := putUsers(holder, 500+i*10, at.Add(time.Duration(i)*time.Minute)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := 0; i < 10; i++ {
		dir := t.TempDir()
		snap, closeSnap, err := store.OpenSnapshot(path, dir)
		if err != nil {
			t.Fatalf("snapshot %d: %v", i, err)
		}
		var users int
		if err := snap.View(func(r *store.Reader) error { users = r.Counts().Users; return nil }); err != nil {
			t.Fatal(err)
		}
		if users < 500 || (users-500)%10 != 0 {
			t.Fatalf("snapshot %d holds %d users: not a committed generation", i, users)
		}
		if err := closeSnap(); err != nil {
			t.Fatal(err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("snapshot left files behind: %v", entries)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("holder's commits: %v", err)
	}
}
