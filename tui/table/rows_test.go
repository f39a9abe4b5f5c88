package table

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// referenceRank is the matching rule written as plainly as possible, with
// none of the index's shortcuts (masks, one-letter answers, line skips),
// to check them against.
func referenceRank(hay string, fields []string, q Query) int {
	for _, f := range q.Fields {
		if f.Field >= len(fields) {
			return noMatch
		}
		if f.Exact && !slices.Contains(strings.Split(fields[f.Field], "\n"), f.Value) || !f.Exact && !strings.Contains(fields[f.Field], f.Value) {
			return noMatch
		}
	}
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	startsAt := func(i int) bool {
		r, _ := utf8.DecodeLastRuneInString(hay[:i])
		return i == 0 || !isWord(r)
	}
	rank := rankWordStart
	for _, t := range q.Terms {
		word, sub, fuzzy := false, false, false
		for i := 0; i <= len(hay)-len(t); i++ {
			if strings.HasPrefix(hay[i:], t) {
				sub = true
				word = word || startsAt(i)
			}
		}
		// A subsequence starting at a word start, within one line and,
		// unless the term holds an "@", on one side of any "@" in it.
		lines := strings.Split(hay, "\n")
		if !strings.Contains(t, "@") {
			lines = strings.FieldsFunc(hay, func(r rune) bool { return r == '\n' || r == '@' })
		}
		for _, line := range lines {
			for i, r := range line {
				first, _ := utf8.DecodeRuneInString(t)
				prev, _ := utf8.DecodeLastRuneInString(line[:i])
				if r != first || (i > 0 && isWord(prev)) {
					continue
				}
				rest := []rune(t)[1:]
				for _, c := range line[i+utf8.RuneLen(r):] {
					if len(rest) > 0 && c == rest[0] {
						rest = rest[1:]
					}
				}
				if len(rest) == 0 {
					fuzzy = true
				}
			}
		}
		switch {
		case word:
		case sub:
			rank = max(rank, rankSubstring)
		case fuzzy && utf8.RuneCountInString(t) > 1:
			rank = max(rank, rankFuzzy)
		default:
			return noMatch
		}
	}
	return rank
}

// randomWords returns a maker of random words of n characters of
// alphabet.
func randomWords(rng *rand.Rand, alphabet ...string) func(n int) string {
	return func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
}

// TestMatchAgreesWithReference checks the index's match against
// referenceRank on random haystacks and terms over an alphabet that mixes
// ASCII letters and digits, punctuation, line breaks and non-ASCII
// letters (where the masks fall back to their shared "other" bits).
func TestMatchAgreesWithReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := randomWords(rng, "a", "b", "e", "l", "s", "m", "0", "7", " ", ".", "@", "-", "\n", "é", "ö", "山", "σ", "ß")
	var rows []Row
	var hays []string
	var fieldVals [][]string
	for range 3000 {
		hay := word(1 + rng.IntN(40))
		fs := []string{word(rng.IntN(6)), word(rng.IntN(3))}
		hays, fieldVals = append(hays, hay), append(fieldVals, fs)
		rows = append(rows, Row{Key: hay, Hay: hay, Fields: append([]string(nil), fs...)})
	}
	// In memory, and mapped from files with a pair index.
	for _, rs := range []*Rows{NewRows(rows), mapRowsWithPairs(t, rows, Layout{Key: 0, Hay: 1, Fields: []int{2, 3}})} {
		matchAgreesWithReference(t, rng, word, rs, hays, fieldVals)
	}
}

