package table

import "math/bits"

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
