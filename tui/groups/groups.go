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
	"github.com/dirdeck/dirdeck/internal/english"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/staging"
	"github.com/dirdeck/dirdeck/tui/table"
	"github.com/dirdeck/dirdeck/tui/userindex"
	"github.com/dirdeck/dirdeck/tui/userrows"
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
	name := textsafe.Clean(g.Name)
	desc := textsafe.Clean(g.Description)
	changed, changedKey := "", ""
	if !g.LastMembershipUpdated.IsZero() {
		changed = g.LastMembershipUpdated.UTC().Format("2006-01-02 15:04")
		changedKey = g.LastMembershipUpdated.UTC().Format(time.RFC3339)
	}
	lname := strings.ToLower(name)
	return table.Row{
		Key:      g.ID,
		Cells:    []string{name, textsafe.Clean(g.Type), strconv.Itoa(members), strconv.Itoa(apps), changed},
		SortKeys: []string{2: fmt.Sprintf("%012d", members), 3: fmt.Sprintf("%012d", apps), 4: changedKey},
		Hay:      lname + "\n" + strings.ToLower(desc),
		Fields:   []string{lname, strings.ToLower(g.Type), strings.ToLower(desc)},
	}
}

// Model is the Groups pane: a pane.Listing of groups whose detail lists
// the group's members, plus staging.
type Model struct {
	pane.Listing[Info]
	ctx *pane.Context
	// area is the staging area shared with the other panes that stage;
	// nil in a session that cannot submit plans.
	area     *staging.Area
	width, h int

	keys stageKeys
	// form edits the open group or creates one (no detail open).
	form *staging.GroupForm
	// picker picks users to add to the open group.
	picker *staging.Picker

	// What the open detail stages: marked are the members picked with
	// space (by user id); marks are what the member list's first column
	// shows (● marked, - staged for removal), by user id; seen is the
	// staging area version the marks reflect, and dirty forces a refresh
	// after the marks change; staged are the rendered lines of what is
	// staged for the group.
	marked map[string]bool
	marks  map[string]string
	seen   uint64
	dirty  bool
	staged []string
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

// New returns the pane; Load fills it. area is where the pane stages
// group changes (nil: a session that cannot submit plans, where the
// staging keys are neither offered nor taken).
func New(ctx *pane.Context, area *staging.Area) *Model {
	m := &Model{ctx: ctx, area: area, keys: defaultStageKeys()}
	var listKeys []key.Binding
	if area != nil {
		listKeys = []key.Binding{m.keys.create}
	}
	empty := "no groups in the cache yet — sync first (s)"
	if ctx.NoSync {
		empty = "no groups in the cache"
	}
	m.Listing = pane.NewListing(ctx, pane.ListingSpec[Info]{
		Columns:       Columns(),
		Fields:        Fields,
		Noun:          "groups",
		Empty:         empty,
		LoadRows:      LoadRows,
		ListKeys:      listKeys,
		Above:         m.createdLines,
		DetailColumns: memberColumns(),
		DetailFields:  memberFields,
		DetailNoun:    "members",
		DetailEmpty:   "no members",
		LoadDetail:    LoadDetail,
		Header:        m.header,
		DetailOpened:  func() { m.marked, m.seen, m.dirty, m.staged = map[string]bool{}, 0, false, nil },
		DetailLoaded:  func() { m.dirty = true; m.syncStaging() },
	})
	return m
}

// Name implements pane.Pane.
func (m *Model) Name() string { return "groups" }

// Aliases implements pane.Pane.
func (m *Model) Aliases() []string { return []string{"group", "g"} }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Groups" }

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
	m.Listing.SetSize(w, h)
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
	case staging.PickerRowsMsg:
		return m, m.picker.Update(msg)
	case tea.KeyPressMsg:
		if m.area == nil {
			break
		}
		if cmd, ok := m.stagingKey(msg); ok {
			m.syncStaging()
			return m, cmd
		}
	}
	if cmd, ok := m.Handle(msg); ok {
		return m, cmd
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
	return m, tea.Batch(append(cmds, m.Forward(msg))...)
}

