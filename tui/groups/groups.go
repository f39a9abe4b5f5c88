// Package groups is the Groups pane: every cached group with its type,
// member and app counts and last membership change, and a detail view with
// the group's apps and a filterable member list.
//
// It is also where an admin stages group changes (package tui/staging):
// in a group's detail, space marks members, d or x stages their removal,
// a picks users to add, e edits the name and description; on the list, n
// stages a new group. Staged changes show inline (+, -, ~) until the root
// submits them as a plan with S.
package groups

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/staging"
	"github.com/dirdeck/dirdeck/tui/table"
	"github.com/dirdeck/dirdeck/tui/termtext"
	"github.com/dirdeck/dirdeck/tui/users"
)

// Field-filter indices.
const (
	fName = iota
	fType
	fDesc
)

// Fields maps filter names to Row.Fields.
var Fields = map[string]int{"name": fName, "type": fType, "desc": fDesc, "description": fDesc}

// Columns returns the groups table's columns.
func Columns() []table.Column {
	return []table.Column{
		{Title: "NAME", Width: 12, Flex: 3},
		{Title: "TYPE", Width: 10},
		{Title: "MEMBERS", Width: 7, Right: true},
		{Title: "APPS", Width: 4, Right: true},
		{Title: "MEMBERSHIP CHANGED", Width: 16, Flex: 1},
	}
}

// BuildRow precomputes one group's row.
func BuildRow(g directory.Group, members, apps int) table.Row {
	name := termtext.Clean(g.Name)
	desc := termtext.Clean(g.Description)
	changed, changedKey := "", ""
	if !g.LastMembershipUpdated.IsZero() {
		changed = g.LastMembershipUpdated.UTC().Format("2006-01-02 15:04")
		changedKey = g.LastMembershipUpdated.UTC().Format(time.RFC3339)
	}
	lname := strings.ToLower(name)
	return table.Row{
		Key:      g.ID,
		Cells:    []string{name, termtext.Clean(g.Type), strconv.Itoa(members), strconv.Itoa(apps), changed},
		SortKeys: []string{2: fmt.Sprintf("%012d", members), 3: fmt.Sprintf("%012d", apps), 4: changedKey},
		Hay:      lname + "\n" + strings.ToLower(desc),
		Fields:   []string{lname, strings.ToLower(g.Type), strings.ToLower(desc)},
	}
}

// Model is the Groups pane.
type Model struct {
	ctx     *pane.Context
	list    table.Browser
	open    key.Binding
	loadSeq uint64
	loading bool
	loadErr string

	detail    *detail
	detailSeq uint64
	width, h  int

	keys stageKeys
	// form edits the open group or creates one (detail == nil).
	form *staging.GroupForm
	// picker picks users to add to the open group.
	picker *staging.Picker
	// names are the cached group names (lowercase), so that creating a
	// taken name is refused at once.
	names map[string]bool
}

// stageKeys are the staging bindings.
type stageKeys struct {
	mark, remove, add, edit, create, unstage key.Binding
}

func defaultStageKeys() stageKeys {
	return stageKeys{
		mark:    key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark")),
		remove:  key.NewBinding(key.WithKeys("d", "x"), key.WithHelp("d/x", "stage removal")),
		add:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "stage adds")),
		edit:    key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit name/description")),
		create:  key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new group")),
		unstage: key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "unstage group")),
	}
}

// New returns the pane; Load fills it.
func New(ctx *pane.Context) *Model {
	t := table.New(Columns(), Fields, ctx.Theme)
	t.SetEmptyMessage("no groups in the cache yet — sync first (s)")
	return &Model{
		ctx:  ctx,
		list: table.NewBrowser(t, "groups"),
		open: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		keys: defaultStageKeys(),
	}
}

// area is the shared staging area; a pane used on its own (tests) gets
// one of its own.
func (m *Model) area() *staging.Area {
	if m.ctx.Staging == nil {
		m.ctx.Staging = staging.New(staging.Options{Now: m.ctx.Now, OrgURL: m.ctx.OrgURL})
	}
	return m.ctx.Staging
}

// Name implements pane.Pane.
func (m *Model) Name() string { return "groups" }

// Aliases implements pane.Pane.
func (m *Model) Aliases() []string { return []string{"group", "g"} }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Groups" }

// Browser exposes the list for tests.
func (m *Model) Browser() *table.Browser { return &m.list }

type loadedMsg struct {
	seq   uint64
	rows  *table.Rows
	names map[string]bool
	err   error
}

