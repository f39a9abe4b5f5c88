package table

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/themes"
)

// Browser is a table with a "/" filter prompt and a status line below it
// ("3 of 250 users"), the unit every list in the TUI is made of.
type Browser struct {
	Table  Model
	noun   string
	input  textinput.Model
	typing bool
	// sorting is the sort menu on the status line: a digit picks the
	// column.
	sorting bool
	// fieldsShown lists the filter's fields on the status line (? in
	// the prompt) until the next key.
	fieldsShown bool
	width       int
	filter      key.Binding
	// partialOf is how many rows there are in all while the table holds
	// only the first ones (a large directory loading); 0 once complete.
	partialOf int
}

// NewBrowser wraps t; noun names the rows in the status line ("users").
func NewBrowser(t Model, noun string) Browser {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "filter"
	st := in.Styles()
	st.Cursor.Blink = false
	in.SetStyles(st)
	b := Browser{Table: t, noun: noun, input: in,
		filter: key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter"))}
	b.SetTheme(t.theme)
	return b
}

// FilterKey is the binding that opens the prompt, for help.
func (b Browser) FilterKey() key.Binding { return b.filter }

// SetTheme restyles table and prompt.
func (b *Browser) SetTheme(th themes.Theme) {
	b.Table.SetTheme(th)
	st := textinput.DefaultStyles(th.IsDark)
	st.Cursor.Blink = false
	st.Focused.Prompt = th.Prompt
	st.Blurred.Prompt = th.Prompt
	b.input.SetStyles(st)
}

// SetSize sets the outer size; the last line is the status/filter line.
func (b *Browser) SetSize(w, h int) {
	b.width = w
	b.input.SetWidth(max(w/2, 10))
	b.Table.SetSize(w, max(h-1, 2))
}

// SetPartial says the rows so far are only the first of total, while the
// rest load (0: the rows are complete). The status line then says so: a
// filter over the first 500 of a million users must not read as a
// verdict on all of them.
func (b *Browser) SetPartial(total int) { b.partialOf = total }

// Typing reports whether the filter prompt or the sort menu has the
// keyboard.
func (b Browser) Typing() bool { return b.typing || b.sorting }

// Back leaves the prompt, or clears an applied filter; false when there
// is neither.
func (b *Browser) Back() (bool, tea.Cmd) {
	if b.typing || b.Table.Query() != "" {
		b.typing = false
		b.input.Blur()
		b.input.SetValue("")
		return true, b.Table.SetQuery("")
	}
	return false, nil
}

// Update routes keys to the prompt while typing and to the table otherwise.
func (b Browser) Update(msg tea.Msg) (Browser, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		b.fieldsShown = false
		if b.sorting {
			return b, b.sortKey(k)
		}
		if b.typing {
			switch k.String() {
			case "?":
				// The README promises it: ? lists the fields (typed
				// text never needs a literal "?" to find a user).
				b.fieldsShown = true
				return b, nil
			case "enter":
				b.typing = false
				b.input.Blur()
				return b, nil
			case "esc":
				_, cmd := b.Back()
				return b, cmd
			case "up", "down", "pgup", "pgdown":
				var cmd tea.Cmd
				b.Table, cmd = b.Table.Update(msg)
				return b, cmd
			}
			var cmd tea.Cmd
			b.input, cmd = b.input.Update(msg)
			return b, tea.Batch(cmd, b.Table.SetQuery(b.input.Value()))
		}
		if key.Matches(k, b.filter) {
			b.typing = true
			b.input.CursorEnd()
			return b, b.input.Focus()
		}
		if key.Matches(k, b.Table.keys.Sort) {
			b.sorting = true
			return b, nil
		}
	}
	var cmd tea.Cmd
	b.Table, cmd = b.Table.Update(msg)
	return b, cmd
}

