// Package userindex is the users table that the Users pane lists and the
// Groups pane's member picker picks from: every cached user as a table
// row (see tui/userrows), kept in files beside the cache and mapped
// read-only, so that a million users cost the dashboard neither heap nor
// decoding, however many panes show them.
package userindex

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/internal/columns"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/table"
	"github.com/dirdeck/dirdeck/tui/userrows"
)

// The users table of a million users is kept in a file beside the cache
// (IndexPath), written once per commit by whoever reads it first after
// the commit — `dirdeck sync` right after it syncs — and mapped read-only
// by every dashboard that starts on that commit: the rows cost neither
// heap nor decoding, only the pages the filter touches, which the kernel
// shares and can drop. It is a file of its own rather than a bbolt value
// because a bbolt value is valid only inside its read transaction, and a
// transaction held for the whole session would stop a sync in this
// process from remapping the growing cache. The file is replaced whole
// (renamed over), so a dashboard mapping the previous one keeps reading it
// until it reloads.

// indexLayout is where each part of a users row lies in the file. The
// rows are in table.HayOrder: by name, then login, as the dashboard
// lists them.
var indexLayout = table.Layout{
	Key: 0, Hay: 1,
	Cells:   []int{2, 3, 4, 5, 6, 7},
	Sorts:   []int{-1, -1, -1, -1, -1, 8}, // only LAST LOGIN has sort keys
	Fields:  []int{9, 10, 11, 12, 13, 14, 15},
	HayTail: userrows.HayTail,
}

// indexFormat names how userrows.Build lays a row out, in which order
// the rows are, and what the pair and dictionary files hold: change it
// whenever Build, Columns or Fields there, the order, or
// table.PairBuilder or table.DictBuilder change, so that files written
// by an older dirdeck are rebuilt instead of shown (a layout that does
// not fit is rebuilt too, but only after it was read in vain).
const indexFormat = "users-v9"

// IndexPath is the users table file of the cache s. Its pair index
// (see table.PairBuilder) is in pairsPath, its field dictionaries (see
// table.DictBuilder) in dictsPath.
func IndexPath(s *store.Store) string { return s.Path() + ".users" }

func pairsPath(s *store.Store) string { return IndexPath(s) + ".pairs" }

func dictsPath(s *store.Store) string { return IndexPath(s) + ".fields" }

// errStale: the file holds another commit's users (or none).
var errStale = errors.New("the users index is not the cache's current one")

// indexTag identifies what the index of r's commit holds: the row
// format, the generation and the committed run (incremental syncs change
// a generation in place, and every commit records a run; the run's start
// tells a cache that was rebuilt and counts its runs from 1 again apart).
func indexTag(r *store.Reader) string {
	run, _ := r.CommittedRun()
	return fmt.Sprintf("%s gen %d run %d started %d users %d", indexFormat, r.Generation(), run.ID, run.Started.UnixNano(), r.Counts().Users)
}

// currentTag is the tag of the cache's current commit.
func currentTag(s *store.Store) (string, error) {
	var tag string
	err := s.View(func(r *store.Reader) error { tag = indexTag(r); return nil })
	return tag, err
}

// openIndex maps the index files if they hold the commit tagged tag.
func openIndex(s *store.Store, tag string) (*table.Rows, error) {
	var files [3]*columns.File
	for k, path := range []string{IndexPath(s), pairsPath(s), dictsPath(s)} {
		f, err := columns.Open(path)
		if err != nil {
			return nil, err
		}
		if f.Tag() != tag {
			return nil, errStale
		}
		files[k] = f
	}
	return table.MappedRows(files[0], indexLayout, files[1], files[2])
}

// WriteIndex writes the users table file of the cache's current commit
// unless it is there already. It streams: users are read in batches (as
// LoadIndex reads them) and each row goes to the file's spools, so memory
// stays flat whatever the directory's size. `dirdeck sync` calls it after
// a sync, so that the next dashboard starts on a ready index.
func WriteIndex(s *store.Store) error {
	tag, err := currentTag(s)
	if err != nil {
		return fmt.Errorf("users index: %w", err)
	}
	if _, err := openIndex(s, tag); err == nil {
		return nil
	}
	_, err = writeIndex(s)
	return err
}

// writeIndex writes the users table files and returns the tag of the
// commit they hold. The rows are spooled in id order as they are read,
// then written in the table's order (see writeSorted).
func writeIndex(s *store.Store) (string, error) {
	var (
		spool *columns.Writer
		tag   string
	)
	dir := filepath.Dir(IndexPath(s))
	columns.RemoveStale(dir, time.Hour) // spools of a writer killed mid-write
	err := readRows(s, usersPerView, func(r *store.Reader, _ int) error {
		if spool != nil {
			spool.Abort()
		}
		tag = indexTag(r)
		var err error
		spool, err = columns.NewWriter(dir, indexLayout.Columns())
		return err
	}, func(batch []table.Row) error {
		for _, row := range batch {
			if err := spool.Add(indexLayout.Values(row)...); err != nil {
				return err
			}
		}
		return nil
	})
	var byID *columns.File
	if err == nil {
		byID, err = spool.FinishTemp(tag)
	} else if spool != nil {
		spool.Abort()
	}
	if err == nil {
		err = writeSorted(s, byID, tag)
	}
	if err != nil {
		return "", fmt.Errorf("users index: %w", err)
	}
	return tag, nil
}

