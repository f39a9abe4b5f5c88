// Package users is the Users pane: every cached user in a windowed,
// filterable, sortable table, and a detail view with the whole profile,
// the user's groups and their apps with how each is assigned (directly or
// through which groups).
//
// In the detail, ↑/↓ select one of the user's groups: g stages adding the
// user to a group (a picker over the cached groups), d stages removing
// them from the selected group (or unstages it). Staged changes live in
// the shared staging area (tui/staging) and show inline with + and -.
package users

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/staging"
	"github.com/dirdeck/dirdeck/tui/table"
	"github.com/dirdeck/dirdeck/tui/userindex"
	"github.com/dirdeck/dirdeck/tui/userrows"
)

type keyMap struct {
	Open, Back, Up, Down, AddGroup, Remove key.Binding
}

// Model is the Users pane.
type Model struct {
	ctx *pane.Context
	// area is the staging area shared with the other panes that stage;
	// nil in a session that cannot submit plans.
	area *staging.Area
	list pane.List
	keys keyMap

	detail      *detail
	detailReads pane.Reads[*Detail]
	width, hgt  int
	// picker picks the groups to add the open user to.
	picker *staging.Picker
}

// New returns the pane; Load fills it. area is where the pane stages
// group changes (nil: a session that cannot submit plans, where the
// staging keys are neither offered nor taken).
func New(ctx *pane.Context, area *staging.Area) *Model {
	return &Model{
		ctx:  ctx,
		area: area,
		list: pane.NewList(userrows.Columns(), userrows.Fields, "users", "no users in the cache yet — sync first (s)", ctx.Theme),
		keys: keyMap{
			Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
			Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
			Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "select group")),
			Down:     key.NewBinding(key.WithKeys("down", "j")),
			AddGroup: key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "stage add to group")),
			Remove:   key.NewBinding(key.WithKeys("d", "x"), key.WithHelp("d", "stage removal from group")),
		},
	}
}

// Name implements pane.Pane.
func (m *Model) Name() string { return "users" }

// Aliases implements pane.Pane.
func (m *Model) Aliases() []string { return []string{"user", "u", "people"} }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Users" }

// Browser exposes the list for tests and benchmarks.
func (m *Model) Browser() *table.Browser { return &m.list.Browser }

// FirstChunk is how many users the first, fast load reads: enough to fill
// any screen, so the first frame does not wait for a million rows. The
// full load (with group names for "group:" filters) follows at once.
const FirstChunk = 500

// Load implements pane.Pane: it maps every user and their group names
// (userindex.LoadIndex), after a fast first chunk (userindex.FirstRows)
// at start.
func (m *Model) Load() tea.Cmd {
	s := m.ctx.Store
	all := func() (*table.Rows, error) { return userindex.LoadIndex(s) }
	if m.list.Table.Loaded() {
		// A reload: the table already shows rows, so skip the fast
		// first chunk and swap in the full generation when it is ready.
		return m.list.Load(all)
	}
	return m.list.LoadFirst(func() (*table.Rows, int, error) {
		rows, total, err := userindex.FirstRows(s, FirstChunk)
		return table.NewRows(rows), total, err
	}, all)
}

// SetSize implements pane.Pane; it also picks up a theme change.
func (m *Model) SetSize(w, h int) {
	m.width, m.hgt = w, h
	m.list.SetTheme(m.ctx.Theme)
	m.list.SetSize(w, h)
	if m.detail != nil {
		m.detail.setSize(w, h)
		m.detail.render(m.ctx)
	}
	if m.picker != nil {
		m.picker.SetSize(w, h, m.ctx.Theme)
	}
}

