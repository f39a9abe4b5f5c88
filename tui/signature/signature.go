// Package signature is the Signatures pane: pick an active user (fuzzy
// filter) and preview the email signature the rules give them as styled
// terminal text or raw HTML, with the rule that matched and the fields
// that were missing or fell back; and a coverage view (users per
// template, users missing required fields grouped by department, rule
// conflicts) where enter jumps to the user's preview.
package signature

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/internal/textsafe"
	sigs "github.com/dirdeck/dirdeck/signature"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/table"
)

// Columns of the user list.
const (
	ColName = iota
	ColLogin
	ColDept
	ColTemplate
	ColIssues
)

// Filter fields of the user list ("tmpl:sales").
const (
	fName = iota
	fLogin
	fDept
	fTemplate
	fRule
)

// Fields maps "name:value" filter names to Row.Fields.
var Fields = map[string]int{
	"name": fName, "login": fLogin, "dept": fDept, "department": fDept,
	"template": fTemplate, "tmpl": fTemplate, "rule": fRule,
}

// Coverage list columns and fields.
const (
	cDept = iota
	cName
	cProblem
)

var coverageFields = map[string]int{"dept": cDept, "department": cDept, "name": cName, "problem": cProblem}

type mode int

const (
	modeList mode = iota
	modePreview
	modeCoverage
)

type keyMap struct {
	Open, Coverage, Raw, Back key.Binding
}

// Model is the Signatures pane.
type Model struct {
	ctx  *pane.Context
	keys keyMap
	// shown: the pane has been on screen; stale: a Load was deferred.
	shown, stale bool

	users    table.Browser
	issues   table.Browser
	mode     mode
	prevMode mode // where esc from a preview returns to

	reads   pane.Reads[*Loaded]
	loadErr string
	data    *Loaded

	preview *preview
	raw     bool
	width   int
	height  int
}

// New returns the pane; Load fills it.
func New(ctx *pane.Context) *Model {
	ut := table.New([]table.Column{
		{Title: "NAME", Width: 10, Flex: 3},
		{Title: "LOGIN", Width: 10, Flex: 3},
		{Title: "DEPARTMENT", Width: 8, Flex: 2},
		{Title: "TEMPLATE", Width: 10, Flex: 1},
		{Title: "ISSUES", Width: 8, Flex: 2},
	}, Fields, ctx.Theme)
	ut.SetEmptyMessage("no active users in the cache yet — sync first (s)")
	it := table.New([]table.Column{
		{Title: "DEPARTMENT", Width: 10, Flex: 2},
		{Title: "NAME", Width: 10, Flex: 3},
		{Title: "PROBLEM", Width: 12, Flex: 4},
	}, coverageFields, ctx.Theme)
	it.SetEmptyMessage("every active user has what their template needs, and no rules overlap")
	return &Model{
		ctx:    ctx,
		users:  table.NewBrowser(ut, "users"),
		issues: table.NewBrowser(it, "users with issues"),
		keys: keyMap{
			Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "preview")),
			Coverage: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "coverage")),
			Raw:      key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "raw HTML")),
			Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		},
	}
}

// Name implements pane.Pane.
func (m *Model) Name() string { return "signatures" }

// Aliases implements pane.Pane.
func (m *Model) Aliases() []string { return []string{"signature", "sig", "sigs"} }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Signatures" }

// Loaded is what the pane reads from the cache in one go.
type Loaded struct {
	Set      *sigs.Set
	Dir      *sigs.Directory
	Coverage sigs.Coverage
	Issues   []sigs.Issue
	Users    *table.Rows
	IssueRow *table.Rows
}

// Load implements pane.Pane.
//
// Signature data (every user rendered against the rules) is read only once
// the pane has been shown: until then Load marks it stale and Activate
// reads it, so a dashboard that never opens this pane does not pay for it.
func (m *Model) Load() tea.Cmd {
	if !m.shown {
		m.stale = true
		return nil
	}
	return m.load()
}

// Activate implements pane.Activator: the first time the pane is shown,
// it runs the load that Load deferred.
func (m *Model) Activate() tea.Cmd {
	m.shown = true
	if !m.stale {
		return nil
	}
	m.stale = false
	return m.load()
}

func (m *Model) load() tea.Cmd {
	s := m.ctx.Store
	return m.reads.Start(func() (*Loaded, error) { return LoadData(s) })
}

