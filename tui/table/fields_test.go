package table

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/internal/columns"
)

// dictLayout: fields 0 (a department), 1 (a unique name) and 2 (a
// status), stored in another order than Row has them.
var dictLayout = Layout{Key: 0, Hay: 1, Fields: []int{4, 2, 3}}

// dictRows are n rows whose departments (multi-valued and empty ones
// among them) and statuses are few, and whose names are all distinct.
func dictRows(n int) []Row {
	depts := []string{"sales", "", "eng\nsales", "ops", "ünïcode ops", "s", "sales ops", "eng"}
	statuses := []string{"active", "suspended", "staged"}
	rows := make([]Row, n)
	for i := range rows {
		name := fmt.Sprintf("user %d", i)
		rows[i] = Row{Key: fmt.Sprint(i), Hay: name, Fields: []string{depts[i*7%len(depts)], name, statuses[i%3]}}
	}
	return rows
}

// TestKeepFieldEqualsHolds: keepField clears exactly the bits, within its
// range, of the rows whose value fails the filter as holds decides it,
// whatever bits are set, and only for fields with a dictionary, for rows
// read from a file as for rows in memory.
func TestKeepFieldEqualsHolds(t *testing.T) {
	const n = 1000
	rows := dictRows(n)
	filters := []FieldFilter{
		{Field: 0, Value: "sales"},
		{Field: 0, Value: "s"},
		{Field: 0, Value: ""},
		{Field: 0, Value: "g\ns"}, // across the values of a multi-valued field
		{Field: 0, Value: "ünï"},
		{Field: 0, Value: "sales", Exact: true}, // any of the values
		{Field: 0, Value: "eng", Exact: true},
		{Field: 0, Value: "", Exact: true},
		{Field: 0, Value: "sales ops", Exact: true},
		{Field: 0, Value: "sale", Exact: true},
		{Field: 2, Value: "s"},
		{Field: 2, Value: "active", Exact: true},
		{Field: 2, Value: "zz"},
	}
	ranges := [][2]int{{0, n}, {64, n}, {128, 500}, {0, 64}, {960, n}, {0, 1}, {448, 449}}
	rng := rand.New(rand.NewPCG(3, 4))
	for where, rs := range map[string]*Rows{"mapped": mapRowsWithDicts(t, rows, dictLayout), "in memory": NewRows(rows)} {
		if len(rs.dicts) != 3 || rs.dicts[0] == nil || rs.dicts[1] != nil || rs.dicts[2] == nil {
			t.Fatalf("%s: dictionaries %v, want those of fields 0 and 2", where, rs.dicts)
		}
		for _, f := range filters {
			for _, density := range []float64{0, 0.05, 0.5, 0.95, 1} {
				for _, r := range ranges {
					before := newBitset(n)
					for i := range n {
						if rng.Float64() < density {
							before[i/64] |= 1 << (i % 64)
						}
					}
					keep := slices.Clone(before)
					if !rs.keepField(f, keep, r[0], r[1]) {
						t.Fatalf("%s: no dictionary of field %d", where, f.Field)
					}
					for i := range int32(n) {
						want := before.has(i)
						if int(i) >= r[0] && int(i) < r[1] {
							want = want && f.holds(rows[i].Fields[f.Field])
						}
						if keep.has(i) != want {
							t.Fatalf("%s: %+v over %v with %v of the bits set: row %d (%q) kept %v, want %v",
								where, f, r, density, i, rows[i].Fields[f.Field], keep.has(i), want)
						}
					}
				}
			}
		}
		// No dictionary: the names (one a row), a field past the table's.
		keep := fullBitset(n)
		for _, f := range []FieldFilter{{Field: 1, Value: "user"}, {Field: 3, Value: "x"}} {
			if rs.keepField(f, keep, 0, n) {
				t.Errorf("%s: field %d applied without a dictionary", where, f.Field)
			}
		}
		if !slices.Equal(keep, fullBitset(n)) {
			t.Errorf("%s: a field without a dictionary cleared rows", where)
		}
	}
}

