package table

import (
	"cmp"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
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
// out by them alone, without reading their fields or text. (Rows with a
// pair index are tested by checkIndexed instead.)
func (q Query) match(rows *Rows, i int, masks []termMask) int {
	has := rows.masks[i].has
	for k := range masks {
		if has&masks[k].need != masks[k].need {
			return noMatch
		}
	}
	if !q.fieldsHold(rows, i) {
		return noMatch
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

// fieldsHold reports whether row i passes every field filter of q.
func (q Query) fieldsHold(rows *Rows, i int) bool {
	for _, f := range q.Fields {
		v, ok := rows.field(i, f.Field)
		if !ok || !f.holds(v) {
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
	v := filterWithin(rows, order, q, nil)
	return v.rows()
}

// parallelMin is the row count from which a pass splits the work across
// CPUs; below it the goroutines cost more than they save.
const parallelMin = 20_000

// filterWithin is Filter restricted to the rows in candidates (nil: all
// rows), which it takes over (it narrows them in place), and returning
// the view of the rows. When a query only narrows the previous one (the
// user typed another character), the previous result is the candidate
// set, so most keystrokes test a shrinking fraction of the rows. The
// result is exactly Filter's: candidates only skip rows that cannot
// match.
//
// The pair index (when the rows have one) narrows the candidates 64 rows
// at a time: a query of one- and two-letter terms and dictionary fields
// is answered by it alone, and longer terms leave only the rows that hold
// all their letters and letter pairs. Only those are tested one by one,
// in their natural order, which walks the search text front to back
// (what the CPU's prefetcher is best at).
func filterWithin(rows *Rows, order []int32, q Query, candidates bitset) view {
	n := rows.Len()
	if q.Empty() {
		warmSpares(n)
		if order != nil {
			return listView(order)
		}
		return allRows(n)
	}
	cand := candidates
	if cand == nil {
		cand = fullBitset(n)
	}
	// Field filters with a dictionary narrow cand at once; match tests
	// the others. When they were all there is, cand is the answer.
	if q = rows.keepFields(q, cand); q.Empty() {
		return ranked{cand, newBitset(n), newBitset(n)}.view(order)
	}
	masks := q.masks()
	if rows.pix == nil {
		return q.check(rows, masks, cand).view(order)
	}
	x := rows.pix.narrow(q, masks, cand, n)
	if x.exact {
		// Every term was decided, so upTo[0] ⊆ upTo[1] ⊆ upTo[2] ⊇ cand.
		word, sub := x.upTo[rankWordStart], x.upTo[rankSubstring]
		word.and(cand)
		sub.and(cand)
		cand.andNot(sub)
		sub.andNot(word)
		giveBack(x.upTo[rankFuzzy])
		return ranked{word, sub, cand}.view(order)
	}
	rk := q.checkIndexed(rows, cand, x)
	// Nothing of the pass but rk is left in use.
	giveBack(cand)
	giveBack(x.upTo[:]...)
	giveBack(x.sub...)
	giveBack(x.fuzzy...)
	return rk.view(order)
}

// ranked is a filter pass's outcome: the rows of each rank.
type ranked [noMatch]bitset

// indexed is what the pair index decided of a query (see narrow).
type indexed struct {
	// exact: the index decided every term, and there are no field
	// filters left to test.
	exact bool
	// upTo[r] holds the rows that every decided term ranks r or better
	// (nil: no term was decided).
	upTo ranked
	// For each term the index could not decide (nil for the others), the
	// rows where it may be a substring and where it may match from a
	// word start: all a row's text search needs to know.
	sub, fuzzy []bitset
}

// narrow answers what the pair index can of q: it narrows cand to the
// rows that may match and decides one- and two-letter terms (a–z) for
// every row, 64 rows a word. For each other term it finds where a
// substring and a fuzzy match are still possible, so that checkIndexed
// reads only the text of a row, never its masks.
func (x *pairIndex) narrow(q Query, masks []termMask, cand bitset, n int) indexed {
	r := indexed{exact: len(q.Fields) == 0, sub: make([]bitset, len(masks)), fuzzy: make([]bitset, len(masks))}
	// and narrows upTo[rk] to the rows in bitmap m (or in s, when m < 0).
	and := func(rk, m int, s bitset) {
		switch {
		case r.upTo[rk] == nil && m >= 0:
			r.upTo[rk] = x.indexMap(m, n)
		case r.upTo[rk] == nil:
			r.upTo[rk] = s
		case m >= 0:
			x.andMap(r.upTo[rk], m)
		default:
			r.upTo[rk].and(s)
		}
	}
	for k, m := range masks {
		switch {
		case m.letter:
			c := int(q.Terms[k][0] - 'a')
			and(rankWordStart, maskMap(maskInitials+c), nil)
			and(rankSubstring, maskMap(c), nil)
			and(rankFuzzy, maskMap(c), nil)
		case m.twoLetters:
			p := m.subPairs[0]
			and(rankWordStart, pairMap(pairWord, p), nil)
			and(rankSubstring, pairMap(pairSub, p), nil)
			either := x.indexMap(pairMap(pairSub, p), n)
			either.or(x.indexMap(pairMap(pairFuzzy, p), n))
			and(rankFuzzy, -1, either)
		default:
			r.exact = false
			for b := uint64(m.need); b != 0; b &= b - 1 {
				x.andMap(cand, maskMap(bits.TrailingZeros64(b)))
			}
			for _, p := range m.puncts {
				x.andMap(cand, p)
			}
			// A substring holds every adjacent pair of letters and every
			// pair two bytes apart; a fuzzy match starts a word with the
			// first character, each later letter after it on its line,
			// and after the one before it.
			sub := spareCopy(cand)
			for _, p := range m.subPairs {
				x.andMap(sub, pairMap(pairSub, p))
			}
			for _, p := range m.skipPairs {
				x.andMap(sub, pairMap(pairSkip, p))
			}
			fuzzy := spareCopy(cand)
			x.andMap(fuzzy, maskMap(bits.TrailingZeros64(uint64(m.initial))))
			for _, p := range m.fuzzyPairs {
				x.andMap(fuzzy, pairMap(pairFuzzy, p))
			}
			for _, p := range m.orderPairs {
				x.andMap(fuzzy, pairMap(pairOrder, p))
			}
			r.sub[k], r.fuzzy[k] = sub, fuzzy
		}
	}
	if r.upTo[rankFuzzy] != nil {
		cand.and(r.upTo[rankFuzzy])
	}
	for k := range r.sub {
		if r.sub[k] != nil {
			cand.andEither(r.sub[k], r.fuzzy[k])
		}
	}
	return r
}

// checkIndexed tests the rows of cand that narrow left undecided: their
// remaining field filters and the text of the terms the index could not
// decide. It reads nothing else of a row: what the index knows comes
// from x's bitsets, which stay in the CPU's caches where a row's masks
// would cost a miss.
//
// When the haystack ends with fields that have dictionaries (see
// Layout.HayTail), a term is ranked once per distinct value of those
// lines, and a row's text is read only before them: a row whose title
// starts with the term needs no reading at all, and one that matches
// there less well is only searched for a better place. At a million
// users a third letter's matches are often in the title or department
// ("sta": staff; "dep": development).
func (q Query) checkIndexed(rows *Rows, cand bitset, x indexed) ranked {
	tails := rows.tailRanks(q, x)
	// known is what row i's rank is without its text: the index's
	// decided terms, the field filters and the tail's ranks tell it, or
	// they leave a term whose text must be read.
	known := func(i int) (rank int, read bool) {
		rank = rankWordStart
		if up := x.upTo; up[rankWordStart] != nil && !up[rankWordStart].has(int32(i)) {
			rank = rankSubstring
			if !up[rankSubstring].has(int32(i)) {
				rank = rankFuzzy
			}
		}
		if !q.fieldsHold(rows, i) {
			return noMatch, false
		}
		for k := range q.Terms {
			if x.sub[k] == nil {
				continue
			}
			r, ok := tails.settled(k, i, x.sub[k].has(int32(i)))
			if !ok {
				read = true
				continue
			}
			rank = max(rank, r)
		}
		return rank, read
	}
	return checkRows(rows, cand, known, func(i, rank int) int {
		hay := rows.hay.At(i)
		head := tails.head(hay, i)
		for k, t := range q.Terms {
			if x.sub[k] == nil {
				continue
			}
			r := tails.rankOn(k, i, head, t, x.sub[k].has(int32(i)), x.fuzzy[k].has(int32(i)))
			if r == noMatch {
				return noMatch
			}
			rank = max(rank, r)
		}
		return rank
	})
}

// tailRanks are the ranks of a query's terms on each distinct value of
// the fields that end the rows' haystacks (see Layout.HayTail).
type tailRanks struct {
	dicts []*fieldDict // the tail's fields, in haystack order
	// ranks[k][j][v] is term k's rank on value v of tail field j (nil
	// for the terms the index decided).
	ranks [][][]uint8
}

// tailRanks ranks q's undecided terms on the values of the haystack's
// tail; the zero tailRanks (every row read whole) when the rows have no
// tail or one of its fields has no dictionary.
func (rs *Rows) tailRanks(q Query, x indexed) tailRanks {
	var tr tailRanks
	for _, f := range rs.hayTail {
		if f >= len(rs.dicts) || rs.dicts[f] == nil {
			return tailRanks{}
		}
		tr.dicts = append(tr.dicts, rs.dicts[f])
	}
	if tr.dicts == nil {
		return tailRanks{}
	}
	tr.ranks = make([][][]uint8, len(q.Terms))
	for k, t := range q.Terms {
		if x.sub[k] == nil {
			continue
		}
		tr.ranks[k] = make([][]uint8, len(tr.dicts))
		for j, d := range tr.dicts {
			ranks := make([]uint8, d.count)
			for v := range ranks {
				ranks[v] = uint8(termRank(d.value(v), t, true, true))
			}
			tr.ranks[k][j] = ranks
		}
	}
	return tr
}

// head returns row i's haystack without its tail, or all of it when
// there is no tail. The tail's length comes from its values, so that
// the text is not read for it; an edited file whose text does not end
// with them only gets wrong matches, never a read outside the text.
func (tr *tailRanks) head(hay string, i int) string {
	cut := len(hay)
	for _, d := range tr.dicts {
		cut -= len(d.value(int(d.ids[i]))) + 1
	}
	if cut < 0 {
		return hay
	}
	return hay[:cut]
}

// tail is term k's best rank on row i's tail (noMatch when there is no
// tail).
func (tr *tailRanks) tail(k, i int) int {
	r := noMatch
	for j, d := range tr.dicts {
		r = min(r, int(tr.ranks[k][j][d.ids[i]]))
	}
	return r
}

// settled is term k's rank on row i when its tail decides it without
// the rest of its text: the term starts a word there, or matches there
// and cannot be a substring before it (sub as for termRank). Otherwise
// it returns the tail's rank and false.
func (tr *tailRanks) settled(k, i int, sub bool) (int, bool) {
	r := tr.tail(k, i)
	return r, r == rankWordStart || r < noMatch && !sub
}

// rankOn ranks term k on row i, whose haystack without its tail is head:
// the better of its rank on the tail and on head, where head is searched
// only for what could be better (sub and fuzzy as for termRank).
func (tr *tailRanks) rankOn(k, i int, head, t string, sub, fuzzy bool) int {
	switch r, ok := tr.settled(k, i, sub); {
	case ok:
		return r
	case r == noMatch:
		return termRank(head, t, sub, fuzzy)
	default:
		return min(r, occurrenceRank(head, t))
	}
}

// check tests the rows of cand one by one with match and returns each
// rank's rows. The rows' masks come first: most rows fail them without a
// call.
func (q Query) check(rows *Rows, masks []termMask, cand bitset) ranked {
	var need charMask
	for _, m := range masks {
		need |= m.need
	}
	return checkRows(rows, cand, func(i int) (int, bool) {
		if rows.masks[i].has&need != need {
			return noMatch, false
		}
		return q.match(rows, i, masks), false
	}, nil)
}

// checkRows ranks every row of cand, across the CPUs when there are
// many, and returns each rank's rows. known ranks a row from what costs
// no memory miss (bitsets, dictionary ids), or says its text must be
// read: read then ranks it, starting from known's rank. Only the rows to
// read are loaded, and their text is prefetched a few words ahead, so
// that it arrives while the rows before are read: a third letter's pass
// at a million users reads 50k–100k rows' text that no recent keystroke
// touched, and waiting for each row's memory in turn made half its time.
func checkRows(rows *Rows, cand bitset, known func(i int) (rank int, read bool), read func(i, rank int) int) ranked {
	var rk ranked
	for r := range rk {
		rk[r] = spareBitset(rows.Len())
	}
	workers := 1
	if cand.count() >= parallelMin {
		workers = workersFor(rows.Len())
	}
	// Workers take whole words, so that each writes its own.
	inRanges(len(cand), workers, func(from, to int) {
		// Word k's rows are read while the text of the next words' rows
		// is on its way: ahead[k%prefetchWords] holds what known said
		// of word k's rows.
		var ahead [prefetchWords]struct {
			toRead uint64
			ranks  [64]uint8
		}
		for k := from; k < to+prefetchWords-1; k++ {
			if k < to {
				a := &ahead[k%prefetchWords]
				a.toRead = 0
				for w := cand[k]; w != 0; w &= w - 1 {
					b := bits.TrailingZeros64(w)
					r, more := known(k*64 + b)
					if more {
						a.toRead |= 1 << b
						a.ranks[b] = uint8(r)
					} else if r < noMatch {
						rk[r][k] |= 1 << b
					}
				}
				for w := a.toRead; w != 0; w &= w - 1 {
					rows.hay.Prefetch(k*64 + bits.TrailingZeros64(w))
				}
			}
			done := k - prefetchWords + 1 // the word whose rows are read now
			if done < from {
				continue
			}
			a := &ahead[done%prefetchWords]
			for w := a.toRead; w != 0; w &= w - 1 {
				b := bits.TrailingZeros64(w)
				if r := read(done*64+b, int(a.ranks[b])); r < noMatch {
					rk[r][done] |= 1 << b
				}
			}
		}
	})
	return rk
}

// prefetchWords is how many words of candidates checkRows looks ahead
// when it prefetches the text it will read.
const prefetchWords = 4

// view shows the rows of rk, best rank first, each rank's in order (nil:
// natural order).
func (rk ranked) view(order []int32) view {
	if order == nil {
		return rankedView(rk)
	}
	var next [noMatch]int // where the next row of each rank goes
	total := 0
	for r, s := range rk {
		next[r] = total
		total += s.count()
	}
	out := make([]int32, total)
	for _, i := range order {
		for r, s := range rk {
			if s.has(i) {
				out[next[r]] = i
				next[r]++
				break
			}
		}
	}
	return listView(out)
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

// inRanges calls work on consecutive ranges that cover [0, n), from
// workers goroutines at once (the caller's among them), and returns when
// all are done. The ranges are small and taken in turn, not split in
// equal shares up front: a CPU that starts late (a virtual CPU woken from
// idle takes about 2 ms on some hosts) or runs slow (an efficiency core)
// then does less of the work instead of holding up the pass.
func inRanges(n, workers int, work func(from, to int)) {
	if workers <= 1 {
		work(0, n)
		return
	}
	chunk := max(n/(workers*rangesPerWorker), 1)
	var next atomic.Int64
	run := func() {
		for {
			from := int(next.Add(int64(chunk))) - chunk
			if from >= n {
				return
			}
			work(from, min(from+chunk, n))
		}
	}
	var wg gosync.WaitGroup
	for range workers - 1 {
		wg.Go(run)
	}
	run()
	wg.Wait()
}

// rangesPerWorker is how many ranges inRanges cuts per worker: enough
// that one worker starting late costs little, few enough that taking a
// range costs nothing next to its work.
const rangesPerWorker = 16

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
