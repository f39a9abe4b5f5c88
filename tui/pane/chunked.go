package pane

import (
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/table"
)

// ErrKeptChanging is returned by ReadChunked when syncs committed new
// generations during every attempt; the next GenerationCommittedMsg
// triggers another load anyway.
var ErrKeptChanging = errors.New("the cache kept changing during the read; it will be reloaded")

// ChunkAttempts bounds ReadChunked's restarts.
const ChunkAttempts = 3

// ReadChunked reads the cache in several short View transactions instead
// of one long one: a read transaction held for seconds (a million users)
// stalls a sync whose commit must grow the file. step is called with a
// fresh Reader until it reports done, and must do a bounded amount of
// work per call, keeping its position in its own state. All calls must
// see the cache as one commit left it: if a sync commits in between,
// begin resets the caller's state and the read starts over. An
// incremental sync changes the current generation in place, so commits
// are told apart by generation and committed run. view is the store's
// View (s.View).
func ReadChunked(view func(func(*store.Reader) error) error, begin func(), step func(r *store.Reader) (done bool, err error)) error {
	type version struct{ gen, run uint64 }
	versionOf := func(r *store.Reader) version {
		run, _ := r.CommittedRun()
		return version{r.Generation(), run.ID}
	}
	for range ChunkAttempts {
		begin()
		var read version
		first, changed := true, false
		for {
			var done bool
			err := view(func(r *store.Reader) error {
				if first {
					read, first = versionOf(r), false
				} else if versionOf(r) != read {
					changed = true
					return nil
				}
				var err error
				done, err = step(r)
				return err
			})
			if err != nil {
				return err
			}
			if changed || done {
				break
			}
		}
		if !changed {
			return nil
		}
	}
	return fmt.Errorf("read cache: %w", ErrKeptChanging)
}

// ReadCounted reads the rows of a table of parents (groups, apps) whose
// rows show how many children each has: list yields the parents, and row
// builds a parent's row and says how many children it counted. It reads in
// short transactions (ReadChunked) of about perView counted children.
func ReadCounted[P, R any](s *store.Store, list func(*store.Reader) iter.Seq[P], perView int,
	row func(r *store.Reader, parent P) (R, int)) ([]R, error) {
	var (
		rows    []R
		parents []P
		listed  bool
	)
	begin := func() { rows, parents, listed = nil, nil, false }
	step := func(r *store.Reader) (bool, error) {
		if !listed {
			parents = slices.Collect(list(r))
			listed = true
			return len(parents) == 0, nil
		}
		for n := 0; len(rows) < len(parents) && n < perView; {
			built, children := row(r, parents[len(rows)])
			n += children + 1
			rows = append(rows, built)
		}
		return len(rows) == len(parents), nil
	}
	if err := ReadChunked(s.View, begin, step); err != nil {
		return nil, err
	}
	return rows, nil
}

// ReadUserRows reads the rows of a detail's list of users (a group's
// members, an app's assigned users) in short transactions (ReadChunked)
// of perView users. head runs in the first transaction of every attempt:
// it reads, from scratch, what the detail shows besides, and returns the
// ids of the users to list; row builds the row of the i-th of them. A
// user no longer cached comes with its id as its login, so a dangling
// reference still shows.
func ReadUserRows(s *store.Store, perView int, head func(*store.Reader) ([]string, error),
	row func(i int, u directory.User) table.Row) ([]table.Row, error) {
	var (
		ids    []string
		rows   []table.Row
		headed bool
	)
	begin := func() { ids, rows, headed = nil, nil, false }
	step := func(r *store.Reader) (bool, error) {
		if !headed {
			var err error
			if ids, err = head(r); err != nil {
				return false, err
			}
			headed = true
			rows = make([]table.Row, 0, len(ids))
		}
		for _, uid := range ids[len(rows):min(len(rows)+perView, len(ids))] {
			u, ok := r.User(uid)
			if !ok {
				u = directory.User{ID: uid, Login: uid}
			}
			rows = append(rows, row(len(rows), u))
		}
		return len(rows) == len(ids), nil
	}
	if err := ReadChunked(s.View, begin, step); err != nil {
		return nil, err
	}
	return rows, nil
}
