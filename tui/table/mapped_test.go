package table

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/internal/columns"
	"github.com/dirdeck/dirdeck/themes"
)

// testLayout stores the columns in another order than Row has them, so
// that a mix-up shows.
var testLayout = Layout{Key: 3, Hay: 0, Cells: []int{4, 1}, Sorts: []int{5}, Fields: []int{2}}

// mapRows maps rows written as a file of layout l, without their pair
// index and dictionaries.
func mapRows(t *testing.T, rows []Row, l Layout) *Rows { return mapRowsWith(t, rows, l, false, false) }

// mapRowsWithPairs is mapRows with the rows' pair index.
func mapRowsWithPairs(t *testing.T, rows []Row, l Layout) *Rows {
	return mapRowsWith(t, rows, l, true, false)
}

// mapRowsWithDicts is mapRows with the rows' pair index and field
// dictionaries.
func mapRowsWithDicts(t *testing.T, rows []Row, l Layout) *Rows {
	return mapRowsWith(t, rows, l, true, true)
}

// mapRowsWith maps rows written as a file of layout l, with their pair
// index and dictionaries or not.
func mapRowsWith(t *testing.T, rows []Row, l Layout, withPairs, withDicts bool) *Rows {
	t.Helper()
	f, pairs, dicts := writeRows(t, rows, l)
	if !withPairs {
		pairs = nil
	}
	if !withDicts {
		dicts = nil
	}
	rs, err := MappedRows(f, l, pairs, dicts)
	if err != nil {
		t.Fatal(err)
	}
	if withPairs && rs.pix == nil || withDicts && rs.dicts == nil {
		t.Fatal("no pair index or no dictionaries")
	}
	return rs
}