// Update implements pane.Pane.
func (m *Model) Update(msg tea.Msg) (pane.Pane, tea.Cmd) {
	if cmd, complete, ok := m.list.Loaded(msg); ok {
		if complete && m.detail != nil {
			return m, tea.Batch(cmd, m.openDetail(m.detail.id))
		}
		return m, cmd
	}
	if r, ok := m.detailReads.Result(msg); ok {
		if m.detail != nil {
			m.detail.data, m.detail.err = r.Data, r.Err
			if r.Data != nil {
				m.detail.title = textsafe.Clean(r.Data.User.Name())
			}
			m.detail.render(m.ctx)
		}
		return m, nil
	}
	switch msg := msg.(type) {
	case staging.PickerRowsMsg:
		return m, m.picker.Update(msg)
	case tea.KeyPressMsg:
		if m.picker != nil {
			cmd := m.picker.Update(msg)
			if m.picker.Done {
				m.addPicked(m.picker.Picked)
				m.picker = nil
				m.detail.render(m.ctx)
			}
			return m, cmd
		}
		if m.detail != nil {
			if ok, cmd := m.detailKey(msg); ok {
				return m, cmd
			}
			var cmd tea.Cmd
			m.detail.sc.VP, cmd = m.detail.sc.VP.Update(msg)
			return m, cmd
		}
		if !m.list.Typing() && key.Matches(msg, m.keys.Open) {
			if r, ok := m.list.Table.Selected(); ok {
				return m, m.openDetail(r.Key)
			}
			return m, nil
		}
	case tea.MouseMsg:
		if m.detail != nil {
			var cmd tea.Cmd
			m.detail.sc.VP, cmd = m.detail.sc.VP.Update(msg)
			return m, cmd
		}
	}
	var cmd tea.Cmd
	if _, isKey := msg.(tea.KeyPressMsg); !isKey && m.picker != nil {
		cmd = m.picker.Update(msg) // the picker's filter passes
	}
	var lc tea.Cmd
	m.list.Browser, lc = m.list.Browser.Update(msg)
	return m, tea.Batch(cmd, lc)
}

