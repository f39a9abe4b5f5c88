// Package review is the Review pane: the change plans of the profile with
// their state (draft, pending, approved, rejected, applying, applied,
// failed), a plan's diff with warnings and impact first and its groups
// expandable one by one, approve and reject with a comment (a huh form),
// apply behind a typed confirmation of the org's domain, and the audit log.
//
// The pane reads plans from the cache in commands and never talks to Okta:
// the wiring gives it Actions whose commands approve, reject and apply
// (package plan) off the UI goroutine and answer with a DoneMsg. When the
// staging area submits a plan (staging.SubmittedMsg), the pane reloads and
// asks the root to show it: the new plan is what the admin wants next.
package review

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dirdeck/dirdeck/internal/english"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/plan"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/msgs"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/staging"
)

// Name is the pane's palette command.
const Name = "review"

// Actions do the pane's work. Each returns a command that runs off the UI
// goroutine and answers with a DoneMsg; a nil action is not available
// (e.g. no credential, or a read-only cache) and the pane says so.
type Actions struct {
	Approve func(id, comment string) tea.Cmd
	Reject  func(id, comment string) tea.Cmd
	// Apply applies a plan; rebase accepts membership drift (see
	// plan.ApplyOptions.Rebase).
	Apply func(id string, rebase bool) tea.Cmd
	// Check asks whether the admin may approve or reject plan id
	// (plan.CheckReview) and answers with a CheckedMsg, so that a refusal
	// (the author approving their own plan) comes before the comment
	// form; nil goes straight to the form.
	Check func(id, action string) tea.Cmd
}

// CheckedMsg answers Actions.Check: Err is the refusal, nil when the
// admin may go on.
type CheckedMsg struct {
	ID     string
	Action string
	Err    error
}

// Action names in DoneMsg.
const (
	ActionApprove = "approve"
	ActionReject  = "reject"
	ActionApply   = "apply"
	// ActionRebase is an apply that accepts membership drift.
	ActionRebase = "apply --rebase"
)

// DoneMsg answers an action.
type DoneMsg struct {
	ID     string
	Action string
	Err    error
	Report *plan.ApplyReport // apply only
}

// PlanActions are Actions backed by package plan on a cache: reviews and
// applies as the admin who answers (asked only when an action runs, so
// that opening the dashboard makes no request for it; see Identity),
// applies with opts (its Client, AllowWrites and the like; Actor is set
// to the admin; without a Client there is no Apply). opts.Now also stamps
// reviews and opts.Keys signs them, as on the command line. ctx bounds
// applies.
func PlanActions(ctx context.Context, st *store.Store, who func() (plan.Identity, error), opts plan.ApplyOptions) Actions {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	review := func(action string, fn func(*store.Store, string, plan.Identity, string, time.Time, plan.Keys) (*plan.Record, error)) func(string, string) tea.Cmd {
		return func(id, comment string) tea.Cmd {
			return func() tea.Msg {
				me, err := who()
				if err == nil {
					_, err = fn(st, id, me, comment, now(), opts.Keys)
				}
				return DoneMsg{ID: id, Action: action, Err: err}
			}
		}
	}
	a := Actions{Approve: review(ActionApprove, plan.Approve), Reject: review(ActionReject, plan.Reject)}
	a.Check = func(id, action string) tea.Cmd {
		decision := plan.DecisionApprove
		if action == ActionReject {
			decision = plan.DecisionReject
		}
		return func() tea.Msg {
			me, err := who()
			if err == nil {
				var r *plan.Record
				if r, err = plan.Load(st, id); err == nil {
					err = plan.CheckReview(r, decision, me, opts.Keys, now())
				}
			}
			return CheckedMsg{ID: id, Action: action, Err: err}
		}
	}
	if opts.Client != nil {
		a.Apply = func(id string, rebase bool) tea.Cmd {
			o := opts
			o.Rebase = rebase
			return func() tea.Msg {
				action := ActionApply
				if rebase {
					action = ActionRebase
				}
				me, err := who()
				if err != nil {
					return DoneMsg{ID: id, Action: action, Err: err}
				}
				o.Actor = me
				rep, err := plan.Apply(ctx, st, id, o)
				return DoneMsg{ID: id, Action: action, Err: err, Report: &rep}
			}
		}
	}
	return a
}

