// Package groups is the Groups pane: every cached group with its type,
// member and app counts and last membership change, and a detail view with
// the group's apps and a filterable member list.
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
	"github.com/dirdeck/dirdeck/tui/table"
	"github.com/dirdeck/dirdeck/tui/termtext"
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
}

// New returns the pane; Load fills it.
func New(ctx *pane.Context) *Model {
	t := table.New(Columns(), Fields, ctx.Theme)
	t.SetEmptyMessage("no groups in the cache yet — sync first (s)")
	return &Model{
		ctx:  ctx,
		list: table.NewBrowser(t, "groups"),
		open: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
	}
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
	seq  uint64
	rows []table.Row
	err  error
}

// Load implements pane.Pane.
func (m *Model) Load() tea.Cmd {
	m.loadSeq++
	m.loading = true
	seq, s := m.loadSeq, m.ctx.Store
	return func() tea.Msg {
		rows, err := LoadRows(s)
		return loadedMsg{seq: seq, rows: rows, err: err}
	}
}

// membersPerView bounds the memberships counted per read transaction.
const membersPerView = 200_000

// LoadRows reads the groups table rows from the cache, in short read
// transactions (see pane.ReadChunked).
func LoadRows(s *store.Store) ([]table.Row, error) {
	var (
		rows   []table.Row
		groups []directory.Group
		listed bool
	)
	begin := func() { rows, groups, listed = nil, nil, false }
	step := func(r *store.Reader) (bool, error) {
		if !listed {
			for g := range r.Groups() {
				groups = append(groups, g)
			}
			listed = true
			return len(groups) == 0, nil
		}
		for n := 0; len(rows) < len(groups) && n < membersPerView; {
			g := groups[len(rows)]
			members := 0
			for range r.MembersOf(g.ID) {
				members++
			}
			n += members + 1
			rows = append(rows, BuildRow(g, members, len(r.AppsOfGroup(g.ID))))
		}
		return len(rows) == len(groups), nil
	}
	if err := pane.ReadChunked(s.View, begin, step); err != nil {
		return nil, fmt.Errorf("load groups: %w", err)
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
		return m, m.detail.members.Table.SetRows(msg.members)
	case tea.KeyPressMsg:
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

// Back implements pane.Pane: it first clears the member filter, then
// closes the detail, then clears the list filter.
func (m *Model) Back() (bool, tea.Cmd) {
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
	if m.loading || m.list.Table.Pending() {
		return true
	}
	d := m.detail
	return d != nil && ((d.info == nil && d.err == nil) || d.members.Table.Pending())
}

// Capturing implements pane.Pane.
func (m *Model) Capturing() bool {
	if m.detail != nil {
		return m.detail.members.Typing()
	}
	return m.list.Typing()
}

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	if m.detail != nil {
		tk := m.detail.members.Table.KeyMap()
		return []key.Binding{m.detail.members.FilterKey(), key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open user")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")), tk.Sort, tk.Up, tk.Down}
	}
	tk := m.list.Table.KeyMap()
	return []key.Binding{m.list.FilterKey(), m.open, tk.Sort, tk.Reverse, tk.Up, tk.Down, tk.PageDown, tk.Top, tk.Bottom}
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
}

type detailMsg struct {
	seq     uint64
	info    *Info
	members []table.Row
	err     error
}

func memberColumns() []table.Column {
	return []table.Column{
		{Title: "NAME", Width: 10, Flex: 2},
		{Title: "LOGIN", Width: 10, Flex: 2},
		{Title: "DEPARTMENT", Width: 6, Flex: 1},
		{Title: "STATUS", Width: 13, Status: true},
	}
}

// memberFields are the member list's filter names.
var memberFields = map[string]int{"name": 0, "login": 1, "dept": 2, "department": 2, "status": 3}

func (m *Model) openDetail(id, title string) tea.Cmd {
	t := table.New(memberColumns(), memberFields, m.ctx.Theme)
	t.SetEmptyMessage("no members")
	m.detail = &detail{id: id, title: title, members: table.NewBrowser(t, "members")}
	m.detail.layout(m.ctx, m.width, m.h)
	return m.reloadDetail()
}

func (m *Model) reloadDetail() tea.Cmd {
	m.detailSeq++
	seq, s, id := m.detailSeq, m.ctx.Store, m.detail.id
	return func() tea.Msg {
		info, rows, err := LoadDetail(s, id)
		return detailMsg{seq: seq, info: info, members: rows, err: err}
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
		Key:    u.ID,
		Cells:  []string{name, login, dept, status},
		Hay:    strings.ToLower(name + "\n" + login + "\n" + termtext.Clean(u.Email) + "\n" + dept),
		Fields: []string{strings.ToLower(name), strings.ToLower(login), strings.ToLower(dept), strings.ToLower(status)},
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
		d.head = append(d.head, th.Title.Render("Members"))
	}
	d.members.SetSize(w, max(h-len(d.head), 3))
}

func (d *detail) view() string {
	return strings.Join(d.head, "\n") + "\n" + d.members.View()
}
