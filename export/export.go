// Package export streams cached directory data out of a dirdeck cache as
// CSV or JSON Lines, one row at a time, so that memory stays constant
// whatever the size of the org.
package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
)

// Formats.
const (
	CSV   = "csv"
	JSONL = "jsonl"
)

// Kinds lists what can be exported, in the order help texts show them.
var Kinds = []string{"users", "groups", "apps", "memberships", "assignments"}

// Write exports kind from r to w in format and returns the number of rows.
func Write(w io.Writer, r *store.Reader, kind, format string) (int, error) {
	if format != CSV && format != JSONL {
		return 0, fmt.Errorf("unknown format %q: use csv or jsonl", format)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var out rowWriter
	if format == CSV {
		out = &csvRows{w: csv.NewWriter(bw)}
	} else {
		out = &jsonRows{enc: json.NewEncoder(bw)}
	}
	n, err := writeKind(out, r, kind)
	if err != nil {
		return n, err
	}
	if err := out.flush(); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// rowWriter takes rows as a header plus values (CSV) or as a value to
// encode (JSON Lines); each kind provides both.
type rowWriter interface {
	header(cols []string) error
	row(values []string, obj any) error
	flush() error
}

type csvRows struct{ w *csv.Writer }

func (c *csvRows) header(cols []string) error { return c.w.Write(cols) }
func (c *csvRows) row(values []string, _ any) error {
	for i, v := range values {
		values[i] = defuseFormula(v)
	}
	return c.w.Write(values)
}
func (c *csvRows) flush() error { c.w.Flush(); return c.w.Error() }

type jsonRows struct{ enc *json.Encoder }

func (j *jsonRows) header([]string) error         { return nil }
func (j *jsonRows) row(_ []string, obj any) error { return j.enc.Encode(obj) }
func (j *jsonRows) flush() error                  { return nil }

// defuseFormula keeps a spreadsheet from evaluating a profile value as a
// formula (CSV injection): directory data is untrusted.
func defuseFormula(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return directory.DigestTime(t)
}

func stampPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return stamp(*t)
}

var userCols = []string{"id", "status", "login", "email", "first_name", "last_name", "display_name",
	"title", "department", "division", "organization", "manager", "employee_number", "cost_center",
	"mobile_phone", "primary_phone", "city", "country_code", "locale", "created", "activated",
	"last_login", "last_updated", "password_changed"}

func userValues(u directory.User) []string {
	return []string{u.ID, u.Status, u.Login, u.Email, u.FirstName, u.LastName, u.DisplayName,
		u.Title, u.Department, u.Division, u.Organization, u.Manager, u.EmployeeNumber, u.CostCenter,
		u.MobilePhone, u.PrimaryPhone, u.City, u.CountryCode, u.Locale, stamp(u.Created), stampPtr(u.Activated),
		stampPtr(u.LastLogin), stamp(u.LastUpdated), stampPtr(u.PasswordChanged)}
}

// membershipRow is one membership as JSON Lines carry it.
type membershipRow struct {
	GroupID   string `json:"groupId"`
	GroupName string `json:"groupName"`
	UserID    string `json:"userId"`
	Login     string `json:"login"`
}

// assignmentRow is one app assignment, to a user or to a group.
type assignmentRow struct {
	AppID     string `json:"appId"`
	AppLabel  string `json:"appLabel"`
	Principal string `json:"principal"` // user or group
	ID        string `json:"id"`
	Name      string `json:"name"`
	Scope     string `json:"scope,omitempty"`    // users: USER (direct) or GROUP
	Priority  *int   `json:"priority,omitempty"` // groups
}

func writeKind(out rowWriter, r *store.Reader, kind string) (int, error) {
	n := 0
	emit := func(values []string, obj any) error {
		n++
		return out.row(values, obj)
	}
	switch kind {
	case "users":
		if err := out.header(userCols); err != nil {
			return n, err
		}
		for u := range r.Users() {
			if err := emit(userValues(u), u); err != nil {
				return n, err
			}
		}
	case "groups":
		if err := out.header([]string{"id", "type", "name", "description", "created", "last_updated", "last_membership_updated"}); err != nil {
			return n, err
		}
		for g := range r.Groups() {
			if err := emit([]string{g.ID, g.Type, g.Name, g.Description, stamp(g.Created), stamp(g.LastUpdated), stamp(g.LastMembershipUpdated)}, g); err != nil {
				return n, err
			}
		}
	case "apps":
		if err := out.header([]string{"id", "name", "label", "status", "sign_on_mode", "created", "last_updated"}); err != nil {
			return n, err
		}
		for a := range r.Apps() {
			if err := emit([]string{a.ID, a.Name, a.Label, a.Status, a.SignOnMode, stamp(a.Created), stamp(a.LastUpdated)}, a); err != nil {
				return n, err
			}
		}
	case "memberships":
		if err := out.header([]string{"group_id", "group_name", "user_id", "login"}); err != nil {
			return n, err
		}
		for g := range r.Groups() {
			for uid := range r.MembersOf(g.ID) {
				u, _ := r.User(uid)
				row := membershipRow{GroupID: g.ID, GroupName: g.Name, UserID: uid, Login: u.Login}
				if err := emit([]string{row.GroupID, row.GroupName, row.UserID, row.Login}, row); err != nil {
					return n, err
				}
			}
		}
	case "assignments":
		if err := out.header([]string{"app_id", "app_label", "principal", "id", "name", "scope", "priority"}); err != nil {
			return n, err
		}
		for a := range r.Apps() {
			for _, ag := range r.AppGroupsOf(a.ID) {
				g, _ := r.Group(ag.GroupID)
				row := assignmentRow{AppID: a.ID, AppLabel: a.Label, Principal: "group", ID: ag.GroupID, Name: g.Name, Priority: &ag.Priority}
				if err := emit([]string{row.AppID, row.AppLabel, row.Principal, row.ID, row.Name, "", strconv.Itoa(ag.Priority)}, row); err != nil {
					return n, err
				}
			}
			for au := range r.AppUsersOf(a.ID) {
				u, _ := r.User(au.UserID)
				row := assignmentRow{AppID: a.ID, AppLabel: a.Label, Principal: "user", ID: au.UserID, Name: u.Login, Scope: au.Scope}
				if err := emit([]string{row.AppID, row.AppLabel, row.Principal, row.ID, row.Name, row.Scope, ""}, row); err != nil {
					return n, err
				}
			}
		}
	default:
		return 0, fmt.Errorf("unknown export %q: use one of %s", kind, strings.Join(Kinds, ", "))
	}
	return n, nil
}
