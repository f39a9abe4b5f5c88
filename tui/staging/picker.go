package staging

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/themes"
	"github.com/dirdeck/dirdeck/tui/table"
)

// Picker chooses rows from a fuzzy-filtered table (the users to add to a
// group, the group to add a user to). It opens with the filter prompt
// focused so the admin types at once; enter picks the marked rows, or the
// one under the cursor; ctrl+space (or space once the prompt is left
// with tab) marks several; esc cancels.
type Picker struct {
	title  string
	list   table.Browser
	marked []table.Row
	loaded bool
	err    error
	// Picked holds the chosen rows once Done; empty when cancelled.
	Picked []table.Row
	Done   bool
	w, h   int
}

// PickerRowsMsg delivers a picker's rows (loaded by the pane's command).
type PickerRowsMsg struct {
	Rows *table.Rows
	// Keep, when not nil, is the rows of Rows to pick from (see
	// table.Model.SetRowsWithin): the Groups pane hands the whole mapped
	// users table and leaves the group's members out this way.
	Keep []int32
	Err  error
}

// NewPicker returns a picker titled title over columns cols (fields for
// "name:value" filters); noun names the rows in the count ("users").
// Rows arrive with a PickerRowsMsg.
func NewPicker(title string, cols []table.Column, fields map[string]int, noun string, th themes.Theme) *Picker {
	t := table.New(cols, fields, th)
	t.SetEmptyMessage("nothing to pick")
	p := &Picker{title: title, list: table.NewBrowser(t, noun)}
	p.list, _ = p.list.Update(tea.KeyPressMsg{Code: '/', Text: "/"})
	return p
}

// SetSize sets the picker's area.
func (p *Picker) SetSize(w, h int, th themes.Theme) {
	p.w, p.h = w, h
	p.list.SetTheme(th)
	p.list.SetSize(w, max(h-2, 3))
}

// Busy reports that rows or a filter pass are outstanding.
func (p *Picker) Busy() bool { return !p.loaded || p.list.Table.Pending() }

var (
	pickKey   = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "pick"))
	markKey   = key.NewBinding(key.WithKeys("ctrl+space", "ctrl+@"), key.WithHelp("ctrl+space", "mark several"))
	cancelKey = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	fieldKey  = key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "leave filter"))
)

// Keys are the picker's bindings for the footer.
func (p *Picker) Keys() []key.Binding { return []key.Binding{pickKey, markKey, cancelKey, fieldKey} }

// FilterFields are the names the picker's filter accepts (for help).
func (p *Picker) FilterFields() []string { return p.list.Table.FieldNames() }

// Update handles the picker's keys and its rows. A nil picker (closed
// before its rows came) takes nothing.
func (p *Picker) Update(msg tea.Msg) tea.Cmd {
	if p == nil {
		return nil
	}
	switch msg := msg.(type) {
	case PickerRowsMsg:
		p.loaded, p.err = true, msg.Err
		if msg.Err != nil {
			return nil
		}
		return p.list.Table.SetRowsWithin(msg.Rows, msg.Keep)
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, pickKey):
			if len(p.marked) > 0 {
				p.Picked = p.marked
			} else if r, ok := p.list.Table.Selected(); ok {
				p.Picked = []table.Row{r}
			}
			p.Done = true
			return nil
		case key.Matches(msg, cancelKey):
			p.Done = true
			return nil
		case key.Matches(msg, markKey) || (!p.list.Typing() && msg.String() == "space"):
			p.toggle()
			return nil
		case msg.String() == "tab":
			if p.list.Typing() {
				// enter would pick, so tab leaves the prompt and keeps the filter.
				var cmd tea.Cmd
				p.list, cmd = p.list.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
				return cmd
			}
			return nil
		}
	}
	var cmd tea.Cmd
	p.list, cmd = p.list.Update(msg)
	return cmd
}

func (p *Picker) toggle() {
	r, ok := p.list.Table.Selected()
	if !ok {
		return
	}
	for i, m := range p.marked {
		if m.Key == r.Key {
			p.marked = append(p.marked[:i], p.marked[i+1:]...)
			return
		}
	}
	p.marked = append(p.marked, r)
}

// View renders the title, the marked rows and the table.
func (p *Picker) View(th themes.Theme) string {
	var b strings.Builder
	b.WriteString(th.Title.Render(textsafe.Truncate(p.title, p.w)))
	b.WriteByte('\n')
	switch {
	case p.err != nil:
		b.WriteString(th.Error.Render(textsafe.Truncate(textsafe.Clean(p.err.Error()), p.w)))
	case len(p.marked) > 0:
		names := make([]string, len(p.marked))
		for i, r := range p.marked {
			names[i] = r.Cells[0]
		}
		b.WriteString(th.OK.Render(textsafe.Truncate(fmt.Sprintf("marked %d: %s — enter picks them", len(names), strings.Join(names, ", ")), p.w)))
	default:
		b.WriteString(th.Muted.Render(textsafe.Truncate("type to filter · enter picks the selected row · ctrl+space marks several · esc cancels", p.w)))
	}
	b.WriteByte('\n')
	b.WriteString(p.list.View())
	return b.String()
}
