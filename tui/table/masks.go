package table

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// charMask summarises a haystack in one word, so that most rows are
// ruled out for a term without searching them: bits 0–25 say which of
// a–z occur, 26–35 which digits, 36 that some other byte does; bits 37–62
// which of a–z begin a word and 63 that some other character does.
type charMask uint64

const (
	maskOtherByte    = 36
	maskInitials     = 37
	maskOtherInitial = 63
)

func byteBit(b byte) charMask {
	switch {
	case b >= 'a' && b <= 'z':
		return 1 << (b - 'a')
	case b >= '0' && b <= '9':
		return 1 << (26 + b - '0')
	}
	return 1 << maskOtherByte
}

func initialBit(r rune) charMask {
	if r >= 'a' && r <= 'z' {
		return 1 << (maskInitials + r - 'a')
	}
	return 1 << maskOtherInitial
}

// pairMask is a 128-bit Bloom filter of the adjacent byte pairs of a
// haystack's lines. A term can only occur where all of its own pairs do,
// so most rows that lack a two- or three-letter term are ruled out
// without searching them. With a typical haystack's 50-odd distinct
// pairs about a third of the bits are set.
type pairMask [2]uint64

// pairBit returns the bit of the pair (a, b): a multiplicative hash, so
// that the pairs of ordinary words spread over all 128 bits.
func pairBit(a, b byte) pairMask {
	h := (uint32(a)<<8 | uint32(b)) * 0x9e3779b1 >> 25
	var m pairMask
	m[h>>6] = 1 << (h & 63)
	return m
}

func (m *pairMask) add(o pairMask) { m[0] |= o[0]; m[1] |= o[1] }

// holds reports whether every bit of o is set in m.
func (m pairMask) holds(o pairMask) bool { return m[0]&o[0] == o[0] && m[1]&o[1] == o[1] }

// maskOf computes hay's charMask and pairMask. Word starts are where
// startsWord finds them: any character not preceded by a letter or digit.
// Pairs across a line break are left out: terms never hold one.
func maskOf(hay string) (charMask, pairMask) {
	var m charMask
	var pairs pairMask
	inWord := false
	for i := 0; i < len(hay); {
		r, size := rune(hay[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(hay[i:])
		}
		for k := range size {
			m |= byteBit(hay[i+k])
			if j := i + k; j > 0 && hay[j-1] != '\n' && hay[j] != '\n' {
				pairs.add(pairBit(hay[j-1], hay[j]))
			}
		}
		if !inWord {
			m |= initialBit(r)
		}
		inWord = isWordRune(r)
		i += size
	}
	return m, pairs
}

// termMask is what a row's masks must hold for a term to match: every
// byte of the term (substring and subsequence matches both need them),
// every adjacent pair for a substring match, and for a word-start or
// subsequence match its first character at a word start. letter marks a
// one-letter term, which the charMask alone answers.
type termMask struct {
	need, initial charMask
	pairs         pairMask
	letter        bool
	// twoLetters marks a term of two letters a–z, which a pair index
	// answers alone.
	twoLetters bool
	// subPairs are the pairs (see pairOf) of the term's adjacent letters
	// a–z: a row where it is a substring holds every one of them.
	subPairs []int
	// fuzzyPairs pair its first character, when a letter a–z, with each
	// later letter a–z: a row where it matches from a word start holds
	// every one of them as pairFuzzy.
	fuzzyPairs []int
	// orderPairs are the pairs of each later letter a–z with the next,
	// when both are: such a row holds every one of them as pairOrder.
	orderPairs []int
	// skipPairs pair each letter a–z with the letter two bytes on, when
	// it is one: a row where the term is a substring holds every one of
	// them as pairSkip.
	skipPairs []int
	// puncts are the bitmaps (see punctMap) of the term's punctuation
	// characters, which every matching row holds.
	puncts []int
}

// masks returns the termMask of each of q's terms.
func (q Query) masks() []termMask {
	out := make([]termMask, len(q.Terms))
	for k, t := range q.Terms {
		m := &out[k]
		for i := range len(t) {
			m.need |= byteBit(t[i])
			if p, ok := punctMap(t[i]); ok && !slices.Contains(m.puncts, p) {
				m.puncts = append(m.puncts, p)
			}
			if i == 0 {
				continue
			}
			m.pairs.add(pairBit(t[i-1], t[i]))
			if p, ok := pairOf(t[i-1], t[i]); ok {
				m.subPairs = append(m.subPairs, p)
			}
			if p, ok := pairOf(t[0], t[i]); ok {
				m.fuzzyPairs = append(m.fuzzyPairs, p)
			}
			if p, ok := pairOf(t[i-1], t[i]); ok && i > 1 {
				m.orderPairs = append(m.orderPairs, p)
			}
			if i > 1 {
				if p, ok := pairOf(t[i-2], t[i]); ok {
					m.skipPairs = append(m.skipPairs, p)
				}
			}
		}
		if strings.IndexByte(t, '@') >= 0 {
			// The fuzzy and ordered pairs stop at an "@", which such a
			// term's fuzzy match crosses (see termRank).
			m.fuzzyPairs, m.orderPairs = nil, nil
		}
		first, _ := utf8.DecodeRuneInString(t)
		m.initial = initialBit(first)
		m.letter = len(t) == 1 && t[0] >= 'a' && t[0] <= 'z'
		m.twoLetters = len(t) == 2 && len(m.subPairs) == 1
	}
	return out
}
