package table

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestHayOrder: rows sort by haystack, accents set aside, equal ones in
// their own order.
func TestHayOrder(t *testing.T) {
	hays := []string{"carol\nc@x", "alice\nz@x", "bob", "alice\na@x", "", "alice\nz@x", "emma", "élise", "eliza", "elise", "øyvind", "zoë"}
	got := HayOrder(len(hays), func(i int) string { return hays[i] })
	want := []int32{4, 3, 1, 5, 2, 0, 9, 7, 8, 6, 10, 11}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	// Haystacks that share their first eight bytes or are shorter, and
	// bytes past ASCII, sort as their accentless keys, then as strings.
	rng := rand.New(rand.NewPCG(7, 8))
	word := randomWords(rng, "a", "b", " ", "\n", "é", "ü", "z", "e")
	hays = hays[:0]
	for range 2000 {
		hays = append(hays, "alice sm"+word(rng.IntN(4)), word(rng.IntN(10)))
	}
	got = HayOrder(len(hays), func(i int) string { return hays[i] })
	ref := naturalOrder(len(hays))
	slices.SortStableFunc(ref, func(a, b int32) int {
		fa, _ := fold(hays[a])
		fb, _ := fold(hays[b])
		return cmp.Or(strings.Compare(fa, fb), strings.Compare(hays[a], hays[b]))
	})
	if !slices.Equal(got, ref) {
		t.Fatal("the order differs from a stable sort of the keys and strings")
	}
}

// TestFold: accents go, letters that do not decompose are spelled out,
// and what has none is left as it is.
func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"alice smith\nalice@x": "alice smith\nalice@x",
		"émilie":               "emilie",
		"søren straße":         "soren strasse",
		"łukasz nguyễn":        "lukasz nguyen",
		"ærø":                  "aero",
		"秀英 李":                 "秀英 李",
		"анна":                 "анна",
		"ananya शर्मा":         "ananya शर्मा",
		"йосиф":                "йосиф",
	} {
		got, changed := fold(in)
		if got != want || changed != (want != in) {
			t.Errorf("fold(%q) = %q, %v; want %q", in, got, changed, want)
		}
	}
}

// TestByHay: the rows in haystack order keep everything of each row, and
// filter as the same rows added in that order would.
func TestByHay(t *testing.T) {
	rows := []Row{
		{Key: "u1", Cells: []string{"Carol", "c@x"}, Hay: "carol\nc@x", Fields: []string{"sales"}},
		{Key: "u2", Cells: []string{"Alice", "a@x"}, SortKeys: []string{"", "2"}, Hay: "alice\na@x", Fields: []string{"eng"}},
		{Key: "u3", Cells: []string{"Bob"}, Hay: "bob"},
	}
	got := NewRows(rows).ByHay()
	want := NewRows([]Row{rows[1], rows[2], rows[0]})
	if got.Len() != want.Len() {
		t.Fatalf("%d rows, want %d", got.Len(), want.Len())
	}
	for i := range want.Len() {
		g, w := got.Row(i), want.Row(i)
		if g.Key != w.Key || !slices.Equal(g.Cells, w.Cells) || !slices.Equal(g.SortKeys, w.SortKeys) {
			t.Errorf("row %d: %+v, want %+v", i, g, w)
		}
	}
	fields := map[string]int{"dept": 0}
	for _, q := range []string{"", "al", "dept:eng", "o", "x"} {
		if g, w := keys(got, Filter(got, nil, ParseQuery(q, fields))), keys(want, Filter(want, nil, ParseQuery(q, fields))); !slices.Equal(g, w) {
			t.Errorf("%q: %v, want %v", q, g, w)
		}
	}
}

// TestLayoutRow: Row undoes Values for every part of a row.
func TestLayoutRow(t *testing.T) {
	for _, r := range []Row{
		{Key: "u1", Cells: []string{"Alice", "a@x"}, SortKeys: []string{"k"}, Hay: "alice\na@x", Fields: []string{"eng"}},
		{Key: "u2", Cells: []string{"Bob", ""}, Hay: "bob", Fields: []string{""}},
	} {
		got := testLayout.Row(testLayout.Values(r))
		if got.Key != r.Key || got.Hay != r.Hay || !slices.Equal(got.Cells, r.Cells) || !slices.Equal(got.SortKeys, r.SortKeys) || !slices.Equal(got.Fields, r.Fields) {
			t.Errorf("%+v came back as %+v", r, got)
		}
	}
}
