// Package columns stores tables of strings by column: every row's value
// of a column is copied back to back into one string, with uint32 offsets.
// A pass over a million rows then reads contiguous memory, and the garbage
// collector sees a few pointer-free objects instead of a million strings.
//
// Columns are built in memory (Builder) or streamed to a file (Writer)
// that Open maps read-only: a table read from such a file costs no heap
// and no decoding at start, only the pages the process touches, which
// belong to the page cache. The file format is this package's alone, so
// that whoever writes a table (a sync) and whoever reads it (the TUI)
// share no other code.
package columns

import (
	"math"
	"slices"
	"strings"
	"unsafe"
)

// Column holds one string per row, back to back.
type Column struct {
	text string
	off  []uint32 // value i is text[off[i]:off[i+1]]
}

// At returns row i's value. For a mapped column it points into the
// mapping: copy it (strings.Clone) before keeping it past the File.
func (c *Column) At(i int) string { return c.text[c.off[i]:c.off[i+1]] }

// Prefetch asks the CPU to start loading row i's value (its first and
// last cache lines; values are short) and returns at once. A pass that
// prefetches the rows it will read a few rows ahead has their memory
// arrive while it works on the rows before, instead of waiting for each.
func (c *Column) Prefetch(i int) {
	from, to := c.off[i], c.off[i+1]
	if from == to {
		return
	}
	at := uintptr(unsafe.Pointer(unsafe.StringData(c.text)))
	prefetch(at + uintptr(from))
	prefetch(at + uintptr(to-1))
}

// Len is the number of rows.
func (c *Column) Len() int { return max(len(c.off)-1, 0) }

// MaxText bounds a column's text so that its uint32 offsets (half the
// memory of ints at a million rows) cannot overflow, and it stays an int
// on 32-bit platforms: values that would pass it are stored as empty.
// Real directories stay far below 2 GiB a column.
const MaxText = math.MaxInt32

// Builder accumulates a column in memory row by row. The zero value is
// ready to use.
type Builder struct {
	// text is a pointer because a strings.Builder must not be copied, and
	// Builders move as their slices grow.
	text *strings.Builder
	off  []uint32 // off[i] is where row i's value starts
	// limit bounds the text; 0 means MaxText.
	limit int
}

// Add sets row n's value to v, after empty values for any rows before n
// that have none. A value that would take the column past its limit is
// stored as empty.
func (c *Builder) Add(n int, v string) {
	c.pad(n)
	if c.limit == 0 {
		c.limit = MaxText
	}
	if c.text.Len()+len(v) <= c.limit {
		c.text.WriteString(v)
	}
	c.off = append(c.off, uint32(c.text.Len()))
}

// pad gives rows up to n (exclusive) a value, empty where they had none.
func (c *Builder) pad(n int) {
	if c.text == nil {
		c.text, c.off = &strings.Builder{}, make([]uint32, 1, n+1)
	}
	for len(c.off) <= n {
		c.off = append(c.off, uint32(c.text.Len()))
	}
}

// Grow reserves room for more rows like the n so far.
func (c *Builder) Grow(n, more int) {
	if c.text == nil || n == 0 {
		return
	}
	limit := c.limit
	if limit == 0 {
		limit = MaxText
	}
	c.text.Grow(max(min((c.text.Len()/n+1)*more, limit-c.text.Len()), 0))
	c.off = slices.Grow(c.off, more)
}

// Column returns the column of n rows. Its text is the builder's own
// (strings.Builder hands it over without a copy) unless Grow's estimate
// left more than a sixteenth of it unused: then a copy of the right size
// frees the rest.
func (c *Builder) Column(n int) Column {
	c.pad(n)
	text := c.text.String()
	if c.text.Cap()-len(text) > len(text)/16 {
		text = strings.Clone(text)
	}
	return Column{text: text, off: slices.Clip(c.off)}
}
