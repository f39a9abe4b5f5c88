package table

import (
	"cmp"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	gosync "sync"
	"unicode"
	"unicode/utf8"

	"github.com/dirdeck/dirdeck/internal/textsafe"
)

// Query is a parsed filter: field filters ("dept:Sales") that must all
// hold, and free-text terms that must all fuzzy-match the row's haystack.
type Query struct {
	Fields []FieldFilter
	Terms  []string // lowercase
	// Unknown are the names of "name:value" tokens that name no field:
	// they match as plain text (an e-mail address, "mailto:x"), and the
	// status line says the name is not a field.
	Unknown []string
}

// FieldFilter requires a row's field to contain Value (lowercase,
// substring match), or with Exact to equal it ("group:=Sales": the whole
// value, in any case); any value of a multi-valued field will do.
type FieldFilter struct {
	Field int // index into Row.Fields
	Name  string
	Value string
	Exact bool
}

// holds reports whether field value v (values joined by "\n") passes f.
func (f FieldFilter) holds(v string) bool {
	if !f.Exact {
		return strings.Contains(v, f.Value)
	}
	for {
		line, rest, more := strings.Cut(v, "\n")
		if line == f.Value {
			return true
		}
		if !more {
			return false
		}
		v = rest
	}
}

// Empty reports whether the query filters nothing.
func (q Query) Empty() bool { return len(q.Fields) == 0 && len(q.Terms) == 0 }

// ParseQuery splits s into field filters and fuzzy terms. fields maps
// every accepted field name and alias (lowercase) to its Row.Fields
// index; "name:value" matches the field's values by substring and
// "name:=value" by the whole value. A token with an unknown name is an
// ordinary term, so that typing an e-mail address or a URL still works,
// and is listed in Unknown when the name is a plain word. Values may be
// double quoted to hold spaces: dept:"Human Resources", group:="Sales".
func ParseQuery(s string, fields map[string]int) Query {
	var q Query
	// Data is clean (see Row), so a pasted control character can only
	// match as the visible stand-in that cleaning gives it.
	for _, tok := range tokenize(textsafe.Clean(s)) {
		if name, val, ok := strings.Cut(tok, ":"); ok && val != "" {
			name = strings.ToLower(name)
			if idx, known := fields[name]; known {
				exact := strings.HasPrefix(val, "=")
				if v := strings.TrimPrefix(val, "="); v != "" || !exact {
					q.Fields = append(q.Fields, FieldFilter{Field: idx, Name: name, Value: strings.ToLower(v), Exact: exact})
					continue
				}
			} else if isWord(name) && !strings.HasPrefix(val, "//") {
				q.Unknown = append(q.Unknown, name)
			}
		}
		q.Terms = append(q.Terms, strings.ToLower(tok))
	}
	return q
}

// isWord reports whether s is a non-empty run of letters, digits, "_"
// or "-": what a mistyped field name looks like (a URL's scheme is
// told apart by the "//" after it).
func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !isWordRune(r) && r != '_' && r != '-' {
			return false
		}
	}
	return true
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

// match returns the rank of row i of rows for q; masks are q.masks().
// The row's masks are tested before anything else: most rows are ruled
// out by them alone, without reading their fields or text.
func (q Query) match(rows *Rows, i int, masks []termMask) int {
	has := rows.masks[i].has
	for k := range masks {
		if has&masks[k].need != masks[k].need {
			return noMatch
		}
	}
	for _, f := range q.Fields {
		v, ok := rows.field(i, f.Field)
		if !ok || !f.holds(v) {
			return noMatch
		}
	}
	pairs := rows.masks[i].pairs
	hay, read := "", false // the text, read at the first term that needs it
	rank := rankWordStart
	for k, t := range q.Terms {
		m := masks[k]
		if m.letter {
			// The mask is exact for one letter: present, and at a word
			// start or not.
			if has&m.initial == 0 && rank == rankWordStart {
				rank = rankSubstring
			}
			continue
		}
		maybeSub, maybeFuzzy := pairs.holds(m.pairs), has&m.initial != 0
		if rows.pix != nil && m.pairIDs != nil {
			if len(m.pairIDs) == 1 {
				// Two letters: the pair index is the answer.
				r := pairRank(rows.pix, m.pairIDs[0], i)
				if r == noMatch {
					return noMatch
				}
				rank = max(rank, r)
				continue
			}
			maybeSub = maybeSub && allPairs(rows.pix, pairSub, m.pairIDs, i)
			maybeFuzzy = maybeFuzzy && allPairs(rows.pix, pairFuzzy, m.firstTo, i)
		}
		if !maybeSub && !maybeFuzzy {
			return noMatch // neither a substring nor a subsequence from a word start
		}
		if !read {
			hay, read = rows.hay.At(i), true
		}
		r := termRank(hay, t, maybeSub, maybeFuzzy)
		if r == noMatch {
			return noMatch
		}
		rank = max(rank, r)
	}
	return rank
}