// LoadData reads templates, rules and the directory, and computes the
// coverage and the rows of both lists.
func LoadData(s *store.Store) (*Loaded, error) {
	set, err := sigs.Load(s)
	if err != nil {
		return nil, fmt.Errorf("load signature templates: %w", err)
	}
	dir, err := sigs.LoadDirectory(s)
	if err != nil {
		return nil, err
	}
	cov, issues := set.CoverageIssues(dir)
	byUser := make(map[string]sigs.Issue, len(issues))
	for _, iss := range issues {
		byUser[iss.UserID] = iss
	}
	l := &Loaded{Set: set, Dir: dir, Coverage: cov, Issues: issues}
	var userRows, issueRows []table.Row
	for _, u := range dir.Users {
		if !sigs.Active(u) {
			continue
		}
		data := dir.DataFor(u)
		ch := set.Choose(data, dir.GroupsOf(u.ID))
		name, login, dept := textsafe.Clean(data.DisplayName), textsafe.Clean(data.Login), textsafe.Clean(data.Department)
		tmpl, rule := textsafe.Clean(ch.Template), textsafe.Clean(ch.Rule)
		problem := problemText(byUser[u.ID])
		hay := strings.ToLower(strings.Join([]string{name, login, dept, tmpl, rule}, "\n"))
		userRows = append(userRows, table.Row{
			Key:    u.ID,
			Cells:  []string{name, login, dept, tmpl, problem},
			Hay:    hay,
			Fields: []string{strings.ToLower(name), strings.ToLower(login), strings.ToLower(dept), strings.ToLower(tmpl), strings.ToLower(rule)},
		})
	}
	for _, iss := range issues {
		dept, name, problem := textsafe.Clean(iss.Department), textsafe.Clean(iss.Name), problemText(iss)
		issueRows = append(issueRows, table.Row{
			Key:    iss.UserID,
			Cells:  []string{dept, name, problem},
			Hay:    strings.ToLower(dept + "\n" + name + "\n" + textsafe.Clean(iss.Login) + "\n" + problem),
			Fields: []string{strings.ToLower(dept), strings.ToLower(name), strings.ToLower(problem)},
		})
	}
	l.Users, l.IssueRow = table.NewRows(userRows), table.NewRows(issueRows)
	return l, nil
}

func problemText(iss sigs.Issue) string {
	var parts []string
	if len(iss.Missing) > 0 {
		parts = append(parts, "missing "+strings.Join(iss.Missing, ", "))
	}
	if len(iss.Matched) > 1 {
		parts = append(parts, fmt.Sprintf("%d rules match: %s wins", len(iss.Matched), iss.Matched[0]))
	}
	return textsafe.Clean(strings.Join(parts, "; "))
}

// SetSize implements pane.Pane; it also picks up a theme change.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.users.SetTheme(m.ctx.Theme)
	m.users.SetSize(w, h)
	m.issues.SetTheme(m.ctx.Theme)
	m.issues.SetSize(w, max(h-m.summaryHeight(), 3))
	if m.preview != nil {
		m.preview.vp.SetWidth(w)
		m.preview.vp.SetHeight(h)
		m.renderPreview()
	}
}

// summaryHeight is the coverage view's header: totals per template,
// missing fields by department and rule findings, capped at a third of
// the pane so the list stays usable.
func (m *Model) summaryHeight() int {
	return min(len(m.summaryLines()), max(m.height/3, 3))
}

// Update implements pane.Pane.
func (m *Model) Update(msg tea.Msg) (pane.Pane, tea.Cmd) {
	if r, ok := m.reads.Result(msg); ok {
		if r.Err != nil {
			m.loadErr = r.Err.Error()
			return m, nil
		}
		m.loadErr = ""
		m.data = r.Data
		m.SetSize(m.width, m.height)
		cmds := []tea.Cmd{m.users.Table.SetRows(r.Data.Users), m.issues.Table.SetRows(r.Data.IssueRow)}
		if m.preview != nil {
			m.openPreview(m.preview.id)
		}
		return m, tea.Batch(cmds...)
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.MouseMsg:
		if m.mode == modePreview && m.preview != nil {
			var cmd tea.Cmd
			m.preview.vp, cmd = m.preview.vp.Update(msg)
			return m, cmd
		}
	}
	var c1, c2 tea.Cmd
	m.users, c1 = m.users.Update(msg)
	m.issues, c2 = m.issues.Update(msg)
	return m, tea.Batch(c1, c2)
}

