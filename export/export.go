// Package export streams cached directory data out of a dirdeck cache as
// CSV or JSON Lines, one row at a time, so that memory stays constant
// whatever the size of the org.
package export

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
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
		j := &jsonRows{w: bw}
		j.enc = json.NewEncoder(&j.buf)
		out = j
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

// row writes values with their dangerous runes as visible \uXXXX escapes
// (a CSV is read in terminals and editors as often as in spreadsheets)
// and formulas defused.
func (c *csvRows) row(values []string, _ any) error {
	for i, v := range values {
		values[i] = defuseFormula(textsafe.Escape(v))
	}
	return c.w.Write(values)
}
func (c *csvRows) flush() error { c.w.Flush(); return c.w.Error() }

// jsonRows encodes each row into buf first so that the dangerous runes
// encoding/json lets through (DEL, C1, bidi controls) can be escaped
// before the line reaches w.
type jsonRows struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

func (j *jsonRows) header([]string) error { return nil }
func (j *jsonRows) row(_ []string, obj any) error {
	j.buf.Reset()
	if err := j.enc.Encode(obj); err != nil {
		return err
	}
	// encoding/json already escapes C0 controls, so a line of bytes below
	// DEL is safe as it is; anything else goes through textsafe.Escape,
	// whose \uXXXX escapes are valid JSON string escapes and decode to
	// the very same value.
	line := j.buf.Bytes()
	if bytes.IndexFunc(line, func(r rune) bool { return r >= 0x7f }) < 0 {
		_, err := j.w.Write(line)
		return err
	}
	_, err := j.w.WriteString(textsafe.Escape(string(line)))
	return err
}
func (j *jsonRows) flush() error { return nil }

// defuseFormula keeps a spreadsheet from evaluating a profile value as a
// formula (CSV injection, https://owasp.org/www-community/attacks/CSV_Injection):
// directory data is untrusted. A cell is a formula when it starts (after
// spaces) with =, @, tab or CR, or with + or - followed by anything but a
// number: "+1 555 0100" and "-12" stay as they are, since digits and
// separators alone cannot call a function or reach another application,
// while "+HYPERLINK(…)" and "-2+3+cmd|' /C calc'!A0" are defused.
func defuseFormula(v string) string {
	t := strings.TrimLeft(v, " ")
	if t == "" {
		return v
	}
	switch t[0] {
	case '=', '@', '\t', '\r':
		return "'" + v
	case '+', '-':
		if !numberLike(t[1:]) {
			return "'" + v
		}
	}
	return v
}

// numberLike reports whether s is a phone number or a number: digits,
// at least one, and only the separators people write in them.
func numberLike(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '(' || c == ')' || c == '.' || c == '-' || c == '/':
		default:
			return false
		}
	}
	return digits > 0
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
