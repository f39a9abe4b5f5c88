package pane_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/internal/fixture"
	"github.com/dirdeck/dirdeck/tui/pane"
)

// readUsers reads every user id, three per transaction.
func readUsers(view func(func(*store.Reader) error) error) ([]string, int, error) {
	var ids []string
	var after string
	attempts := 0
	err := pane.ReadChunked(view, func() { ids, after = nil, ""; attempts++ }, func(r *store.Reader) (bool, error) {
		n := 0
		for u := range r.UsersAfter(after) {
			ids, after = append(ids, u.ID), u.ID
			if n++; n == 3 {
				return false, nil
			}
		}
		return true, nil
	})
	return ids, attempts, err
}

func TestReadChunked(t *testing.T) {
	s, org, err := fixture.Build(t.TempDir(), fixture.Options{Users: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids, attempts, err := readUsers(s.View)
	if err != nil || len(ids) != 10 || attempts != 1 {
		t.Fatalf("quiet cache: %d ids, %d attempts, err %v", len(ids), attempts, err)
	}

	// A sync commits after the first transaction: the read starts over and
	// returns the new generation only.
	views := 0
	commitOnce := func(fn func(*store.Reader) error) error {
		err := s.View(fn)
		if views++; views == 1 {
			org.Users = org.Users[:7]
			run := directory.SyncRun{Mode: "full", Status: directory.RunOK, Started: fixture.Now, Finished: fixture.Now.Add(time.Second)}
			if _, werr := fixture.Write(s, org, run); werr != nil {
				t.Fatal(werr)
			}
		}
		return err
	}
	ids, attempts, err = readUsers(commitOnce)
	if err != nil || len(ids) != 7 || attempts != 2 {
		t.Fatalf("changing cache: %d ids, %d attempts, err %v", len(ids), attempts, err)
	}

	// A cache that changes during every attempt gives up with a clear error.
	always := func(fn func(*store.Reader) error) error {
		err := s.View(fn)
		run := directory.SyncRun{Mode: "full", Status: directory.RunOK, Started: fixture.Now, Finished: fixture.Now.Add(time.Second)}
		if _, werr := fixture.Write(s, org, run); werr != nil {
			t.Fatal(werr)
		}
		return err
	}
	if _, _, err := readUsers(always); !errors.Is(err, pane.ErrKeptChanging) {
		t.Fatalf("err = %v, want ErrKeptChanging", err)
	}
}
