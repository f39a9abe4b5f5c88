// Package apps is the Apps pane: every cached app with its status,
// sign-on mode and assignment counts, and a detail view with the groups
// assigned to the app and a filterable list of assigned users saying how
// each holds it (directly or through which groups).
package apps

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/table"
	"github.com/dirdeck/dirdeck/tui/termtext"
)

// Field-filter indices.
const (
	fLabel = iota
	fStatus
	fMode
	fName
)

// Fields maps filter names to Row.Fields.
var Fields = map[string]int{"label": fLabel, "status": fStatus, "mode": fMode, "signon": fMode, "name": fName}

// Columns returns the apps table's columns.
func Columns() []table.Column {
	return []table.Column{
		{Title: "LABEL", Width: 12, Flex: 3},
		{Title: "STATUS", Width: 8, Status: true},
		{Title: "SIGN-ON MODE", Width: 12, Flex: 1},
		{Title: "USERS", Width: 6, Right: true},
		{Title: "GROUPS", Width: 6, Right: true},
	}
}

// BuildRow precomputes one app's row.
func BuildRow(a directory.App, users, groups int) table.Row {
	label, status, mode, name := termtext.Clean(a.Label), termtext.Clean(a.Status), termtext.Clean(a.SignOnMode), termtext.Clean(a.Name)
	return table.Row{
		Key:      a.ID,
		Cells:    []string{label, status, mode, strconv.Itoa(users), strconv.Itoa(groups)},
		SortKeys: []string{3: fmt.Sprintf("%012d", users), 4: fmt.Sprintf("%012d", groups)},
		Hay:      strings.ToLower(label + "\n" + name + "\n" + mode),
		Fields:   []string{strings.ToLower(label), strings.ToLower(status), strings.ToLower(mode), strings.ToLower(name)},
	}
}

// Model is the Apps pane.
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
}

// New returns the pane; Load fills it.
func New(ctx *pane.Context) *Model {
	t := table.New(Columns(), Fields, ctx.Theme)
	t.SetEmptyMessage("no apps in the cache (or the credential cannot read apps)")
	return &Model{
		ctx:  ctx,
		list: table.NewBrowser(t, "apps"),
		open: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
	}
}

// Name implements pane.Pane.
func (m *Model) Name() string { return "apps" }

// Aliases implements pane.Pane.
func (m *Model) Aliases() []string { return []string{"app", "a", "applications"} }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Apps" }

// Browser exposes the list for tests.
func (m *Model) Browser() *table.Browser { return &m.list }

type loadedMsg struct {
	seq  uint64
	rows *table.Rows
	err  error
}

// Load implements pane.Pane.
func (m *Model) Load() tea.Cmd {
	m.loadSeq++
	m.loading = true
	seq, s := m.loadSeq, m.ctx.Store
	return func() tea.Msg {
		rows, err := LoadRows(s)
		return loadedMsg{seq: seq, rows: table.NewRows(rows), err: err}
	}
}

// assignmentsPerView bounds the app-user assignments counted per read
// transaction.
const assignmentsPerView = 100_000

// LoadRows reads the apps table rows from the cache, in short read
// transactions (see pane.ReadChunked).
func LoadRows(s *store.Store) ([]table.Row, error) {
	rows, err := pane.ReadCounted(s, (*store.Reader).Apps, assignmentsPerView, func(r *store.Reader, a directory.App) (table.Row, int) {
		users := r.AppUserCount(a.ID)
		return BuildRow(a, users, len(r.AppGroupsOf(a.ID))), users
	})
	if err != nil {
		return nil, fmt.Errorf("load apps: %w", err)
	}
	return rows, nil
}

