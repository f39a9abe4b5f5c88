// Package textsafe makes untrusted text (anything that came from Okta, a
// bundle or a file an admin was handed) safe for the places dirdeck shows
// or writes it. One classifier, Classify, decides which runes are dangerous
// (they can drive a terminal, reorder what a reader sees, or hide text);
// each consumer then neutralises them its own way: Clean turns them into
// visible, inert symbols for a terminal, Escape writes them as \uXXXX for
// exports, and the signature sanitiser drops them from HTML. Width, Truncate
// and Fit pad by display width so that CJK, emoji and combining characters
// keep table columns aligned. Nothing from the directory reaches a screen,
// a spreadsheet or a signature without passing through here.
package textsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Class is what Classify found a rune to be.
type Class uint8

// Classes of runes. Everything but Safe and Mark is dangerous.
const (
	// Safe runes are printed as they are.
	Safe Class = iota
	// Break is a line or field break: tab, LF, CR, VT, FF, NEL (U+0085)
	// and the Unicode line and paragraph separators.
	Break
	// Control is a C0 control other than the breaks (ESC, BEL, NUL,
	// backspace…) or DEL: the bytes that start terminal escape sequences
	// or overwrite what was printed.
	Control
	// C1 is U+0080–U+009F except NEL: 8-bit CSI (U+009B), OSC (U+009D)
	// and the other controls some terminals still obey.
	C1
	// Bidi is an embedding, override or isolate control (U+202A–U+202E,
	// U+2066–U+2069), which reorders the text around it ("Trojan Source",
	// CVE-2021-42574), or a deprecated format control (U+206A–U+206F)
	// that changes shaping or digits invisibly.
	Bidi
	// Hidden is an interlinear annotation control (U+FFF9–U+FFFB), whose
	// annotated text renderers hide or show at will.
	Hidden
	// Mark is a bare direction mark (LRM, RLM, ALM): it only nudges
	// neutral characters and is legitimate in right-to-left names, so it
	// is not dangerous; a terminal may drop it.
	Mark
)

// Classify sorts r into one of the classes above. It is the one place the
// project decides which runes are dangerous.
func Classify(r rune) Class {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '\u0085' || r == '\u2028' || r == '\u2029':
		return Break
	case r < 0x20 || r == 0x7f:
		return Control
	case r >= 0x80 && r <= 0x9f:
		return C1
	case (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u206f'):
		return Bidi
	case r >= '\ufff9' && r <= '\ufffb':
		return Hidden
	case r == '\u200e' || r == '\u200f' || r == '\u061c':
		return Mark
	}
	return Safe
}

// Dangerous reports whether r must not reach a reader as it is.
func Dangerous(r rune) bool {
	c := Classify(r)
	return c != Safe && c != Mark
}

// Escape writes every dangerous rune of s except tab and newline as a
// visible \uXXXX escape (ESC → \u001b, CSI → \u009b, RLO → \u202e), so
// an export opened in a terminal or an editor shows what the directory
// holds without obeying it. Tab and newline stay: CSV quotes them and
// readers expect them in descriptions. Invalid UTF-8 becomes U+FFFD, as
// encoding/json makes it.
func Escape(s string) string {
	return rewrite(s, func(b *strings.Builder, r rune) {
		if r != '\t' && r != '\n' && Dangerous(r) {
			b.WriteString(`\u` + strconv.FormatUint(uint64(r)|0x10000, 16)[1:]) // every dangerous rune is in the BMP
			return
		}
		b.WriteRune(r)
	})
}

// Ellipsis marks a truncated value.
const Ellipsis = "…"

