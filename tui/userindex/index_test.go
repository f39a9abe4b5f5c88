package userindex

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/columns"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/internal/fixture"
	"github.com/dirdeck/dirdeck/tui/pane/panetest"
	"github.com/dirdeck/dirdeck/tui/table"
	"github.com/dirdeck/dirdeck/tui/userrows"
)

// sameRows fails unless a and b hold the same rows and filter alike.
func sameRows(t *testing.T, what string, a, b *table.Rows) {
	t.Helper()
	if a.Len() != b.Len() {
		t.Fatalf("%s: %d rows, want %d", what, a.Len(), b.Len())
	}
	for i := range a.Len() {
		if x, y := a.Row(i), b.Row(i); x.Key != y.Key || !slices.Equal(x.Cells, y.Cells) || !slices.Equal(x.SortKeys, y.SortKeys) {
			t.Fatalf("%s: row %d = %+v, want %+v", what, i, x, y)
		}
	}
	for _, q := range []string{"al", "mallory", "group:everyone", "status:suspended", "dept:script", "title:screen", "email:example",
		"dept:", "dept:s", "status:=active", "title:eng", "title:eng dept:s al", "group:=everyone status:a"} {
		if x, y := table.Filter(a, nil, table.ParseQuery(q, userrows.Fields)), table.Filter(b, nil, table.ParseQuery(q, userrows.Fields)); !slices.Equal(x, y) {
			t.Fatalf("%s: %q selects %v, want %v", what, q, x, y)
		}
	}
}

// TestIndexFileFollowsTheCache: the users table is read from its file,
// which holds exactly the rows built in memory (hostile values cleaned);
// the file is written once per commit, rewritten after an incremental
// sync or when damaged, and a table that cannot be written falls back to
// memory.
func TestIndexFileFollowsTheCache(t *testing.T) {
	s, org := panetest.Fixture(t, fixture.Options{Users: 150, Seed: 3, Hostile: true})
	heap, err := loadIndex(s, usersPerView)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(IndexPath(s)); err == nil {
		t.Fatal("an index file before anyone asked for one")
	}
	rows, err := LoadIndex(s)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "first load", rows, heap)
	f, err := columns.Open(IndexPath(s))
	if err != nil {
		t.Fatalf("no index file after the load: %v", err)
	}
	written := f.Tag()
	for i := range rows.Len() {
		for k := range len(userrows.Columns()) {
			if c := rows.Cell(i, k); strings.ContainsAny(c, "\x1b\x07\u202e") {
				t.Fatalf("row %d cell %d holds a raw control: %q", i, k, c)
			}
		}
	}

	// A pair file of the right commit but another layout (an older
	// dirdeck's) is rewritten by WriteIndex, not left for the dashboard.
	pw, err := columns.NewWriter(filepath.Dir(pairsPath(s)), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.Add("not a block"); err != nil {
		t.Fatal(err)
	}
	if err := pw.Finish(pairsPath(s), written); err != nil {
		t.Fatal(err)
	}
	if err := WriteIndex(s); err != nil {
		t.Fatal(err)
	}
	if _, err := openIndex(s, written); err != nil {
		t.Fatalf("WriteIndex left a pair file that does not fit: %v", err)
	}

	// A second start maps the same file: WriteIndex (what `dirdeck sync`
	// calls) leaves it alone.
	before, _ := os.Stat(IndexPath(s))
	if err := WriteIndex(s); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.Stat(IndexPath(s)); !os.SameFile(before, again) {
		t.Fatal("WriteIndex rewrote an index that was current")
	}

	// An incremental sync changes a user in place: the file is stale and
	// rewritten, and the new login shows.
	u := org.Users[10]
	u.Login = "renamed.after.sync@example.com"
	commitUser(t, s, u)
	rows, err = LoadIndex(s)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := columns.Open(IndexPath(s)); err != nil || f.Tag() == written {
		t.Fatalf("after an incremental sync the file still holds %q (%v)", written, err)
	}
	heap, err = loadIndex(s, usersPerView)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "after an incremental sync", rows, heap)
	if got := table.Filter(rows, nil, table.ParseQuery("login:renamed.after.sync", userrows.Fields)); len(got) != 1 || rows.Key(int(got[0])) != u.ID {
		t.Fatalf("the renamed login selects %v", got)
	}

	// A damaged file is detected and rewritten, never shown.
	for _, path := range []string{IndexPath(s), pairsPath(s), dictsPath(s)} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0x20
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		rows, err = LoadIndex(s)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, "after damage to "+filepath.Base(path), rows, heap)
		if _, err := columns.Open(path); err != nil {
			t.Fatalf("the damaged %s was not replaced: %v", path, err)
		}
	}

	// Where no file can be written (here a directory in its place), the
	// table is built in memory.
	if err := os.Remove(IndexPath(s)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(IndexPath(s), 0o700); err != nil {
		t.Fatal(err)
	}
	rows, err = LoadIndex(s)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "without a file", rows, heap)
}