// Load implements pane.Pane.
func (m *Model) Load() tea.Cmd {
	m.loadSeq++
	m.loading = true
	seq, s := m.loadSeq, m.ctx.Store
	return func() tea.Msg {
		rows, err := LoadRows(s)
		names := make(map[string]bool, len(rows))
		for _, r := range rows {
			names[r.Fields[fName]] = true
		}
		return loadedMsg{seq: seq, rows: table.NewRows(rows), names: names, err: err}
	}
}

// membersPerView bounds the memberships counted per read transaction.
const membersPerView = 200_000

// LoadRows reads the groups table rows from the cache, in short read
// transactions (see pane.ReadChunked).
func LoadRows(s *store.Store) ([]table.Row, error) {
	rows, err := pane.ReadCounted(s, (*store.Reader).Groups, membersPerView, func(r *store.Reader, g directory.Group) (table.Row, int) {
		members := r.MemberCount(g.ID)
		return BuildRow(g, members, len(r.AppsOfGroup(g.ID))), members
	})
	if err != nil {
		return nil, fmt.Errorf("load groups: %w", err)
	}
	return rows, nil
}

// SetSize implements pane.Pane; it also picks up a theme change.
func (m *Model) SetSize(w, h int) {
	m.width, m.h = w, h
	m.list.SetTheme(m.ctx.Theme)
	m.list.SetSize(w, h-len(m.createdLines()))
	if m.detail != nil {
		m.detail.layout(m.ctx, w, h)
	}
	if m.form != nil {
		m.form.SetWidth(w)
	}
	if m.picker != nil {
		m.picker.SetSize(w, h, m.ctx.Theme)
	}
}

// Update implements pane.Pane.
func (m *Model) Update(msg tea.Msg) (pane.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.seq != m.loadSeq {
			return m, nil
		}
		m.loading = false
		m.loadErr = ""
		if msg.err != nil {
			m.loadErr = msg.err.Error()
			return m, nil
		}
		m.names = msg.names
		cmd := m.list.Table.SetRows(msg.rows)
		if m.detail != nil {
			return m, tea.Batch(cmd, m.reloadDetail())
		}
		return m, cmd
	case detailMsg:
		if m.detail == nil || msg.seq != m.detailSeq {
			return m, nil
		}
		m.detail.info, m.detail.err = msg.info, msg.err
		if msg.err != nil {
			m.detail.layout(m.ctx, m.width, m.h)
			return m, nil
		}
		m.detail.rows = msg.members
		m.detail.dirty = true
		m.syncStaging()
		return m, m.detail.members.Table.SetRows(msg.indexed)
	case staging.PickerRowsMsg:
		if m.picker != nil {
			return m, m.picker.Update(msg)
		}
		return m, nil
	case tea.KeyPressMsg:
		if cmd, ok := m.stagingKey(msg); ok {
			m.syncStaging()
			return m, cmd
		}
		if d := m.detail; d != nil && !d.members.Typing() && key.Matches(msg, m.open) {
			if r, ok := d.members.Table.Selected(); ok {
				return m, pane.Open("users", r.Key)
			}
			return m, nil
		}
		if m.detail == nil && !m.list.Typing() && key.Matches(msg, m.open) {
			if r, ok := m.list.Table.Selected(); ok {
				return m, m.openDetail(r.Key, r.Cells[0])
			}
			return m, nil
		}
	}
	var cmds []tea.Cmd
	if _, isKey := msg.(tea.KeyPressMsg); !isKey {
		// results of the picker's filter passes and the form's own messages
		if m.picker != nil {
			cmds = append(cmds, m.picker.Update(msg))
		}
		if m.form != nil {
			cmds = append(cmds, m.form.Update(msg))
			if m.form.Done { // huh completes on its own message after enter
				m.formDone()
				m.syncStaging()
			}
		}
	}
	if m.detail != nil {
		var cmd tea.Cmd
		m.detail.members, cmd = m.detail.members.Update(msg)
		cmds = append(cmds, cmd)
		if _, isKey := msg.(tea.KeyPressMsg); isKey {
			return m, cmd
		}
		if _, isMouse := msg.(tea.MouseMsg); isMouse {
			return m, cmd
		}
	}
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(msg)
	return m, tea.Batch(append(cmds, cmd)...)
}