// View implements pane.Pane.
func (m *Model) View() string {
	if v, failed := m.List.ErrorView(m.ctx.Theme); failed {
		return v
	}
	// Another pane (a user's detail, a submit) may have changed what is
	// staged since this pane last saw a message.
	m.syncStaging()
	switch {
	case m.picker != nil:
		return m.picker.View(m.ctx.Theme)
	case m.form != nil:
		return m.form.View()
	}
	return m.Listing.View()
}

// Back implements pane.Pane: it first closes the form or picker, then
// clears the member filter, then closes the detail, then clears the list
// filter.
func (m *Model) Back() (bool, tea.Cmd) {
	if m.form != nil || m.picker != nil {
		m.form, m.picker = nil, nil
		return true, nil
	}
	return m.Listing.Back()
}

// Busy implements pane.Pane.
func (m *Model) Busy() bool {
	return (m.picker != nil && m.picker.Busy()) || m.Listing.Busy()
}

// Capturing implements pane.Pane.
func (m *Model) Capturing() bool {
	return m.form != nil || m.picker != nil || m.Listing.Capturing()
}

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	switch {
	case m.picker != nil:
		return m.picker.Keys()
	case m.form != nil:
		return m.form.Keys()
	case m.Detail != nil && m.area != nil:
		return append([]key.Binding{m.keys.mark, m.keys.remove, m.keys.add, m.keys.edit, m.keys.unstage}, m.Listing.Keys()...)
	}
	return m.Listing.Keys()
}

// FilterFields implements pane.FilterHelper: the picker's while one is
// open, none while the form is, else the Listing's.
func (m *Model) FilterFields() []string {
	switch {
	case m.picker != nil:
		return m.picker.FilterFields()
	case m.form != nil:
		return nil
	}
	return m.Listing.FilterFields()
}

