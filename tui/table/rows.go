package table

import (
	"math"
	"strings"
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
	sorts  []column // indexed like Row.SortKeys; a zero column when no row has that sort key
	hay    column
	fields []column // indexed like Row.Fields
	mask   []charMask
	pairs  []pairMask
}

// NewRows indexes rows, copying all it keeps: the rows themselves are
// neither kept nor changed, and the caller can drop them. Building the
// index copies every row once; call it off the UI goroutine for big tables
// (in the command that loads them).
func NewRows(rows []Row) *Rows {
	var nCells, nSorts, nFields int
	anySortKey := map[int]bool{}
	for i := range rows {
		r := &rows[i]
		nCells, nSorts, nFields = max(nCells, len(r.Cells)), max(nSorts, len(r.SortKeys)), max(nFields, len(r.Fields))
		for k, v := range r.SortKeys {
			if v != "" {
				anySortKey[k] = true
			}
		}
	}
	nth := func(vs []string, k int) string {
		if k < len(vs) {
			return vs[k]
		}
		return ""
	}
	rs := &Rows{n: len(rows), cells: make([]column, nCells), sorts: make([]column, nSorts), fields: make([]column, nFields)}
	rs.keys = newColumn(rows, maxColumn, func(r *Row) string { return r.Key })
	for k := range rs.cells {
		rs.cells[k] = newColumn(rows, maxColumn, func(r *Row) string { return nth(r.Cells, k) })
	}
	for k := range rs.sorts {
		if anySortKey[k] {
			rs.sorts[k] = newColumn(rows, maxColumn, func(r *Row) string { return nth(r.SortKeys, k) })
		}
	}
	rs.hay = newColumn(rows, maxColumn, func(r *Row) string { return r.Hay })
	for k := range rs.fields {
		rs.fields[k] = newColumn(rows, maxColumn, func(r *Row) string { return nth(r.Fields, k) })
	}
	rs.mask, rs.pairs = make([]charMask, len(rows)), make([]pairMask, len(rows))
	inRanges(len(rows), workersFor(len(rows)), func(_, from, to int) {
		for i := from; i < to; i++ {
			rs.mask[i], rs.pairs[i] = maskOf(rs.hay.at(i))
		}
	})
	return rs
}

// Len is the number of rows.
func (rs *Rows) Len() int {
	if rs == nil {
		return 0
	}
	return rs.n
}

// Key returns row i's key.
func (rs *Rows) Key(i int) string { return rs.keys.at(i) }

// Cell returns row i's display text in column k ("" past the row's cells).
func (rs *Rows) Cell(i, k int) string {
	if k >= len(rs.cells) {
		return ""
	}
	return rs.cells[k].at(i)
}

// Row returns row i's key, cells and sort keys (its haystack and fields
// live only in the index).
func (rs *Rows) Row(i int) Row {
	r := Row{Key: rs.Key(i), Cells: make([]string, len(rs.cells))}
	for k := range rs.cells {
		r.Cells[k] = rs.cells[k].at(i)
	}
	for k := range rs.sorts {
		if v := rs.sortKey(i, k); v != "" {
			if r.SortKeys == nil {
				r.SortKeys = make([]string, len(rs.sorts))
			}
			r.SortKeys[k] = v
		}
	}
	return r
}

// sortKey returns row i's sort key for column k; "" when it sorts by its
// cell text.
func (rs *Rows) sortKey(i, k int) string {
	if k >= len(rs.sorts) || rs.sorts[k].off == nil {
		return ""
	}
	return rs.sorts[k].at(i)
}

// field returns row i's value of field k; false if no row has field k.
func (rs *Rows) field(i, k int) (string, bool) {
	if k >= len(rs.fields) {
		return "", false
	}
	return rs.fields[k].at(i), true
}

// column holds one string per row, back to back.
type column struct {
	text string
	off  []uint32 // value i is text[off[i]:off[i+1]]
}

// maxColumn bounds a column's text so that its uint32 offsets (half the
// memory of ints at a million rows) cannot overflow, and it stays an int
// on 32-bit platforms: values that would pass it are indexed as empty.
// Real directories stay far below 2 GiB a column.
const maxColumn = math.MaxInt32

// newColumn copies value(row) of every row into a column of at most
// limit bytes.
func newColumn(rows []Row, limit int, value func(*Row) string) column {
	size := 0
	for i := range rows {
		size = min(size+len(value(&rows[i])), limit)
	}
	var b strings.Builder
	b.Grow(size)
	off := make([]uint32, len(rows)+1)
	for i := range rows {
		if v := value(&rows[i]); b.Len()+len(v) <= limit {
			b.WriteString(v)
		}
		off[i+1] = uint32(b.Len())
	}
	return column{text: b.String(), off: off}
}

func (c *column) at(i int) string { return c.text[c.off[i]:c.off[i+1]] }
