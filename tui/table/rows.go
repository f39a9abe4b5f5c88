package table

import (
	"math"
	"slices"
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
	sorts  []column // indexed like Row.SortKeys ("": sort by the cell)
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
	keys   columnBuilder
	cells  []columnBuilder
	sorts  []columnBuilder
	hay    columnBuilder
	fields []columnBuilder
}

// Add appends rows.
func (b *Builder) Add(rows ...Row) {
	for i := range rows {
		r := &rows[i]
		b.keys.add(b.n, r.Key)
		b.hay.add(b.n, r.Hay)
		b.cells = addEach(b.cells, b.n, r.Cells)
		b.sorts = addEach(b.sorts, b.n, r.SortKeys)
		b.fields = addEach(b.fields, b.n, r.Fields)
		b.n++
	}
}

// addEach adds row n's values to their columns, starting a column (empty
// for the rows before) at the first row that has a value for it.
func addEach(cols []columnBuilder, n int, values []string) []columnBuilder {
	for k, v := range values {
		if k == len(cols) {
			cols = append(cols, columnBuilder{})
		}
		cols[k].add(n, v)
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
	b.keys.grow(b.n, more)
	b.hay.grow(b.n, more)
	for _, cols := range [][]columnBuilder{b.cells, b.sorts, b.fields} {
		for k := range cols {
			cols[k].grow(b.n, more)
		}
	}
}

// Rows returns the rows added, indexed; the Builder must not be used after.
func (b *Builder) Rows() *Rows {
	done := func(cols []columnBuilder) []column {
		out := make([]column, len(cols))
		for k := range cols {
			out[k] = cols[k].column(b.n)
		}
		return out
	}
	rs := &Rows{n: b.n, keys: b.keys.column(b.n), hay: b.hay.column(b.n),
		cells: done(b.cells), sorts: done(b.sorts), fields: done(b.fields)}
	*b = Builder{}
	rs.mask, rs.pairs = make([]charMask, rs.n), make([]pairMask, rs.n)
	inRanges(rs.n, workersFor(rs.n), func(_, from, to int) {
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
	v, _ := valueAt(rs.cells, i, k)
	return v
}

// valueAt returns row i's value in column k of cols; false when there is
// no column k.
func valueAt(cols []column, i, k int) (string, bool) {
	if k >= len(cols) {
		return "", false
	}
	return cols[k].at(i), true
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
	v, _ := valueAt(rs.sorts, i, k)
	return v
}

// field returns row i's value of field k; false if no row has field k.
func (rs *Rows) field(i, k int) (string, bool) { return valueAt(rs.fields, i, k) }

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

// columnBuilder accumulates a column row by row.
type columnBuilder struct {
	// text is a pointer because a strings.Builder must not be copied, and
	// columnBuilders move as their slices grow.
	text *strings.Builder
	off  []uint32 // off[i] is where row i's value starts
	// limit bounds the text; 0 means maxColumn.
	limit int
}

// add sets row n's value to v, after empty values for any rows before n
// that have none. A value that would take the column past its limit is
// stored as empty.
func (c *columnBuilder) add(n int, v string) {
	c.pad(n)
	if c.limit == 0 {
		c.limit = maxColumn
	}
	if c.text.Len()+len(v) <= c.limit {
		c.text.WriteString(v)
	}
	c.off = append(c.off, uint32(c.text.Len()))
}

// pad gives rows up to n (exclusive) a value, empty where they had none.
func (c *columnBuilder) pad(n int) {
	if c.text == nil {
		c.text, c.off = &strings.Builder{}, make([]uint32, 1, n+1)
	}
	for len(c.off) <= n {
		c.off = append(c.off, uint32(c.text.Len()))
	}
}

// grow reserves room for more rows like the n so far.
func (c *columnBuilder) grow(n, more int) {
	c.text.Grow(max(min((c.text.Len()/n+1)*more, c.limit-c.text.Len()), 0))
	c.off = slices.Grow(c.off, more)
}

// column returns the column of n rows. Its text is the builder's own
// (strings.Builder hands it over without a copy) unless Grow's estimate
// left more than a sixteenth of it unused: then a copy of the right size
// frees the rest.
func (c *columnBuilder) column(n int) column {
	c.pad(n)
	text := c.text.String()
	if c.text.Cap()-len(text) > len(text)/16 {
		text = strings.Clone(text)
	}
	return column{text: text, off: slices.Clip(c.off)}
}

func (c *column) at(i int) string { return c.text[c.off[i]:c.off[i+1]] }