// TestHayTailMatchesReference: rows whose haystacks end with fields
// that have dictionaries (Layout.HayTail) are ranked by those fields'
// values and the rest of their text, exactly as the reference ranks the
// whole text.
func TestHayTailMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	word := randomWords(rng, "a", "b", "e", "l", "s", "m", "0", " ", ".", "@", "-", "é", "山")
	titles := []string{"", "sales lead", "ab.el", "mel sab", "é-sam", "lambs"}
	depts := []string{"", "ops", "sea lab", "blame 0", "ab"}
	var rows []Row
	var hays []string
	var fieldVals [][]string
	for range 3000 {
		prefix := word(1+rng.IntN(20)) + "\n" + word(rng.IntN(12))
		title, dept := titles[rng.IntN(len(titles))], depts[rng.IntN(len(depts))]
		hay := prefix + "\n" + title + "\n" + dept
		fs := []string{title, dept}
		hays, fieldVals = append(hays, hay), append(fieldVals, fs)
		rows = append(rows, Row{Key: hay, Hay: hay, Fields: fs})
	}
	rs := mapRowsWith(t, rows, Layout{Key: 0, Hay: 1, Fields: []int{2, 3}, HayTail: []int{0, 1}}, true, true)
	if len(rs.dicts) != 2 || rs.dicts[0] == nil || rs.dicts[1] == nil {
		t.Fatal("the tail fields have no dictionaries")
	}
	matchAgreesWithReference(t, rng, word, rs, hays, fieldVals)

	// A file edited so that haystacks are shorter than their tails says
	// they are filters without reading outside the text.
	for i := range rows {
		rows[i].Hay = rows[i].Hay[:min(len(rows[i].Hay), 3)]
	}
	edited := mapRowsWith(t, rows, Layout{Key: 0, Hay: 1, Fields: []int{2, 3}, HayTail: []int{0, 1}}, true, true)
	for _, q := range []string{"sal", "ab.", "a b", "lam", "sea l", "@"} {
		for _, i := range Filter(edited, nil, ParseQuery(q, nil)) {
			if int(i) >= len(rows) {
				t.Fatalf("%q: row %d of %d", q, i, len(rows))
			}
		}
	}
}

func matchAgreesWithReference(t *testing.T, rng *rand.Rand, word func(int) string, rs *Rows, hays []string, fieldVals [][]string) {
	alphabet := []string{"a", "b", "e", "l", "s", "m"}
	for range 600 {
		var q Query
		for range 1 + rng.IntN(2) {
			term := strings.TrimSpace(strings.ReplaceAll(word(1+rng.IntN(3)), "\n", ""))
			if term != "" {
				q.Terms = append(q.Terms, term)
			}
		}
		if rng.IntN(3) == 0 {
			q.Fields = append(q.Fields, FieldFilter{Field: rng.IntN(3), Value: alphabet[rng.IntN(6)], Exact: rng.IntN(2) == 0})
		}
		masks := q.masks()
		ranks := make([]int, len(hays))
		for i := range hays {
			got, want := q.match(rs, i, masks), referenceRank(hays[i], fieldVals[i], q)
			if got != want {
				t.Fatalf("query %+v on hay %q fields %q: rank %d, reference %d", q, hays[i], fieldVals[i], got, want)
			}
			ranks[i] = want
		}
		// The whole pass, which the pair index narrows or answers, over
		// some of the rows in a shuffled order.
		order := naturalOrder(len(hays))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		in := make([]bool, len(hays))
		candidates := slices.DeleteFunc(slices.Clone(order), func(i int32) bool { in[i] = rng.IntN(4) != 0; return !in[i] })
		var want []int32
		for rk := range noMatch {
			for _, i := range order {
				if ranks[i] == rk && in[i] && !q.Empty() {
					want = append(want, i)
				}
			}
		}
		if got := filterRows(rs, order, q, candidates); !q.Empty() && !slices.Equal(got, want) {
			t.Fatalf("query %+v: the pass lists %d rows, the reference %d", q, len(got), len(want))
		}
	}
}

func TestNewRowsCopiesWhatItKeeps(t *testing.T) {
	rows := []Row{
		{Key: "a", Cells: []string{"A", "x"}, SortKeys: []string{"", "2"}, Hay: "alice", Fields: []string{"sales", "active"}},
		{Key: "b", Cells: []string{"B"}, Hay: "bob"},
	}
	rs := NewRows(rows)
	if rows[0].Hay != "alice" || rows[0].Fields[1] != "active" {
		t.Errorf("NewRows changed its input: %+v", rows[0])
	}
	rows[0].Cells[0] = "changed"
	if got := rs.Row(0); rs.Len() != 2 || got.Key != "a" || !slices.Equal(got.Cells, []string{"A", "x"}) || !slices.Equal(got.SortKeys, []string{"", "2"}) {
		t.Errorf("row 0 = %+v", got)
	}
	if got := rs.Row(1); got.Key != "b" || !slices.Equal(got.Cells, []string{"B", ""}) || got.SortKeys != nil || got.Hay != "" {
		t.Errorf("row 1 = %+v", got)
	}
	if v, ok := rs.field(0, 1); !ok || v != "active" {
		t.Errorf("field(0, 1) = %q, %v", v, ok)
	}
	// A row with fewer fields reads as empty ones; a field no row has is absent.
	if v, ok := rs.field(1, 1); !ok || v != "" {
		t.Errorf("field(1, 1) = %q, %v", v, ok)
	}
	if _, ok := rs.field(0, 2); ok {
		t.Error("field 2 exists")
	}
	if got := keys(rs, Filter(rs, nil, ParseQuery("status:act", map[string]int{"status": 1}))); len(got) != 1 || got[0] != "a" {
		t.Errorf("status:act = %v", got)
	}
	if got := keys(rs, SortOrder(rs, 1, true)); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("sorted by column 1, descending = %v (a's sort key 2 beats b's empty cell)", got)
	}
}

