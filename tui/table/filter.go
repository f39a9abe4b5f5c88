package table

import (
	"cmp"
	"runtime"
	"slices"
	"strings"
	gosync "sync"
	"unicode"
	"unicode/utf8"
)

// Query is a parsed filter: field filters ("dept:Sales") that must all
// hold, and free-text terms that must all fuzzy-match the row's haystack.
type Query struct {
	Fields []FieldFilter
	Terms  []string // lowercase
}

// FieldFilter requires a row's field to contain Value (lowercase,
// substring match; any value of a multi-valued field will do).
type FieldFilter struct {
	Field int // index into Row.Fields
	Name  string
	Value string
}

// Empty reports whether the query filters nothing.
func (q Query) Empty() bool { return len(q.Fields) == 0 && len(q.Terms) == 0 }

// ParseQuery splits s into field filters and fuzzy terms. fields maps
// every accepted field name and alias (lowercase) to its Row.Fields
// index; a "name:value" token with an unknown name is an ordinary term so
// that typing an e-mail address or a URL still works. Values may be double
// quoted to hold spaces: dept:"Human Resources".
func ParseQuery(s string, fields map[string]int) Query {
	var q Query
	for _, tok := range tokenize(s) {
		if name, val, ok := strings.Cut(tok, ":"); ok && val != "" {
			if idx, known := fields[strings.ToLower(name)]; known {
				q.Fields = append(q.Fields, FieldFilter{Field: idx, Name: strings.ToLower(name), Value: strings.ToLower(val)})
				continue
			}
		}
		q.Terms = append(q.Terms, strings.ToLower(tok))
	}
	return q
}

