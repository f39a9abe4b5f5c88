// Package signature builds personalised email signatures from the cached
// directory: Go html/template templates (plus a plain-text variant) filled
// with each user's profile, an ordered rule list that picks a template by
// group membership, department, title, status or custom attribute, a
// coverage report (users per template, missing required fields, rule
// conflicts) and a static HTML gallery for reviewers.
//
// It reads the cache only, never Okta. Every directory value is untrusted:
// control characters are removed before rendering and html/template
// escapes the rest, so a profile holding <script> or `" onerror=` renders
// as inert text.
//
// A template file is an html/template source. Its top level (or a
// {{define "html"}} block) is the HTML signature; an optional
// {{define "text"}} block is the plain-text variant, executed with
// text/template; without one the built-in plain-text variant is used.
//
//	set, err := signature.Load(st)           // templates + rules from the cache
//	dir, err := signature.LoadDirectory(st)  // users, groups, managers
//	res, err := set.Render(dir, user)        // Result{HTML, Text, Template, Rule, ...}
//	cov := set.Coverage(dir)
//	stats, err := signature.Export(ctx, set, dir, "out/")
package signature

import (
	"fmt"
	htmltemplate "html/template"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
)

// Data is what a template sees as dot: the user's profile fields, cleaned
// of control characters. Empty means the directory has no value.
type Data struct {
	DisplayName    string // the display name, else first + last name, else the login
	FirstName      string
	LastName       string
	Title          string
	Department     string
	Division       string
	Organization   string
	Email          string
	Login          string
	MobilePhone    string
	PrimaryPhone   string
	City           string
	State          string
	CountryCode    string
	Manager        string // the manager's name: their cached profile when managerId resolves, else the profile's manager value
	ManagerEmail   string
	EmployeeNumber string
	CostCenter     string
	UserType       string
	Status         string

	attrs map[string]string
}

// fieldNames lists Data's exported fields: what templates may reference
// and what "required fields" name.
var fieldNames = func() map[string]bool {
	out := map[string]bool{}
	t := reflect.TypeFor[Data]()
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			out[f.Name] = true
		}
	}
	return out
}()

// Field returns the named field's value ("Title"), or a custom attribute's
// for any other name; it is how coverage and the preview inspect values.
func (d *Data) Field(name string) string {
	if fieldNames[name] {
		return reflect.ValueOf(d).Elem().FieldByName(name).String()
	}
	return d.Attr(name)
}

// Attr returns a profile attribute by its Okta name: a standard one
// ("costCenter", "mobilePhone") or a custom one ("pronouns"). Unknown or
// non-text attributes give "".
func (d *Data) Attr(name string) string {
	if v, ok := d.attrs[name]; ok {
		return v
	}
	return d.attrs[strings.ToLower(name)]
}

// NewData builds a user's template data. manager is the user's manager
// when managerId resolves in the cache (nil otherwise).
func NewData(u directory.User, manager *directory.User) *Data {
	d := &Data{
		DisplayName:    clean(u.Name()),
		FirstName:      clean(u.FirstName),
		LastName:       clean(u.LastName),
		Title:          clean(u.Title),
		Department:     clean(u.Department),
		Division:       clean(u.Division),
		Organization:   clean(u.Organization),
		Email:          clean(u.Email),
		Login:          clean(u.Login),
		MobilePhone:    clean(u.MobilePhone),
		PrimaryPhone:   clean(u.PrimaryPhone),
		City:           clean(u.City),
		State:          clean(u.State),
		CountryCode:    clean(u.CountryCode),
		Manager:        clean(u.Manager),
		EmployeeNumber: clean(u.EmployeeNumber),
		CostCenter:     clean(u.CostCenter),
		UserType:       clean(u.UserType),
		Status:         clean(u.Status),
	}
	if manager != nil {
		d.Manager = clean(manager.Name())
		d.ManagerEmail = clean(manager.Email)
	}
	d.attrs = map[string]string{
		"displayName": d.DisplayName, "firstName": d.FirstName, "lastName": d.LastName,
		"title": d.Title, "department": d.Department, "division": d.Division,
		"organization": d.Organization, "email": d.Email, "login": d.Login,
		"mobilePhone": d.MobilePhone, "primaryPhone": d.PrimaryPhone, "city": d.City,
		"state": d.State, "countryCode": d.CountryCode, "manager": d.Manager,
		"managerId": clean(u.ManagerID), "employeeNumber": d.EmployeeNumber,
		"costCenter": d.CostCenter, "userType": d.UserType, "secondEmail": clean(u.SecondEmail),
		"locale": clean(u.Locale), "preferredLanguage": clean(u.PreferredLang), "timezone": clean(u.Timezone),
	}
	for k, v := range u.Attributes {
		if _, std := d.attrs[k]; std {
			continue // the typed profile field is the authority
		}
		switch v := v.(type) {
		case string:
			d.attrs[k] = clean(v)
		case float64, bool, int, int64:
			d.attrs[k] = fmt.Sprint(v)
		}
	}
	// A lowercase alias lets {{attr "CostCenter"}} find costCenter; the
	// exact name wins when both exist.
	for k, v := range d.attrs {
		if l := strings.ToLower(k); l != k {
			if _, ok := d.attrs[l]; !ok {
				d.attrs[l] = v
			}
		}
	}
	return d
}

