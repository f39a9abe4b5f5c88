// Package termtext makes untrusted text (anything that came from Okta)
// safe and tidy for a terminal: control characters and escape sequences
// become visible, inert symbols, bidi overrides lose their power, and
// values are truncated and padded by display width so that CJK, emoji and
// combining characters keep table columns aligned. The TUI and the CLI's
// human output both use it; nothing from the directory reaches a screen
// without passing through Clean.
package termtext

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Ellipsis marks a truncated value.
const Ellipsis = "…"

// Clean neutralises s for display on one line. ESC and the other C0
// controls are replaced by their Unicode control pictures (ESC → ␛, BEL →
// ␇), so an embedded "\x1b]52;c;…\x07" clipboard write or "\x1b[2J" screen
// clear shows up as harmless text an admin can notice instead of being
// executed or silently hidden. Tabs and line breaks become spaces, C1
// controls (including the 8-bit CSI, U+009B) and invalid UTF-8 become U+FFFD,
// bidi embedding/override/isolate controls become U+FFFD, and the bare
// direction marks (LRM, RLM, ALM) are dropped.
func Clean(s string) string {
	if isPlainASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune('\uFFFD')
		case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			b.WriteByte(' ')
		case r < 0x20:
			b.WriteRune(0x2400 + r) // control pictures: U+2400 NUL … U+241F US
		case r == 0x7f:
			b.WriteRune('\u2421') // ␡
		case r >= 0x80 && r <= 0x9f:
			b.WriteRune('\uFFFD')
		case r == '\u200e' || r == '\u200f' || r == '\u061c':
			// Direction marks only nudge neutral characters; dropping them
			// cannot change what the text says.
		case (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069'):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
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