// View implements pane.Pane.
func (m *Model) View() string {
	if m.loadErr != "" {
		return m.ctx.Theme.Error.Render(termtext.Clean(m.loadErr))
	}
	// Another pane (a user's detail, a submit) may have changed what is
	// staged since this pane last saw a message.
	m.syncStaging()
	switch {
	case m.picker != nil:
		return m.picker.View(m.ctx.Theme)
	case m.form != nil:
		return m.form.View()
	case m.detail != nil:
		return m.detail.view()
	}
	if created := m.createdLines(); len(created) > 0 {
		return strings.Join(created, "\n") + "\n" + m.list.View()
	}
	return m.list.View()
}

// Crumbs implements pane.Pane.
func (m *Model) Crumbs() []string {
	if m.detail != nil {
		return []string{m.detail.title}
	}
	return nil
}

// Back implements pane.Pane: it first clears the member filter, then
// closes the detail, then clears the list filter.
func (m *Model) Back() (bool, tea.Cmd) {
	if m.form != nil || m.picker != nil {
		m.form, m.picker = nil, nil
		return true, nil
	}
	if m.detail != nil {
		if ok, cmd := m.detail.members.Back(); ok {
			return true, cmd
		}
		m.detail = nil
		m.detailSeq++
		return true, nil
	}
	return m.list.Back()
}

// Busy implements pane.Pane.
func (m *Model) Busy() bool {
	if m.loading || m.list.Table.Pending() || (m.picker != nil && m.picker.Busy()) {
		return true
	}
	d := m.detail
	return d != nil && ((d.info == nil && d.err == nil) || d.members.Table.Pending())
}

// Capturing implements pane.Pane.
func (m *Model) Capturing() bool {
	if m.form != nil || m.picker != nil {
		return true
	}
	if m.detail != nil {
		return m.detail.members.Typing()
	}
	return m.list.Typing()
}

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	switch {
	case m.picker != nil:
		return m.picker.Keys()
	case m.form != nil:
		return m.form.Keys()
	case m.detail != nil:
		tk := m.detail.members.Table.KeyMap()
		return []key.Binding{m.keys.mark, m.keys.remove, m.keys.add, m.keys.edit, m.keys.unstage, m.detail.members.FilterKey(),
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open user")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")), tk.Sort, tk.Up, tk.Down}
	}
	tk := m.list.Table.KeyMap()
	return []key.Binding{m.list.FilterKey(), m.open, m.keys.create, tk.Sort, tk.Reverse, tk.Up, tk.Down, tk.PageDown, tk.Top, tk.Bottom}
}

// Info is the detail view's header: the group and the apps assigned to it.
type Info struct {
	Group directory.Group
	Apps  []directory.App
}

type detail struct {
	id, title string
	info      *Info
	err       error
	members   table.Browser
	head      []string
	// rows are the member rows the table shows; their first cell is the
	// staging mark, set in place (see syncStaging).
	rows []table.Row
	// marked are the members picked with space (by user id).
	marked map[string]bool
	// seen is the staging area version the marks reflect; dirty forces
	// a refresh after the marks change.
	seen  uint64
	dirty bool
	// staged are the rendered lines of what is staged for the group.
	staged []string
}

type detailMsg struct {
	seq     uint64
	info    *Info
	members []table.Row
	indexed *table.Rows // members, indexed (NewRows clears their Hay and Fields)
	err     error
}

func memberColumns() []table.Column {
	return []table.Column{
		{Title: "", Width: 1},
		{Title: "NAME", Width: 10, Flex: 2},
		{Title: "LOGIN", Width: 10, Flex: 2},
		{Title: "DEPARTMENT", Width: 6, Flex: 1},
		{Title: "STATUS", Width: 13, Status: true},
	}
}

// memberFields are the member list's filter names.
var memberFields = map[string]int{"name": 0, "login": 1, "dept": 2, "department": 2, "status": 3}

// markSortKeys is every member row's sort keys: the mark column sorts by
// a constant, so sorting never reads the mark cell, which the UI
// goroutine rewrites in place while a sort may run in a command.
var markSortKeys = []string{" "}

func (m *Model) openDetail(id, title string) tea.Cmd {
	t := table.New(memberColumns(), memberFields, m.ctx.Theme)
	t.SetEmptyMessage("no members")
	m.detail = &detail{id: id, title: title, members: table.NewBrowser(t, "members"), marked: map[string]bool{}}
	m.detail.layout(m.ctx, m.width, m.h)
	return m.reloadDetail()
}

