package table

import (
	"errors"
	"slices"
	"strings"

	"github.com/dirdeck/dirdeck/internal/columns"
	"github.com/dirdeck/dirdeck/internal/textsafe"
)

// Rows is one generation of a table's rows, stored by column: every
// row's key, each display cell, each sort key, the lowercase haystack and
// each filter field are copied back to back into one string per column,
// with a charMask and a pairMask per row. A filter pass then reads
// contiguous memory instead of chasing pointers through a million small
// strings (at a million users that was most of a keystroke's cost), and
// the garbage collector has a few dozen pointer-free objects to look at
// instead of a dozen per row. A Rows is immutable, so the table's filter
// passes share it off the UI goroutine.
type Rows struct {
	n      int
	keys   column
	cells  []column // indexed like Row.Cells
	sorts  []column // indexed like Row.SortKeys ("": sort by the cell)
	hay    column
	fields []column // indexed like Row.Fields
	masks  []rowMask
	// file, when set, is the mapped file the columns point into (see
	// MappedRows): it must stay reachable as long as they are used, and
	// what leaves the table is copied and cleaned again. pairFile holds
	// the pair index, when there is one, and dictFile the field
	// dictionaries.
	file, pairFile, dictFile *columns.File
	pix                      *pairIndex
	dicts                    []*fieldDict // indexed like fields; nil: none
	hayTail                  []int        // see Layout.HayTail
}

type column = columns.Column

// NewRows indexes rows, copying all it keeps: the rows themselves are
// neither kept nor changed, and the caller can drop them. Building the
// index copies every row once; call it off the UI goroutine for big tables
// (in the command that loads them).
func NewRows(rows []Row) *Rows {
	var b Builder
	b.Add(rows...)
	return b.Rows()
}

// Builder builds a Rows batch by batch, for a loader that reads a large
// directory in chunks: each batch's Row values can be dropped once added,
// so the peak is the columns alone, not the columns plus every row.
// The zero value is ready to use.
type Builder struct {
	n      int
	keys   columns.Builder
	cells  []columns.Builder
	sorts  []columns.Builder
	hay    columns.Builder
	fields []columns.Builder
	dicts  DictBuilder
}

// Add appends rows.
func (b *Builder) Add(rows ...Row) {
	for i := range rows {
		r := &rows[i]
		b.keys.Add(b.n, r.Key)
		b.hay.Add(b.n, r.Hay)
		b.cells = addEach(b.cells, b.n, r.Cells)
		b.sorts = addEach(b.sorts, b.n, r.SortKeys)
		b.fields = addEach(b.fields, b.n, r.Fields)
		b.dicts.Add(r.Fields)
		b.n++
	}
}

// addEach adds row n's values to their columns, starting a column (empty
// for the rows before) at the first row that has a value for it.
func addEach(cols []columns.Builder, n int, values []string) []columns.Builder {
	for k, v := range values {
		if k == len(cols) {
			cols = append(cols, columns.Builder{})
		}
		cols[k].Add(n, v)
	}
	return cols
}

// Grow reserves room for more rows the size of the average row so far,
// so that the columns are not copied as they grow: call it after the
// first batch with the number of rows still to come.
func (b *Builder) Grow(more int) {
	if b.n == 0 || more <= 0 {
		return
	}
	b.keys.Grow(b.n, more)
	b.hay.Grow(b.n, more)
	for _, cols := range [][]columns.Builder{b.cells, b.sorts, b.fields} {
		for k := range cols {
			cols[k].Grow(b.n, more)
		}
	}
}

// Rows returns the rows added, indexed; the Builder must not be used after.
func (b *Builder) Rows() *Rows {
	done := func(cols []columns.Builder) []column {
		out := make([]column, len(cols))
		for k := range cols {
			out[k] = cols[k].Column(b.n)
		}
		return out
	}
	rs := &Rows{n: b.n, keys: b.keys.Column(b.n), hay: b.hay.Column(b.n),
		cells: done(b.cells), sorts: done(b.sorts), fields: done(b.fields), dicts: b.dicts.dicts()}
	*b = Builder{}
	rs.index()
	return rs
}

// rowMask is a row's masks, side by side (24 bytes) so that a filter
// pass loads them together.
type rowMask struct {
	has   charMask
	pairs pairMask
}

