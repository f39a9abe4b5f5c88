package oktasim

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Okta's filter and search parameters take SCIM-like expressions:
// `status eq "ACTIVE" and lastUpdated gt "2026-01-01T00:00:00.000Z"`.
// filter allows a few attributes and operators per endpoint; search allows
// more, plus or and parentheses.

// Attribute kinds.
const (
	kindString = iota
	kindTime
)

// attrRule says how an attribute may be used in an expression.
type attrRule struct {
	kind int
	ops  string // space-separated allowed operators
}

// attrRules resolves an attribute name to its rule.
type attrRules func(attr string) (attrRule, bool)

// cond is one comparison: attr op value.
type cond struct {
	attr string
	op   string
	val  string
	ms   int64 // val parsed, for time attributes
	kind int
}

// expr is a parsed expression tree.
type expr struct {
	op   string // "and", "or", or "" for a leaf
	l, r *expr
	c    *cond
}

// valueFunc returns an object's value for attr: a string, or for time
// attributes Unix milliseconds; ok is false when the attribute is unset.
type valueFunc func(attr string) (s string, ms int64, ok bool)

// eval evaluates e against an object.
func (e *expr) eval(get valueFunc) bool {
	switch e.op {
	case "and":
		return e.l.eval(get) && e.r.eval(get)
	case "or":
		return e.l.eval(get) || e.r.eval(get)
	}
	c := e.c
	s, ms, ok := get(c.attr)
	if c.op == "pr" {
		return ok
	}
	if !ok {
		return false
	}
	if c.kind == kindTime {
		switch c.op {
		case "eq":
			return ms == c.ms
		case "gt":
			return ms > c.ms
		case "ge":
			return ms >= c.ms
		case "lt":
			return ms < c.ms
		case "le":
			return ms <= c.ms
		}
		return false
	}
	switch c.op {
	case "eq":
		return s == c.val
	case "ne":
		return s != c.val
	case "sw":
		return hasPrefixFold(s, c.val)
	case "co":
		return strings.Contains(strings.ToLower(s), strings.ToLower(c.val))
	case "gt":
		return s > c.val
	case "ge":
		return s >= c.val
	case "lt":
		return s < c.val
	case "le":
		return s <= c.val
	}
	return false
}

// hasPrefixFold reports whether s starts with prefix, ignoring case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// parseExpr parses a filter or search expression; allowOr enables or and
// parentheses (search).
func parseExpr(src string, rules attrRules, allowOr bool) (*expr, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, rules: rules, allowOr: allowOr}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	return e, nil
}

type token struct {
	text   string
	quoted bool
}

// lex splits an expression into words, quoted strings and parentheses.
func lex(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, token{text: string(c)})
			i++
		case c == '"':
			var b strings.Builder
			i++
			closed := false
			for i < len(src) {
				if src[i] == '\\' && i+1 < len(src) {
					b.WriteByte(src[i+1])
					i += 2
					continue
				}
				if src[i] == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(src[i])
				i++
			}
			if !closed {
				return nil, errors.New("unterminated string")
			}
			toks = append(toks, token{text: b.String(), quoted: true})
		default:
			j := i
			for j < len(src) && !strings.ContainsRune(" \t\r\n()\"", rune(src[j])) {
				j++
			}
			toks = append(toks, token{text: src[i:j]})
			i = j
		}
	}
	if len(toks) == 0 {
		return nil, errors.New("empty expression")
	}
	return toks, nil
}

type parser struct {
	toks    []token
	pos     int
	rules   attrRules
	allowOr bool
	depth   int
}

func (p *parser) peekWord(w string) bool {
	return p.pos < len(p.toks) && !p.toks[p.pos].quoted && strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *parser) or() (*expr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peekWord("or") {
		if !p.allowOr {
			return nil, errors.New("'or' is not supported here")
		}
		p.pos++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &expr{op: "or", l: l, r: r}
	}
	return l, nil
}

func (p *parser) and() (*expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peekWord("and") {
		p.pos++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &expr{op: "and", l: l, r: r}
	}
	return l, nil
}

func (p *parser) unary() (*expr, error) {
	if p.pos >= len(p.toks) {
		return nil, errors.New("unexpected end of expression")
	}
	if t := p.toks[p.pos]; !t.quoted && t.text == "(" {
		if !p.allowOr {
			return nil, errors.New("parentheses are not supported here")
		}
		if p.depth > 32 {
			return nil, errors.New("expression nested too deeply")
		}
		p.pos++
		p.depth++
		e, err := p.or()
		p.depth--
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].text != ")" || p.toks[p.pos].quoted {
			return nil, errors.New("missing )")
		}
		p.pos++
		return e, nil
	}
	return p.cond()
}

