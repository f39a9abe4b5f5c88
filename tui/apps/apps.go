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

	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/table"
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
	label, status, mode, name := textsafe.Clean(a.Label), textsafe.Clean(a.Status), textsafe.Clean(a.SignOnMode), textsafe.Clean(a.Name)
	return table.Row{
		Key:      a.ID,
		Cells:    []string{label, status, mode, strconv.Itoa(users), strconv.Itoa(groups)},
		SortKeys: []string{3: fmt.Sprintf("%012d", users), 4: fmt.Sprintf("%012d", groups)},
		Hay:      strings.ToLower(label + "\n" + name + "\n" + mode),
		Fields:   []string{strings.ToLower(label), strings.ToLower(status), strings.ToLower(mode), strings.ToLower(name)},
	}
}

// Model is the Apps pane: a pane.Listing of apps whose detail lists the
// app's assigned users.
type Model struct {
	pane.Listing[Info]
	ctx *pane.Context
}

// New returns the pane; Load fills it.
func New(ctx *pane.Context) *Model {
	m := &Model{ctx: ctx}
	m.Listing = pane.NewListing(ctx, pane.ListingSpec[Info]{
		Columns:       Columns(),
		Fields:        Fields,
		Noun:          "apps",
		Empty:         "no apps in the cache (or the credential cannot read apps)",
		LoadRows:      LoadRows,
		DetailColumns: userColumns(),
		DetailFields:  userFields,
		DetailNoun:    "assigned users",
		DetailEmpty:   "no users assigned",
		LoadDetail:    LoadDetail,
		Header:        m.header,
	})
	return m
}

// Name implements pane.Pane.
func (m *Model) Name() string { return "apps" }

// Aliases implements pane.Pane.
func (m *Model) Aliases() []string { return []string{"app", "a", "applications"} }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Apps" }

// Update implements pane.Pane.
func (m *Model) Update(msg tea.Msg) (pane.Pane, tea.Cmd) { return m, m.Listing.Update(msg) }

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

func userColumns() []table.Column {
	return []table.Column{
		{Title: "NAME", Width: 10, Flex: 2},
		{Title: "LOGIN", Width: 10, Flex: 2},
		{Title: "ASSIGNED", Width: 8, Flex: 2},
		{Title: "STATUS", Width: 13, Status: true},
	}
}

var userFields = map[string]int{"name": 0, "login": 1, "assigned": 2, "via": 2, "status": 3}

// usersPerView bounds the user profiles read per read transaction.
const usersPerView = 20_000

// LoadDetail reads an app, its group assignments and its assigned users
// with how each holds the app, in short read transactions.
func LoadDetail(s *store.Store, id string) (*Info, []table.Row, error) {
	var (
		info     Info
		assigned []directory.AppUser
		viaOf    map[string][]string
	)
	head := func(r *store.Reader) ([]string, error) {
		info, assigned, viaOf = Info{}, nil, map[string][]string{}
		a, ok := r.App(id)
		if !ok {
			return nil, fmt.Errorf("app %s is no longer in the cache", id)
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
			name := textsafe.Clean(g.Name)
			for uid := range r.MembersOf(g.ID) {
				viaOf[uid] = append(viaOf[uid], name)
			}
		}
		var ids []string
		for au := range r.AppUsersOf(id) {
			assigned = append(assigned, au)
			ids = append(ids, au.UserID)
		}
		return ids, nil
	}
	rows, err := pane.ReadUserRows(s, usersPerView, head, func(i int, u directory.User) table.Row {
		var how []string
		if assigned[i].Scope != directory.ScopeGroup {
			how = append(how, "direct")
		}
		if via := viaOf[u.ID]; len(via) > 0 {
			slices.Sort(via)
			how = append(how, "via "+strings.Join(via, ", "))
		}
		return userRow(u, strings.Join(how, "; "))
	})
	if err != nil {
		return nil, nil, fmt.Errorf("load app %s: %w", id, err)
	}
	slices.SortFunc(info.Groups, func(a, b GroupAssignment) int { return a.Priority - b.Priority })
	return &info, rows, nil
}

func userRow(u directory.User, how string) table.Row {
	name, login, status := textsafe.Clean(u.Name()), textsafe.Clean(u.Login), textsafe.Clean(u.Status)
	return table.Row{
		Key:    u.ID,
		Cells:  []string{name, login, how, status},
		Hay:    strings.ToLower(name + "\n" + login + "\n" + textsafe.Clean(u.Email)),
		Fields: []string{strings.ToLower(name), strings.ToLower(login), strings.ToLower(how), strings.ToLower(status)},
	}
}

// header renders the app's status, sign-on mode, name and id, and its
// assigned groups.
func (m *Model) header(info *Info, w int) []string {
	th, a := m.ctx.Theme, info.App
	names := make([]string, len(info.Groups))
	for i, g := range info.Groups {
		names[i] = textsafe.Clean(g.Group.Name)
	}
	return []string{
		textsafe.Truncate(pane.Field(th, "status", a.Status)+"   "+pane.Field(th, "sign-on", a.SignOnMode)+"   "+
			pane.Field(th, "name", a.Name)+"   "+pane.Field(th, "id", a.ID), w),
		pane.Names(th, "Assigned groups", names, w, 24),
		th.Title.Render("Assigned users"),
	}
}