// View implements pane.Pane.
func (m *Model) View() string {
	if v, failed := m.list.ErrorView(m.ctx.Theme); failed {
		return v
	}
	if m.picker != nil {
		return m.picker.View(m.ctx.Theme)
	}
	if m.detail != nil {
		if m.area != nil && m.detail.seen != m.area.Version() {
			m.detail.render(m.ctx) // staged elsewhere since
		}
		return m.detail.sc.View(m.ctx.Theme)
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

// Back implements pane.Pane.
func (m *Model) Back() (bool, tea.Cmd) {
	if m.picker != nil {
		m.picker = nil
		return true, nil
	}
	if m.detail != nil {
		m.detail = nil
		return true, nil
	}
	return m.list.Back()
}

// Busy implements pane.Pane.
func (m *Model) Busy() bool {
	return m.list.Busy() || (m.detail != nil && m.detail.data == nil && m.detail.err == nil) ||
		(m.picker != nil && m.picker.Busy())
}

// Capturing implements pane.Pane.
func (m *Model) Capturing() bool { return m.picker != nil || (m.detail == nil && m.list.Typing()) }

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	if m.picker != nil {
		return m.picker.Keys()
	}
	if m.detail != nil {
		scroll := key.NewBinding(key.WithKeys("pgup", "pgdown"), key.WithHelp("pgup/pgdn", "scroll"))
		if m.area == nil {
			return []key.Binding{m.keys.Back, scroll}
		}
		return []key.Binding{m.keys.Back, m.keys.Up, m.keys.AddGroup, m.keys.Remove, scroll}
	}
	return m.list.Keys(m.keys.Open)
}

// FilterFields implements pane.FilterHelper: the user list's, or the
// group picker's; a user's detail has no filter.
func (m *Model) FilterFields() []string {
	switch {
	case m.picker != nil:
		return m.picker.FilterFields()
	case m.detail != nil:
		return nil
	}
	return m.list.Table.FieldNames()
}

// Open implements pane.Opener: it shows user id's detail (when another
// pane jumps to a user).
func (m *Model) Open(id string) tea.Cmd {
	m.detail = nil
	return m.openDetail(id)
}

// Detail support -------------------------------------------------------

// Assignment is how a user holds an app.
type Assignment struct {
	App    directory.App
	Direct bool     // assigned to the user (scope USER)
	Via    []string // names of the user's groups assigned to the app
}

// Detail is everything the detail view shows about one user.
type Detail struct {
	User   directory.User
	Groups []directory.Group
	Apps   []Assignment
}

type detail struct {
	id string
	// area is where the pane stages (nil: it does not).
	area  *staging.Area
	title string
	data  *Detail
	err   error
	sc    pane.Scroller
	// groups are the rows of the Groups section: the user's groups, then
	// the groups they are staged to join; cursor selects one.
	groups []groupRow
	cursor int
	// groupLine is the viewport line of the first group row.
	groupLine int
	// seen is the staging area version the rows reflect.
	seen uint64
	// following keeps the selected group in view once the admin moved
	// the cursor (until then the detail opens at the profile's top).
	following bool
}

// groupRow is a line of the detail's Groups section.
type groupRow struct {
	group directory.Group
	mark  string // "+" staged add, "-" staged removal, "" none
}

func (m *Model) openDetail(id string) tea.Cmd {
	title := id
	if r, ok := m.list.Table.Selected(); ok && r.Key == id {
		title = r.Cells[userrows.ColName]
	}
	if m.detail != nil && m.detail.id == id {
		title = m.detail.title
	}
	d := &detail{id: id, area: m.area, title: title, sc: pane.NewScroller()}
	if m.detail != nil && m.detail.id == id {
		d.sc = m.detail.sc // keep the scroll position across reloads
		d.data = m.detail.data
		d.cursor, d.following = m.detail.cursor, m.detail.following
	}
	m.detail = d
	d.setSize(m.width, m.hgt)
	d.render(m.ctx)
	s := m.ctx.Store
	return m.detailReads.Start(func() (*Detail, error) { return LoadDetail(s, id) })
}

// LoadDetail reads one user's profile, groups and app assignments.
func LoadDetail(s *store.Store, id string) (*Detail, error) {
	var d Detail
	err := s.View(func(r *store.Reader) error {
		u, ok := r.User(id)
		if !ok {
			return fmt.Errorf("user %s is no longer in the cache", id)
		}
		d.User = u
		mine := map[string]directory.Group{}
		for _, gid := range r.GroupsOf(id) {
			g, ok := r.Group(gid)
			if !ok {
				g = directory.Group{ID: gid, Name: gid}
			}
			d.Groups = append(d.Groups, g)
			mine[g.ID] = g
		}
		for _, au := range r.AppsOfUser(id) {
			app, ok := r.App(au.AppID)
			if !ok {
				app = directory.App{ID: au.AppID, Label: au.AppID}
			}
			a := Assignment{App: app, Direct: au.Scope != directory.ScopeGroup}
			for _, ag := range r.AppGroupsOf(au.AppID) {
				if g, ok := mine[ag.GroupID]; ok {
					a.Via = append(a.Via, g.Name)
				}
			}
			d.Apps = append(d.Apps, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load user %s: %w", id, err)
	}
	slices.SortFunc(d.Groups, func(a, b directory.Group) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	slices.SortFunc(d.Apps, func(a, b Assignment) int {
		return strings.Compare(strings.ToLower(a.App.Label), strings.ToLower(b.App.Label))
	})
	for i := range d.Apps {
		slices.Sort(d.Apps[i].Via)
	}
	return &d, nil
}

func (d *detail) setSize(w, h int) { d.sc.SetSize(w, h) }

// render lays the detail out as lines for the viewport.
func (d *detail) render(ctx *pane.Context) {
	th := ctx.Theme
	w := d.sc.VP.Width()
	var lines []string
	switch {
	case d.err != nil:
		lines = append(lines, th.Error.Render(textsafe.Clean(d.err.Error())))
	case d.data == nil:
		lines = append(lines, th.Muted.Render("loading…"))
	default:
		u := d.data.User
		kv := func(k, v string) {
			if v == "" {
				return
			}
			lines = append(lines, th.Muted.Render(textsafe.Fit(k, 18))+textsafe.Truncate(textsafe.Clean(v), max(w-18, 1)))
		}
		ts := func(t *time.Time) string {
			if t == nil || t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC") + " (" + pane.Age(ctx.Now(), *t) + ")"
		}
		lines = append(lines, th.Title.Render("Profile"))
		kv("Name", u.Name())
		kv("Status", u.Status)
		kv("Login", u.Login)
		kv("Email", u.Email)
		kv("Second email", u.SecondEmail)
		kv("First name", u.FirstName)
		kv("Last name", u.LastName)
		kv("Display name", u.DisplayName)
		kv("Title", u.Title)
		kv("Department", u.Department)
		kv("Division", u.Division)
		kv("Organization", u.Organization)
		kv("Manager", u.Manager)
		kv("Manager ID", u.ManagerID)
		kv("Employee number", u.EmployeeNumber)
		kv("Cost center", u.CostCenter)
		kv("User type", u.UserType)
		kv("Mobile phone", u.MobilePhone)
		kv("Primary phone", u.PrimaryPhone)
		kv("City", u.City)
		kv("State", u.State)
		kv("Country", u.CountryCode)
		kv("Locale", u.Locale)
		kv("Language", u.PreferredLang)
		kv("Time zone", u.Timezone)
		kv("Created", ts(&u.Created))
		kv("Activated", ts(u.Activated))
		kv("Status changed", ts(u.StatusChanged))
		kv("Last login", ts(u.LastLogin))
		kv("Last updated", ts(&u.LastUpdated))
		kv("Password changed", ts(u.PasswordChanged))
		attrs := make([]string, 0, len(u.Attributes))
		for k := range u.Attributes {
			attrs = append(attrs, k)
		}
		slices.Sort(attrs)
		for _, k := range attrs {
			kv(k, fmt.Sprint(u.Attributes[k]))
		}
		kv("ID", u.ID)

		lines = append(lines, "", th.Title.Render(fmt.Sprintf("Groups (%d)", len(d.data.Groups))))
		d.stagedRows()
		if len(d.groups) == 0 {
			lines = append(lines, th.Muted.Render("  none"))
		}
		d.groupLine = len(lines)
		for i, gr := range d.groups {
			name := textsafe.Truncate(textsafe.Clean(gr.group.Name), max(w-20, 1))
			typ := "  " + textsafe.Clean(gr.group.Type)
			if gr.mark == "+" {
				typ += "  (staged)"
			}
			mark := gr.mark
			if mark == "" {
				mark = " "
			}
			if i == d.cursor {
				lines = append(lines, th.RowSelected.Render(textsafe.Fit(mark+" "+name+typ, max(w, 1))))
				continue
			}
			lines = append(lines, staging.Style(th, gr.mark)(mark+" "+name)+th.Muted.Render(typ))
		}
		lines = append(lines, "", th.Title.Render(fmt.Sprintf("Apps (%d)", len(d.data.Apps))))
		if len(d.data.Apps) == 0 {
			lines = append(lines, th.Muted.Render("  none"))
		}
		for _, a := range d.data.Apps {
			var how []string
			if a.Direct {
				how = append(how, "direct")
			}
			if len(a.Via) > 0 {
				how = append(how, "via "+strings.Join(a.Via, ", "))
			}
			if len(how) == 0 {
				how = append(how, "via a group")
			}
			label := textsafe.Fit(textsafe.Clean(a.App.Label), min(30, max(w/3, 8)))
			lines = append(lines, "  "+label+" "+th.Muted.Render(textsafe.Truncate(textsafe.Clean(strings.Join(how, "; ")), max(w-textsafe.Width(label)-3, 1))))
		}
	}
	d.sc.VP.SetContentLines(lines)
	if d.following {
		d.follow()
	}
}

// Staging ------------------------------------------------------------------

// stagedRows lists the Groups section from the user's groups and what is
// staged for the user.
func (d *detail) stagedRows() {
	a := d.area
	d.groups = d.groups[:0]
	if a != nil {
		d.seen = a.Version()
	}
	mark := func(gid string) string {
		if a == nil {
			return ""
		}
		return a.Mark(gid, d.id)
	}
	for _, g := range d.data.Groups {
		d.groups = append(d.groups, groupRow{group: g, mark: mark(g.ID)})
	}
	if a != nil {
		for _, sg := range a.Groups() {
			if !sg.Create && mark(sg.Ref) == "+" {
				d.groups = append(d.groups, groupRow{group: directory.Group{ID: sg.Ref, Name: sg.Name, Type: directory.GroupTypeOkta}, mark: "+"})
			}
		}
	}
	d.cursor = max(min(d.cursor, len(d.groups)-1), 0)
}

// detailKey handles the detail's group cursor and staging keys; false
// leaves the key to the viewport (scrolling).
func (m *Model) detailKey(k tea.KeyPressMsg) (bool, tea.Cmd) {
	d := m.detail
	if d.data == nil || m.area == nil {
		return false, nil
	}
	switch {
	case key.Matches(k, m.keys.Up), key.Matches(k, m.keys.Down):
		if len(d.groups) == 0 {
			return false, nil
		}
		if key.Matches(k, m.keys.Up) {
			d.cursor = max(d.cursor-1, 0)
		} else {
			d.cursor = min(d.cursor+1, len(d.groups)-1)
		}
		d.following = true
		d.render(m.ctx)
		return true, nil
	case key.Matches(k, m.keys.AddGroup):
		return true, m.openPicker()
	case key.Matches(k, m.keys.Remove):
		if d.cursor >= len(d.groups) {
			return true, nil
		}
		gr, a := d.groups[d.cursor], m.area
		u := staging.Member{ID: d.data.User.ID, Login: d.data.User.Login, Name: d.data.User.Name()}
		if gr.mark != "" {
			a.Unstage(gr.group.ID, u.ID)
		} else {
			_ = a.Remove(gr.group, u) // a refusal is noted in the area
		}
		d.render(m.ctx)
		return true, nil
	}
	return false, nil
}

// follow scrolls the viewport so the selected group is visible.
func (d *detail) follow() {
	line := d.groupLine + d.cursor
	vp := &d.sc.VP
	switch {
	case line < vp.YOffset():
		vp.SetYOffset(line)
	case line >= vp.YOffset()+vp.Height():
		vp.SetYOffset(line - vp.Height() + 1)
	}
}

// groupColumns are the group picker's columns; the type column tells
// the admin which groups cannot be changed.
func groupColumns() []table.Column {
	return []table.Column{
		{Title: "NAME", Width: 12, Flex: 2},
		{Title: "TYPE", Width: 10},
		{Title: "DESCRIPTION", Width: 10, Flex: 2},
	}
}

var groupFields = map[string]int{"name": 0, "type": 1, "desc": 2, "description": 2}

// openPicker picks groups to add the open user to: every cached group
// the user is not in.
func (m *Model) openPicker() tea.Cmd {
	d := m.detail
	m.picker = staging.NewPicker("Add "+textsafe.Clean(d.data.User.Name())+" to groups — pick groups", groupColumns(), groupFields, "groups", m.ctx.Theme)
	m.picker.SetSize(m.width, m.hgt, m.ctx.Theme)
	mine := map[string]bool{}
	for _, g := range d.data.Groups {
		mine[g.ID] = true
	}
	s := m.ctx.Store
	// Reading every group is one short transaction: groups number in the
	// thousands, not millions.
	return func() tea.Msg {
		var rows []table.Row
		err := s.View(func(r *store.Reader) error {
			for g := range r.Groups() {
				if mine[g.ID] {
					continue
				}
				name, typ, desc := textsafe.Clean(g.Name), textsafe.Clean(g.Type), textsafe.Clean(g.Description)
				rows = append(rows, table.Row{Key: g.ID, Cells: []string{name, typ, desc},
					Hay:    strings.ToLower(name + "\n" + desc),
					Fields: []string{strings.ToLower(name), strings.ToLower(typ), strings.ToLower(desc)}})
			}
			return nil
		})
		if err != nil {
			return staging.PickerRowsMsg{Err: fmt.Errorf("load groups: %w", err)}
		}
		return staging.PickerRowsMsg{Rows: table.NewRows(rows)}
	}
}

func (m *Model) addPicked(rows []table.Row) {
	d := m.detail
	if d == nil || d.data == nil {
		return
	}
	a := m.area
	u := staging.Member{ID: d.data.User.ID, Login: d.data.User.Login, Name: d.data.User.Name()}
	var refused error
	for _, r := range rows {
		// the picker's cells are clean; the group is named by id in the plan
		if err := a.Add(directory.Group{ID: r.Key, Name: r.Cells[0], Type: r.Cells[1]}, u); err != nil {
			refused = err
		}
	}
	if refused != nil {
		a.Refuse(refused) // a later pick's note must not hide it
	}
}