// index computes every row's masks from its haystack.
func (rs *Rows) index() {
	rs.masks = make([]rowMask, rs.n)
	inRanges(rs.n, workersFor(rs.n), func(from, to int) {
		for i := from; i < to; i++ {
			rs.masks[i].has, rs.masks[i].pairs = maskOf(rs.hay.At(i))
		}
	})
}

// Layout says which of a file's columns hold what (see MappedRows): the
// numbers of the columns with the keys and the haystack, and of those
// with each cell, sort key and field, in Row's order; -1 marks a cell,
// sort key or field that no row has (most columns sort by their cells).
type Layout struct {
	Key, Hay             int
	Cells, Sorts, Fields []int
	// HayTail lists the fields (indices into Row.Fields) whose values
	// end every row's haystack, one a line, in order: a filter then
	// ranks a term once per distinct value of those that have a
	// dictionary, and reads only the rest of a row's text.
	HayTail []int
}

// Columns is how many columns a file of this layout has.
func (l Layout) Columns() int {
	n := 2
	for _, at := range [][]int{l.Cells, l.Sorts, l.Fields} {
		for _, c := range at {
			if c >= 0 {
				n++
			}
		}
	}
	return n
}

// Values lays row r out as a file row of this layout: what a writer of
// the file adds for it. Values missing from r are empty.
func (l Layout) Values(r Row) []string {
	v := make([]string, l.Columns())
	v[l.Key], v[l.Hay] = r.Key, r.Hay
	put := func(at []int, vals []string) {
		for k, c := range at {
			if c >= 0 && k < len(vals) {
				v[c] = vals[k]
			}
		}
	}
	put(l.Cells, r.Cells)
	put(l.Sorts, r.SortKeys)
	put(l.Fields, r.Fields)
	return v
}

// Row is the row that a file row of this layout holds: Values undone.
// Its strings are values's own (slices of a mapped file, say): clean and
// copy what is kept or shown.
func (l Layout) Row(values []string) Row {
	at := func(c int) string {
		if c < 0 || c >= len(values) {
			return ""
		}
		return values[c]
	}
	each := func(cols []int) []string {
		out := make([]string, len(cols))
		for k, c := range cols {
			out[k] = at(c)
		}
		return out
	}
	r := Row{Key: at(l.Key), Hay: at(l.Hay), Cells: each(l.Cells), Fields: each(l.Fields)}
	if slices.ContainsFunc(l.Sorts, func(c int) bool { return at(c) != "" }) {
		r.SortKeys = each(l.Sorts)
	}
	return r
}

// ErrLayout is returned by MappedRows for a file whose columns do not
// fit the layout.
var ErrLayout = errors.New("the file's columns do not fit the table")

// MappedRows indexes rows stored in a columns file (see Layout.Values),
// without copying them: the columns stay in the file's read-only mapping,
// and so do the masks when the pair index comes with them (without it
// they are computed, 24 bytes a row). Because a file can be
// edited behind dirdeck's back, the values that leave the table (Key,
// Cell, Row, and the cells it renders) are cleaned again (textsafe.Clean)
// and copied, so that nothing outlives the mapping. pairs, when not nil,
// is the rows' pair index: a file of one column whose values are the
// blocks a PairBuilder emitted for the same rows. dicts, when not nil, is
// the rows' field dictionaries: a file of one column whose values are
// those a DictBuilder emitted for the same rows.
func MappedRows(f *columns.File, l Layout, pairs, dicts *columns.File) (*Rows, error) {
	cols := f.Columns()
	if len(cols) != l.Columns() {
		return nil, ErrLayout
	}
	used := make([]bool, len(cols))
	pick := func(at ...int) ([]column, error) {
		out := make([]column, len(at))
		for k, c := range at {
			switch {
			case c == -1:
				continue // no values: an empty column
			case c < 0 || c >= len(cols) || used[c] || cols[c].Len() != f.Rows():
				return nil, ErrLayout
			}
			used[c], out[k] = true, cols[c]
		}
		return out, nil
	}
	for _, k := range l.HayTail {
		if k < 0 || k >= len(l.Fields) {
			return nil, ErrLayout
		}
	}
	rs := &Rows{n: f.Rows(), file: f, hayTail: l.HayTail}
	var err error
	for _, p := range []struct {
		dst *[]column
		at  []int
	}{{&rs.cells, l.Cells}, {&rs.sorts, l.Sorts}, {&rs.fields, l.Fields}} {
		if *p.dst, err = pick(p.at...); err != nil {
			return nil, err
		}
	}
	kh, err := pick(l.Key, l.Hay)
	if err != nil || l.Key < 0 || l.Hay < 0 {
		return nil, ErrLayout
	}
	rs.keys, rs.hay = kh[0], kh[1]
	// The blocks and ids are little-endian words read in place; elsewhere
	// the rows go without (slower, same answers).
	if dicts != nil && littleEndian {
		dc := dicts.Columns()
		ok := len(dc) == 1
		if ok {
			rs.dicts, ok = mappedDicts(dc[0], rs.n, len(rs.fields))
		}
		if !ok {
			return nil, ErrLayout
		}
		rs.dictFile = dicts
	}
	if pairs != nil && littleEndian {
		pc := pairs.Columns()
		ok := len(pc) == 1
		if ok {
			rs.pix, rs.masks, ok = mappedPairs(pc[0], rs.n)
		}
		if !ok {
			return nil, ErrLayout
		}
		rs.pairFile = pairs
		return rs, nil
	}
	rs.index()
	return rs, nil
}