func (m *Model) key(msg tea.KeyPressMsg) (pane.Pane, tea.Cmd) {
	switch m.mode {
	case modePreview:
		if key.Matches(msg, m.keys.Raw) {
			m.raw = !m.raw
			m.renderPreview()
			return m, nil
		}
		var cmd tea.Cmd
		m.preview.vp, cmd = m.preview.vp.Update(msg)
		return m, cmd
	case modeCoverage:
		if !m.issues.Typing() && key.Matches(msg, m.keys.Open) {
			if r, ok := m.issues.Table.Selected(); ok {
				m.prevMode = modeCoverage
				m.openPreview(r.Key)
			}
			return m, nil
		}
		var cmd tea.Cmd
		m.issues, cmd = m.issues.Update(msg)
		return m, cmd
	}
	if !m.users.Typing() {
		switch {
		case key.Matches(msg, m.keys.Open):
			if r, ok := m.users.Table.Selected(); ok {
				m.prevMode = modeList
				m.openPreview(r.Key)
			}
			return m, nil
		case key.Matches(msg, m.keys.Coverage):
			m.mode = modeCoverage
			return m, nil
		}
	}
	var cmd tea.Cmd
	m.users, cmd = m.users.Update(msg)
	return m, cmd
}

// preview is the open preview of one user.
type preview struct {
	id    string
	title string
	res   *sigs.Result
	err   error
	vp    viewport.Model
}

// openPreview renders the user's signature. Rendering is pure CPU on data
// already loaded (no cache read), so it happens right here.
func (m *Model) openPreview(id string) {
	p := &preview{id: id, title: id, vp: viewport.New()}
	if m.preview != nil && m.preview.id == id {
		p.vp = m.preview.vp // keep the scroll position across reloads
	}
	p.vp.SetWidth(m.width)
	p.vp.SetHeight(m.height)
	if m.data != nil {
		if u, ok := m.data.Dir.ByLogin(id); ok {
			p.title = textsafe.Clean(u.Name())
			res, err := m.data.Set.Render(m.data.Dir, u)
			p.res, p.err = &res, err
		} else {
			p.err = fmt.Errorf("user %s is no longer in the cache", id)
		}
	}
	m.preview = p
	m.mode = modePreview
	m.renderPreview()
}

func (m *Model) renderPreview() {
	p := m.preview
	if p == nil {
		return
	}
	th := m.ctx.Theme
	w := max(p.vp.Width(), 20)
	var lines []string
	switch {
	case p.err != nil:
		lines = append(lines, th.Error.Render(textsafe.Clean(p.err.Error())))
	case p.res == nil:
		lines = append(lines, th.Muted.Render("loading…"))
	default:
		r := p.res
		kv := func(k, v string, st func(...string) string) {
			lines = append(lines, th.Muted.Render(textsafe.Fit(k, 14))+st(textsafe.Truncate(textsafe.Clean(v), max(w-14, 1))))
		}
		plain := func(s ...string) string { return strings.Join(s, "") }
		kv("User", r.User.Login, plain)
		why := "no rule matches → default"
		if r.Rule != "" {
			why = fmt.Sprintf("rule %d %q", r.RuleNum, r.Rule)
		}
		kv("Template", r.Template+" ("+why+")", plain)
		if len(r.Matched) > 1 {
			kv("Also matched", strings.Join(r.Matched[1:], ", ")+" (first match wins)", th.Warning.Render)
		}
		if len(r.Missing) > 0 {
			kv("Missing", strings.Join(r.Missing, ", "), th.Error.Render)
		}
		if len(r.FellBack) > 0 {
			kv("Fell back", strings.Join(r.FellBack, ", ")+" (empty)", th.Muted.Render)
		}
		lines = append(lines, "")
		if m.raw {
			lines = append(lines, th.Title.Render("HTML"))
			for l := range strings.SplitSeq(strings.TrimRight(r.HTML, "\n"), "\n") {
				lines = append(lines, wrap(textsafe.Clean(l), w)...)
			}
		} else {
			lines = append(lines, th.Title.Render("Signature"))
			lines = append(lines, HTMLToTerminal(r.HTML, w, th)...)
			lines = append(lines, "", th.Title.Render("Plain text"))
			for l := range strings.SplitSeq(strings.TrimRight(r.Text, "\n"), "\n") {
				lines = append(lines, wrap(textsafe.Clean(l), w)...)
			}
		}
	}
	p.vp.SetContentLines(lines)
}

