package table

import (
	"math"
	"strings"
)

// Rows is one generation of a table's rows together with their search
// index: every row's haystack copied, back to back, into one string, and
// likewise each field, plus a charMask and a pairMask per row. A filter pass then reads
// contiguous memory instead of chasing three pointers per row, and the
// garbage collector has a handful of objects to scan instead of several
// per row — at a million users that is most of the cost of a keystroke.
// A Rows is immutable, so the table's filter passes share it off the UI
// goroutine.
type Rows struct {
	rows   []Row
	hay    column
	fields []column // indexed like Row.Fields
	mask   []charMask
	pairs  []pairMask
}

// NewRows indexes rows. It takes ownership of the slice: each row's Hay
// and Fields move into the index and are cleared from the Row, so their
// memory can be freed (Selected returns rows without them). Building the
// index copies every haystack once; call it off the UI goroutine for big
// tables (in the command that loads them).
func NewRows(rows []Row) *Rows {
	nFields := 0
	for i := range rows {
		nFields = max(nFields, len(rows[i].Fields))
	}
	rs := &Rows{rows: rows, fields: make([]column, nFields)}
	rs.hay = newColumn(rows, maxColumn, func(r *Row) string { return r.Hay })
	for k := range rs.fields {
		rs.fields[k] = newColumn(rows, maxColumn, func(r *Row) string {
			if k < len(r.Fields) {
				return r.Fields[k]
			}
			return ""
		})
	}
	for i := range rows {
		rows[i].Hay, rows[i].Fields = "", nil
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
	return len(rs.rows)
}

// Row returns row i (without Hay and Fields, see NewRows).
func (rs *Rows) Row(i int) *Row { return &rs.rows[i] }

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

// maxColumn bounds a column's text so that uint32 offsets (half the
// memory of ints at a million rows) cannot overflow: values that would
// pass it are indexed as empty. Real directories stay far below it.
const maxColumn = math.MaxUint32

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