// writeSorted writes the users table files of commit tag from its rows
// in id order (byID): the rows in table.HayOrder, by name then login, as
// the dashboard lists them, with their pair index and dictionaries. The
// pair index and the dictionaries are written first: a reader takes the
// table file's tag as the commit's, and checks the others' against it.
func writeSorted(s *store.Store, byID *columns.File, tag string) error {
	dir := filepath.Dir(IndexPath(s))
	var writers [3]*columns.Writer // table, pairs, dictionaries
	defer func() {
		for _, w := range writers {
			if w != nil {
				w.Abort()
			}
		}
	}()
	for k := range writers {
		ncols := 1
		if k == 0 {
			ncols = indexLayout.Columns()
		}
		w, err := columns.NewWriter(dir, ncols)
		if err != nil {
			return err
		}
		writers[k] = w
	}
	w, pw, dw := writers[0], writers[1], writers[2]
	cols := byID.Columns()
	hay := cols[indexLayout.Hay]
	order := table.HayOrder(byID.Rows(), hay.At)
	// The pair index is built beside the table, on another CPU: both read
	// the rows in the same order from the mapping, and share nothing else.
	pairsDone := make(chan error, 1)
	go func() {
		pb := table.NewPairBuilder(func(block string) error { return pw.Add(block) })
		for _, i := range order {
			if err := pb.Add(hay.At(int(i))); err != nil {
				pairsDone <- err
				return
			}
		}
		err := pb.Finish()
		if err == nil {
			err = pw.Finish(pairsPath(s), tag)
		}
		pairsDone <- err
	}()
	var db table.DictBuilder
	values := make([]string, len(cols))
	var err error
	for _, i := range order {
		for k := range cols {
			values[k] = cols[k].At(int(i))
		}
		if err = w.Add(values...); err != nil {
			break
		}
		db.Add(indexLayout.Row(values).Fields)
	}
	if perr := <-pairsDone; err == nil {
		err = perr
	}
	runtime.KeepAlive(byID) // its mapping holds the values read above
	if err == nil {
		err = db.Finish(func(v string) error { return dw.Add(v) })
	}
	if err == nil {
		err = dw.Finish(dictsPath(s), tag)
	}
	if err == nil {
		err = w.Finish(IndexPath(s), tag)
	}
	return err
}

// LoadIndex returns the users table of the cache's current commit: the
// index file mapped, written first when missing or stale. Where it cannot
// be written or read (a read-only directory, a file that another process
// replaced meanwhile), the table is built in memory instead, as before
// there was a file.
func LoadIndex(s *store.Store) (*table.Rows, error) {
	tag, err := currentTag(s)
	if err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	if rows, err := openIndex(s, tag); err == nil {
		return rows, nil
	}
	if tag, err = writeIndex(s); err == nil {
		if rows, err := openIndex(s, tag); err == nil {
			return rows, nil
		}
	}
	return loadIndex(s, usersPerView)
}

// FirstRows returns the first n rows of the users table, as LoadIndex
// will have them, and the number of users: fast at any size, for the
// dashboard's first frame. They come from the current index file,
// glanced at without its checksum (columns.Peek: LoadIndex checks the
// whole file a moment later, and its rows replace these); where there is
// none yet, or files are not mapped (columns.ErrNoGlance), from the first
// n users by id, sorted as the table is (a preview until the table
// arrives).
func FirstRows(s *store.Store, n int) (rows []table.Row, total int, err error) {
	var tag string
	err = s.View(func(r *store.Reader) error {
		tag, total = indexTag(r), r.Counts().Users
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("load users: %w", err)
	}
	if f, err := columns.Peek(IndexPath(s), n); err == nil && f.Tag() == tag && len(f.Columns()) == indexLayout.Columns() {
		cols := f.Columns()
		values := make([]string, len(cols))
		rows = make([]table.Row, f.Rows())
		for i := range rows {
			for k := range cols {
				// The file may have been edited: clean what is kept.
				values[k] = textsafe.Clean(strings.Clone(cols[k].At(i)))
			}
			rows[i] = indexLayout.Row(values)
		}
		runtime.KeepAlive(f) // its mapping holds the values cloned above
		return rows, total, nil
	}
	err = s.View(func(r *store.Reader) error {
		rows = make([]table.Row, 0, min(n, total))
		in := userrows.Interner{}
		for u := range r.Users() {
			rows = append(rows, userrows.Build(u, "", in))
			if len(rows) == n {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("load users: %w", err)
	}
	byHay := make([]table.Row, len(rows))
	for k, i := range table.HayOrder(len(rows), func(i int) string { return rows[i].Hay }) {
		byHay[k] = rows[i]
	}
	return byHay, total, nil
}