// View implements pane.Pane.
func (m *Model) View() string {
	if m.loadErr != "" {
		return m.ctx.Theme.Error.Render(textsafe.Clean(m.loadErr))
	}
	switch m.mode {
	case modePreview:
		if m.preview != nil {
			return m.preview.vp.View()
		}
	case modeCoverage:
		sum := m.summaryLines()
		sum = sum[:min(len(sum), m.summaryHeight())]
		return strings.Join(append(sum, m.issues.View()), "\n")
	}
	return m.users.View()
}

// summaryLines are the coverage view's header lines.
func (m *Model) summaryLines() []string {
	if m.data == nil {
		return []string{m.ctx.Theme.Muted.Render("loading…")}
	}
	th := m.ctx.Theme
	cov := m.data.Coverage
	w := max(m.width, 20)
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(cov.ByTemplate)) {
		parts = append(parts, fmt.Sprintf("%s %d", textsafe.Clean(name), cov.ByTemplate[name]))
	}
	lines := []string{textsafe.Truncate(th.Title.Render(fmt.Sprintf("%d active users", cov.Users))+"  "+strings.Join(parts, " · "), w)}
	for _, s := range cov.Summary() {
		lines = append(lines, th.Warning.Render(textsafe.Truncate(textsafe.Clean(s), w)))
	}
	for _, c := range cov.Conflicts {
		txt := c.Kind + ": " + c.Reason
		if c.Kind == sigs.ConflictOverlap {
			txt += fmt.Sprintf(" (%d %s)", c.Count, map[bool]string{true: "user", false: "users"}[c.Count == 1])
		}
		lines = append(lines, th.Muted.Render(textsafe.Truncate(textsafe.Clean(txt), w)))
	}
	return lines
}

// Crumbs implements pane.Pane.
func (m *Model) Crumbs() []string {
	switch m.mode {
	case modePreview:
		if m.prevMode == modeCoverage {
			return []string{"coverage", m.preview.title}
		}
		return []string{m.preview.title}
	case modeCoverage:
		return []string{"coverage"}
	}
	return nil
}

// Back implements pane.Pane.
func (m *Model) Back() (bool, tea.Cmd) {
	switch m.mode {
	case modePreview:
		m.mode = m.prevMode
		m.preview = nil
		return true, nil
	case modeCoverage:
		if ok, cmd := m.issues.Back(); ok {
			return true, cmd
		}
		m.mode = modeList
		return true, nil
	}
	return m.users.Back()
}

// Busy implements pane.Pane.
func (m *Model) Busy() bool {
	return m.reads.Pending() || m.users.Table.Pending() || m.issues.Table.Pending()
}

// Capturing implements pane.Pane.
func (m *Model) Capturing() bool {
	switch m.mode {
	case modeList:
		return m.users.Typing()
	case modeCoverage:
		return m.issues.Typing()
	}
	return false
}

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	switch m.mode {
	case modePreview:
		raw := m.keys.Raw
		if m.raw {
			raw = key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "styled"))
		}
		return []key.Binding{m.keys.Back, raw, key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "scroll"))}
	case modeCoverage:
		tk := m.issues.Table.KeyMap()
		return []key.Binding{m.keys.Back, m.issues.FilterKey(), key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "go to user")), tk.Up, tk.Down}
	}
	tk := m.users.Table.KeyMap()
	return []key.Binding{m.users.FilterKey(), m.keys.Open, m.keys.Coverage, tk.Sort, tk.Up, tk.Down, tk.PageDown}
}

// FilterFields implements pane.FilterHelper: the user list's, or the
// coverage issues'; a preview has no filter.
func (m *Model) FilterFields() []string {
	switch m.mode {
	case modePreview:
		return nil
	case modeCoverage:
		return m.issues.Table.FieldNames()
	}
	return m.users.Table.FieldNames()
}

// Data exposes what the pane loaded, for tests.
func (m *Model) Data() *Loaded { return m.data }

// Users exposes the user list, for tests.
func (m *Model) Users() *table.Browser { return &m.users }