// TestIndexOfAnotherCache: a file left by another cache at the same path
// (moved aside and synced again, so its generations and runs count from 1
// again) is not taken for this one's.
func TestIndexOfAnotherCache(t *testing.T) {
	s, _ := panetest.Fixture(t, fixture.Options{Users: 40, Seed: 1})
	// The other cache: the same generation and run numbers and as many
	// users, synced a minute later.
	other, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	run := directory.SyncRun{Mode: "full", Status: directory.RunOK, Started: fixture.Now.Add(time.Minute), Finished: fixture.Now.Add(2 * time.Minute)}
	if _, err := fixture.Write(other, fixture.Generate(fixture.Options{Users: 40, Seed: 2}), run); err != nil {
		t.Fatal(err)
	}
	if err := WriteIndex(other); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(IndexPath(other))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(IndexPath(s), b, 0o600); err != nil {
		t.Fatal(err)
	}
	rows, err := LoadIndex(s)
	if err != nil {
		t.Fatal(err)
	}
	heap, err := loadIndex(s, usersPerView)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "another cache's file in place", rows, heap)
}

// dictHeader is the header of the dictionaries file of s (see
// table.DictBuilder): the rows, then each dictionary's field and size.
func dictHeader(t *testing.T, s *store.Store) []uint64 {
	t.Helper()
	f, err := columns.Open(dictsPath(s))
	if err != nil {
		t.Fatal(err)
	}
	v := f.Columns()[0].At(0)
	head := make([]uint64, len(v)/8)
	for k := range head {
		head[k] = binary.LittleEndian.Uint64([]byte(v[8*k:]))
	}
	return head
}

