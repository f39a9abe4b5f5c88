package table

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// oldTermRank is the text check match made before termRank, kept as the
// reference termRank must agree with: strings.Index for the first
// occurrence, a search per occurrence for a word start, and a
// subsequence search per occurrence of the first rune.
func oldTermRank(hay, t string, sub, fuzzy bool) int {
	at := -1 // where t first occurs in hay
	if sub {
		at = strings.Index(hay, t)
	}
	switch {
	case at >= 0 && oldWordStart(hay, at, t):
		return rankWordStart
	case at >= 0:
		return rankSubstring
	case len(t) == 1 || !fuzzy || !oldSubsequence(hay, t):
		return noMatch
	}
	return rankFuzzy
}

// oldWordStart reports whether some occurrence of t in hay, the first
// being at i, begins a word.
func oldWordStart(hay string, i int, t string) bool {
	for i >= 0 {
		if startsWord(hay, i) {
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

// oldSubsequence reports whether the runes of t appear in order inside
// one line of hay, starting at the beginning of a word; an "@" ends a
// line unless t holds one.
func oldSubsequence(hay, t string) bool {
	if !strings.Contains(t, "@") {
		hay = strings.ReplaceAll(hay, "@", "\n")
	}
	first, size := utf8.DecodeRuneInString(t)
	rest := t[size:]
	for i := 0; i < len(hay); {
		j := strings.IndexRune(hay[i:], first)
		if j < 0 {
			return false
		}
		i += j
		if startsWord(hay, i) {
			line := hay[i+size:]
			nl := strings.IndexByte(line, '\n')
			if nl >= 0 {
				line = line[:nl]
			}
			if oldInOrder(line, rest) {
				return true
			}
			// Any later start on this line leaves less of it to match.
			if nl < 0 {
				return false
			}
			i += size + nl + 1
			continue
		}
		i += size
	}
	return false
}

// oldInOrder reports whether the runes of t appear in s in order.
func oldInOrder(s, t string) bool {
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

var termRankCases = []struct {
	name, hay, t string
	sub, fuzzy   bool
	want         int
}{
	{"at the start", "alice smith", "ali", true, true, rankWordStart},
	{"after a space", "alice smith", "smi", true, true, rankWordStart},
	{"after @", "ada@example.com", "exa", true, true, rankWordStart},
	{"after a dot", "bob.lee@example.com", "lee", true, true, rankWordStart},
	{"after a hyphen", "ffion-jones", "jon", true, true, rankWordStart},
	{"fuzzy stops at @", "alex.smith@example.com", "alic", true, true, noMatch},
	{"fuzzy on one side of @", "alex.smith@example.com", "exco", true, true, rankFuzzy},
	{"fuzzy across @ when the term holds one", "alex.smith@example.com", "sm@ex", true, true, rankFuzzy},
	{"a substring across @", "alex.smith@example.com", "th@ex", true, true, rankSubstring},
	{"after &", "recherche &développement", "dév", true, true, rankWordStart},
	{"inside a word", "natalie", "ali", true, true, rankSubstring},
	{"after a digit", "x9ali", "ali", true, true, rankSubstring},
	{"digits after a letter", "e000123", "123", true, true, rankSubstring},
	{"digits at a word start", "e 123", "123", true, true, rankWordStart},
	{"after é, a letter", "renéalia", "ali", true, true, rankSubstring},
	{"after ø, a letter", "søren", "ren", true, true, rankSubstring},
	{"after 山, a letter", "山ali", "ali", true, true, rankSubstring},
	{"after an em dash", "x—ali", "ali", true, true, rankWordStart},
	{"after a control picture", "x␛ali", "ali", true, true, rankWordStart},
	{"non-ASCII term at a start", "josé garcía", "garc", true, true, rankWordStart},
	{"non-ASCII term inside", "renée", "née", true, true, rankSubstring},
	{"CJK after a letter", "山田太郎", "太郎", true, true, rankSubstring},
	{"CJK after a space", "山田 太郎", "太郎", true, true, rankWordStart},
	{"later occurrence starts a word", "natalie ali", "ali", true, true, rankWordStart},
	{"on the second line", "bob\nalice", "ali", true, true, rankWordStart},
	{"inside, then a start on the second line", "natalie\nalison", "ali", true, true, rankWordStart},
	{"inside twice", "natalie rosalind", "ali", true, true, rankSubstring},
	{"overlapping occurrences", "xaaa aab", "aab", true, true, rankWordStart},
	{"at the very end", "x ali", "ali", true, true, rankWordStart},
	{"fuzzy on one line", "ada smith", "asm", true, true, rankFuzzy},
	{"fuzzy on the second line", "bob lee\nada smith", "asm", true, true, rankFuzzy},
	{"fuzzy across a line break", "ada\nsmith", "asm", true, true, noMatch},
	{"fuzzy across a line break, then a line", "ada\nsmith\nas m", "asm", true, true, rankFuzzy},
	{"fuzzy not from a word start", "bada smith", "asm", true, true, noMatch},
	{"fuzzy from a later start on the line", "data axnxa", "ana", true, true, rankFuzzy},
	{"fuzzy from a later line's start", "ant\naxlxp", "alp", true, true, rankFuzzy},
	{"fuzzy with repeated first letters", "a al", "aal", true, true, rankFuzzy},
	{"repeated letters need two", "a l", "aal", true, true, noMatch},
	{"fuzzy through non-ASCII", "élan vital", "év", true, true, rankFuzzy},
	{"fuzzy non-ASCII across a line", "élan\nvital", "év", true, true, noMatch},
	{"fuzzy non-ASCII from a start", "josé garcía", "jgí", true, true, rankFuzzy},
	{"fuzzy non-ASCII not from a start", "ajosé garcía", "jgí", true, true, noMatch},
	{"fuzzy ASCII after é", "éaxsm", "asm", true, true, noMatch},
	{"fuzzy ASCII after a space after é", "é axsm", "asm", true, true, rankFuzzy},
	{"term longer than the line", "ab\ncd", "abcd", true, true, noMatch},
	{"term longer than the haystack", "ab", "abcd", true, true, noMatch},
	{"term as long as a later line", "ab\nabcd", "abcd", true, true, rankWordStart},
	{"one byte inside", "bab", "a", true, true, rankSubstring},
	{"one byte at a start", "b a", "a", true, true, rankWordStart},
	{"one byte missing", "xyz", "a", true, true, noMatch},
	{"one byte is never fuzzy", "ba", "a", false, true, noMatch},
	{"one non-ASCII letter is fuzzy", "é", "é", false, true, rankFuzzy},
	{"sub=false leaves fuzzy", "alice", "ali", false, true, rankFuzzy},
	{"sub=false, fuzzy=false", "xalice", "ali", false, false, noMatch},
	{"fuzzy=false keeps substrings", "xalx", "al", true, false, rankSubstring},
	{"fuzzy=false", "xa l", "al", true, false, noMatch},
	{"fuzzy=true", "a l", "al", true, true, rankFuzzy},
	{"empty haystack", "", "al", true, true, noMatch},
}

// TestTermRank checks termRank and its reference on the edge cases of
// word starts, lines and the callers' flags.
func TestTermRank(t *testing.T) {
	for _, tt := range termRankCases {
		if !inContract(tt.hay, tt.t, tt.fuzzy) {
			t.Errorf("%s: (%q, %q, fuzzy %v) is outside termRank's contract", tt.name, tt.hay, tt.t, tt.fuzzy)
		}
		if got := termRank(tt.hay, tt.t, tt.sub, tt.fuzzy); got != tt.want {
			t.Errorf("%s: termRank(%q, %q, %v, %v) = %d, want %d", tt.name, tt.hay, tt.t, tt.sub, tt.fuzzy, got, tt.want)
		}
		if got := oldTermRank(tt.hay, tt.t, tt.sub, tt.fuzzy); got != tt.want {
			t.Errorf("%s: the reference says %d, want %d", tt.name, got, tt.want)
		}
	}
}

// inContract reports whether termRank's contract covers (hay, t, fuzzy):
// valid UTF-8 (both are cleaned), a non-empty term without a line break
// (terms are split at white space), and fuzzy=false only where it is
// true that no word start begins t in order within its line.
func inContract(hay, t string, fuzzy bool) bool {
	return t != "" && !strings.Contains(t, "\n") && utf8.ValidString(hay) && utf8.ValidString(t) &&
		(fuzzy || !oldSubsequence(hay, t))
}

// TestTermRankMatchesReference compares termRank with the reference on
// random haystacks and terms over a small alphabet, so that repeats,
// near misses, word starts and line breaks are frequent.
func TestTermRankMatchesReference(t *testing.T) {
	hayAlphabet := []string{"a", "b", "l", "n", "i", "0", "7", " ", ".", "@", "-", "\n", "é", "ö", "山", "—"}
	termAlphabet := []string{"a", "b", "l", "n", "i", "0", "é", "ö", "山", "-"}
	rng := rand.New(rand.NewPCG(20, 3))
	pick := func(alphabet []string, n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 200_000 {
		hay := pick(hayAlphabet, rng.IntN(48))
		// Mostly ASCII terms, as typed; a third with non-ASCII letters.
		alphabet := termAlphabet[:5]
		if rng.IntN(3) == 0 {
			alphabet = termAlphabet
		}
		term := pick(alphabet, 1+rng.IntN(5))
		sub, fuzzy := rng.IntN(4) != 0, rng.IntN(4) != 0 || oldSubsequence(hay, term)
		if got, want := termRank(hay, term, sub, fuzzy), oldTermRank(hay, term, sub, fuzzy); got != want {
			t.Fatalf("termRank(%q, %q, %v, %v) = %d, the reference %d", hay, term, sub, fuzzy, got, want)
		}
	}
}

// FuzzTermRank compares termRank with the reference on whatever the
// fuzzer makes, within termRank's contract.
func FuzzTermRank(f *testing.F) {
	for _, tt := range termRankCases {
		f.Add(tt.hay, tt.t, tt.sub, tt.fuzzy)
	}
	f.Fuzz(func(t *testing.T, hay, term string, sub, fuzzy bool) {
		if !inContract(hay, term, fuzzy) {
			t.Skip()
		}
		if got, want := termRank(hay, term, sub, fuzzy), oldTermRank(hay, term, sub, fuzzy); got != want {
			t.Fatalf("termRank(%q, %q, %v, %v) = %d, the reference %d", hay, term, sub, fuzzy, got, want)
		}
	})
}

// benchHays returns n realistic haystacks as userrows builds them: name,
// login (the e-mail), title and department, lowercase, newline-joined,
// with some non-ASCII names and values.
func benchHays(n int) []string {
	first := []string{"alice", "natalie", "oliver", "amelia", "harry", "isla", "noah", "ava", "callum", "niamh",
		"françoise", "hélène", "jürgen", "björn", "lena", "josé", "maría", "sofía", "søren", "mette",
		"łukasz", "agnieszka", "ananya", "priya", "thiago", "joão", "stanley", "dmitry", "alistair", "dalia"}
	last := []string{"smith", "taylor", "evans", "thomas", "roberts", "walker", "wright", "ffion-jones", "singh",
		"lefèvre", "dubois", "moreau", "müller", "schäfer", "garcía", "pérez", "nielsen", "patel", "iyer",
		"gonçalves", "araújo", "stark", "smirnova", "sato", "dali", "kowalski"}
	titles := []string{"software engineer", "senior software engineer", "staff engineer", "engineering manager",
		"account executive", "sales development rep", "product manager", "designer", "recruiter",
		"hr business partner", "financial analyst", "controller", "it administrator", "support engineer",
		"director of marketing", "vp operations", "chief of staff", "data scientist", "intern",
		"ingénieure logiciel", "vertriebsleiter", "営業担当", "менеджер проектов", ""}
	depts := []string{"engineering", "sales", "marketing", "finance", "people", "it", "support",
		"product", "legal", "operations", "research", "customer success", "recherche & développement", "vertrieb", ""}
	ascii := strings.NewReplacer("ç", "c", "é", "e", "è", "e", "ü", "ue", "ö", "oe", "ä", "ae", "í", "i",
		"á", "a", "ø", "o", "ł", "l", "ã", "a", "ú", "u")
	rng := rand.New(rand.NewPCG(7, 11))
	hays := make([]string, n)
	for i := range hays {
		f, l := first[rng.IntN(len(first))], last[rng.IntN(len(last))]
		domain := "example.com"
		if rng.IntN(10) == 0 {
			domain = "corp.example.org"
		}
		login := fmt.Sprintf("%s.%s%d@%s", ascii.Replace(f), ascii.Replace(l), i, domain)
		hays[i] = strings.Join([]string{f + " " + l, login, titles[rng.IntN(len(titles))], depts[rng.IntN(len(depts))]}, "\n")
	}
	return hays
}

// textCall is one call the filter makes to termRank.
type textCall struct {
	hay, t     string
	sub, fuzzy bool
}

// filterCalls returns the calls match makes to termRank for term t on
// hays: what is left after the masks and the pair index.
func filterCalls(hays []string, t string) []textCall {
	m := Query{Terms: []string{t}}.masks()[0]
	var calls []textCall
	for _, hay := range hays {
		has, pairs := maskOf(hay)
		if has&m.need != m.need || m.letter || m.twoLetters {
			continue
		}
		var set [pairKinds][pairCount]bool
		pairsOf(hay, func(kind, p int) { set[kind][p] = true })
		sub, fuzzy := pairs.holds(m.pairs), has&m.initial != 0
		for _, p := range m.subPairs {
			sub = sub && set[pairSub][p]
		}
		for _, p := range m.skipPairs {
			sub = sub && set[pairSkip][p]
		}
		for _, p := range m.fuzzyPairs {
			fuzzy = fuzzy && set[pairFuzzy][p]
		}
		for _, p := range m.orderPairs {
			fuzzy = fuzzy && set[pairOrder][p]
		}
		if sub || fuzzy {
			calls = append(calls, textCall{hay, t, sub, fuzzy})
		}
	}
	return calls
}

// BenchmarkTermRank times termRank against the reference on the calls
// the filter makes for a few typed terms on realistic rows.
func BenchmarkTermRank(b *testing.B) {
	hays := benchHays(20_000)
	impls := []struct {
		name string
		rank func(hay, t string, sub, fuzzy bool) int
	}{{"new", termRank}, {"old", oldTermRank}}
	for _, t := range []string{"ali", "dep", "sta", "smi", "stat", "eng", "alice", "smith", "mül"} {
		calls := filterCalls(hays, t)
		for _, impl := range impls {
			b.Run(t+"/"+impl.name, func(b *testing.B) {
				for b.Loop() {
					for _, c := range calls {
						impl.rank(c.hay, c.t, c.sub, c.fuzzy)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*max(1, len(calls))), "ns/call")
			})
		}
	}
}
