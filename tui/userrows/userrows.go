// Package userrows builds the table rows that show users: the Users pane's
// list and the Groups pane's member picker show the same columns and
// accept the same "name:value" filters, so both build their rows here.
package userrows

import (
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/tui/table"
)

// Columns of a users table.
const (
	ColName = iota
	ColLogin
	ColTitle
	ColDept
	ColStatus
	ColLastLogin
)

// Field-filter indices into table.Row.Fields.
const (
	fName = iota
	fLogin
	fEmail
	fTitle
	fDept
	fStatus
	fGroup
)

// HayTail is the fields whose values end every haystack Build makes, one
// a line, in order (see table.Layout.HayTail).
var HayTail = []int{fTitle, fDept}

// Fields maps the names accepted in "name:value" filters to Row.Fields.
var Fields = map[string]int{
	"name": fName, "login": fLogin, "email": fEmail, "mail": fEmail,
	"title": fTitle, "dept": fDept, "department": fDept,
	"status": fStatus, "group": fGroup, "groups": fGroup,
}

// Columns returns a users table's columns.
func Columns() []table.Column {
	return []table.Column{
		{Title: "NAME", Width: 10, Flex: 3},
		{Title: "LOGIN", Width: 10, Flex: 3},
		{Title: "TITLE", Width: 6, Flex: 2},
		{Title: "DEPARTMENT", Width: 6, Flex: 2},
		{Title: "STATUS", Width: 13, Status: true},
		{Title: "LAST LOGIN", Width: 10},
	}
}

// Interner shares the cell values that repeat across a directory
// (titles, departments, statuses, dates) between rows: a million users
// hold a few hundred distinct departments. Filter fields are not interned:
// table.NewRows copies them into its index. nil interns nothing.
type Interner map[string]string

func (in Interner) get(s string) string {
	if in == nil {
		return s
	}
	if v, ok := in[s]; ok {
		return v
	}
	in[s] = s
	return s
}

// neverSort is the sort keys of every never-logged-in user, shared.
var neverSort = []string{ColLastLogin: " "}

// Build precomputes one user's table row: clean cells, the lowercase
// haystack (name, login, email, title, department) and filter fields,
// which are slices of the haystack so they cost no extra memory.
// groupNames are the user's groups (lowercase, newline-joined) for
// "group:" filters.
func Build(u directory.User, groupNames string, in Interner) table.Row {
	name := textsafe.Clean(u.Name())
	login := textsafe.Clean(u.Login)
	email := textsafe.Clean(u.Email)
	title := in.get(textsafe.Clean(u.Title))
	dept := in.get(textsafe.Clean(u.Department))
	status := in.get(textsafe.Clean(u.Status))
	last, sortKeys := "never", neverSort
	if u.LastLogin != nil {
		// Dates sort as text; "never" gets a key that sorts before them.
		last, sortKeys = in.get(u.LastLogin.UTC().Format(time.DateOnly)), nil
	}
	// The haystack is the searchable fields joined by newlines (fuzzy
	// matches never cross them). Most logins are the e-mail address, so a
	// duplicate e-mail is left out: less to scan per keystroke.
	parts := []string{name, login, email, title, dept}
	sameEmail := strings.EqualFold(email, login)
	var hb strings.Builder
	hb.Grow(len(name) + len(login) + len(email) + len(title) + len(dept) + 4)
	var bounds [5][2]int
	for i, p := range parts {
		if i == 2 && sameEmail {
			bounds[2] = bounds[1]
			continue
		}
		if i > 0 {
			hb.WriteByte('\n')
		}
		bounds[i][0] = hb.Len()
		hb.WriteString(p)
		bounds[i][1] = hb.Len()
	}
	raw := hb.String()
	hay := strings.ToLower(raw)
	// Fields are slices of the haystack, so they cost no memory. ToLower
	// can change byte lengths (rarely, e.g. 'İ'); fall back to copies then.
	part := func(i int) string {
		if len(hay) == len(raw) {
			return hay[bounds[i][0]:bounds[i][1]]
		}
		return strings.ToLower(parts[i])
	}
	return table.Row{
		Key:      u.ID,
		Cells:    []string{name, login, title, dept, status, last},
		SortKeys: sortKeys,
		Hay:      hay,
		Fields:   []string{part(0), part(1), part(2), part(3), part(4), strings.ToLower(status), groupNames},
	}
}