func (p *parser) cond() (*expr, error) {
	if p.pos+1 >= len(p.toks) {
		return nil, errors.New("incomplete comparison")
	}
	at, opTok := p.toks[p.pos], p.toks[p.pos+1]
	if at.quoted || opTok.quoted {
		return nil, fmt.Errorf("expected attribute and operator near %q", at.text)
	}
	rule, ok := p.rules(at.text)
	if !ok {
		return nil, fmt.Errorf("unsupported attribute %q", at.text)
	}
	op := strings.ToLower(opTok.text)
	if !strings.Contains(" "+rule.ops+" ", " "+op+" ") {
		return nil, fmt.Errorf("operator %q is not supported for %s", opTok.text, at.text)
	}
	p.pos += 2
	c := &cond{attr: at.text, op: op, kind: rule.kind}
	if op != "pr" {
		if p.pos >= len(p.toks) || (!p.toks[p.pos].quoted && (p.toks[p.pos].text == "(" || p.toks[p.pos].text == ")")) {
			return nil, fmt.Errorf("missing value for %s %s", at.text, op)
		}
		v := p.toks[p.pos]
		p.pos++
		c.val = v.text
		if rule.kind == kindTime {
			ms, err := parseFilterTime(v.text)
			if err != nil || !v.quoted {
				return nil, fmt.Errorf("%s: invalid timestamp %q: want a quoted yyyy-MM-dd'T'HH:mm:ss.SSSZ, e.g. \"2013-06-01T00:00:00.000Z\"", at.text, v.text)
			}
			c.ms = ms
		} else if !v.quoted && v.text != "true" && v.text != "false" {
			return nil, fmt.Errorf("%s: value must be a quoted string", at.text)
		}
	}
	return &expr{c: c}, nil
}

// filterTimeLayout is the one timestamp format Okta's expressions take:
// "yyyy-MM-dd'T'HH:mm:ss.SSSZ", milliseconds and the Z included
// (https://developer.okta.com/docs/api/#filter, and the spec's
// lastUpdated examples, e.g. lastUpdated gt "2013-06-01T00:00:00.000Z").
const filterTimeLayout = "2006-01-02T15:04:05.000Z"

// parseFilterTime reads a timestamp of an expression: exactly
// filterTimeLayout, nothing shorter (no seconds-only, no offset, no
// nanoseconds), as Okta refuses anything else.
func parseFilterTime(v string) (int64, error) {
	if len(v) != len(filterTimeLayout) {
		return 0, errors.New("wrong length")
	}
	t, err := time.Parse(filterTimeLayout, v)
	if err != nil {
		return 0, err
	}
	return t.UnixMilli(), nil
}

// Operator sets.
const (
	opsEq         = "eq"
	opsTime       = "eq gt ge lt le"
	opsSearch     = "eq ne sw co pr gt ge lt le"
	opsSearchTime = "eq gt ge lt le pr"
)

// userFilterRules are the attributes GET /api/v1/users?filter= accepts,
// no more: Okta documents filter on "a subset of properties" — status,
// lastUpdated, id, profile.login, profile.email, profile.firstName and
// profile.lastName (Users API reference, listUsers filter; the same seven
// in Okta Workflows' "List Users With Filter",
// https://help.okta.com/wf/en-us/content/topics/workflows/connector-reference/okta/actions/listuserswithfilter.htm)
// — and points everything else to search.
func userFilterRules(a string) (attrRule, bool) {
	switch a {
	case "status", "id", "profile.login", "profile.email", "profile.firstName", "profile.lastName":
		return attrRule{kindString, opsEq}, true
	case "lastUpdated":
		return attrRule{kindTime, opsTime}, true
	}
	return attrRule{}, false
}

// userSearchRules are the attributes search= accepts on users ("most
// properties": the top-level ones and any profile attribute).
func userSearchRules(a string) (attrRule, bool) {
	switch a {
	case "status", "id", "type.id":
		return attrRule{kindString, opsSearch}, true
	case "lastUpdated", "created", "activated", "statusChanged", "lastLogin", "passwordChanged":
		return attrRule{kindTime, opsSearchTime}, true
	}
	if name, ok := strings.CutPrefix(a, "profile."); ok && name != "" {
		return attrRule{kindString, opsSearch}, true
	}
	return attrRule{}, false
}

