package table

import (
	"strings"
	"unicode/utf8"
)

// termRank ranks term t on haystack hay: rankWordStart when t occurs at
// the start of a word (see startsWord), rankSubstring when it only occurs
// inside words, rankFuzzy when it is no substring but its characters
// appear in order inside one line of hay from the start of a word (fields
// are newline-separated; both limits keep fuzzy matching useful on long
// haystacks, where an unconstrained subsequence matches almost anything),
// and noMatch otherwise. A fuzzy match also stays on one side of an "@"
// (an address's local part or its domain: a…l…i…c across
// "alex.smith@example.com" is noise), unless the term holds one. A
// one-byte term never matches fuzzily.
//
// sub=false says the caller's masks prove t is no substring, so that
// search is skipped. fuzzy=false says they prove that no word start
// begins t's characters in order within its line: then no fuzzy match is
// possible and no occurrence of t starts a word either (it would be such
// a start), so an occurrence needs no further look. hay and t are valid
// UTF-8 (both are cleaned) and t, a term split at white space, holds no
// line break.
func termRank(hay, t string, sub, fuzzy bool) int {
	if !fuzzy {
		if sub && strings.Contains(hay, t) {
			return rankSubstring
		}
		return noMatch
	}
	rank := noMatch
	if sub {
		rank = occurrenceRank(hay, t)
	}
	if rank == noMatch && len(t) > 1 && inOrderFromStart(hay, t) {
		return rankFuzzy
	}
	return rank
}

// occurrenceRank is termRank without fuzzy matching: rankWordStart when
// t occurs at the start of a word, rankSubstring when it only occurs
// inside words, noMatch otherwise.
func occurrenceRank(hay, t string) int {
	rank := noMatch
	for at := -1; ; {
		i := strings.Index(hay[at+1:], t)
		if i < 0 {
			return rank
		}
		if at += 1 + i; startsWord(hay, at) {
			return rankWordStart
		}
		rank = rankSubstring // a later occurrence may still start a word
	}
}

// inOrderFromStart reports whether the characters of t appear in order
// inside one line of hay, the first at a word start; an "@" ends a line
// here unless t holds one (see termRank). On each line only
// the earliest such start matters: a later one leaves less of the line
// to match, and from it the greedy in-order search is exact.
//
// Each character is searched for in the rest of hay, not only in the
// line: one missing there is missing after every later start too, which
// ends the search, and one found past the line's end fails this line
// without a look at the characters after it. A later start's greedy
// search finds each character where the last one found it, unless that
// is before where it must now start, so the places found are kept and
// searched again only when they fall behind. Every search is one call
// of the byte search (SIMD where the machine has it).
func inOrderFromStart(hay, t string) bool {
	size := charLen(t)
	// An "@" ends a line, as for termRank.
	atEnds := strings.IndexByte(t, '@') < 0
	var found [8]int // where each character of t after the first was found
	known := 0       // how many of found hold
	for j := 0; ; {
		var i int
		if size == 1 {
			i = strings.IndexByte(hay[j:], t[0])
		} else {
			i = strings.Index(hay[j:], t[:size])
		}
		if i < 0 {
			return false
		}
		if j += i; j > 0 && !startsWordAfter(hay[j-1], hay, j) {
			j += size
			continue
		}
		lineEnd := len(hay)
		if nl := strings.IndexByte(hay[j:], '\n'); nl >= 0 {
			lineEnd = j + nl
		}
		if atEnds {
			if at := strings.IndexByte(hay[j:lineEnd], '@'); at >= 0 {
				lineEnd = j + at
			}
		}
		end, k := j+size, 0 // where the next character may be; its number
		for rest := t[size:]; rest != ""; k++ {
			n := charLen(rest)
			if k >= known || found[k] < end {
				var i int
				if n == 1 {
					i = strings.IndexByte(hay[end:], rest[0])
				} else {
					i = strings.Index(hay[end:], rest[:n]) // all its bytes: a character
				}
				if i < 0 {
					return false
				}
				if k < len(found) {
					found[k] = end + i
					known = max(known, k+1)
				}
				end += i
			} else {
				end = found[k]
			}
			if end += n; end > lineEnd {
				break
			}
			rest = rest[n:]
		}
		if end <= lineEnd {
			return true
		}
		j = lineEnd + 1 // on to the next line
	}
}

// charLen is the length of s's first character; s is not empty.
func charLen(s string) int {
	if s[0] < utf8.RuneSelf {
		return 1
	}
	return runeLen(s)
}

// runeLen is charLen for a non-ASCII character, apart so that charLen
// inlines.
func runeLen(s string) int {
	_, n := utf8.DecodeRuneInString(s)
	return n
}

// startsWordAfter is startsWord(hay, j) for j > 0, whose previous byte is
// p: inlined for an ASCII p, the common case.
func startsWordAfter(p byte, hay string, j int) bool {
	if p < utf8.RuneSelf {
		return !asciiWord[p]
	}
	return startsWord(hay, j)
}
