package table

import (
	"encoding/binary"
	"math/bits"
	"unsafe"

	"github.com/dirdeck/dirdeck/internal/columns"
)

// A pair index says exactly, for every row and every pair of letters
// a–z, whether the pair occurs in the row's haystack: anywhere
// (pairSub), at the start of a word (pairWord), and as a word start
// followed later on its line by the second letter (pairFuzzy), and
// anywhere followed later on its line by the second letter (pairOrder),
// "on its line" meaning also on the same side of an "@" for these two, as
// for fuzzy matches (see termRank), and with one byte between them
// (pairSkip: "x?z", which with the two adjacent pairs tells most rows
// holding "xy" and "yz" but not "xyz" apart: "mcallister" for "ali").
// The first three are all a two-letter term needs, so its pass reads
// three bits a row and never the text: the second letter of a word is
// the slowest keystroke at a million users otherwise (nearly every row
// is still a candidate, and fuzzy matching must read most of them).
// Longer terms use them to rule rows out exactly where the 128-bit
// pairMask only may; pairOrder rules out most rows whose letters are all
// there but not in the term's order on any line, which is what most
// failed fuzzy matches look like (half the rows a three-letter term
// left to read at a million users, four in five for longer terms).
//
// Beside the pairs, each block holds the rows' charMask transposed: one
// bitmap per bit (letters, digits, other bytes, word initials), so that
// a one-letter term is answered, and any term's characters rule rows
// out, 64 rows a word without reading the rows' masks; and one bitmap
// for each ASCII punctuation character and the space, which the charMask
// lumps together with every other byte: most rows hold "@" and ".", few
// a ":" (a field filter half typed, "dept:") or an apostrophe.
//
// The index is stored transposed, one bitmap per kind and pair (then per
// mask bit, then per punctuation character) for each block of pairBlock
// rows, so that a term touches 3 × 8 KiB a block. At 435 bytes a row it
// is built for the rows of a
// file (see PairBuilder and MappedRows), where it is mapped, not for rows
// in memory.
const (
	pairBlock   = 1 << 16
	pairLetters = 26
	pairCount   = pairLetters * pairLetters
	maskBits    = 64 // bits of a charMask
	punctBytes  = 33 // ASCII punctuation and the space
	// blockMaps is how many bitmaps a block holds: every kind of every
	// pair, every charMask bit, every punctuation character.
	blockMaps = pairKinds*pairCount + maskBits + punctBytes
)

// The kinds of pair occurrence, in the order of their bitmaps.
const (
	pairSub = iota
	pairWord
	pairFuzzy
	pairOrder
	pairSkip
	pairKinds
)

type pairIndex struct {
	blocks [][]uint64 // per block: blockMaps bitmaps
}

// pairMap and maskMap number a block's bitmaps: pair p as kind, and
// charMask bit b.
func pairMap(kind, p int) int { return kind*pairCount + p }
func maskMap(b int) int       { return pairKinds*pairCount + b }

// punctMap numbers the bitmap of punctuation character c; false for a
// byte that has none (letters, digits, controls, non-ASCII).
func punctMap(c byte) (int, bool) {
	if k := punctIndex[c]; k > 0 {
		return pairKinds*pairCount + maskBits + int(k) - 1, true
	}
	return 0, false
}

// punctIndex numbers the punctuation characters from 1 (0: none).
var punctIndex = func() (t [256]uint8) {
	k := uint8(0)
	for c := ' '; c <= '~'; c++ {
		if !asciiWord[c] {
			k++
			t[c] = k
		}
	}
	return t
}()

// pairOf numbers the pair (a, b) of letters a–z; false for other bytes.
func pairOf(a, b byte) (int, bool) {
	if a < 'a' || a > 'z' || b < 'a' || b > 'z' {
		return 0, false
	}
	return int(a-'a')*pairLetters + int(b-'a'), true
}

// bitmap returns bitmap m of block k: a word for every 64 of its rows.
func (x *pairIndex) bitmap(m, k int) []uint64 {
	b := x.blocks[k]
	words := len(b) / blockMaps
	return b[m*words : (m+1)*words]
}