// groupFilterRules are the attributes GET /api/v1/groups?filter= accepts:
// id and type with eq, lastUpdated and lastMembershipUpdated with the
// comparisons, combined with and, or and parentheses — exactly the
// Groups API reference's filter examples, e.g. type eq "OKTA_GROUP" and
// (lastUpdated lt "…" or lastMembershipUpdated lt "…")
// (https://developer.okta.com/docs/api/openapi/okta-management/management/tag/Group/#tag/Group/operation/listGroups).
func groupFilterRules(a string) (attrRule, bool) {
	switch a {
	case "type", "id":
		return attrRule{kindString, opsEq}, true
	case "lastUpdated", "lastMembershipUpdated":
		return attrRule{kindTime, opsTime}, true
	}
	return attrRule{}, false
}

// groupSearchRules are the attributes search= accepts on groups ("all
// attributes except for _embedded, _links, and objectClass").
func groupSearchRules(a string) (attrRule, bool) {
	switch a {
	case "type", "id", "profile.name", "profile.description":
		return attrRule{kindString, opsSearch}, true
	case "lastUpdated", "lastMembershipUpdated", "created":
		return attrRule{kindTime, opsSearchTime}, true
	}
	return attrRule{}, false
}

// appFilterRules are the attributes GET /api/v1/apps?filter= accepts, all
// with eq only: "Filters apps by status, user.id, group.id or
// credentials.signing.kid expression" (the spec) and name (Applications
// API reference: filter=name eq "okta_org2org").
func appFilterRules(a string) (attrRule, bool) {
	switch a {
	case "status", "name", "user.id", "group.id", "credentials.signing.kid":
		return attrRule{kindString, opsEq}, true
	}
	return attrRule{}, false
}

// userValues returns the valueFunc for u.
func (o *org) userValues(u *user) valueFunc {
	var p *profile
	return func(a string) (string, int64, bool) {
		switch a {
		case "id":
			return u.id, 0, true
		case "status":
			return u.status, 0, true
		case "type.id":
			return idFor(o.seed, prefixUserType, 0), 0, true
		case "lastUpdated":
			return "", u.lastUpdated, u.lastUpdated != 0
		case "created":
			return "", u.created, u.created != 0
		case "activated":
			return "", u.activated, u.activated != 0
		case "statusChanged":
			return "", u.statusChanged, u.statusChanged != 0
		case "lastLogin":
			return "", u.lastLogin, u.lastLogin != 0
		case "passwordChanged":
			return "", u.passwordChanged, u.passwordChanged != 0
		}
		name, _ := strings.CutPrefix(a, "profile.")
		if p == nil {
			p = o.profile(u)
		}
		v := profileValue(p, name)
		return v, 0, v != ""
	}
}

// profileValue returns a profile attribute by its Okta name.
func profileValue(p *profile, name string) string {
	switch name {
	case "login":
		return p.Login
	case "email":
		return p.Email
	case "secondEmail":
		return p.SecondEmail
	case "firstName":
		return p.FirstName
	case "lastName":
		return p.LastName
	case "displayName":
		return p.DisplayName
	case "nickName":
		return p.NickName
	case "title":
		return p.Title
	case "department":
		return p.Department
	case "division":
		return p.Division
	case "organization":
		return p.Organization
	case "manager":
		return p.Manager
	case "managerId":
		return p.ManagerID
	case "employeeNumber":
		return p.EmployeeNumber
	case "costCenter":
		return p.CostCenter
	case "mobilePhone":
		return p.MobilePhone
	case "primaryPhone":
		return p.PrimaryPhone
	case "locale":
		return p.Locale
	case "preferredLanguage":
		return p.PreferredLanguage
	case "timezone":
		return p.Timezone
	case "city":
		return p.City
	case "state":
		return p.State
	case "countryCode":
		return p.CountryCode
	case "userType":
		return p.UserType
	}
	for _, a := range p.Custom {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

// groupValues returns the valueFunc for g.
func groupValues(g *group) valueFunc {
	return func(a string) (string, int64, bool) {
		switch a {
		case "id":
			return g.id, 0, true
		case "type":
			return g.typ, 0, true
		case "profile.name":
			return g.name, 0, true
		case "profile.description":
			return g.description, 0, g.description != ""
		case "lastUpdated":
			return "", g.lastUpdated, true
		case "lastMembershipUpdated":
			return "", g.lastMembershipUpdated, true
		case "created":
			return "", g.created, true
		}
		return "", 0, false
	}
}