// sortKey handles a key in the sort menu: a column's number sorts by it
// (the sorted column's number again reverses), 0 restores the natural
// order, anything else closes the menu.
func (b *Browser) sortKey(k tea.KeyPressMsg) tea.Cmd {
	b.sorting = false
	s := k.String()
	if len(s) != 1 || s[0] < '0' || s[0] > '9' {
		return nil
	}
	col := int(s[0]-'0') - 1
	if col >= len(b.Table.cols) {
		b.sorting = true // not a column: the menu stays
		return nil
	}
	cur, desc := b.Table.Sort()
	return b.Table.SetSort(col, col >= 0 && col == cur && !desc)
}

// sortMenu is the status line while the sort menu is open.
func (b Browser) sortMenu() string {
	th := b.Table.theme
	cur, desc := b.Table.Sort()
	parts := []string{th.Prompt.Render("sort by")}
	for i, c := range b.Table.cols {
		label := fmt.Sprintf("%d %s", i+1, c.Title)
		if i == cur {
			label += map[bool]string{false: "▲", true: "▼"}[desc]
		}
		parts = append(parts, label)
	}
	parts = append(parts, "0 none", th.Muted.Render("(again: reverse · esc)"))
	return strings.Join(parts, "  ")
}

// View renders the table and the status line.
func (b Browser) View() string {
	th := b.Table.theme
	filtered := b.Table.Query() != "" || b.Table.Len() != b.Table.Total()
	n, total := textsafe.Count(b.Table.Len()), textsafe.Count(b.Table.Total())
	var count string
	switch {
	case b.partialOf > 0 && filtered:
		count = fmt.Sprintf("%s of %s loaded of %s %s…", n, total, textsafe.Count(b.partialOf), b.noun)
	case b.partialOf > 0:
		count = fmt.Sprintf("%s of %s %s loaded…", total, textsafe.Count(b.partialOf), b.noun)
	case filtered:
		count = fmt.Sprintf("%s of %s %s", n, total, b.noun)
	default:
		count = fmt.Sprintf("%s %s", total, b.noun)
	}
	if b.Table.Len() > 0 {
		// Where the cursor is, as k9s and less show it.
		count = fmt.Sprintf("%s/%s · %s", textsafe.Count(b.Table.Cursor()+1), n, count)
	}
	if b.Table.Pending() && b.Table.Loaded() {
		count += " …"
	}
	countStyle := th.Muted
	fields := strings.Join(b.Table.FieldNames(), " ")
	if q := ParseQuery(b.Table.Query(), b.Table.fields); len(q.Unknown) > 0 && fields != "" {
		count, countStyle = fmt.Sprintf("unknown field %s (fields: %s)", q.Unknown[0], fields), th.Warning
	}
	var left string
	switch {
	case b.sorting:
		return b.Table.View() + "\n" + ansi.TruncateWc(b.sortMenu(), b.width, "…")
	case b.fieldsShown:
		help := "no fields here: words match anywhere"
		if fields != "" {
			help = "fields: " + fields + " · name:value contains · name:=value whole value"
		}
		return b.Table.View() + "\n" + ansi.TruncateWc(th.Prompt.Render("/")+textsafe.Clean(b.input.Value())+"  "+th.Muted.Render(help), b.width, "…")
	case b.typing:
		left = b.input.View()
	case b.Table.Query() != "":
		left = th.Prompt.Render("/") + textsafe.Clean(b.Table.Query())
	default:
		left = th.Muted.Render("/ filter  o sort")
	}
	gap := b.width - ansi.StringWidthWc(left) - textsafe.Width(count)
	line := left + strings.Repeat(" ", max(gap, 1)) + countStyle.Render(count)
	if gap < 1 {
		// What is typed stays; the count or warning gets the rest, cut.
		lw := ansi.StringWidthWc(left)
		line = left + " " + countStyle.Render(textsafe.Truncate(count, b.width-lw-1))
		if b.width-lw-1 < 12 {
			// Too little room: the count is worth more than the prompt's
			// blank tail.
			line = ansi.TruncateWc(left, max(b.width-textsafe.Width(count)-1, 0), "") + " " + countStyle.Render(count)
		}
	}
	return b.Table.View() + "\n" + ansi.TruncateWc(line, b.width, "")
}
