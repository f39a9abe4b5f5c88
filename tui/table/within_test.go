package table

import (
	"slices"
	"testing"
)

// TestRowsWithin: a table over part of its rows shows, sorts, filters
// and counts only the rows kept, whatever the sort, and Except keeps the
// rows whose key it does not drop.
func TestRowsWithin(t *testing.T) {
	rows := NewRows(sample())
	keep := rows.Except(func(key string) bool { return key == "u1" || key == "u4" })
	if want := []int32{1, 2, 4, 5}; !slices.Equal(keep, want) {
		t.Fatalf("Except kept %v, want %v", keep, want)
	}
	m := newTable(t, nil, 80, 10)
	m = run(t, m, m.SetRowsWithin(rows, keep))
	tests := []struct {
		query string
		col   int
		desc  bool
		want  []string
	}{
		{"", -1, false, []string{"u2", "u3", "u5", "u6"}},
		{"", 0, true, []string{"u5", "u6", "u3", "u2"}},
		{"dept:sales", -1, false, []string{"u3"}},
		{"ali", 0, false, []string{"u2", "u3"}}, // u1 matches too, but is left out
		{"dan", -1, false, nil},
	}
	for _, tt := range tests {
		m = run(t, m, m.SetSort(tt.col, tt.desc))
		m = run(t, m, m.ApplyQueryNow(tt.query))
		if got := keys(rows, m.view.rows()); !slices.Equal(got, tt.want) {
			t.Errorf("%q sorted by %d (desc %v) shows %v, want %v", tt.query, tt.col, tt.desc, got, tt.want)
		}
		if m.Total() != len(keep) {
			t.Errorf("Total = %d, want the %d rows kept", m.Total(), len(keep))
		}
	}
	// Any sort, any query, narrowing or not: the rows the whole table
	// shows, in its order, without those left out.
	for _, col := range []int{-1, 0, 3} {
		for _, desc := range []bool{false, true} {
			m = run(t, m, m.SetSort(col, desc))
			for _, q := range []string{"a", "al", "ali", "a", "", "s", "status:", "status:active", "e"} {
				m = run(t, m, m.ApplyQueryNow(q))
				var order []int32
				if col >= 0 {
					order = SortOrder(rows, col, desc)
				}
				want := slices.DeleteFunc(keys(rows, Filter(rows, order, ParseQuery(q, fields))), func(k string) bool { return k == "u1" || k == "u4" })
				if got := keys(rows, m.view.rows()); !slices.Equal(got, want) {
					t.Errorf("%q sorted by %d (desc %v) shows %v, want %v", q, col, desc, got, want)
				}
			}
		}
	}
	// Every row again once the table is given all of them.
	m = run(t, m, m.SetRows(rows))
	m = run(t, m, m.ApplyQueryNow(""))
	if m.Total() != rows.Len() || m.Len() != rows.Len() {
		t.Errorf("after SetRows: %d of %d rows, want all %d", m.Len(), m.Total(), rows.Len())
	}
}