// Identity returns who for PlanActions: the admin behind the credential,
// asked of ask (cmd passes plan.WhoAmI on its client) on first use and
// remembered once known; a failure (the org was unreachable, say) is asked
// again next time.
func Identity(ask func() (plan.Identity, error)) func() (plan.Identity, error) {
	var mu gosync.Mutex
	var known *plan.Identity
	return func() (plan.Identity, error) {
		mu.Lock()
		defer mu.Unlock()
		if known != nil {
			return *known, nil
		}
		me, err := ask()
		if err != nil {
			return me, fmt.Errorf("identify the admin behind the credential: %w", err)
		}
		known = &me
		return me, nil
	}
}

type mode int

const (
	modeList mode = iota
	modeDetail
	modeForm
	modeAudit
)

// loadedMsg carries the plans and the audit log read from the cache.
type loadedMsg struct {
	plans []*plan.Record
	audit []plan.AuditEntry
	bad   []error
	err   error
}

// Model is the Review pane.
type Model struct {
	ctx     *pane.Context
	actions Actions
	vp      viewport.Model
	w, h    int

	mode    mode
	plans   []*plan.Record
	audit   []plan.AuditEntry
	bad     []error
	loadErr error
	loading bool
	working bool // an action is running
	cursor  int

	// detail
	open     *plan.Record
	focus    int             // index into open.Plan.Groups
	expanded map[string]bool // group ref → members listed

	// form
	form       *huh.Form
	formAction string
	comment    string
	typed      string

	status    string
	statusErr bool
	// applies holds the last apply answer per plan, shown above its diff
	// (drift, failed operations) until the pane is closed.
	applies map[string]DoneMsg

	keys keys
}

type keys struct {
	up, down, open, approve, reject, apply, rebase, audit, nextGroup, toggle, expandAll, reload key.Binding
}

// New returns the pane.
func New(ctx *pane.Context, actions Actions) *Model {
	return &Model{
		ctx: ctx, actions: actions, vp: viewport.New(), expanded: map[string]bool{}, applies: map[string]DoneMsg{},
		keys: keys{
			up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "move")),
			down:      key.NewBinding(key.WithKeys("down", "j")),
			open:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
			approve:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "approve")),
			reject:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "reject")),
			apply:     key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "apply")),
			rebase:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "apply over drift")),
			audit:     key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "audit log")),
			nextGroup: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next group")),
			toggle:    key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "expand group")),
			expandAll: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "expand all")),
			reload:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reload")),
		},
	}
}

// Name implements pane.Pane.
func (m *Model) Name() string { return Name }

// Aliases implements pane.Pane.
func (m *Model) Aliases() []string { return []string{"plans", "plan", "audit", "r"} }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Review" }

// Load implements pane.Pane: it reads the plans and the audit log.
func (m *Model) Load() tea.Cmd {
	st := m.ctx.Store
	if st == nil {
		return nil
	}
	m.loading = true
	return func() tea.Msg {
		recs, bad, err := plan.List(st)
		if err != nil {
			return loadedMsg{err: err}
		}
		audit, err := plan.Audit(st)
		return loadedMsg{plans: recs, audit: audit, bad: bad, err: err}
	}
}

// SetSize implements pane.Pane.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	m.vp.SetWidth(w)
	m.vp.SetHeight(max(h-2, 1))
	if m.form != nil {
		m.form.WithWidth(w)
	}
	m.render()
}