// clean removes what must never reach a signature from a directory
// value: ANSI and OSC escape sequences (whole, so no "[31m" debris is
// left for recipients to read), then every rune textsafe classifies as
// dangerous (other controls, bidi overrides that could reorder what a
// reader sees, hidden-text controls) and invalid UTF-8. Line breaks become
// spaces: every profile field is one line.
func clean(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	if strings.ContainsAny(s, "\x1b\u009b\u009d") {
		s = ansi.Strip(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch c := textsafe.Classify(r); {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune('\uFFFD')
		case c == textsafe.Break:
			b.WriteByte(' ')
		case textsafe.Dangerous(r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// Phone formats a phone number for display: North American numbers as
// +1 (555) 123-4567, others with their digits grouped as written (runs of
// separators collapse to one space). Values without digits come back
// unchanged.
func Phone(s string) string {
	digits, plus := phoneDigits(s)
	switch {
	case digits == "":
		return s
	case len(digits) == 11 && digits[0] == '1' && plus, len(digits) == 10 && !plus && !strings.HasPrefix(strings.TrimSpace(s), "0"):
		d := digits[len(digits)-10:]
		return "+1 (" + d[:3] + ") " + d[3:6] + "-" + d[6:]
	}
	var b strings.Builder
	sep := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9', r == '+' && b.Len() == 0:
			if sep && b.Len() > 0 {
				b.WriteByte(' ')
			}
			sep = false
			b.WriteRune(r)
		case r == 'x' || r == 'X':
			b.WriteString(" x")
			sep = false
		default:
			sep = true
		}
	}
	return b.String()
}

// phoneDigits returns the digits of a phone number (before any
// extension) and whether it starts with +.
func phoneDigits(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "xX"); i >= 0 {
		s = s[:i]
	}
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String(), strings.HasPrefix(s, "+")
}

// Tel returns a tel: URI for a phone number, or "" when it has no digits.
// Only + and digits survive, so the URI is safe in an href.
func Tel(s string) string {
	digits, plus := phoneDigits(s)
	if digits == "" {
		return ""
	}
	if plus {
		return "tel:+" + digits
	}
	return "tel:" + digits
}

// Initials returns up to two uppercase initials of a name: the first
// letters of its first and last words ("Ana María Silva" → "AS"), or the
// first letter alone for a one-word name ("山田太郎" → "山").
func Initials(name string) string {
	var firsts []rune
	for w := range strings.FieldsSeq(name) {
		for _, r := range w {
			if unicode.IsLetter(r) {
				firsts = append(firsts, unicode.ToUpper(r))
				break
			}
		}
	}
	switch len(firsts) {
	case 0:
		return ""
	case 1:
		return string(firsts[0])
	}
	return string(firsts[0]) + string(firsts[len(firsts)-1])
}

// Truncate shortens s to at most n characters, ending with "…" when cut.
func Truncate(n int, s string) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + "…"
}

// funcs are the helpers every template may call. attr is bound per
// renderer (it needs the user being rendered); this entry only makes the
// name known to the parser.
func funcs(html bool) map[string]any {
	m := map[string]any{
		"attr":     func(string) string { return "" },
		"phone":    Phone,
		"initials": Initials,
		"upper":    strings.ToUpper,
		"lower":    strings.ToLower,
		"truncate": Truncate,
		"tel":      Tel,
	}
	if html {
		// The escaper rejects tel: URIs from plain strings; Tel's output is
		// only "tel:" + [+0-9], so it is safe to mark as a URL.
		m["tel"] = func(s string) htmltemplate.URL { return htmltemplate.URL(Tel(s)) }
	}
	return m
}

// reflectSet sets a Data string field by name (trial renders).
func reflectSet(d *Data, name, v string) {
	reflect.ValueOf(d).Elem().FieldByName(name).SetString(v)
}