// TestFilterWithDictionaries: rows with field dictionaries filter as the
// same rows without (the per-row test of every field filter), field
// filters alone or with terms, narrowing or not.
func TestFilterWithDictionaries(t *testing.T) {
	rows := dictRows(3000)
	fields := map[string]int{"dept": 0, "name": 1, "status": 2}
	plain := mapRowsWith(t, rows, dictLayout, true, false)
	order := SortOrder(plain, 0, true)
	queries := []string{"dept:s", "dept:sa", "dept:sales", "dept:=sales", "dept:=sales status:=active", "status:s", "status:su",
		"status:sus us", "status:sus us 12", "dept:ops name:user 1", "dept:ops name:user 12", "dept:=eng", "dept:zz", "u", "us", "dept:\"sales ops\" 7"}
	for where, rs := range map[string]*Rows{"mapped": mapRowsWithDicts(t, rows, dictLayout), "in memory": NewRows(rows)} {
		for _, ord := range [][]int32{nil, order} {
			var prev Query
			var prevView []int32
			for _, s := range queries {
				q := ParseQuery(s, fields)
				var cand []int32
				if !prev.Empty() && q.Narrows(prev) {
					cand = prevView
				}
				g, w := filterRows(rs, ord, q, cand), Filter(plain, ord, q)
				if !slices.Equal(g, w) {
					t.Errorf("%s: %q (order %v, narrowing %v): %d rows with dictionaries, %d without", where, s, ord != nil, cand != nil, len(g), len(w))
				}
				prev, prevView = q, g
			}
		}
	}
}

// dictValues are the values DictBuilder emits for rows.
func dictValues(t *testing.T, rows []Row) []string {
	t.Helper()
	var b DictBuilder
	for _, r := range rows {
		b.Add(r.Fields)
	}
	var vals []string
	if err := b.Finish(func(v string) error { vals = append(vals, v); return nil }); err != nil {
		t.Fatal(err)
	}
	return vals
}

// columnFile writes a columns file of the given columns' values.
func columnFile(t *testing.T, cols ...[]string) *columns.File {
	t.Helper()
	dir := t.TempDir()
	w, err := columns.NewWriter(dir, len(cols))
	if err != nil {
		t.Fatal(err)
	}
	for i := range cols[0] {
		row := make([]string, len(cols))
		for k := range cols {
			row[k] = cols[k][i]
		}
		if err := w.Add(row...); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "dicts")
	if err := w.Finish(path, "t"); err != nil {
		t.Fatal(err)
	}
	f, err := columns.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestDictBuilderLimits: a field gets a dictionary only while its values
// are few (see maxDictValues, dictRowsPerValue, maxDictText), and the
// fields that get one come first in the header, ascending.
func TestDictBuilderLimits(t *testing.T) {
	long := strings.Repeat("x", 64<<10)
	tests := []struct {
		name  string
		rows  int
		value func(i int) string
		dict  bool
	}{
		{"one value", 10, func(int) string { return "a" }, true},
		{"a value every 4 rows", 400, func(i int) string { return fmt.Sprint(i / 4) }, true},
		{"a value every 3 rows", 300, func(i int) string { return fmt.Sprint(i / 3) }, false},
		{"65,536 values", 4 * maxDictValues, func(i int) string { return fmt.Sprint(i % maxDictValues) }, true},
		{"65,537 values", 4 * (maxDictValues + 1), func(i int) string { return fmt.Sprint(i % (maxDictValues + 1)) }, false},
		{"4 MiB of values", 256, func(i int) string { return fmt.Sprint(i%64) + long[:64<<10-2] }, true},
		{"over 4 MiB of values", 260, func(i int) string { return fmt.Sprint(i%65) + long }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := make([]Row, tt.rows)
			for i := range rows {
				// Field 0 is tt's, field 1 has the same value on every
				// row, field 2 only from row 2 on (empty before).
				rows[i].Fields = []string{tt.value(i), "x", ""}
				if i < 2 {
					rows[i].Fields = rows[i].Fields[:2]
				}
			}
			vals := dictValues(t, rows)
			head := make([]uint64, len(vals[0])/8)
			for k := range head {
				head[k] = binary.LittleEndian.Uint64([]byte(vals[0][8*k:]))
			}
			want := []uint64{uint64(tt.rows), 2, 1, 1, 2, 1}
			if tt.dict {
				want = []uint64{uint64(tt.rows), 3, 0, uint64(len(slices.Compact(sortedValues(rows, 0)))), 1, 1, 2, 1}
			}
			if !slices.Equal(head, want) {
				t.Fatalf("header %v, want %v", head, want)
			}
			rs, err := MappedRows(columnFile(t, make([]string, tt.rows), make([]string, tt.rows), make([]string, tt.rows), make([]string, tt.rows), make([]string, tt.rows)),
				Layout{Key: 0, Hay: 1, Fields: []int{2, 3, 4}}, nil, columnFile(t, vals))
			if err != nil {
				t.Fatal(err)
			}
			if got := rs.dicts[0] != nil; got != tt.dict {
				t.Fatalf("dictionary %v, want %v", got, tt.dict)
			}
		})
	}
}