// SetSize implements pane.Pane; it also picks up a theme change.
func (m *Model) SetSize(w, h int) {
	m.width, m.h = w, h
	m.list.SetTheme(m.ctx.Theme)
	m.list.SetSize(w, h)
	if m.detail != nil {
		m.detail.layout(m.ctx, w, h)
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
		m.detail.layout(m.ctx, m.width, m.h)
		if msg.err != nil {
			return m, nil
		}
		return m, m.detail.users.Table.SetRows(msg.users)
	case tea.KeyPressMsg:
		if d := m.detail; d != nil && !d.users.Typing() && key.Matches(msg, m.open) {
			if r, ok := d.users.Table.Selected(); ok {
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
	if m.detail != nil {
		var cmd tea.Cmd
		m.detail.users, cmd = m.detail.users.Update(msg)
		cmds = append(cmds, cmd)
		switch msg.(type) {
		case tea.KeyPressMsg, tea.MouseMsg:
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
	if m.detail != nil {
		return m.detail.view()
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
	if m.detail != nil {
		if ok, cmd := m.detail.users.Back(); ok {
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
	if m.loading || m.list.Table.Pending() {
		return true
	}
	d := m.detail
	return d != nil && ((d.info == nil && d.err == nil) || d.users.Table.Pending())
}

// Capturing implements pane.Pane.
func (m *Model) Capturing() bool {
	if m.detail != nil {
		return m.detail.users.Typing()
	}
	return m.list.Typing()
}

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	if m.detail != nil {
		tk := m.detail.users.Table.KeyMap()
		return []key.Binding{m.detail.users.FilterKey(), key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open user")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")), tk.Sort, tk.Up, tk.Down}
	}
	tk := m.list.Table.KeyMap()
	return []key.Binding{m.list.FilterKey(), m.open, tk.Sort, tk.Reverse, tk.Up, tk.Down, tk.PageDown, tk.Top, tk.Bottom}
}

// GroupAssignment is a group assigned to the app.
type GroupAssignment struct {
	Group    directory.Group
	Priority int
}

// Info is the detail view's header.
type Info struct {
	App    directory.App
	Groups []GroupAssignment
}

type detail struct {
	id, title string
	info      *Info
	err       error
	users     table.Browser
	head      []string
}

type detailMsg struct {
	seq   uint64
	info  *Info
	users *table.Rows
	err   error
}

func userColumns() []table.Column {
	return []table.Column{
		{Title: "NAME", Width: 10, Flex: 2},
		{Title: "LOGIN", Width: 10, Flex: 2},
		{Title: "ASSIGNED", Width: 8, Flex: 2},
		{Title: "STATUS", Width: 13, Status: true},
	}
}

var userFields = map[string]int{"name": 0, "login": 1, "assigned": 2, "via": 2, "status": 3}

func (m *Model) openDetail(id, title string) tea.Cmd {
	t := table.New(userColumns(), userFields, m.ctx.Theme)
	t.SetEmptyMessage("no users assigned")
	m.detail = &detail{id: id, title: title, users: table.NewBrowser(t, "assigned users")}
	m.detail.layout(m.ctx, m.width, m.h)
	return m.reloadDetail()
}

func (m *Model) reloadDetail() tea.Cmd {
	m.detailSeq++
	seq, s, id := m.detailSeq, m.ctx.Store, m.detail.id
	return func() tea.Msg {
		info, rows, err := LoadDetail(s, id)
		return detailMsg{seq: seq, info: info, users: table.NewRows(rows), err: err}
	}
}

// usersPerView bounds the user profiles read per read transaction.
const usersPerView = 20_000

// LoadDetail reads an app, its group assignments and its assigned users
// with how each holds the app, in short read transactions.
func LoadDetail(s *store.Store, id string) (*Info, []table.Row, error) {
	var (
		info     Info
		assigned []directory.AppUser
		viaOf    map[string][]string
		rows     []table.Row
		head     bool
	)
	begin := func() { info, assigned, viaOf, rows, head = Info{}, nil, map[string][]string{}, nil, false }
	step := func(r *store.Reader) (bool, error) {
		if !head {
			a, ok := r.App(id)
			if !ok {
				return false, fmt.Errorf("app %s is no longer in the cache", id)
			}
			info.App = a
			// Who holds the app through which group, from the assigned
			// groups' member lists: bounded by those groups' sizes, not by
			// each user's group count.
			for _, ag := range r.AppGroupsOf(id) {
				g, ok := r.Group(ag.GroupID)
				if !ok {
					g = directory.Group{ID: ag.GroupID, Name: ag.GroupID}
				}
				info.Groups = append(info.Groups, GroupAssignment{Group: g, Priority: ag.Priority})
				name := termtext.Clean(g.Name)
				for uid := range r.MembersOf(g.ID) {
					viaOf[uid] = append(viaOf[uid], name)
				}
			}
			for au := range r.AppUsersOf(id) {
				assigned = append(assigned, au)
			}
			head = true
			rows = make([]table.Row, 0, len(assigned))
		}
		for _, au := range assigned[len(rows):min(len(rows)+usersPerView, len(assigned))] {
			u, ok := r.User(au.UserID)
			if !ok {
				u = directory.User{ID: au.UserID, Login: au.UserID} // a dangling assignment still shows
			}
			var how []string
			if au.Scope != directory.ScopeGroup {
				how = append(how, "direct")
			}
			if via := viaOf[au.UserID]; len(via) > 0 {
				slices.Sort(via)
				how = append(how, "via "+strings.Join(via, ", "))
			}
			rows = append(rows, userRow(u, strings.Join(how, "; ")))
		}
		return len(rows) == len(assigned), nil
	}
	if err := pane.ReadChunked(s.View, begin, step); err != nil {
		return nil, nil, fmt.Errorf("load app %s: %w", id, err)
	}
	slices.SortFunc(info.Groups, func(a, b GroupAssignment) int { return a.Priority - b.Priority })
	return &info, rows, nil
}

func userRow(u directory.User, how string) table.Row {
	name, login, status := termtext.Clean(u.Name()), termtext.Clean(u.Login), termtext.Clean(u.Status)
	return table.Row{
		Key:    u.ID,
		Cells:  []string{name, login, how, status},
		Hay:    strings.ToLower(name + "\n" + login + "\n" + termtext.Clean(u.Email)),
		Fields: []string{strings.ToLower(name), strings.ToLower(login), strings.ToLower(how), strings.ToLower(status)},
	}
}

func (d *detail) layout(ctx *pane.Context, w, h int) {
	th := ctx.Theme
	d.users.SetTheme(th)
	d.head = d.head[:0]
	switch {
	case d.err != nil:
		d.head = append(d.head, th.Error.Render(termtext.Clean(d.err.Error())))
	case d.info == nil:
		d.head = append(d.head, th.Muted.Render("loading…"))
	default:
		a := d.info.App
		kv := func(k, v string) string { return th.Muted.Render(k+" ") + termtext.Clean(v) }
		d.head = append(d.head, termtext.Truncate(kv("status", a.Status)+"   "+kv("sign-on", a.SignOnMode)+"   "+kv("name", a.Name)+"   "+kv("id", a.ID), w))
		names := make([]string, len(d.info.Groups))
		for i, g := range d.info.Groups {
			names[i] = termtext.Clean(g.Group.Name)
		}
		groups := "none"
		if len(names) > 0 {
			groups = strings.Join(names, ", ")
		}
		d.head = append(d.head, th.Title.Render(fmt.Sprintf("Assigned groups (%d) ", len(names)))+termtext.Truncate(groups, max(w-24, 1)))
		d.head = append(d.head, th.Title.Render("Assigned users"))
	}
	d.users.SetSize(w, max(h-len(d.head), 3))
}

func (d *detail) view() string {
	return strings.Join(d.head, "\n") + "\n" + d.users.View()
}