// pairRank is the rank of row i for a two-letter term, pair p.
func pairRank(x *pairIndex, p, i int) int {
	switch {
	case x.has(pairWord, p, i):
		return rankWordStart
	case x.has(pairSub, p, i):
		return rankSubstring
	case x.has(pairFuzzy, p, i):
		return rankFuzzy
	}
	return noMatch
}

// allPairs reports whether row i has every pair of ps as kind.
func allPairs(x *pairIndex, kind int, ps []int, i int) bool {
	for _, p := range ps {
		if !x.has(kind, p, i) {
			return false
		}
	}
	return true
}

// startsWord reports whether the character at byte i of hay begins a
// word: it is not preceded by a letter or digit.
func startsWord(hay string, i int) bool {
	if i == 0 {
		return true
	}
	if b := hay[i-1]; b < utf8.RuneSelf {
		return !asciiWord[b]
	}
	r, _ := utf8.DecodeLastRuneInString(hay[:i])
	return !isWordRune(r)
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWord[r]
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// asciiWord says which ASCII characters are letters or digits: the
// common case of isWordRune, without the Unicode tables.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c))
	}
	return t
}()

// Filter returns the indices of order's rows that match q: best rank
// first, the given order within a rank. order is the sorted base order
// (nil means natural order). It never modifies rows or order, so it can
// run off the UI goroutine on a snapshot.
func Filter(rows *Rows, order []int32, q Query) []int32 {
	return FilterWithin(rows, order, q, nil)
}

// parallelMin is the row count from which a pass splits the work across
// CPUs; below it the goroutines cost more than they save.
const parallelMin = 20_000

// FilterWithin is Filter restricted to the rows in candidates (nil: all
// rows). When a query only narrows the previous one (the user typed
// another character), the previous result is the candidate set, so most
// keystrokes test a shrinking fraction of the rows. The result is exactly
// Filter's: candidates only skip rows that cannot match.
//
// The candidates become a bitset, which the pair index (when the rows
// have one) narrows 64 rows at a time: a query of one- and two-letter
// terms is answered by it alone, and longer terms leave only the rows
// that hold all their letters and letter pairs. Only those are tested
// one by one (match), in their natural order, which walks the search
// text front to back (what the CPU's prefetcher is best at). The result
// lists each rank's rows in the base order, best rank first.
func FilterWithin(rows *Rows, order []int32, q Query, candidates []int32) []int32 {
	n := rows.Len()
	if q.Empty() {
		if order != nil {
			return order
		}
		return naturalOrder(n)
	}
	cand := fullBitset(n)
	if candidates != nil {
		cand = bitsetOf(n, candidates)
	}
	// Field filters with a dictionary narrow cand at once; match tests
	// the others. When they were all there is, cand is the answer.
	if q = rows.keepFields(q, cand); q.Empty() {
		return ranked{cand, newBitset(n), newBitset(n)}.list(order)
	}
	masks := q.masks()
	if rows.pix != nil {
		if rk, exact := rows.pix.narrow(q, masks, cand, n); exact {
			return rk.list(order)
		}
	}
	return q.check(rows, masks, cand).list(order)
}

// ranked is a filter pass's outcome: the rows of each rank.
type ranked [noMatch]bitset

// narrow answers what the pair index can of q. It narrows cand to the
// rows that may match, and when the index decides every term (one
// letter, or two letters a–z) and q has no field filters, it returns
// each rank's rows and true; otherwise match must still check the rows
// left in cand.
func (x *pairIndex) narrow(q Query, masks []termMask, cand bitset, n int) (ranked, bool) {
	exact := len(q.Fields) == 0
	// upTo[r] holds the rows that every decided term ranks r or better.
	var upTo ranked
	and := func(r int, s bitset) {
		if upTo[r] == nil {
			upTo[r] = slices.Clone(s)
		} else {
			upTo[r].and(s)
		}
	}
	for k, m := range masks {
		switch {
		case m.letter:
			c := int(q.Terms[k][0] - 'a')
			and(rankWordStart, x.indexMap(maskMap(maskInitials+c), n))
			present := x.indexMap(maskMap(c), n)
			and(rankSubstring, present)
			and(rankFuzzy, present)
		case len(m.pairIDs) == 1:
			p := m.pairIDs[0]
			and(rankWordStart, x.indexMap(pairMap(pairWord, p), n))
			sub := x.indexMap(pairMap(pairSub, p), n)
			and(rankSubstring, sub)
			sub.or(x.indexMap(pairMap(pairFuzzy, p), n))
			and(rankFuzzy, sub)
		default:
			exact = false
			for b := uint64(m.need); b != 0; b &= b - 1 {
				x.andMap(cand, maskMap(bits.TrailingZeros64(b)))
			}
			if m.pairIDs == nil {
				continue
			}
			// A substring holds every adjacent pair; a fuzzy match starts
			// a word with the first letter, each later one after it.
			sub := x.indexMap(pairMap(pairSub, m.pairIDs[0]), n)
			for _, p := range m.pairIDs[1:] {
				x.andMap(sub, pairMap(pairSub, p))
			}
			fuzzy := x.indexMap(maskMap(bits.TrailingZeros64(uint64(m.initial))), n)
			for _, p := range m.firstTo {
				x.andMap(fuzzy, pairMap(pairFuzzy, p))
			}
			sub.or(fuzzy)
			cand.and(sub)
		}
	}
	if upTo[rankFuzzy] != nil {
		cand.and(upTo[rankFuzzy])
	}
	if !exact {
		return ranked{}, false
	}
	// Every term was decided, so upTo[0] ⊆ upTo[1] ⊆ upTo[2] ⊇ cand.
	word, sub := upTo[rankWordStart], upTo[rankSubstring]
	word.and(cand)
	sub.and(cand)
	cand.andNot(sub)
	sub.andNot(word)
	return ranked{word, sub, cand}, true
}

