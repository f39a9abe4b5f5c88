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
// and noMatch otherwise. A one-byte term never matches fuzzily.
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
	for at := -1; sub; {
		i := strings.Index(hay[at+1:], t)
		if i < 0 {
			break
		}
		if at += 1 + i; startsWord(hay, at) {
			return rankWordStart
		}
		rank = rankSubstring // a later occurrence may still start a word
	}
	if rank == noMatch && len(t) > 1 && inOrderFromStart(hay, t) {
		return rankFuzzy
	}
	return rank
}

// inOrderFromStart reports whether the characters of t appear in order
// inside one line of hay, the first at a word start. On each line only
// the earliest such start matters: a later one leaves less of the line
// to match, and from it the greedy in-order search is exact.
//
// The greedy search runs over the rest of hay rather than the line, and
// the line is checked once, at the end: a character missing from the
// rest of hay is missing after every later start too, which ends the
// search early. A later start's search finds each character where the
// last one found it, unless that is before where it must now start, so
// the places found are kept and searched again only when they fall
// behind. Each search is one call of the SIMD byte search.
func inOrderFromStart(hay, t string) bool {
	_, size := utf8.DecodeRuneInString(t)
	var found [16]int // where each character of t after the first was found
	known := 0        // how many of found hold for the last start
	for j := 0; ; {
		i := indexChar(hay[j:], t[:size])
		if i < 0 {
			return false
		}
		if j += i; j > 0 && !startsWordAfter(hay[j-1], hay, j) {
			j += size
			continue
		}
		end, k := j+size, 0 // where the next character may be; its number
		for rest := t[size:]; rest != ""; k++ {
			n := 1
			if rest[0] >= utf8.RuneSelf {
				_, n = utf8.DecodeRuneInString(rest)
			}
			if k >= known || found[k] < end {
				i := indexChar(hay[end:], rest[:n])
				if i < 0 {
					return false
				}
				if k < len(found) {
					found[k] = end + i
				}
				end += i
			} else {
				end = found[k]
			}
			end, rest = end+n, rest[n:]
		}
		known = min(k, len(found))
		nl := strings.IndexByte(hay[j:end], '\n')
		if nl < 0 {
			return true
		}
		j += nl + 1 // the match crossed a line break: on to the next line
	}
}

// startsWordAfter is startsWord(hay, j) for j > 0, whose previous byte is
// p: inlined for an ASCII p, the common case.
func startsWordAfter(p byte, hay string, j int) bool {
	if p < utf8.RuneSelf {
		return !asciiWord[p]
	}
	return startsWord(hay, j)
}

// indexChar is strings.Index for c, one character of valid UTF-8 (so a
// match is that character, not part of another one).
func indexChar(s, c string) int {
	if len(c) == 1 {
		return strings.IndexByte(s, c[0])
	}
	return strings.Index(s, c)
}