func (m *Model) reloadDetail() tea.Cmd {
	m.detailSeq++
	seq, s, id := m.detailSeq, m.ctx.Store, m.detail.id
	return func() tea.Msg {
		info, rows, err := LoadDetail(s, id)
		// d.rows keeps the member rows for their staging marks; the
		// index shares them.
		return detailMsg{seq: seq, info: info, members: rows, indexed: table.NewRows(rows), err: err}
	}
}

// usersPerView bounds the member profiles read per read transaction.
const usersPerView = 20_000

// LoadDetail reads a group, its apps and its member rows, in short read
// transactions (a group can hold a million members).
func LoadDetail(s *store.Store, id string) (*Info, []table.Row, error) {
	var (
		info Info
		ids  []string
		rows []table.Row
		head bool
	)
	begin := func() { info, ids, rows, head = Info{}, nil, nil, false }
	step := func(r *store.Reader) (bool, error) {
		if !head {
			g, ok := r.Group(id)
			if !ok {
				return false, fmt.Errorf("group %s is no longer in the cache", id)
			}
			info.Group = g
			for _, ag := range r.AppsOfGroup(id) {
				a, ok := r.App(ag.AppID)
				if !ok {
					a = directory.App{ID: ag.AppID, Label: ag.AppID}
				}
				info.Apps = append(info.Apps, a)
			}
			for uid := range r.MembersOf(id) {
				ids = append(ids, uid)
			}
			head = true
			rows = make([]table.Row, 0, len(ids))
		}
		for _, uid := range ids[len(rows):min(len(rows)+usersPerView, len(ids))] {
			u, ok := r.User(uid)
			if !ok {
				u = directory.User{ID: uid, Login: uid} // a dangling membership still shows
			}
			rows = append(rows, memberRow(u))
		}
		return len(rows) == len(ids), nil
	}
	if err := pane.ReadChunked(s.View, begin, step); err != nil {
		return nil, nil, fmt.Errorf("load group %s: %w", id, err)
	}
	slices.SortFunc(info.Apps, func(a, b directory.App) int {
		return strings.Compare(strings.ToLower(a.Label), strings.ToLower(b.Label))
	})
	return &info, rows, nil
}

func memberRow(u directory.User) table.Row {
	name, login, dept, status := termtext.Clean(u.Name()), termtext.Clean(u.Login), termtext.Clean(u.Department), termtext.Clean(u.Status)
	return table.Row{
		Key:      u.ID,
		Cells:    []string{"", name, login, dept, status},
		SortKeys: markSortKeys,
		Hay:      strings.ToLower(name + "\n" + login + "\n" + termtext.Clean(u.Email) + "\n" + dept),
		Fields:   []string{strings.ToLower(name), strings.ToLower(login), strings.ToLower(dept), strings.ToLower(status)},
	}
}

// layout renders the header lines and gives the member list the rest.
func (d *detail) layout(ctx *pane.Context, w, h int) {
	th := ctx.Theme
	d.members.SetTheme(th)
	d.head = d.head[:0]
	switch {
	case d.err != nil:
		d.head = append(d.head, th.Error.Render(termtext.Clean(d.err.Error())))
	case d.info == nil:
		d.head = append(d.head, th.Muted.Render("loading…"))
	default:
		g := d.info.Group
		kv := func(k, v string) string {
			return th.Muted.Render(k+" ") + termtext.Clean(v)
		}
		line := kv("type", g.Type) + "   " + kv("id", g.ID)
		if !g.LastMembershipUpdated.IsZero() {
			line += "   " + kv("membership changed", pane.Age(ctx.Now(), g.LastMembershipUpdated))
		}
		d.head = append(d.head, termtext.Truncate(line, w))
		if g.Description != "" {
			d.head = append(d.head, th.Muted.Render("description ")+termtext.Truncate(termtext.Clean(g.Description), max(w-12, 1)))
		}
		labels := make([]string, len(d.info.Apps))
		for i, a := range d.info.Apps {
			labels[i] = termtext.Clean(a.Label)
		}
		apps := "none"
		if len(labels) > 0 {
			apps = strings.Join(labels, ", ")
		}
		d.head = append(d.head, th.Title.Render(fmt.Sprintf("Apps via this group (%d) ", len(labels)))+termtext.Truncate(apps, max(w-26, 1)))
		if err := staging.Refusal(g); err != nil {
			d.head = append(d.head, th.Muted.Render(termtext.Truncate("not editable: "+err.Error(), w)))
		}
		d.head = append(d.head, d.staged...)
		members := th.Title.Render("Members")
		if n := len(d.marked); n > 0 {
			members += " " + th.Warning.Render(fmt.Sprintf("%d marked — d removes, space unmarks", n))
		}
		d.head = append(d.head, members)
	}
	d.members.SetSize(w, max(h-len(d.head), 3))
}