func sortedValues(rows []Row, k int) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Fields[k]
	}
	slices.Sort(out)
	return out
}

// TestDictionaryDamage: a dictionaries file edited on purpose (its
// checksum made right again) that does not fit its rows is refused as
// ErrLayout, never read past its ends nor let rows through on an id
// without a value.
func TestDictionaryDamage(t *testing.T) {
	const n = 100
	rows := dictRows(n)
	good := dictValues(t, rows)
	f, _, _ := writeRows(t, rows, dictLayout)
	if _, err := MappedRows(f, dictLayout, nil, columnFile(t, good)); err != nil {
		t.Fatalf("the file as written: %v", err)
	}
	word := func(k int, v uint64) func([]string) []string {
		return func(vals []string) []string {
			b := []byte(vals[0])
			binary.LittleEndian.PutUint64(b[8*k:], v)
			vals[0] = string(b)
			return vals
		}
	}
	tests := []struct {
		name string
		edit func(vals []string) []string
	}{
		{"no values", func([]string) []string { return nil }},
		{"another number of rows", word(0, n+1)},
		{"more dictionaries than fields", word(1, 4)},
		{"fewer dictionaries", word(1, 1)},
		{"a field past the table's", word(2, 3)},
		{"fields out of order", func(vals []string) []string {
			b := []byte(vals[0])
			copy(b[16:32], vals[0][32:48])
			copy(b[32:48], vals[0][16:32])
			vals[0] = string(b)
			return vals
		}},
		{"no values in a dictionary", word(3, 0)},
		{"more values than ids can tell", word(3, maxDictValues+1)},
		{"one value less", word(3, 7)},
		{"a short header", func(vals []string) []string { vals[0] = vals[0][:12]; return vals }},
		{"an id past the values", func(vals []string) []string {
			b := []byte(vals[1])
			binary.LittleEndian.PutUint16(b[2*57:], 8)
			vals[1] = string(b)
			return vals
		}},
		{"truncated ids", func(vals []string) []string { vals[1] = vals[1][:len(vals[1])-8]; return vals }},
		{"misaligned ids", func(vals []string) []string { vals[0] += "\x00\x00"; return vals }},
		{"a value missing", func(vals []string) []string { return vals[:len(vals)-1] }},
		{"a value too many", func(vals []string) []string { return append(vals, "x") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MappedRows(f, dictLayout, nil, columnFile(t, tt.edit(slices.Clone(good))))
			if !errors.Is(err, ErrLayout) {
				t.Fatalf("MappedRows = %v, want ErrLayout", err)
			}
		})
	}
	// Two columns where one is expected.
	if _, err := MappedRows(f, dictLayout, nil, columnFile(t, good, good)); !errors.Is(err, ErrLayout) {
		t.Fatalf("two columns: %v, want ErrLayout", err)
	}
}