// check tests the rows of cand one by one and returns each rank's rows.
// The rows' masks come first: most rows fail them without a call.
func (q Query) check(rows *Rows, masks []termMask, cand bitset) ranked {
	var need charMask
	for _, m := range masks {
		need |= m.need
	}
	var rk ranked
	for r := range rk {
		rk[r] = make(bitset, len(cand))
	}
	workers := 1
	if cand.count() >= parallelMin {
		workers = workersFor(rows.Len())
	}
	// Workers take whole words, so that each writes its own.
	inRanges(len(cand), workers, func(_, from, to int) {
		for k := from; k < to; k++ {
			for w := cand[k]; w != 0; w &= w - 1 {
				b := bits.TrailingZeros64(w)
				i := k*64 + b
				if rows.masks[i].has&need != need {
					continue
				}
				if r := q.match(rows, i, masks); r < noMatch {
					rk[r][k] |= 1 << b
				}
			}
		}
	})
	return rk
}

// list returns the rows of rk, best rank first, each rank's in order
// (nil: natural order).
func (rk ranked) list(order []int32) []int32 {
	var next [noMatch]int // where the next row of each rank goes
	total := 0
	for r, s := range rk {
		next[r] = total
		total += s.count()
	}
	out := make([]int32, total)
	if order == nil {
		at := out[:0]
		for _, s := range rk {
			at = s.appendRows(at)
		}
		return out
	}
	for _, i := range order {
		for r, s := range rk {
			if s.has(i) {
				out[next[r]] = i
				next[r]++
				break
			}
		}
	}
	return out
}

// workersFor is how many goroutines share a pass over n rows: one per CPU
// (at most 8) from parallelMin rows on, where they save more than they
// cost.
func workersFor(n int) int {
	if n < parallelMin {
		return 1
	}
	return min(runtime.GOMAXPROCS(0), 8)
}

// inRanges splits [0, n) into workers consecutive ranges and calls work
// on each, concurrently, returning when all are done.
func inRanges(n, workers int, work func(w, from, to int)) {
	if workers <= 1 {
		work(0, 0, n)
		return
	}
	var wg gosync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := range workers {
		wg.Go(func() { work(w, min(w*chunk, n), min((w+1)*chunk, n)) })
	}
	wg.Wait()
}

func naturalOrder(n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

// Equal reports whether q and o select the same rows in the same order.
// (Unknown only echoes Terms, so it does not count.)
func (q Query) Equal(o Query) bool {
	return slices.Equal(q.Fields, o.Fields) && slices.Equal(q.Terms, o.Terms)
}

// Narrows reports whether every row matching q also matches prev, so
// that q can be evaluated on prev's result alone: each of prev's field
// filters and terms is extended in place (same position, same field, its
// text a prefix of the new text; an exact filter only by itself) and q
// may add more. Substring and
// subsequence matches of a longer needle imply those of its prefix.
func (q Query) Narrows(prev Query) bool {
	if len(q.Fields) < len(prev.Fields) || len(q.Terms) < len(prev.Terms) {
		return false
	}
	for i, f := range prev.Fields {
		n := q.Fields[i]
		// A whole value implies each of its prefixes as a substring; a
		// whole value implies no other whole value.
		if n.Field != f.Field || !strings.HasPrefix(n.Value, f.Value) || f.Exact && (!n.Exact || n.Value != f.Value) {
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
func SortOrder(rows *Rows, col int, desc bool) []int32 {
	keys := make([]string, rows.Len())
	for i := range keys {
		if k := rows.sortKey(i, col); k != "" {
			keys[i] = k
		} else {
			keys[i] = strings.ToLower(rows.cell(i, col))
		}
	}
	order := naturalOrder(rows.Len())
	slices.SortStableFunc(order, func(a, b int32) int {
		c := strings.Compare(keys[a], keys[b])
		if desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a, b))
	})
	return order
}