// Clean neutralises s for display on one line. ESC and the other C0
// controls are replaced by their Unicode control pictures (ESC → ␛, BEL →
// ␇), so an embedded "\x1b]52;c;…\x07" clipboard write or "\x1b[2J" screen
// clear shows up as harmless text an admin can notice instead of being
// executed or silently hidden. Breaks become spaces; C1 controls (including
// the 8-bit CSI, U+009B), bidi and hidden-text controls and invalid UTF-8
// become U+FFFD; the bare direction marks are dropped.
func Clean(s string) string {
	return rewrite(s, func(b *strings.Builder, r rune) {
		switch Classify(r) {
		case Break:
			b.WriteByte(' ')
		case Control:
			if r == 0x7f {
				b.WriteRune('\u2421') // ␡
			} else {
				b.WriteRune(0x2400 + r) // control pictures: U+2400 NUL … U+241F US
			}
		case C1, Bidi, Hidden:
			b.WriteRune('\uFFFD')
		case Mark:
			// Direction marks only nudge neutral characters; dropping them
			// cannot change what the text says.
		default:
			b.WriteRune(r)
		}
	})
}

// rewrite copies s rune by rune through fn, turning invalid UTF-8 into
// U+FFFD on the way; printable ASCII, most directory values, is returned
// as it is without a copy.
func rewrite(s string, fn func(b *strings.Builder, r rune)) string {
	if isPlainASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size <= 1 {
			b.WriteRune('\uFFFD')
			continue
		}
		fn(&b, r)
	}
	return b.String()
}

// isPlainASCII is the fast path: most directory values are printable
// ASCII and need no copy.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// Width is the number of terminal cells s occupies by wcwidth rules (wide
// CJK = 2, combining marks = 0): the method Bubble Tea's renderer and most
// terminals (tmux, xterm, VTE) use, so padded columns really line up there.
// Grapheme-cluster widths (lipgloss's default) disagree for scripts such as
// Devanagari and push rows past the screen edge. s must already be clean.
func Width(s string) int {
	if isPlainASCII(s) {
		return len(s)
	}
	return ansi.StringWidthWc(s)
}

// Truncate shortens clean text to at most w cells, ending in "…" when
// anything was cut. A wide character that would straddle the limit is
// dropped whole.
func Truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if isPlainASCII(s) {
		if len(s) <= w {
			return s
		}
		return s[:w-1] + Ellipsis
	}
	if ansi.StringWidthWc(s) <= w {
		return s
	}
	return ansi.TruncateWc(s, w, Ellipsis)
}

// Fit truncates clean text to w cells and pads it with spaces to exactly
// w cells, so consecutive cells line up whatever script they hold.
func Fit(s string, w int) string {
	s = Truncate(s, w)
	if pad := w - Width(s); pad > 0 {
		return s + strings.Repeat(" ", pad)
	}
	return s
}

// FitRight is Fit with the text aligned right (for counts).
func FitRight(s string, w int) string {
	s = Truncate(s, w)
	if pad := w - Width(s); pad > 0 {
		return strings.Repeat(" ", pad) + s
	}
	return s
}

// Line cleans, truncates and pads untrusted text in one step.
func Line(s string, w int) string {
	return Fit(Clean(s), w)
}

// Count formats n with its digits grouped in threes (1,000,000): counts
// in a million-user directory are read at a glance.
func Count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// List cleans each of ss and joins them with commas; "none" when ss is
// empty, so that an empty list reads as a statement rather than a blank.
func List(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = Clean(s)
	}
	return strings.Join(out, ", ")
}

// Columns lays out rows of clean cells as lines whose columns line up on
// screen: each column is as wide as its widest cell in terminal cells
// (Width), plus gap spaces. text/tabwriter counts runes instead, so a
// Devanagari name (combining marks take no cell) or a CJK one (two cells a
// rune) shifts every column after it.
func Columns(rows [][]string, gap int) []string {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], Width(cell))
		}
	}
	out := make([]string, len(rows))
	for r, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			if i == len(row)-1 {
				b.WriteString(cell)
				break
			}
			b.WriteString(cell)
			b.WriteString(strings.Repeat(" ", widths[i]-Width(cell)+gap))
		}
		out[r] = b.String()
	}
	return out
}
