package signature

import (
	"image/color"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/net/html"

	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/themes"
)

// blockTags start a new line: what an email client would put on its own
// line.
var blockTags = map[string]bool{
	"p": true, "div": true, "br": true, "tr": true, "table": true, "li": true, "ul": true, "ol": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "section": true, "hr": true,
	"blockquote": true, "pre": true,
}

// skipTags hold no visible text.
var skipTags = map[string]bool{"style": true, "script": true, "head": true, "title": true, "template": true}

type span struct {
	tag       string
	bold      bool
	italic    bool
	underline bool
	fg        color.Color
	href      string
}

// HTMLToTerminal renders a signature's HTML as styled terminal lines of
// at most width cells: bold, italics and colours from tags and inline
// styles, links as their text followed by the URL, blocks on their own
// lines. All text passes through textsafe.Clean. The no-color theme keeps
// attributes but drops colours.
func HTMLToTerminal(doc string, width int, th themes.Theme) []string {
	colours := th.Name != themes.NoColor
	z := html.NewTokenizer(strings.NewReader(doc))
	var (
		stack []span
		lines []string
		cur   strings.Builder
		skip  int
		space bool // a space is pending between words
	)
	top := func() span {
		if len(stack) == 0 {
			return span{}
		}
		return stack[len(stack)-1]
	}
	newline := func() {
		l := strings.TrimRight(cur.String(), " ")
		if ansi.Strip(l) != "" {
			lines = append(lines, l)
		}
		cur.Reset()
		space = false
	}
	write := func(text string, sp span) {
		st := lipgloss.NewStyle().Bold(sp.bold).Italic(sp.italic).Underline(sp.underline)
		if colours && sp.fg != nil {
			st = st.Foreground(sp.fg)
		}
		cur.WriteString(st.Render(text))
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			newline()
			var out []string
			for _, l := range lines {
				out = append(out, wrap(l, width)...)
			}
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if skipTags[tok.Data] {
				if tt == html.StartTagToken {
					skip++
				}
				continue
			}
			if blockTags[tok.Data] {
				newline()
			}
			if tt == html.SelfClosingTagToken || tok.Data == "br" || tok.Data == "hr" || tok.Data == "img" {
				continue
			}
			sp := top()
			sp.tag = tok.Data
			switch tok.Data {
			case "b", "strong", "th", "h1", "h2", "h3", "h4", "h5", "h6":
				sp.bold = true
			case "i", "em":
				sp.italic = true
			case "u":
				sp.underline = true
			case "a":
				sp.underline = true
				sp.href = ""
			}
			for _, a := range tok.Attr {
				switch a.Key {
				case "style":
					applyStyle(&sp, a.Val)
				case "href":
					if tok.Data == "a" {
						sp.href = a.Val
					}
				}
			}
			if tok.Data == "td" && cur.Len() > 0 {
				space = true
			}
			stack = append(stack, sp)
		case html.EndTagToken:
			tok := z.Token()
			if skipTags[tok.Data] {
				skip = max(skip-1, 0)
				continue
			}
			// Pop to the matching tag (tolerates unclosed inner tags).
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].tag != tok.Data {
					continue
				}
				if tok.Data == "a" && stack[i].href != "" {
					cur.WriteString(" " + th.Muted.Render("<"+textsafe.Clean(stack[i].href)+">"))
				}
				stack = stack[:i]
				break
			}
			if blockTags[tok.Data] {
				newline()
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			raw := textsafe.Clean(html.UnescapeString(string(z.Raw())))
			words := strings.Fields(raw)
			if len(words) == 0 {
				if raw != "" && cur.Len() > 0 {
					space = true
				}
				continue
			}
			if (space || startsWithSpace(raw)) && cur.Len() > 0 {
				cur.WriteByte(' ')
			}
			write(strings.Join(words, " "), top())
			space = endsWithSpace(raw)
		}
	}
}

func startsWithSpace(s string) bool { return s != "" && (s[0] == ' ' || s[0] == '\n' || s[0] == '\t') }
func endsWithSpace(s string) bool {
	return s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\n' || s[len(s)-1] == '\t')
}

// applyStyle picks the inline CSS a terminal can show: colour, bold,
// italics and underline.
func applyStyle(sp *span, css string) {
	for decl := range strings.SplitSeq(css, ";") {
		k, v, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.ToLower(strings.TrimSpace(v))
		switch k {
		case "color":
			if c, ok := parseColor(v); ok {
				sp.fg = c
			}
		case "font-weight":
			n, err := strconv.Atoi(v)
			sp.bold = v == "bold" || v == "bolder" || (err == nil && n >= 600)
		case "font-style":
			sp.italic = v == "italic" || v == "oblique"
		case "text-decoration":
			sp.underline = strings.Contains(v, "underline")
		}
	}
}

// parseColor reads #rgb and #rrggbb.
func parseColor(v string) (color.Color, bool) {
	if !strings.HasPrefix(v, "#") {
		return nil, false
	}
	h := v[1:]
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) != 6 {
		return nil, false
	}
	n, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return nil, false
	}
	return color.RGBA{R: uint8(n >> 16), G: uint8(n >> 8), B: uint8(n), A: 0xff}, true
}

// wrap breaks a (possibly styled) line at width cells, at spaces where it
// can and anywhere in a long word (a 2,000-character title must not push
// past the pane).
func wrap(s string, width int) []string {
	if width <= 0 || ansi.StringWidthWc(s) <= width {
		return []string{s}
	}
	return strings.Split(ansi.Wrap(s, width, " "), "\n")
}