func (d *detail) view() string {
	return strings.Join(d.head, "\n") + "\n" + d.members.View()
}

// Staging ------------------------------------------------------------------

// maxStagedLines bounds the staged changes shown above the member list;
// the submit form (S) lists them all.
const maxStagedLines = 4

// syncStaging brings the marks and staged lines up to date with the area.
func (m *Model) syncStaging() {
	d, a := m.detail, m.area()
	if m.list.Table.Loaded() {
		// the list's height depends on the staged creations shown above it
		m.list.SetSize(m.width, m.h-len(m.createdLines()))
	}
	if d == nil || d.info == nil || (!d.dirty && d.seen == a.Version()) {
		return
	}
	d.seen, d.dirty = a.Version(), false
	g, _ := a.Group(d.id)
	removed := make(map[string]bool, len(g.Remove))
	for _, u := range g.Remove {
		removed[u.ID] = true
	}
	for i := range d.rows {
		r := &d.rows[i]
		want := ""
		switch {
		case removed[r.Key]:
			want = "-"
		case d.marked[r.Key]:
			want = "●"
		}
		if r.Cells[0] != want {
			r.Cells[0] = want
		}
	}
	th := m.ctx.Theme
	lines := a.Lines(th, d.id, m.width)
	if len(lines) > maxStagedLines {
		more := len(lines) - maxStagedLines + 1
		lines = append(lines[:maxStagedLines-1], th.Muted.Render(fmt.Sprintf("  … %d more staged (S lists them)", more)))
	}
	d.staged = nil
	if len(lines) > 0 {
		d.staged = append([]string{th.Title.Render("Staged")}, lines...)
	}
	d.layout(m.ctx, m.width, m.h)
}

// createdLines are the staged new groups, shown above the list.
func (m *Model) createdLines() []string {
	var out []string
	for _, g := range m.area().Groups() {
		if g.Create {
			out = append(out, staging.GroupLines(m.ctx.Theme, g, m.width, "")...)
		}
	}
	if len(out) > maxStagedLines {
		more := len(out) - maxStagedLines + 1
		out = append(out[:maxStagedLines-1], m.ctx.Theme.Muted.Render(fmt.Sprintf("… %d more staged (S lists them)", more)))
	}
	return out
}

// stagingKey handles the picker, the forms and the staging keys; ok is
// false when the key is not about staging.
func (m *Model) stagingKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	switch {
	case m.picker != nil:
		cmd := m.picker.Update(k)
		if m.picker.Done {
			m.addPicked(m.picker.Picked)
			m.picker = nil
		}
		return cmd, true
	case m.form != nil:
		cmd := m.form.Update(k)
		if m.form.Done {
			m.formDone()
		}
		return cmd, true
	}
	d := m.detail
	if d == nil {
		if !m.list.Typing() && key.Matches(k, m.keys.create) {
			m.form = staging.NewGroupForm("New OKTA_GROUP", "", "", m.width)
			return m.form.Init(), true
		}
		return nil, false
	}
	if d.members.Typing() || d.info == nil {
		return nil, false
	}
	a, g := m.area(), d.info.Group
	switch {
	case key.Matches(k, m.keys.mark):
		if r, ok := d.members.Table.Selected(); ok {
			if d.marked[r.Key] {
				delete(d.marked, r.Key)
			} else {
				d.marked[r.Key] = true
			}
			d.dirty = true
			var cmd tea.Cmd
			d.members.Table, cmd = d.members.Table.Update(tea.KeyPressMsg{Code: tea.KeyDown})
			return cmd, true
		}
		return nil, true
	case key.Matches(k, m.keys.remove):
		if err := staging.Refusal(g); err != nil {
			a.Refuse(err)
			return nil, true
		}
		targets := m.targets()
		allStaged := len(targets) > 0
		for _, r := range targets {
			if a.Mark(g.ID, r.Key) != "-" {
				allStaged = false
			}
		}
		for _, r := range targets {
			u := staging.Member{ID: r.Key, Login: r.Cells[2], Name: r.Cells[1]}
			switch {
			case allStaged:
				a.Unstage(g.ID, r.Key)
			case a.Mark(g.ID, r.Key) != "-":
				_ = a.Remove(g, u) // refusals are noted in the area
			}
		}
		if len(targets) > 1 && !allStaged {
			a.SetNote(fmt.Sprintf("staged - %d members of %s", len(targets), termtext.Clean(g.Name)), false)
		}
		clear(d.marked)
		d.dirty = true
		return nil, true
	case key.Matches(k, m.keys.add):
		if err := staging.Refusal(g); err != nil {
			a.Refuse(err)
			return nil, true
		}
		return m.openPicker(), true
	case key.Matches(k, m.keys.edit):
		if err := staging.Refusal(g); err != nil {
			a.Refuse(err)
			return nil, true
		}
		name, desc := g.Name, g.Description
		if sg, ok := a.Group(g.ID); ok {
			if sg.Rename != "" {
				name = sg.Rename
			}
			if sg.SetDescription {
				desc = sg.Description
			}
		}
		m.form = staging.NewGroupForm("Edit group "+termtext.Clean(g.Name), name, desc, m.width)
		return m.form.Init(), true
	case key.Matches(k, m.keys.unstage):
		if !a.Drop(g.ID) {
			a.SetNote("nothing staged for "+termtext.Clean(g.Name), false)
		}
		return nil, true
	}
	return nil, false
}

