package table

import (
	"math/bits"
	"slices"
	"sync"
)

// bitset holds one bit per row: bit i%64 of word i/64 is row i. A filter
// pass narrows bitsets a word (64 rows) at a time where the pair index
// can answer, and visits single rows only where it cannot.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

// andEither narrows s to the rows in a or b.
func (s bitset) andEither(a, b bitset) {
	for i := range s {
		s[i] &= a[i] | b[i]
	}
}

// spares are bitsets that filter passes are done with, kept for the next
// passes: a keystroke at a million rows needs several of 128 KiB, and
// memory new to the process costs a page fault every 4 KiB, which on a
// virtual machine whose memory the host hands out lazily is tens of
// microseconds each (a third of a pass's time for the first few).
var spares struct {
	sync.Mutex
	sets   []bitset
	warmed map[int]bool // sizes (in words) warmSpares has warmed
}

// maxSpares bounds the bitsets kept (a few passes' worth).
const maxSpares = 12

// spare takes a kept bitset of the given number of words; nil when none
// is kept.
func spare(words int) bitset {
	spares.Lock()
	defer spares.Unlock()
	for k := len(spares.sets) - 1; k >= 0; k-- {
		if c := spares.sets[k]; len(c) == words {
			spares.sets = slices.Delete(spares.sets, k, k+1)
			return c
		}
	}
	return nil
}

// spareCopy returns a copy of s, in a spare bitset when one is kept.
func spareCopy(s bitset) bitset {
	if c := spare(len(s)); c != nil {
		copy(c, s)
		return c
	}
	return slices.Clone(s)
}

// spareBitset returns a bitset of n rows, all clear, in a spare one when
// one is kept.
func spareBitset(n int) bitset {
	if c := spare((n + 63) / 64); c != nil {
		clear(c)
		return c
	}
	return newBitset(n)
}

// warmSpares keeps spare bitsets of n rows ready, their memory written,
// the first time a table of n rows loads: the page faults then happen
// while it loads rather than at its first keystrokes. (Later, passes
// give back what they are done with.)
func warmSpares(n int) {
	words := (n + 63) / 64
	if n < parallelMin {
		return
	}
	spares.Lock()
	done := spares.warmed[words]
	if !done {
		if spares.warmed == nil {
			spares.warmed = map[int]bool{}
		}
		spares.warmed[words] = true
	}
	spares.Unlock()
	if done {
		return
	}
	sets := make([]bitset, maxSpares)
	for k := range sets {
		sets[k] = newBitset(n)
		for w := 0; w < words; w += 512 { // a write a page
			sets[k][w] = 0
		}
	}
	giveBack(sets...)
}

// giveBack keeps sets for spareCopy; the caller must not use them again.
func giveBack(sets ...bitset) {
	spares.Lock()
	defer spares.Unlock()
	for _, s := range sets {
		if s != nil && len(spares.sets) < maxSpares {
			spares.sets = append(spares.sets, s)
		}
	}
}

// fullBitset has the bits of rows [0, n) set.
func fullBitset(n int) bitset {
	s := newBitset(n)
	for i := range s {
		s[i] = ^uint64(0)
	}
	if r := n % 64; r != 0 {
		s[len(s)-1] = 1<<r - 1
	}
	return s
}

// bitsetOf has the bits of rows set.
func bitsetOf(n int, rows []int32) bitset {
	s := newBitset(n)
	for _, i := range rows {
		s[i/64] |= 1 << (i % 64)
	}
	return s
}

func (s bitset) has(i int32) bool { return s[i/64]>>(i%64)&1 != 0 }

func (s bitset) and(o bitset) {
	for i := range s {
		s[i] &= o[i]
	}
}

func (s bitset) or(o bitset) {
	for i := range s {
		s[i] |= o[i]
	}
}

func (s bitset) andNot(o bitset) {
	for i := range s {
		s[i] &^= o[i]
	}
}

func (s bitset) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// indexMap is a pair index bitmap (see pairMap and maskMap) as one bitset
// over every row, its blocks copied side by side.
func (x *pairIndex) indexMap(m, n int) bitset {
	s := make(bitset, 0, (n+63)/64)
	for k := range x.blocks {
		s = append(s, x.bitmap(m, k)...)
	}
	return s
}

// andMap narrows s to the rows in bitmap m.
func (x *pairIndex) andMap(s bitset, m int) {
	for k := range x.blocks {
		w := s[k*pairBlock/64:]
		for j, v := range x.bitmap(m, k) {
			w[j] &= v
		}
	}
}