// tokenize splits on white space, keeping double-quoted runs together and
// dropping the quotes.
func tokenize(s string) []string {
	var toks []string
	var cur strings.Builder
	inQuote := false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
		case unicode.IsSpace(r) && !inQuote:
			if cur.Len() > 0 {
				toks = append(toks, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		toks = append(toks, cur.String())
	}
	return toks
}

// Match ranks: lower is better; noMatch means the row is filtered out.
const (
	rankWordStart = iota // every term starts a word of the haystack
	rankSubstring        // every term occurs in the haystack
	rankFuzzy            // some term only matches as a subsequence
	noMatch
)

// match returns the rank of row r for q.
func (q Query) match(r *Row) int {
	for _, f := range q.Fields {
		if f.Field >= len(r.Fields) || !strings.Contains(r.Fields[f.Field], f.Value) {
			return noMatch
		}
	}
	rank := rankWordStart
	for _, t := range q.Terms {
		i := strings.Index(r.Hay, t)
		switch {
		case i < 0:
			if !subsequence(r.Hay, t) {
				return noMatch
			}
			rank = rankFuzzy
		case rank == rankWordStart && !wordStart(r.Hay, i, t):
			rank = rankSubstring
		}
	}
	return rank
}

// wordStart reports whether some occurrence of t in hay, the first being
// at i, begins a word.
func wordStart(hay string, i int, t string) bool {
	for i >= 0 {
		if i == 0 {
			return true
		}
		if !isWordRune(lastRune(hay[:i])) {
			return true
		}
		j := strings.Index(hay[i+1:], t)
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// subsequence reports whether the runes of t appear in order inside one
// line of hay (fields are newline-separated), starting at the beginning of
// a word. Both limits keep fuzzy matching useful on long haystacks, where
// an unconstrained subsequence matches almost anything.
func subsequence(hay, t string) bool {
	first, size := utf8.DecodeRuneInString(t)
	rest := t[size:]
	for i := 0; i < len(hay); {
		j := strings.IndexRune(hay[i:], first)
		if j < 0 {
			return false
		}
		i += j
		if i == 0 || !isWordRune(lastRune(hay[:i])) {
			line := hay[i+size:]
			if nl := strings.IndexByte(line, '\n'); nl >= 0 {
				line = line[:nl]
			}
			if inOrder(line, rest) {
				return true
			}
		}
		i += size
	}
	return false
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// inOrder reports whether the runes of t appear in s in order.
func inOrder(s, t string) bool {
	for _, r := range t {
		var i int
		if r < utf8.RuneSelf {
			i = strings.IndexByte(s, byte(r))
		} else {
			i = strings.IndexRune(s, r)
		}
		if i < 0 {
			return false
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		s = s[i+size:]
	}
	return true
}

// Filter returns the indices of order's rows that match q: best rank
// first, the given order within a rank. order is the sorted base order
// (nil means natural order). It never modifies rows or order, so it can
// run off the UI goroutine on a snapshot.
func Filter(rows []Row, order []int32, q Query) []int32 {
	return FilterWithin(rows, order, q, nil)
}

// parallelMin is the row count from which Filter splits the work across
// CPUs; below it the goroutines cost more than they save.
const parallelMin = 20_000

// FilterWithin is Filter restricted to the rows in candidates (nil: all
// rows). When a query only narrows the previous one (the user typed
// another character), the previous result is the candidate set, so most
// keystrokes test a shrinking fraction of the rows. The result is exactly
// Filter's: candidates only skip rows that cannot match.
func FilterWithin(rows []Row, order []int32, q Query, candidates []int32) []int32 {
	n := len(rows)
	if q.Empty() {
		if order != nil {
			return order
		}
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(i)
		}
		return out
	}
	var allowed []bool
	if candidates != nil {
		allowed = make([]bool, n)
		for _, i := range candidates {
			allowed[i] = true
		}
	}
	at := func(k int) int32 {
		if order != nil {
			return order[k]
		}
		return int32(k)
	}
	scan := func(from, to int) [noMatch][]int32 {
		var buckets [noMatch][]int32
		for k := from; k < to; k++ {
			i := at(k)
			if allowed != nil && !allowed[i] {
				continue
			}
			if rk := q.match(&rows[i]); rk != noMatch {
				buckets[rk] = append(buckets[rk], i)
			}
		}
		return buckets
	}
	workers := 1
	if n >= parallelMin && (candidates == nil || len(candidates) >= parallelMin) {
		workers = min(runtime.GOMAXPROCS(0), 8)
	}
	parts := make([][noMatch][]int32, workers)
	if workers == 1 {
		parts[0] = scan(0, n)
	} else {
		var wg gosync.WaitGroup
		chunk := (n + workers - 1) / workers
		for w := range workers {
			wg.Go(func() { parts[w] = scan(w*chunk, min((w+1)*chunk, n)) })
		}
		wg.Wait()
	}
	total := 0
	for _, p := range parts {
		for _, b := range p {
			total += len(b)
		}
	}
	out := make([]int32, 0, total)
	for rk := range noMatch {
		for _, p := range parts {
			out = append(out, p[rk]...)
		}
	}
	return out
}

// Equal reports whether q and o select the same rows in the same order.
func (q Query) Equal(o Query) bool {
	return slices.Equal(q.Fields, o.Fields) && slices.Equal(q.Terms, o.Terms)
}

// Narrows reports whether every row matching q also matches prev, so
// that q can be evaluated on prev's result alone: each of prev's field
// filters and terms is extended in place (same position, same field, its
// text a prefix of the new text) and q may add more. Substring and
// subsequence matches of a longer needle imply those of its prefix.
func (q Query) Narrows(prev Query) bool {
	if len(q.Fields) < len(prev.Fields) || len(q.Terms) < len(prev.Terms) {
		return false
	}
	for i, f := range prev.Fields {
		if q.Fields[i].Field != f.Field || !strings.HasPrefix(q.Fields[i].Value, f.Value) {
			return false
		}
	}
	for i, t := range prev.Terms {
		if !strings.HasPrefix(q.Terms[i], t) {
			return false
		}
	}
	return true
}

// SortOrder returns the row indices sorted by column col (descending when
// desc), ties broken by natural order so the result is deterministic.
// Columns with a SortKey compare those keys; others compare the
// case-folded cell text.
func SortOrder(rows []Row, col int, desc bool) []int32 {
	keys := make([]string, len(rows))
	for i := range rows {
		r := &rows[i]
		switch {
		case col < len(r.SortKeys) && r.SortKeys[col] != "":
			keys[i] = r.SortKeys[col]
		case col < len(r.Cells):
			keys[i] = strings.ToLower(r.Cells[col])
		}
	}
	order := make([]int32, len(rows))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		c := strings.Compare(keys[a], keys[b])
		if desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a, b))
	})
	return order
}