// targets are the marked members, or the one under the cursor.
func (m *Model) targets() []table.Row {
	d := m.detail
	var out []table.Row
	if len(d.marked) > 0 {
		for _, r := range d.rows {
			if d.marked[r.Key] {
				out = append(out, r)
			}
		}
		return out
	}
	if r, ok := d.members.Table.Selected(); ok {
		out = append(out, r)
	}
	return out
}

// openPicker opens the user picker over every cached user; members of
// the group are left out (adding them would be a no-op).
func (m *Model) openPicker() tea.Cmd {
	d := m.detail
	m.picker = staging.NewPicker("Add to "+termtext.Clean(d.info.Group.Name)+" — pick users", users.Columns(), users.Fields, "users", m.ctx.Theme)
	m.picker.SetSize(m.width, m.h, m.ctx.Theme)
	members := make(map[string]bool, len(d.rows))
	for _, r := range d.rows {
		members[r.Key] = true
	}
	s := m.ctx.Store
	return func() tea.Msg {
		rows, err := pickerRows(s, members, usersPerView)
		return staging.PickerRowsMsg{Rows: table.NewRows(rows), Err: err}
	}
}

// pickerRows reads the rows of every cached user not in skip, in short
// read transactions. Unlike the Users pane's rows they carry no group
// names (the picker has no group: filter), which spares a scan of every
// membership.
func pickerRows(s *store.Store, skip map[string]bool, per int) ([]table.Row, error) {
	var (
		rows  []table.Row
		in    users.Interner
		after string
	)
	begin := func() { rows, in, after = nil, users.Interner{}, "" }
	step := func(r *store.Reader) (bool, error) {
		n := 0
		for u := range r.UsersAfter(after) {
			after = u.ID
			if !skip[u.ID] {
				rows = append(rows, users.BuildRow(u, "", in))
			}
			if n++; n == per {
				return false, nil
			}
		}
		return true, nil
	}
	if err := pane.ReadChunked(s.View, begin, step); err != nil {
		return nil, fmt.Errorf("load users to pick from: %w", err)
	}
	return rows, nil
}

func (m *Model) addPicked(rows []table.Row) {
	d := m.detail
	if d == nil || d.info == nil {
		return
	}
	a := m.area()
	for _, r := range rows {
		_ = a.Add(d.info.Group, staging.Member{ID: r.Key, Name: r.Cells[users.ColName], Login: r.Cells[users.ColLogin]})
	}
	if len(rows) > 1 {
		a.SetNote(fmt.Sprintf("staged + %d users for %s", len(rows), termtext.Clean(d.info.Group.Name)), false)
	}
}

func (m *Model) formDone() {
	f, a := m.form, m.area()
	m.form = nil
	if !f.OK {
		a.SetNote("edit cancelled", false)
		return
	}
	if m.detail == nil {
		_ = a.Create(f.Name, f.Description, m.names[strings.ToLower(termtext.Clean(strings.TrimSpace(f.Name)))])
		m.list.SetSize(m.width, m.h-len(m.createdLines()))
		return
	}
	if m.detail.info != nil {
		_ = a.Edit(m.detail.info.Group, f.Name, f.Description)
	}
}