// TestPastedControlCharacters: a control character typed or pasted into
// the filter matches only its visible stand-in, never raw text.
func TestPastedControlCharacters(t *testing.T) {
	rs := NewRows([]Row{{Key: "x", Hay: "a␀b"}, {Key: "y", Hay: "ab"}})
	if got := keys(rs, Filter(rs, nil, ParseQuery("a\x00b", nil))); len(got) != 1 || got[0] != "x" {
		t.Errorf(`"a\x00b" matched %v, want [x]`, got)
	}
}

// TestHugeHostileValuesFilterInLinearTime: a megabyte-long value made of
// one-letter words is the worst case for fuzzy matching (every letter
// starts a word). Matching stays linear in the value's length: one
// in-order check per line, not one per word start (which took minutes).
func TestHugeHostileValuesFilterInLinearTime(t *testing.T) {
	// Both letters of "ab" occur, but b only before every a: each of the
	// half million word-start a's begins a failed in-order check.
	huge := "b " + strings.Repeat("a ", 1<<19) // 1 MiB, one line
	rs := NewRows([]Row{{Key: "huge", Hay: huge + "\n" + huge}, {Key: "small", Hay: "alex"}})
	start := time.Now()
	for _, q := range []string{"ab", "a ab", "zz"} {
		if got := keys(rs, Filter(rs, nil, ParseQuery(q, nil))); slices.Contains(got, "huge") {
			t.Errorf("%q matched the huge row", q)
		}
	}
	if got := keys(rs, Filter(rs, nil, ParseQuery("aa", nil))); !slices.Contains(got, "huge") {
		t.Error(`"aa" (a subsequence within the line) did not match the huge row`)
	}
	// Linear work is a few milliseconds; the quadratic version took
	// minutes. The bound only catches that.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("filtering a 2 MiB row took %v", d)
	}
}

// TestBuilderInBatches: rows added in batches, with Grow in between and
// ragged rows (a later row with more cells, sort keys or fields than the
// first), index exactly as NewRows indexes them all at once.
func TestBuilderInBatches(t *testing.T) {
	all := []Row{
		{Key: "a", Cells: []string{"A"}, Hay: "alpha"},
		{Key: "b", Cells: []string{"B", "b2"}, SortKeys: []string{"", "1"}, Hay: "beta", Fields: []string{"x"}},
		{Key: "c", Cells: []string{"C", "c2", "c3"}, Hay: "gamma", Fields: []string{"y", "z"}},
		{Key: "d", Hay: "delta"},
	}
	var b Builder
	b.Add(all[0])
	b.Grow(3)
	b.Add(all[1:3]...)
	b.Add(all[3])
	got, want := b.Rows(), NewRows(all)
	if got.Len() != 4 || want.Len() != 4 {
		t.Fatalf("lengths %d and %d", got.Len(), want.Len())
	}
	for i := range all {
		g, w := got.Row(i), want.Row(i)
		if g.Key != w.Key || !slices.Equal(g.Cells, w.Cells) || !slices.Equal(g.SortKeys, w.SortKeys) {
			t.Errorf("row %d: built %+v, NewRows %+v", i, g, w)
		}
		if got.hay.At(i) != all[i].Hay {
			t.Errorf("row %d haystack %q", i, got.hay.At(i))
		}
	}
	if r := got.Row(0); !slices.Equal(r.Cells, []string{"A", "", ""}) {
		t.Errorf("row 0 cells %q: a short row reads as empty cells", r.Cells)
	}
	fields := map[string]int{"f": 0, "g": 1}
	for _, q := range []string{"f:x", "g:z", "a", "ta"} {
		if g, w := keys(got, Filter(got, nil, ParseQuery(q, fields))), keys(want, Filter(want, nil, ParseQuery(q, fields))); !slices.Equal(g, w) {
			t.Errorf("%q: built %v, NewRows %v", q, g, w)
		}
	}
	if g := keys(got, SortOrder(got, 1, false)); !slices.Equal(g, []string{"a", "d", "b", "c"}) {
		t.Errorf("sorted by column 1: %v (b's sort key 1 sorts before c2)", g)
	}
}