// out is a value leaving the table: mapped values are cleaned and copied.
func (rs *Rows) out(v string) string {
	if rs.file == nil {
		return v
	}
	return strings.Clone(textsafe.Clean(v))
}

// Len is the number of rows.
func (rs *Rows) Len() int {
	if rs == nil {
		return 0
	}
	return rs.n
}

// Key returns row i's key.
func (rs *Rows) Key(i int) string { return rs.out(rs.keys.At(i)) }

// Except returns the indices, ascending, of the rows for whose key drop
// is false: what SetRowsWithin shows of rows with some left out. drop
// sees each key as Key returns it, but not copied (a million keys are not
// copied to be looked up), so it must not keep it.
func (rs *Rows) Except(drop func(key string) bool) []int32 {
	keep := make([]int32, 0, rs.Len())
	for i := range rs.Len() {
		k := rs.keys.At(i)
		if rs.file != nil {
			k = textsafe.Clean(k)
		}
		if !drop(k) {
			keep = append(keep, int32(i))
		}
	}
	return keep
}

// Cell returns row i's display text in column k ("" past the row's cells).
func (rs *Rows) Cell(i, k int) string { return rs.out(rs.cell(i, k)) }

// display is the cell as the table renders it: mapped cells are cleaned
// again, not copied (the frame copies them).
func (rs *Rows) display(i, k int) string {
	if rs.file == nil {
		return rs.cell(i, k)
	}
	return textsafe.Clean(rs.cell(i, k))
}

// cell is Cell without the copy, for use inside the table.
func (rs *Rows) cell(i, k int) string {
	v, _ := valueAt(rs.cells, i, k)
	return v
}

// valueAt returns row i's value in column k of cols; false when there is
// no column k.
func valueAt(cols []column, i, k int) (string, bool) {
	if k >= len(cols) {
		return "", false
	}
	if cols[k].Len() == 0 {
		return "", true // a column without values (see Layout)
	}
	return cols[k].At(i), true
}

// Row returns row i's key, cells and sort keys (its haystack and fields
// live only in the index).
func (rs *Rows) Row(i int) Row {
	r := Row{Key: rs.Key(i), Cells: make([]string, len(rs.cells))}
	for k := range rs.cells {
		r.Cells[k] = rs.out(rs.cells[k].At(i))
	}
	for k := range rs.sorts {
		if v := rs.sortKey(i, k); v != "" {
			if r.SortKeys == nil {
				r.SortKeys = make([]string, len(rs.sorts))
			}
			r.SortKeys[k] = rs.out(v)
		}
	}
	return r
}

// sortKey returns row i's sort key for column k; "" when it sorts by its
// cell text.
func (rs *Rows) sortKey(i, k int) string {
	v, _ := valueAt(rs.sorts, i, k)
	return v
}

// field returns row i's value of field k; false if no row has field k.
func (rs *Rows) field(i, k int) (string, bool) { return valueAt(rs.fields, i, k) }
