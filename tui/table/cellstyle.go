package table

import (
	"strings"

	"charm.land/lipgloss/v2"
)

// cellStyles are the row and status styles of a table's cells as the
// escape sequences they put around a line of text, worked out once per
// theme: lipgloss measures and walks every string it renders, which was
// half of a frame's time for a screen of cells, and a cell is one line
// already fitted to its column and cleaned. A style whose rendering is
// not just text between two sequences (spaces styled apart, a width) is
// left to lipgloss.
type cellStyles map[string]cellStyle

// cellStyle is a style's sequences around a line of text; ok is false
// for a style that must be rendered by lipgloss.
type cellStyle struct {
	style         lipgloss.Style
	before, after string
	ok            bool
}

// render styles the one-line cell s with style st, known as key.
func (cs cellStyles) render(key string, st lipgloss.Style, s string) string {
	c, found := cs[key]
	if !found {
		c = cellStyleOf(st)
		cs[key] = c
	}
	if !c.ok {
		return c.style.Render(s)
	}
	return c.before + s + c.after
}

// cellStyleOf finds st's sequences around a marker, and checks that a
// line with spaces, wide and accented characters renders the same way.
func cellStyleOf(st lipgloss.Style) cellStyle {
	c := cellStyle{style: st}
	r := st.Render("x")
	i := strings.IndexByte(r, 'x')
	if i < 0 {
		return c
	}
	c.before, c.after = r[:i], r[i+1:]
	const probe = " a b  é 山 "
	c.ok = st.Render(probe) == c.before+probe+c.after
	return c
}
