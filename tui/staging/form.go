package staging

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
)

// GroupForm asks for a group's name and description (to create a group
// or to edit one). esc cancels; the huh form itself only quits on ctrl+c,
// which the root takes first.
type GroupForm struct {
	form        *huh.Form
	Name        string
	Description string
	// Done is set when the form is finished; OK when it was completed
	// rather than cancelled.
	Done, OK bool
}

// NewGroupForm returns a form titled title, prefilled with name and
// description, w cells wide.
func NewGroupForm(title, name, description string, w int) *GroupForm {
	f := &GroupForm{Name: name, Description: description}
	f.form = huh.NewForm(huh.NewGroup(
		huh.NewInput().Key("name").Title(title).Description("Name").Value(&f.Name).CharLimit(255).
			Validate(func(s string) error {
				if strings.TrimSpace(s) == "" {
					return errors.New("a group needs a name")
				}
				return nil
			}),
		huh.NewText().Key("description").Title("Description").Value(&f.Description).Lines(3).CharLimit(1024),
	)).WithShowHelp(false).WithWidth(max(w, 20)).WithTheme(huh.ThemeFunc(huh.ThemeBase))
	f.form.SubmitCmd, f.form.CancelCmd = nil, nil
	return f
}

// Init focuses the first field.
func (f *GroupForm) Init() tea.Cmd { return f.form.Init() }

// SetWidth resizes the form.
func (f *GroupForm) SetWidth(w int) { f.form.WithWidth(max(w, 20)) }

// Update feeds the form; esc cancels.
func (f *GroupForm) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "esc" {
		f.Done = true
		return nil
	}
	model, cmd := f.form.Update(msg)
	if m, ok := model.(*huh.Form); ok {
		f.form = m
	}
	switch f.form.State {
	case huh.StateCompleted:
		f.Done, f.OK = true, true
	case huh.StateAborted:
		f.Done = true
	}
	return cmd
}

// View renders the form.
func (f *GroupForm) View() string { return f.form.View() }

// Keys are the form's bindings for the footer.
func (f *GroupForm) Keys() []key.Binding {
	return append(f.form.KeyBinds(), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")))
}