// Update implements pane.Pane.
func (m *Model) Update(msg tea.Msg) (pane.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		m.loading = false
		m.plans, m.audit, m.bad, m.loadErr = msg.plans, msg.audit, msg.bad, msg.err
		m.cursor = min(m.cursor, max(len(m.plans)-1, 0))
		if m.open != nil {
			m.open = m.find(m.open.ID)
			if m.open == nil && m.mode == modeDetail {
				m.mode = modeList
			}
		}
		m.render()
		return m, nil
	case CheckedMsg:
		m.working = false
		if r := m.selected(); r == nil || r.ID != msg.ID {
			m.setStatus("", false) // the admin moved on meanwhile
			return m, nil
		}
		if msg.Err != nil {
			m.setStatus(fmt.Sprintf("%s %s: %v", msg.Action, msg.ID, msg.Err), true)
			return m, nil
		}
		m.status = ""
		return m, m.openForm(msg.Action)
	case DoneMsg:
		m.working = false
		if msg.Action == ActionApply || msg.Action == ActionRebase {
			m.applies[msg.ID] = msg
		}
		m.setStatus(doneText(msg), msg.Err != nil)
		if msg.Report != nil && len(msg.Report.Resynced) > 0 {
			return m, tea.Batch(m.Load(), m.committed())
		}
		return m, m.Load()
	case staging.SubmittedMsg:
		if msg.Err != nil {
			return m, nil // the staging area shows the refusal
		}
		// The new plan is what the admin wants to see next.
		return m, tea.Batch(m.Load(), pane.Show(Name))
	}
	if m.mode == modeForm && m.form != nil {
		if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "esc" {
			_, cmd := m.Back()
			return m, cmd
		}
		return m, m.updateForm(msg)
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case tea.MouseMsg:
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return m, cmd
	}
	return m, nil
}

func doneText(d DoneMsg) string {
	if d.Err != nil {
		// The drift and failed operations are listed above the plan.
		return fmt.Sprintf("%s %s: %v", d.Action, d.ID, d.Err)
	}
	switch d.Action {
	case ActionApprove:
		return "approved " + d.ID
	case ActionReject:
		return "rejected " + d.ID
	}
	if d.Report != nil {
		return fmt.Sprintf("applied %s: %d done, %d no-op", d.ID, d.Report.Done, d.Report.Noop)
	}
	return "applied " + d.ID
}

func (m *Model) setStatus(s string, isErr bool) {
	m.status, m.statusErr = s, isErr
	m.render()
}

func (m *Model) find(id string) *plan.Record {
	for _, r := range m.plans {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// selected is the plan the actions apply to: the open one, else the one
// under the cursor.
func (m *Model) selected() *plan.Record {
	if m.mode == modeDetail && m.open != nil {
		return m.open
	}
	if m.cursor < len(m.plans) {
		return m.plans[m.cursor]
	}
	return nil
}

func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.reload):
		return m.Load()
	case key.Matches(k, m.keys.audit):
		if m.mode == modeAudit {
			m.mode = modeList
		} else {
			m.mode = modeAudit
		}
		m.vp.GotoTop()
		m.render()
		return nil
	case key.Matches(k, m.keys.approve):
		return m.startForm(ActionApprove)
	case key.Matches(k, m.keys.reject):
		return m.startForm(ActionReject)
	case key.Matches(k, m.keys.apply):
		return m.startForm(ActionApply)
	case key.Matches(k, m.keys.rebase):
		return m.startForm(ActionRebase)
	}
	switch m.mode {
	case modeList:
		switch {
		case key.Matches(k, m.keys.up):
			m.cursor = max(m.cursor-1, 0)
		case key.Matches(k, m.keys.down):
			m.cursor = min(m.cursor+1, max(len(m.plans)-1, 0))
		case key.Matches(k, m.keys.open):
			if r := m.selected(); r != nil {
				m.openPlan(r)
			}
		}
		m.render()
		return nil
	case modeDetail:
		switch {
		case key.Matches(k, m.keys.nextGroup):
			if n := len(m.open.Plan.Groups); n > 0 {
				m.focus = (m.focus + 1) % n
			}
		case key.Matches(k, m.keys.toggle):
			if m.focus < len(m.open.Plan.Groups) {
				ref := m.open.Plan.Groups[m.focus].Ref
				m.expanded[ref] = !m.expanded[ref]
			}
		case key.Matches(k, m.keys.expandAll):
			all := true
			for _, g := range m.open.Plan.Groups {
				all = all && m.expanded[g.Ref]
			}
			for _, g := range m.open.Plan.Groups {
				m.expanded[g.Ref] = !all
			}
		default:
			var cmd tea.Cmd
			m.vp, cmd = m.vp.Update(k)
			return cmd
		}
		m.render()
		return nil
	}
	var cmd tea.Cmd
	m.vp, cmd = m.vp.Update(k)
	return cmd
}

