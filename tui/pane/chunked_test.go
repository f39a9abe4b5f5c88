package pane_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/internal/fixture"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/pane/panetest"
	"github.com/dirdeck/dirdeck/tui/table"
)

// readUsers reads every user, three per transaction.
func readUsers(view func(func(*store.Reader) error) error) ([]directory.User, int, error) {
	var users []directory.User
	var after string
	attempts := 0
	err := pane.ReadChunked(view, func() { users, after = nil, ""; attempts++ }, func(r *store.Reader) (bool, error) {
		n := 0
		for u := range r.UsersAfter(after) {
			users, after = append(users, u), u.ID
			if n++; n == 3 {
				return false, nil
			}
		}
		return true, nil
	})
	return users, attempts, err
}

func TestReadChunked(t *testing.T) {
	s, org := panetest.Fixture(t, fixture.Options{Users: 10, Seed: 1})
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

	// An incremental sync changes the same generation in place: the read
	// starts over too, and sees the renamed user.
	views = 0
	renamed := org.Users[6]
	renamed.Login = "renamed@example.com"
	deltaOnce := func(fn func(*store.Reader) error) error {
		err := s.View(fn)
		if views++; views == 1 {
			d, derr := s.BeginIncremental()
			if derr != nil {
				t.Fatal(derr)
			}
			d.PutUser(renamed)
			if _, derr := d.Commit(directory.SyncRun{Mode: "incremental", Status: directory.RunOK, Started: fixture.Now, Finished: fixture.Now.Add(time.Second)}, nil); derr != nil {
				t.Fatal(derr)
			}
		}
		return err
	}
	read, attempts, err := readUsers(deltaOnce)
	if err != nil || attempts != 2 || len(read) != 7 || read[6].Login != renamed.Login {
		t.Fatalf("incremental commit mid-read: %d users, %d attempts, err %v", len(read), attempts, err)
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

func TestReadUserRows(t *testing.T) {
	s, org := panetest.Fixture(t, fixture.Options{Users: 10, Seed: 1})
	// Four cached users and one that is not (a dangling reference).
	ids := []string{org.Users[3].ID, org.Users[0].ID, "00unosuchuser", org.Users[7].ID, org.Users[1].ID}
	for _, perView := range []int{1, 2, 100} {
		heads := 0
		head := func(*store.Reader) ([]string, error) { heads++; return ids, nil }
		rows, err := pane.ReadUserRows(s, perView, head, func(i int, u directory.User) table.Row {
			return table.Row{Key: u.ID, Cells: []string{u.Login, strconv.Itoa(i)}}
		})
		if err != nil {
			t.Fatalf("per %d: %v", perView, err)
		}
		if heads != 1 || len(rows) != len(ids) {
			t.Fatalf("per %d: %d heads, %d rows for %d ids", perView, heads, len(rows), len(ids))
		}
		for i, r := range rows {
			if r.Key != ids[i] || r.Cells[1] != strconv.Itoa(i) {
				t.Errorf("per %d: row %d = %v, want user %s at index %d", perView, i, r, ids[i], i)
			}
		}
		if got := rows[2].Cells[0]; got != "00unosuchuser" {
			t.Errorf("per %d: a dangling user's login = %q, want its id", perView, got)
		}
	}
	stop := errors.New("no such group")
	if _, err := pane.ReadUserRows(s, 1, func(*store.Reader) ([]string, error) { return nil, stop }, nil); !errors.Is(err, stop) {
		t.Errorf("head's error = %v, want %v", err, stop)
	}
}
