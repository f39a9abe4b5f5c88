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
	width  int
	filter key.Binding
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

// Typing reports whether the filter prompt has the keyboard.
func (b Browser) Typing() bool { return b.typing }

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
		if b.typing {
			switch k.String() {
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
	}
	var cmd tea.Cmd
	b.Table, cmd = b.Table.Update(msg)
	return b, cmd
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
	if b.Table.Pending() && b.Table.Loaded() {
		count += " …"
	}
	var left string
	switch {
	case b.typing:
		left = b.input.View()
	case b.Table.Query() != "":
		left = th.Prompt.Render("/") + textsafe.Clean(b.Table.Query())
	default:
		left = th.Muted.Render("/ filter  o sort")
	}
	gap := b.width - ansi.StringWidthWc(left) - textsafe.Width(count)
	line := left + strings.Repeat(" ", max(gap, 1)) + th.Muted.Render(count)
	return b.Table.View() + "\n" + ansi.TruncateWc(line, b.width, "")
}