// pairsOf calls set for every kind and pair hay holds (some more than
// once). It is linear in hay's length, hostile values included.
func pairsOf(hay string, set func(kind, p int)) {
	for start := 0; start < len(hay); {
		end := start
		for end < len(hay) && hay[end] != '\n' {
			end++
		}
		line := hay[start:end]
		var seen uint32 // letters to the right of the position, on this line
		// after[c]: the letters after c's first place on the line (the
		// last one this loop, going left, sees).
		var after [pairLetters]uint32
		// orders records the ordered pairs of the part of the line just
		// walked, and starts the next: the fuzzy and ordered pairs stop at
		// an "@" as fuzzy matches do (see termRank).
		orders := func() {
			for c, ys := range after {
				for ; ys != 0; ys &= ys - 1 {
					set(pairOrder, c*pairLetters+bits.TrailingZeros32(ys))
				}
			}
			after, seen = [pairLetters]uint32{}, 0
		}
		for i := len(line) - 1; i >= 0; i-- {
			c := line[i]
			if c == '@' {
				orders()
			}
			if c < 'a' || c > 'z' {
				continue
			}
			if i+2 < len(line) {
				if p, ok := pairOf(c, line[i+2]); ok {
					set(pairSkip, p)
				}
			}
			if i+1 < len(line) {
				if p, ok := pairOf(c, line[i+1]); ok {
					set(pairSub, p)
					if startsWord(hay, start+i) {
						set(pairWord, p)
					}
				}
			}
			if seen != 0 && startsWord(hay, start+i) {
				for y := range pairLetters {
					if seen&(1<<y) != 0 {
						set(pairFuzzy, int(c-'a')*pairLetters+y)
					}
				}
			}
			after[c-'a'] = seen
			seen |= 1 << (c - 'a')
		}
		orders()
		start = end + 1
	}
}

// PairBuilder computes the pair index of rows added in order, handing
// each finished block to emit as one value (for one row of a columns
// file), so that it never holds more than one block (28.5 MB); the last
// value it emits holds every row's masks (24 bytes a row), so that a
// mapped table need not compute them at start.
type PairBuilder struct {
	emit  func(block string) error
	block []uint64
	n     int    // rows in the current block
	masks []byte // every row's masks so far, little-endian
}

// NewPairBuilder returns a PairBuilder that emits blocks to emit.
func NewPairBuilder(emit func(block string) error) *PairBuilder {
	return &PairBuilder{emit: emit}
}

// Add adds the next row's haystack.
func (b *PairBuilder) Add(hay string) error {
	if b.block == nil {
		b.block = make([]uint64, blockMaps*pairBlock/64)
	}
	has, pairs := maskOf(hay)
	j := b.n
	set := func(m int) { b.block[m*(pairBlock/64)+j/64] |= 1 << (j % 64) }
	for w := uint64(has); w != 0; w &= w - 1 {
		set(maskMap(bits.TrailingZeros64(w)))
	}
	if has&(1<<maskOtherByte) != 0 {
		for i := range len(hay) {
			if m, ok := punctMap(hay[i]); ok {
				set(m)
			}
		}
	}
	for _, w := range [3]uint64{uint64(has), pairs[0], pairs[1]} {
		b.masks = binary.LittleEndian.AppendUint64(b.masks, w)
	}
	pairsOf(hay, func(kind, p int) { set(pairMap(kind, p)) })
	b.n++
	if b.n == pairBlock {
		return b.flush()
	}
	return nil
}

// Finish emits the last, partial block and the masks.
func (b *PairBuilder) Finish() error {
	if b.n > 0 {
		if err := b.flush(); err != nil {
			return err
		}
	}
	return b.emit(unsafe.String(unsafe.SliceData(b.masks), len(b.masks)))
}

// flush emits the current block, with as many words a bitmap as its rows
// need, and starts the next.
func (b *PairBuilder) flush() error {
	words := (b.n + 63) / 64
	out := make([]byte, 0, blockMaps*words*8)
	for bm := range blockMaps {
		for _, w := range b.block[bm*(pairBlock/64) : bm*(pairBlock/64)+words] {
			out = append(out, byte(w), byte(w>>8), byte(w>>16), byte(w>>24), byte(w>>32), byte(w>>40), byte(w>>48), byte(w>>56))
		}
	}
	clear(b.block)
	b.n = 0
	return b.emit(unsafe.String(unsafe.SliceData(out), len(out)))
}

// mappedPairs lays a pair index and the rows' masks over a column of
// PairBuilder's values for n rows; false when the column does not fit.
func mappedPairs(c columns.Column, n int) (*pairIndex, []rowMask, bool) {
	blocks := (n + pairBlock - 1) / pairBlock
	if c.Len() != blocks+1 {
		return nil, nil, false
	}
	x := &pairIndex{blocks: make([][]uint64, blocks)}
	for k := range blocks {
		rows := min(pairBlock, n-k*pairBlock)
		words, ok := inPlace[uint64](c.At(k), blockMaps*((rows+63)/64))
		if !ok {
			return nil, nil, false
		}
		x.blocks[k] = words
	}
	masks, ok := inPlace[rowMask](c.At(blocks), n)
	if !ok {
		return nil, nil, false
	}
	return x, masks, true
}

// inPlace reads v as n values of T where it lies (T is made of uint64s,
// stored little-endian); false when v is not n of them or not aligned.
func inPlace[T any](v string, n int) ([]T, bool) {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if len(v) != n*size {
		return nil, false
	}
	if n == 0 {
		return nil, true
	}
	p := unsafe.StringData(v)
	if uintptr(unsafe.Pointer(p))%8 != 0 {
		return nil, false
	}
	return unsafe.Slice((*T)(unsafe.Pointer(p)), n), true
}

// littleEndian: the blocks are stored little-endian and read in place.
var littleEndian = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 1 }()