// TestIndexDictionaries: the index files hold dictionaries of the fields
// with few values (title, department, status), which filter as the
// table built in memory; a dictionaries file edited to give a row an id
// without a value, or truncated, or left by another commit, is rewritten
// before the index is shown.
func TestIndexDictionaries(t *testing.T) {
	s, _ := panetest.Fixture(t, fixture.Options{Users: 400, Seed: 7})
	heap, err := loadIndex(s, usersPerView)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := LoadIndex(s)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "with dictionaries", rows, heap)
	head := dictHeader(t, s)
	var dicts []int
	for k := 2; k+1 < len(head); k += 2 {
		dicts = append(dicts, int(head[k]))
	}
	for _, name := range []string{"title", "dept", "status"} {
		if !slices.Contains(dicts, userrows.Fields[name]) {
			t.Errorf("no dictionary of %s: the file has those of fields %v", name, dicts)
		}
	}
	for _, name := range []string{"name", "login", "email"} {
		if slices.Contains(dicts, userrows.Fields[name]) {
			t.Errorf("a dictionary of %s, one value a row", name)
		}
	}
	tag, err := currentTag(s)
	if err != nil {
		t.Fatal(err)
	}
	f, err := columns.Open(dictsPath(s))
	if err != nil {
		t.Fatal(err)
	}
	good := make([]string, f.Rows())
	for i := range good {
		good[i] = strings.Clone(f.Columns()[0].At(i))
	}
	rewrite := func(vals []string, tag string) {
		t.Helper()
		w, err := columns.NewWriter(filepath.Dir(dictsPath(s)), 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if err := w.Add(v); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Finish(dictsPath(s), tag); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		edit func()
	}{
		{"an id past its dictionary", func() {
			vals := slices.Clone(good)
			b := []byte(vals[1])
			binary.LittleEndian.PutUint16(b[2*17:], uint16(head[3]))
			vals[1] = string(b)
			rewrite(vals, tag)
		}},
		{"another commit's", func() { rewrite(good, tag+" and more") }},
		{"truncated", func() {
			b, err := os.ReadFile(dictsPath(s))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dictsPath(s), b[:len(b)/2], 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"missing", func() {
			if err := os.Remove(dictsPath(s)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.edit()
			if _, err := openIndex(s, tag); err == nil {
				t.Fatal("the edited file was taken")
			}
			rows, err := LoadIndex(s)
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, "after the edit", rows, heap)
			if _, err := openIndex(s, tag); err != nil {
				t.Fatalf("not rewritten: %v", err)
			}
		})
	}
}

// TestFirstRows: the first rows come in the table's order whether the
// index file is there yet or not: from the store's first users (sorted)
// before it is written, then exactly the table's first rows, cleaned;
// a file of another commit is not glanced at.
func TestFirstRows(t *testing.T) {
	s, org := panetest.Fixture(t, fixture.Options{Users: 60, Seed: 2, Hostile: true})
	// inOrder: rows are in the table's order (table.HayOrder).
	inOrder := func(rows []table.Row) bool {
		order := table.HayOrder(len(rows), func(i int) string { return rows[i].Hay })
		for k, i := range order {
			if int(i) != k {
				return false
			}
		}
		return true
	}
	rows, total, err := FirstRows(s, 25)
	if err != nil || total != 60 || len(rows) != 25 {
		t.Fatalf("FirstRows(25) = %d rows of %d, err %v", len(rows), total, err)
	}
	if !inOrder(rows) {
		t.Error("before the index file the first rows are not in the table's order")
	}
	if _, err := os.Stat(IndexPath(s)); err == nil {
		t.Fatal("FirstRows wrote the index file")
	}

	table1, err := LoadIndex(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{25, 100} {
		rows, total, err := FirstRows(s, n)
		if err != nil || total != 60 || len(rows) != min(n, 60) {
			t.Fatalf("FirstRows(%d) = %d rows of %d, err %v", n, len(rows), total, err)
		}
		for i, r := range rows {
			w := table1.Row(i)
			if r.Key != w.Key || !slices.Equal(r.Cells, w.Cells) || !slices.Equal(r.SortKeys, w.SortKeys) {
				t.Fatalf("row %d = %+v, the table's %+v", i, r, w)
			}
			for _, c := range append(r.Cells, r.Key, r.Hay) {
				if strings.ContainsAny(c, "\x1b\x07\u202e") {
					t.Fatalf("row %d holds a raw control: %q", i, c)
				}
			}
		}
	}

	// The glance skips the checksum: a file edited to put an escape
	// sequence in the first name still shows it as inert text.
	b, err := os.ReadFile(IndexPath(s))
	if err != nil {
		t.Fatal(err)
	}
	name := table1.Row(0).Cells[0]
	at := strings.Index(string(b), name)
	if at < 0 || len(name) < 4 {
		t.Fatalf("the first name %q is not in the file", name)
	}
	copy(b[at:], "\x1b[2J")
	if err := os.WriteFile(IndexPath(s), b, 0o600); err != nil {
		t.Fatal(err)
	}
	rows, _, err = FirstRows(s, 5)
	if err != nil || len(rows) != 5 {
		t.Fatalf("FirstRows on the edited file: %d rows, %v", len(rows), err)
	}
	if c := rows[0].Cells[0]; strings.Contains(c, "\x1b") || !strings.Contains(c, "␛[2J") {
		t.Fatalf("the edited name came out as %q", c)
	}
	if _, err := LoadIndex(s); err != nil {
		t.Fatal(err)
	}

	// A commit makes the file stale: the first rows come from the store
	// again, with the new name.
	u := org.Users[0]
	u.DisplayName = "Aaron Aardvark"
	commitUser(t, s, u)
	rows, _, err = FirstRows(s, 60)
	if err != nil || !inOrder(rows) {
		t.Fatalf("after the commit: %v, in order %v", err, inOrder(rows))
	}
	if k := slices.IndexFunc(rows, func(r table.Row) bool { return r.Key == u.ID }); k < 0 || rows[k].Cells[0] != "Aaron Aardvark" {
		t.Fatalf("after the commit user %s is not shown renamed", u.ID)
	}
}

// commitUser commits u to s as an incremental sync would.
func commitUser(t *testing.T, s *store.Store, u directory.User) {
	t.Helper()
	d, err := s.BeginIncremental()
	if err != nil {
		t.Fatal(err)
	}
	d.PutUser(u)
	if _, err := d.Commit(directory.SyncRun{Mode: "incremental", Status: directory.RunOK, Started: fixture.Now, Finished: fixture.Now.Add(time.Second)}, nil); err != nil {
		t.Fatal(err)
	}
}
