package staging

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/plan"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/themes"
)

// SubmittedMsg answers a submit: the stored plan, or why it was refused.
type SubmittedMsg struct {
	Record *plan.Record
	Err    error
}

// What the submit form can do with the staged changes.
const (
	ActSubmit  = "submit"
	ActKeep    = "keep"
	ActDiscard = "discard"
)

// Submit is the form S opens: the staged changes, a title for the plan,
// consent to a large change when the plan needs it, and what to do
// (submit, keep staging, discard all).
type Submit struct {
	area   *Area
	form   *huh.Form
	title  string
	action string
	large  bool
	w, h   int
}

// NewSubmit returns the form for what is staged in a, w×h cells.
func NewSubmit(a *Area, w, h int) *Submit {
	s := &Submit{area: a, title: defaultTitle(a), action: ActSubmit, w: w, h: h}
	fields := []huh.Field{
		huh.NewInput().Key("title").Title("Plan title (what reviewers see first)").Value(&s.title).CharLimit(200).
			Validate(func(t string) error {
				if strings.TrimSpace(t) == "" {
					return errors.New("give the plan a title")
				}
				return nil
			}),
	}
	if removals := a.Counts().Remove; removals > plan.LargeRemovals {
		fields = append(fields, huh.NewConfirm().Key("large").Value(&s.large).
			Title(fmt.Sprintf("The plan removes %d members (more than %d). Stage it anyway?", removals, plan.LargeRemovals)))
	}
	fields = append(fields, huh.NewSelect[string]().Key("action").Value(&s.action).Options(
		huh.NewOption("Submit for review", ActSubmit),
		huh.NewOption("Keep staging", ActKeep),
		huh.NewOption("Discard all staged changes", ActDiscard),
	))
	s.form = huh.NewForm(huh.NewGroup(fields...)).WithShowHelp(false).WithWidth(max(w, 20)).
		WithTheme(huh.ThemeFunc(huh.ThemeBase))
	s.form.SubmitCmd, s.form.CancelCmd = nil, nil
	return s
}

// defaultTitle names the groups changed: "Change Sales, Engineering".
func defaultTitle(a *Area) string {
	var names []string
	for _, g := range a.groups {
		names = append(names, g.Name)
	}
	t := "Change " + strings.Join(names, ", ")
	if len(names) > 3 {
		t = fmt.Sprintf("Change %s and %d more groups", strings.Join(names[:3], ", "), len(names)-3)
	}
	return textsafe.Clean(t)
}

// Init focuses the first field.
func (s *Submit) Init() tea.Cmd { return s.form.Init() }

// SetSize resizes the form.
func (s *Submit) SetSize(w, h int) {
	s.w, s.h = w, h
	s.form.WithWidth(max(w, 20))
}

// Update feeds the form. When it is done it reports done, and cmd does
// what was chosen: submitting returns a command that answers with a
// SubmittedMsg; discarding empties the area at once.
func (s *Submit) Update(msg tea.Msg, st *store.Store) (done bool, cmd tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "esc" {
		return true, nil // keep staging
	}
	model, cmd := s.form.Update(msg)
	if f, ok := model.(*huh.Form); ok {
		s.form = f
	}
	switch s.form.State {
	case huh.StateCompleted:
		switch s.action {
		case ActSubmit:
			s.area.SetNote("submitting…", false)
			return true, tea.Batch(cmd, s.area.SubmitCmd(st, s.title, s.large))
		case ActDiscard:
			s.area.Discard()
			s.area.SetNote("discarded all staged changes", false)
		}
		return true, cmd
	case huh.StateAborted:
		return true, cmd
	}
	return false, cmd
}

// View shows the staged changes above the form.
func (s *Submit) View(th themes.Theme) string {
	var b strings.Builder
	b.WriteString(th.Title.Render("Staged changes") + "  " + th.Muted.Render(textsafe.Truncate(s.area.Summary(), max(s.w-16, 1))))
	b.WriteByte('\n')
	lines := s.lines(th)
	form := s.form.View()
	room := max(s.h-2-strings.Count(form, "\n")-1, 1)
	if len(lines) > room {
		more := len(lines) - room + 1
		lines = append(lines[:room-1], th.Muted.Render(fmt.Sprintf("  … %d more lines", more)))
	}
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(form)
	return b.String()
}

func (s *Submit) lines(th themes.Theme) []string {
	var out []string
	for _, g := range s.area.Groups() {
		out = append(out, th.Title.Render(textsafe.Truncate(textsafe.Clean(g.Name), s.w)))
		out = append(out, GroupLines(th, g, s.w, "  ")...)
	}
	return out
}

// SubmitCmd builds the plan from the cache with plan.Build and stores it
// with plan.Submit, off the UI goroutine. The area is not touched here:
// the root clears it when the SubmittedMsg reports success.
func (a *Area) SubmitCmd(st *store.Store, title string, allowLarge bool) tea.Cmd {
	changes, o := a.Changes(), a.opts
	return func() tea.Msg {
		if o.Who == nil {
			return SubmittedMsg{Err: errors.New("submitting plans is not available in this session (no credential to identify the author)")}
		}
		me, err := o.Who()
		if err != nil {
			return SubmittedMsg{Err: err}
		}
		var p plan.Plan
		err = st.View(func(r *store.Reader) error {
			var err error
			p, err = plan.Build(r, plan.Request{Title: title, OrgURL: o.OrgURL, Author: me, Now: o.Now(),
				ApprovalsRequired: o.ApprovalsRequired, AllowLarge: allowLarge, Changes: changes})
			return err
		})
		if err != nil {
			return SubmittedMsg{Err: err}
		}
		if o.FlagAdmins != nil {
			if err := o.FlagAdmins(&p); err != nil {
				return SubmittedMsg{Err: fmt.Errorf("check the touched users' admin roles: %w", err)}
			}
		}
		rec, err := plan.Submit(st, p, o.Keys)
		return SubmittedMsg{Record: rec, Err: err}
	}
}

// Submitted takes the answer: on success the area empties and notes the
// plan id; a refusal stays with the staged changes so they can be fixed.
func (a *Area) Submitted(msg SubmittedMsg) {
	if msg.Err != nil {
		a.Refuse(msg.Err)
		return
	}
	a.groups = nil
	a.did(fmt.Sprintf("submitted plan %s for review (%s)", msg.Record.ID, msg.Record.State))
}

// KeyBinds are the form's bindings for the footer.
func (s *Submit) KeyBinds() []key.Binding { return s.form.KeyBinds() }