// Info is the detail view's header: the group and the apps assigned to it.
type Info struct {
	Group directory.Group
	Apps  []directory.App
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

// usersPerView bounds the member profiles read per read transaction.
const usersPerView = 20_000

// LoadDetail reads a group, its apps and its member rows, in short read
// transactions (a group can hold a million members).
func LoadDetail(s *store.Store, id string) (*Info, []table.Row, error) {
	var info Info
	head := func(r *store.Reader) ([]string, error) {
		info = Info{}
		g, ok := r.Group(id)
		if !ok {
			return nil, fmt.Errorf("group %s is no longer in the cache", id)
		}
		info.Group = g
		for _, ag := range r.AppsOfGroup(id) {
			a, ok := r.App(ag.AppID)
			if !ok {
				a = directory.App{ID: ag.AppID, Label: ag.AppID}
			}
			info.Apps = append(info.Apps, a)
		}
		return slices.Collect(r.MembersOf(id)), nil
	}
	rows, err := pane.ReadUserRows(s, usersPerView, head, func(_ int, u directory.User) table.Row { return memberRow(u) })
	if err != nil {
		return nil, nil, fmt.Errorf("load group %s: %w", id, err)
	}
	slices.SortFunc(info.Apps, func(a, b directory.App) int {
		return strings.Compare(strings.ToLower(a.Label), strings.ToLower(b.Label))
	})
	return &info, rows, nil
}

func memberRow(u directory.User) table.Row {
	name, login, dept, status := textsafe.Clean(u.Name()), textsafe.Clean(u.Login), textsafe.Clean(u.Department), textsafe.Clean(u.Status)
	return table.Row{
		Key:      u.ID,
		Cells:    []string{"", name, login, dept, status},
		SortKeys: markSortKeys,
		Hay:      strings.ToLower(name + "\n" + login + "\n" + textsafe.Clean(u.Email) + "\n" + dept),
		Fields:   []string{strings.ToLower(name), strings.ToLower(login), strings.ToLower(dept), strings.ToLower(status)},
	}
}

// header renders the group's type, id, last membership change,
// description and apps, why it is not editable, what is staged for it,
// and the members' title with how many are marked.
func (m *Model) header(info *Info, w int) []string {
	th, g := m.ctx.Theme, info.Group
	line := pane.Field(th, "type", g.Type) + "   " + pane.Field(th, "id", g.ID)
	if !g.LastMembershipUpdated.IsZero() {
		line += "   " + pane.Field(th, "membership changed", pane.Age(m.ctx.Now(), g.LastMembershipUpdated))
	}
	head := []string{textsafe.Truncate(line, w)}
	if g.Description != "" {
		head = append(head, th.Muted.Render("description ")+textsafe.Truncate(textsafe.Clean(g.Description), max(w-12, 1)))
	}
	labels := make([]string, len(info.Apps))
	for i, a := range info.Apps {
		labels[i] = textsafe.Clean(a.Label)
	}
	head = append(head, pane.Names(th, "Apps via this group", labels, w, 26))
	if err := staging.Refusal(g); err != nil {
		head = append(head, th.Muted.Render(textsafe.Truncate("not editable: "+err.Error(), w)))
	}
	head = append(head, m.staged...)
	members := th.Title.Render("Members")
	if n := len(m.marked); n > 0 {
		members += " " + th.Warning.Render(fmt.Sprintf("%d marked — d removes, space unmarks", n))
	}
	return append(head, members)
}

// Staging ------------------------------------------------------------------

// maxStagedLines bounds the staged changes shown above the member list;
// the submit form (S) lists them all.
const maxStagedLines = 4

// syncStaging brings the marks and staged lines up to date with the area.
func (m *Model) syncStaging() {
	d, a := m.Detail, m.area
	if m.List.Table.Loaded() {
		// the list's height depends on the staged creations shown above it
		m.ResizeList()
	}
	if a == nil || d == nil || d.Info == nil || (!m.dirty && m.seen == a.Version()) {
		return
	}
	m.seen, m.dirty = a.Version(), false
	g, _ := a.Group(d.ID)
	removed := make(map[string]bool, len(g.Remove))
	for _, u := range g.Remove {
		removed[u.ID] = true
	}
	marks := make(map[string]string, len(removed)+len(m.marked))
	for id := range m.marked {
		marks[id] = "●"
	}
	for id := range removed {
		marks[id] = "-"
	}
	m.marks = marks
	d.List.Table.SetCellFunc(0, func(userID string) string { return m.marks[userID] })
	th := m.ctx.Theme
	lines := a.Lines(th, d.ID, m.width)
	if len(lines) > maxStagedLines {
		more := len(lines) - maxStagedLines + 1
		lines = append(lines[:maxStagedLines-1], th.Muted.Render(fmt.Sprintf("  … %d more staged (S lists them)", more)))
	}
	m.staged = nil
	if len(lines) > 0 {
		m.staged = append([]string{th.Title.Render("Staged")}, lines...)
	}
	m.Layout()
}

// createdLines are the staged new groups, shown above the list.
func (m *Model) createdLines() []string {
	if m.area == nil {
		return nil
	}
	var out []string
	for _, g := range m.area.Groups() {
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
	d := m.Detail
	if d == nil {
		if !m.List.Typing() && key.Matches(k, m.keys.create) {
			m.form = staging.NewGroupForm("New OKTA_GROUP", "", "", m.width)
			return m.form.Init(), true
		}
		return nil, false
	}
	if d.List.Typing() || d.Info == nil {
		return nil, false
	}
	a, g := m.area, d.Info.Group
	switch {
	case key.Matches(k, m.keys.mark):
		if r, ok := d.List.Table.Selected(); ok {
			if m.marked[r.Key] {
				delete(m.marked, r.Key)
			} else {
				m.marked[r.Key] = true
			}
			m.dirty = true
			var cmd tea.Cmd
			d.List.Table, cmd = d.List.Table.Update(tea.KeyPressMsg{Code: tea.KeyDown})
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
			a.SetNote(fmt.Sprintf("staged - %s of %s", english.Count(len(targets), "member", "members"), textsafe.Clean(g.Name)), false)
		}
		clear(m.marked)
		m.dirty = true
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
		m.form = staging.NewGroupForm("Edit group "+textsafe.Clean(g.Name), name, desc, m.width)
		return m.form.Init(), true
	case key.Matches(k, m.keys.unstage):
		if !a.Drop(g.ID) {
			a.SetNote("nothing staged for "+textsafe.Clean(g.Name), false)
		}
		return nil, true
	}
	return nil, false
}

// targets are the marked members, or the one under the cursor.
func (m *Model) targets() []table.Row {
	d := m.Detail
	var out []table.Row
	if len(m.marked) > 0 {
		rows := d.List.Table.Rows()
		for i := range rows.Len() {
			if m.marked[rows.Key(i)] {
				out = append(out, rows.Row(i))
			}
		}
		return out
	}
	if r, ok := d.List.Table.Selected(); ok {
		out = append(out, r)
	}
	return out
}

// openPicker opens the user picker over every cached user; members of
// the group are left out (adding them would be a no-op).
func (m *Model) openPicker() tea.Cmd {
	d := m.Detail
	m.picker = staging.NewPicker("Add to "+textsafe.Clean(d.Info.Group.Name)+" — pick users", userrows.Columns(), userrows.Fields, "users", m.ctx.Theme)
	m.picker.SetSize(m.width, m.h, m.ctx.Theme)
	s, members := m.ctx.Store, d.List.Table.Rows() // Rows are immutable: the command may read them
	return func() tea.Msg { return pickerRows(s, members) }
}

// pickerRows is what the member picker picks from: the users table that
// the Users pane shows, mapped from its files beside the cache (see
// userindex.LoadIndex), so that opening the picker over a million users
// costs 4 bytes a user (the rows kept) instead of a million decoded
// users. The rows are the Users pane's, so the picker shows and filters
// the same columns and fields (group: included). members, the rows of
// the group's member list, are left out of the rows kept.
func pickerRows(s *store.Store, members *table.Rows) staging.PickerRowsMsg {
	ids := make([]string, members.Len())
	for i := range ids {
		// cleaned as the mapped table's keys are when they leave it
		ids[i] = textsafe.Clean(members.Key(i))
	}
	slices.Sort(ids)
	rows, err := userindex.LoadIndex(s)
	if err != nil {
		return staging.PickerRowsMsg{Err: fmt.Errorf("load users to pick from: %w", err)}
	}
	keep := rows.Except(func(id string) bool { _, member := slices.BinarySearch(ids, id); return member })
	return staging.PickerRowsMsg{Rows: rows, Keep: keep}
}

func (m *Model) addPicked(rows []table.Row) {
	d := m.Detail
	if d == nil || d.Info == nil {
		return
	}
	a := m.area
	for _, r := range rows {
		_ = a.Add(d.Info.Group, staging.Member{ID: r.Key, Name: r.Cells[userrows.ColName], Login: r.Cells[userrows.ColLogin]})
	}
	if len(rows) > 1 {
		a.SetNote(fmt.Sprintf("staged + %d users for %s", len(rows), textsafe.Clean(d.Info.Group.Name)), false)
	}
}

func (m *Model) formDone() {
	f, a := m.form, m.area
	m.form = nil
	if !f.OK {
		a.SetNote("edit cancelled", false)
		return
	}
	if m.Detail == nil {
		_ = a.Create(f.Name, f.Description, m.taken(f.Name))
		m.ResizeList()
		return
	}
	if m.Detail.Info != nil {
		_ = a.Edit(m.Detail.Info.Group, f.Name, f.Description)
	}
}

// taken reports that a cached group is named name already.
func (m *Model) taken(name string) bool {
	name = strings.ToLower(textsafe.Clean(strings.TrimSpace(name)))
	rows := m.List.Rows()
	for i := range rows.Len() {
		if strings.ToLower(rows.Cell(i, 0)) == name { // the NAME cell
			return true
		}
	}
	return false
}
