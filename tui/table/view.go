package table

import (
	"math/bits"
	"sort"
)

// view is the rows a table shows, in order. A sorted table's view is a
// list of row numbers. A table in natural order keeps a filter pass's
// rows of each rank as bitsets, shown best rank first, and finds the row
// at a position by counting bits: at a million rows that spares every
// keystroke the listing of up to a million row numbers (4 MB written,
// and on a machine short of free pages as many page faults), of which a
// frame shows fifty.
type view struct {
	list []int32 // the rows in order; nil for a ranked view
	rk   ranked  // a ranked view's rows of each rank
	// start[r] is the position of the first row of rank r; before[r][g]
	// counts rank r's rows in the words before group g (of groupWords).
	start  [noMatch + 1]int
	before [noMatch][]int32
}

// groupWords is how many words of a ranked view share a count: finding a
// position scans at most that many words, and the counts take a
// sixteenth of the bitsets' memory.
const groupWords = 8

// listView shows rows in the order given.
func listView(rows []int32) view { return view{list: rows} }

// rankedView shows each rank's rows of rk in natural order, best rank
// first.
func rankedView(rk ranked) view {
	v := view{rk: rk}
	for r, s := range rk {
		groups := (len(s) + groupWords - 1) / groupWords
		before := make([]int32, groups+1)
		for g := range groups {
			n := before[g]
			for _, word := range s[g*groupWords : min((g+1)*groupWords, len(s))] {
				n += int32(bits.OnesCount64(word))
			}
			before[g+1] = n
		}
		v.before[r] = before
		v.start[r+1] = v.start[r] + int(before[groups])
	}
	return v
}

// allRows is the view of rows [0, n) in natural order.
func allRows(n int) view {
	return rankedView(ranked{fullBitset(n), newBitset(n), newBitset(n)})
}

// Len is the number of rows shown.
func (v *view) Len() int {
	if v.list != nil || v.rk[0] == nil {
		return len(v.list)
	}
	return v.start[noMatch]
}

// At returns the row shown at position k (0 ≤ k < Len).
func (v *view) At(k int) int32 {
	if v.list != nil {
		return v.list[k]
	}
	r := 0
	for k >= v.start[r+1] {
		r++
	}
	k -= v.start[r]
	before := v.before[r]
	// The last group with fewer than k+1 rows before it holds the row.
	g := sort.Search(len(before)-1, func(g int) bool { return int(before[g+1]) > k })
	k -= int(before[g])
	w := g * groupWords
	for ; k >= bits.OnesCount64(v.rk[r][w]); w++ {
		k -= bits.OnesCount64(v.rk[r][w])
	}
	word := v.rk[r][w]
	for range k {
		word &= word - 1
	}
	return int32(w*64 + bits.TrailingZeros64(word))
}

// Index returns the position of row i in the view, or -1.
func (v *view) Index(i int32) int {
	if v.list != nil || v.rk[0] == nil {
		for k, ri := range v.list {
			if ri == i {
				return k
			}
		}
		return -1
	}
	w, bit := int(i/64), uint64(1)<<(i%64)
	for r, s := range v.rk {
		if w < len(s) && s[w]&bit != 0 {
			g := w / groupWords
			k := v.start[r] + int(v.before[r][g]) + bits.OnesCount64(s[w]&(bit-1))
			for _, word := range s[g*groupWords : w] {
				k += bits.OnesCount64(word)
			}
			return k
		}
	}
	return -1
}

// each calls f with every position and row in order until f returns
// false.
func (v *view) each(f func(k int, i int32) bool) {
	if v.list != nil || v.rk[0] == nil {
		for k, i := range v.list {
			if !f(k, i) {
				return
			}
		}
		return
	}
	k := 0
	for _, s := range v.rk {
		for w, word := range s {
			for ; word != 0; word &= word - 1 {
				if !f(k, int32(w*64+bits.TrailingZeros64(word))) {
					return
				}
				k++
			}
		}
	}
}

// members returns the rows shown as a bitset over n rows: the candidates
// of a pass that narrows this one.
func (v *view) members(n int) bitset {
	if v.list != nil || v.rk[0] == nil {
		return bitsetOf(n, v.list)
	}
	s := spareCopy(v.rk[0])
	s.or(v.rk[1])
	s.or(v.rk[2])
	return s
}

// rows lists the rows shown, in order.
func (v *view) rows() []int32 {
	if v.list != nil || v.rk[0] == nil {
		return v.list
	}
	out := make([]int32, 0, v.Len())
	v.each(func(_ int, i int32) bool { out = append(out, i); return true })
	return out
}