// writeRows writes rows as a columns file of layout l, their pair index
// as another and their field dictionaries as a third, and opens them.
func writeRows(t *testing.T, rows []Row, l Layout) (f, pairs, dicts *columns.File) {
	t.Helper()
	dir := t.TempDir()
	w, err := columns.NewWriter(dir, l.Columns())
	if err != nil {
		t.Fatal(err)
	}
	pw, err := columns.NewWriter(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	pb := NewPairBuilder(func(block string) error { return pw.Add(block) })
	var db DictBuilder
	for _, r := range rows {
		db.Add(r.Fields)
		if err := w.Add(l.Values(r)...); err != nil {
			t.Fatal(err)
		}
		if err := pb.Add(r.Hay); err != nil {
			t.Fatal(err)
		}
	}
	if err := pb.Finish(); err != nil {
		t.Fatal(err)
	}
	dw, err := columns.NewWriter(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Finish(func(v string) error { return dw.Add(v) }); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		w    *columns.Writer
		name string
		f    **columns.File
	}{{w, "rows", &f}, {pw, "pairs", &pairs}, {dw, "dicts", &dicts}} {
		path := filepath.Join(dir, x.name)
		if err := x.w.Finish(path, "t"); err != nil {
			t.Fatal(err)
		}
		if *x.f, err = columns.Open(path); err != nil {
			t.Fatal(err)
		}
	}
	return f, pairs, dicts
}

// TestMappedRowsMatchNewRows: rows read from a file filter, sort and read
// back exactly as the same rows indexed in memory.
func TestMappedRowsMatchNewRows(t *testing.T) {
	rows := []Row{
		{Key: "u1", Cells: []string{"Alice Smith", "alice@x"}, SortKeys: []string{" "}, Hay: "alice smith\nalice@x", Fields: []string{"sales"}},
		{Key: "u2", Cells: []string{"Bob Jones", "bob@x"}, Hay: "bob jones\nbob@x", Fields: []string{"eng\nsales"}},
		{Key: "u3", Cells: []string{"Ålice Ödegaard"}, Hay: "ålice ödegaard", Fields: nil},
	}
	mapped, heap := mapRows(t, rows, testLayout), NewRows(rows)
	fields := map[string]int{"group": 0}
	for _, q := range []string{"", "al", "alice", "group:sales", "group:=eng", "smi", "ödeg", "zz"} {
		g, w := keys(mapped, Filter(mapped, nil, ParseQuery(q, fields))), keys(heap, Filter(heap, nil, ParseQuery(q, fields)))
		if !slices.Equal(g, w) {
			t.Errorf("%q: mapped %v, in memory %v", q, g, w)
		}
	}
	for col := range 2 {
		if g, w := keys(mapped, SortOrder(mapped, col, false)), keys(heap, SortOrder(heap, col, false)); !slices.Equal(g, w) {
			t.Errorf("sorted by %d: mapped %v, in memory %v", col, g, w)
		}
	}
	for i := range rows {
		g, w := mapped.Row(i), heap.Row(i)
		if g.Key != w.Key || !slices.Equal(g.Cells, w.Cells) || !slices.Equal(g.SortKeys, w.SortKeys) {
			t.Errorf("row %d: mapped %+v, in memory %+v", i, g, w)
		}
	}
	for _, l := range []Layout{
		{Key: 0, Hay: 1},
		{Key: 0, Hay: 0, Cells: []int{1, 2, 3, 4}},
		{Key: 0, Hay: 1, Cells: []int{2, 3, 4, 9}},
	} {
		if _, err := MappedRows(mustFile(t, rows), l, nil, nil); err == nil {
			t.Errorf("layout %+v accepted for a file of 6 columns", l)
		}
	}
}

func mustFile(t *testing.T, rows []Row) *columns.File {
	t.Helper()
	return mapRows(t, rows, testLayout).file
}

// TestMappedRowsCleanWhatLeaves: a file edited to hold raw escape
// sequences and bidi controls (a writer cleans them; someone editing the
// file does not) still never puts them on the screen or out of the table.
func TestMappedRowsCleanWhatLeaves(t *testing.T) {
	hostile := "\x1b]8;;http://evil\x07click\x1b[2J\u202egnp.exe"
	rs := mapRows(t, []Row{{Key: "k\x1b[31m", Cells: []string{hostile, "x"}, Hay: "click"}}, testLayout)
	th, err := themes.ByName("no-color")
	if err != nil {
		t.Fatal(err)
	}
	m := New([]Column{{Title: "NAME", Width: 40}, {Title: "X", Width: 5}}, nil, th)
	m.SetSize(80, 5)
	m = run(t, m, m.SetRows(rs))
	view := m.View()
	r, _ := m.Selected()
	for what, s := range map[string]string{"cell": rs.Cell(0, 0), "key": r.Key, "row cell": r.Cells[0]} {
		if strings.ContainsAny(s, "\x1b\x07\u202e") {
			t.Errorf("%s holds a raw control: %q", what, s)
		}
	}
	// The view has the theme's own styling sequences, but none of the
	// value's.
	for _, raw := range []string{"\x1b]8", "\x07", "\x1b[2J", "\u202e", "\x1b[31m"} {
		if strings.Contains(view, raw) {
			t.Errorf("the view holds %q: %q", raw, view)
		}
	}
	if !strings.Contains(view, "click") {
		t.Errorf("the cell's text is gone: %q", view)
	}
}

// TestPairIndexAcrossBlocks: a table of more than one block of the pair
// index (the last one partial) filters exactly as the same rows in
// memory, for two-letter terms (answered by the index alone) and longer
// ones (ruled out by it).
func TestPairIndexAcrossBlocks(t *testing.T) {
	words := []string{"alice", "smith", "stan", "al-sm", "émile", "st.al", "ma", "ls", "sales eng", "ops"}
	rows := make([]Row, pairBlock+1500)
	for i := range rows {
		hay := words[i%len(words)] + " " + words[(i/7)%len(words)] + "\n" + words[(i/3)%len(words)]
		rows[i] = Row{Key: fmt.Sprint(i), Hay: hay}
	}
	mapped, heap := mapRowsWithPairs(t, rows, Layout{Key: 0, Hay: 1}), NewRows(rows)
	for _, q := range []string{"al", "st", "sm", "ls", "am", "as", "ma", "ali", "sta", "smi", "als", "sal en", "é", "zz", "al sm"} {
		g, w := Filter(mapped, nil, ParseQuery(q, nil)), Filter(heap, nil, ParseQuery(q, nil))
		if !slices.Equal(g, w) {
			t.Errorf("%q: %d rows mapped with pairs, %d in memory", q, len(g), len(w))
		}
	}
}