// openPlan shows a plan; groups with few operations start expanded.
func (m *Model) openPlan(r *plan.Record) {
	m.open, m.mode, m.focus = r, modeDetail, 0
	m.expanded = map[string]bool{}
	for _, g := range r.Plan.Groups {
		n := 0
		for _, op := range r.Plan.Ops {
			if op.Group == g.Ref {
				n++
			}
		}
		m.expanded[g.Ref] = n <= 20
	}
	m.vp.GotoTop()
}

// domain is what the typed confirmation asks for: the org's host name.
func (m *Model) domain() string {
	if u, err := url.Parse(m.ctx.OrgURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return m.ctx.OrgURL
}

func (m *Model) startForm(action string) tea.Cmd {
	r := m.selected()
	if r == nil {
		m.setStatus("no plan selected", true)
		return nil
	}
	if m.working {
		m.setStatus("an action is still running", true)
		return nil
	}
	var available bool
	switch action {
	case ActionApprove:
		available = m.actions.Approve != nil
	case ActionReject:
		available = m.actions.Reject != nil
	case ActionApply, ActionRebase:
		available = m.actions.Apply != nil && !m.ctx.ReadOnly
	}
	if !available {
		m.setStatus(action+" is not available here (no credential, or the cache is read-only)", true)
		return nil
	}
	if (action == ActionApprove || action == ActionReject) && m.actions.Check != nil {
		m.working = true
		m.setStatus("checking whether you may "+action+" "+r.ID+"…", false)
		return m.actions.Check(r.ID, action)
	}
	return m.openForm(action)
}

// openForm asks for the action's comment or typed confirmation.
func (m *Model) openForm(action string) tea.Cmd {
	r := m.selected()
	m.comment, m.typed, m.formAction = "", "", action
	var field huh.Field
	switch action {
	case ActionApply, ActionRebase:
		want := m.domain()
		what := "Apply"
		if action == ActionRebase {
			what = "Apply, accepting membership changes made in Okta since staging,"
		}
		field = huh.NewInput().Key("domain").Value(&m.typed).
			Title(fmt.Sprintf("%s %s to %s? Type the org's domain (%s) to confirm", what, r.ID, textsafe.Clean(m.ctx.OrgURL), want)).
			Validate(func(s string) error {
				if strings.TrimSpace(s) != want {
					return errors.New("type the org's domain exactly")
				}
				return nil
			})
	default:
		verb := "Approve"
		if action == ActionReject {
			verb = "Reject"
		}
		field = huh.NewText().Key("comment").Value(&m.comment).Lines(3).CharLimit(2000).
			Title(fmt.Sprintf("%s %s (%s) — comment for the author and the audit log", verb, r.ID, textsafe.Clean(r.Plan.Title)))
	}
	m.form = huh.NewForm(huh.NewGroup(field)).WithShowHelp(true).WithWidth(max(m.w, 20)).
		WithTheme(huh.ThemeFunc(huh.ThemeBase))
	m.form.SubmitCmd, m.form.CancelCmd = nil, nil
	m.mode = modeForm
	m.render()
	return m.form.Init()
}

func (m *Model) updateForm(msg tea.Msg) tea.Cmd {
	model, cmd := m.form.Update(msg)
	if f, ok := model.(*huh.Form); ok {
		m.form = f
	}
	switch m.form.State {
	case huh.StateCompleted:
		r := m.selected()
		m.closeForm()
		if r == nil {
			return cmd
		}
		m.working = true
		m.setStatus(m.formAction+" "+r.ID+"…", false)
		var act tea.Cmd
		switch m.formAction {
		case ActionApprove:
			act = m.actions.Approve(r.ID, m.comment)
		case ActionReject:
			act = m.actions.Reject(r.ID, m.comment)
		case ActionApply:
			act = m.actions.Apply(r.ID, false)
		case ActionRebase:
			act = m.actions.Apply(r.ID, true)
		}
		return tea.Batch(cmd, act)
	case huh.StateAborted:
		m.closeForm()
		m.setStatus(m.formAction+" cancelled", false)
	}
	m.render()
	return cmd
}

func (m *Model) closeForm() {
	m.form = nil
	if m.open != nil {
		m.mode = modeDetail
	} else {
		m.mode = modeList
	}
}

// committed tells the root (and so every pane) that the apply's re-sync
// committed to the cache, as a sync would.
func (m *Model) committed() tea.Cmd {
	st, now := m.ctx.Store, m.ctx.Now
	return func() tea.Msg {
		msg := msgs.GenerationCommittedMsg{At: time.Now()}
		if now != nil {
			msg.At = now()
		}
		_ = st.View(func(r *store.Reader) error {
			msg.Generation = r.Generation()
			if run, ok := r.LastRun(); ok {
				msg.RunID = run.ID
			}
			return nil
		})
		return msg
	}
}

// View implements pane.Pane.
func (m *Model) View() string {
	th := m.ctx.Theme
	var b strings.Builder
	b.WriteString(textsafe.Truncate(m.header(), m.w))
	b.WriteByte('\n')
	status := m.statusLines()
	if m.mode == modeForm && m.form != nil {
		b.WriteString(m.form.View())
	} else {
		// A long error takes the lines it needs from the bottom of the
		// viewport rather than being cut at the edge.
		lines := strings.Split(m.vp.View(), "\n")
		b.WriteString(strings.Join(lines[:max(len(lines)-len(status)+1, 1)], "\n"))
	}
	b.WriteByte('\n')
	if m.statusErr {
		// A marker in the error style, the text plain: the no-color
		// theme underlines errors, which hurts a long message.
		b.WriteString(th.Error.Render("✗") + " " + strings.Join(status, "\n  "))
	} else {
		b.WriteString(th.Muted.Render(textsafe.Truncate(textsafe.Clean(m.status), m.w)))
	}
	return b.String()
}

// maxStatusLines bounds how much of the pane an error may take.
const maxStatusLines = 4

// statusLines is an error status wrapped to the pane's width (after the
// "✗ " marker), so a refusal is read whole; other statuses are one line.
func (m *Model) statusLines() []string {
	if !m.statusErr {
		return []string{m.status}
	}
	w := max(m.w-2, 10)
	lines := strings.Split(ansi.Wrap(textsafe.Clean(m.status), w, " "), "\n")
	if len(lines) > maxStatusLines {
		lines = lines[:maxStatusLines]
		lines[maxStatusLines-1] = textsafe.Truncate(lines[maxStatusLines-1]+" …", w)
	}
	for i, l := range lines {
		lines[i] = textsafe.Truncate(l, w)
	}
	return lines
}

func (m *Model) header() string {
	th := m.ctx.Theme
	switch m.mode {
	case modeAudit:
		return th.Title.Render("Audit log") + th.Muted.Render(" · "+english.Count(len(m.audit), "entry", "entries")+" · v: back to plans")
	case modeDetail, modeForm:
		if m.open == nil {
			break
		}
		focus := ""
		if n := len(m.open.Plan.Groups); n > 0 && m.focus < n {
			g := m.open.Plan.Groups[m.focus]
			state := "collapsed"
			if m.expanded[g.Ref] {
				state = "expanded"
			}
			focus = fmt.Sprintf(" · group %d/%d %s (%s) · tab: next · space: expand", m.focus+1, n, textsafe.Clean(g.Name), state)
		}
		return th.Title.Render(m.open.ID) + th.Muted.Render(focus)
	}
	return th.Title.Render(fmt.Sprintf("Plans (%d)", len(m.plans))) + th.Muted.Render(" · enter: open · a: approve · x: reject · A: apply · v: audit log")
}

// render lays out the list, the open plan or the audit log into the
// viewport.
func (m *Model) render() {
	if m.w == 0 {
		return
	}
	var lines []string
	switch m.mode {
	case modeList:
		lines = m.listLines()
	case modeDetail, modeForm:
		if m.open != nil {
			lines = append(m.applyLines(m.open.ID), strings.Split(strings.TrimRight(plan.Render(m.open, m.ctx.Theme, m.expanded), "\n"), "\n")...)
		}
	case modeAudit:
		lines = m.auditLines()
	}
	for i, l := range lines {
		lines[i] = textsafe.Truncate(l, m.w)
	}
	m.vp.SetContentLines(lines)
}

// applyLines show the last apply of a plan from this pane: its error,
// what drifted and which operation failed, wrapped to the pane's width.
func (m *Model) applyLines(id string) []string {
	d, ok := m.applies[id]
	if !ok {
		return nil
	}
	th := m.ctx.Theme
	var out []string
	add := func(st lipgloss.Style, indent, text string) {
		for _, l := range strings.Split(ansi.Wrap(textsafe.Clean(text), max(m.w-len(indent), 10), " "), "\n") {
			out = append(out, st.Render(indent+l))
			indent = strings.Repeat(" ", len(indent))
		}
	}
	if d.Err != nil {
		add(th.Error, "", "Last apply: "+d.Err.Error())
	} else if d.Report != nil {
		add(th.OK, "", fmt.Sprintf("Last apply: %d done, %d no-op", d.Report.Done, d.Report.Noop))
	}
	if d.Report != nil {
		for _, dr := range d.Report.Drift {
			st, mark := th.Warning, "  ~ "
			if dr.Blocking {
				st, mark = th.Error, "  ! "
			}
			add(st, mark, dr.GroupName+": "+dr.What)
		}
		for _, r := range d.Report.Results {
			if r.State == plan.OpFailed {
				add(th.Error, "  failed: ", fmt.Sprintf("operation %d: %s", r.Op.Seq, r.Error))
			}
		}
		if d.Report.ResyncError != "" {
			add(th.Warning, "  re-sync: ", d.Report.ResyncError)
		}
		for _, p := range d.Report.ResyncPartial {
			add(th.Warning, "  re-sync: ", "partial: "+p.Resource+" not read completely: "+p.Reason)
		}
	}
	return append(out, "")
}

// Column widths of the plan list.
const (
	idW       = 14
	stateW    = 9
	approvalW = 9
	changesW  = 18
)

func (m *Model) listLines() []string {
	th := m.ctx.Theme
	switch {
	case m.loadErr != nil:
		return []string{th.Error.Render("cannot read plans: " + textsafe.Clean(m.loadErr.Error()))}
	case m.loading && m.plans == nil:
		return []string{th.Muted.Render("loading plans…")}
	case len(m.plans) == 0:
		return []string{th.Muted.Render("No plans yet. Stage one with `dirdeck plan new` (or import a plan file).")}
	}
	out := []string{th.TableHeader.Render("  " + textsafe.Fit("ID", idW) + " " + textsafe.Fit("STATE", stateW) + " " +
		textsafe.Fit("APPROVALS", approvalW) + " " + textsafe.Fit("CHANGES", changesW) + " TITLE")}
	for i, r := range m.plans {
		c := r.Plan.Counts()
		changes := fmt.Sprintf("+%d -%d", c.Add, c.Remove)
		if c.Create > 0 {
			changes += " new " + strconv.Itoa(c.Create)
		}
		if c.Update > 0 {
			changes += " ~" + strconv.Itoa(c.Update)
		}
		approvals := fmt.Sprintf("%d/%d", len(r.Approvals()), r.Plan.ApprovalsRequired)
		text := textsafe.Fit(r.ID, idW) + " " + textsafe.Fit(r.State, stateW) + " " + textsafe.Fit(approvals, approvalW) + " " +
			textsafe.Fit(changes, changesW) + " " + textsafe.Clean(r.Plan.Title)
		if i == m.cursor {
			out = append(out, th.RowSelected.Render("› "+text))
			continue
		}
		stateStyle := th.Row
		switch r.State {
		case plan.StateRejected, plan.StateFailed:
			stateStyle = th.Error
		case plan.StateApproved, plan.StateApplied:
			stateStyle = th.OK
		case plan.StatePending, plan.StateApplying:
			stateStyle = th.Warning
		}
		out = append(out, th.Row.Render("  "+textsafe.Fit(r.ID, idW)+" ")+stateStyle.Render(textsafe.Fit(r.State, stateW))+
			th.Row.Render(" "+textsafe.Fit(approvals, approvalW)+" "+textsafe.Fit(changes, changesW)+" "+textsafe.Clean(r.Plan.Title)))
	}
	for _, err := range m.bad {
		out = append(out, th.Error.Render("  ! "+textsafe.Clean(err.Error())))
	}
	return out
}

func (m *Model) auditLines() []string {
	th := m.ctx.Theme
	if len(m.audit) == 0 {
		return []string{th.Muted.Render("The audit log is empty.")}
	}
	out := make([]string, 0, len(m.audit))
	for i := len(m.audit) - 1; i >= 0; i-- { // newest first
		e := m.audit[i]
		st := th.Row
		switch e.Action {
		case plan.ActionRefused, plan.ActionApplyFailed, plan.ActionRejected:
			st = th.Error
		case plan.ActionApplied, plan.ActionApproved:
			st = th.OK
		}
		// Only the action is coloured: a whole line in the error style is
		// hard to read in the no-color theme (underlined).
		rest := fmt.Sprintf(" %s %s", e.PlanID, textsafe.Clean(e.Actor.String()))
		if e.Detail != "" {
			rest += ": " + textsafe.Clean(e.Detail)
		}
		out = append(out, th.Row.Render(fmt.Sprintf("%4d %s ", e.Seq, e.Time.UTC().Format("2006-01-02 15:04")))+
			st.Render(fmt.Sprintf("%-13s", e.Action))+th.Row.Render(rest))
	}
	return out
}

// Crumbs implements pane.Pane.
func (m *Model) Crumbs() []string {
	switch {
	case m.mode == modeAudit:
		return []string{"audit"}
	case m.open != nil && m.mode != modeList:
		return []string{m.open.ID}
	}
	return nil
}

// Back implements pane.Pane: esc cancels a form, closes a plan or the
// audit log.
func (m *Model) Back() (bool, tea.Cmd) {
	switch m.mode {
	case modeForm:
		m.closeForm()
		m.setStatus(m.formAction+" cancelled", false)
		return true, nil
	case modeDetail:
		m.mode, m.open = modeList, nil
		m.render()
		return true, nil
	case modeAudit:
		m.mode = modeList
		m.render()
		return true, nil
	}
	return false, nil
}

// Capturing implements pane.Pane: a form takes every key.
func (m *Model) Capturing() bool { return m.mode == modeForm }

// Busy implements pane.Pane.
func (m *Model) Busy() bool { return m.loading || m.working }

// Claims implements pane.Claimer: in an open plan tab moves to the next
// group instead of the next pane.
func (m *Model) Claims() []key.Binding { return []key.Binding{m.keys.nextGroup} }

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	k := m.keys
	switch m.mode {
	case modeDetail:
		return []key.Binding{k.up, k.nextGroup, k.toggle, k.expandAll, k.approve, k.reject, k.apply, k.rebase}
	case modeAudit:
		return []key.Binding{k.up, k.audit}
	case modeForm:
		return m.form.KeyBinds()
	}
	return []key.Binding{k.up, k.open, k.approve, k.reject, k.apply, k.audit, k.reload}
}
