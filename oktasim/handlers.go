package oktasim

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// limit parses the limit parameter: absent means def, above max is
// clamped to max like Okta; zero, negative or non-numeric is a 400.
func (c *call) limit(def, maxLimit int) (int, bool) {
	v, ok := c.query["limit"]
	if !ok || len(v) == 0 || v[0] == "" {
		return def, true
	}
	n, err := strconv.ParseInt(v[0], 10, 32)
	if err != nil || n <= 0 {
		c.badRequest("limit", "must be a positive integer")
		return 0, false
	}
	return min(int(n), maxLimit), true
}

// minLimit refuses a limit below the spec's minimum for the endpoint with
// 400 E0000001, as a request outside the parameter's schema.
func (c *call) minLimit(least int) bool {
	v := c.query.Get("limit")
	if v == "" {
		return true
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 && n < least {
		c.badRequest("limit", "must be at least "+strconv.Itoa(least))
		return false
	}
	return true
}

// after parses the cursor. Okta's cursors are opaque ("Treat this as an
// opaque value obtained through the next link relationship", the spec's
// after parameter), so the sim's are too: the base64url of the last key
// served, never an object id a client could take for one or make up.
// Anything the sim did not issue is a 400.
func (c *call) after() (string, bool) {
	a := c.query.Get("after")
	if a == "" {
		return "", true
	}
	key, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(key) == 0 || len(key) > 64 {
		c.badRequest("after", "invalid cursor")
		return "", false
	}
	for _, b := range key {
		if !isIDChar(b) {
			c.badRequest("after", "invalid cursor")
			return "", false
		}
	}
	return string(key), true
}

// cursor is the opaque after value that continues after key.
func cursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func isIDChar(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z'
}

// pageLinks sets Link headers: self always, next when more remain. The
// next link is the whole query of this request — filter, search, expand
// and the rest — with the page size actually served as limit (as in
// Okta's links, e.g. <…/api/v1/users?after=…&limit=200>; rel="next" in
// https://support.okta.com/help/s/article/Pagination-Overview) and the
// opaque cursor as after.
func (c *call) pageLinks(next string, limit int) {
	u := c.base + c.r.URL.Path
	if c.r.URL.RawQuery != "" {
		u += "?" + c.r.URL.RawQuery
	}
	c.links = append(c.links, "<"+u+">; rel=\"self\"")
	if next == "" {
		return
	}
	q := url.Values{}
	for k, v := range c.query {
		if k != "after" {
			q[k] = v
		}
	}
	q.Set("limit", strconv.Itoa(limit))
	q.Set("after", cursor(next))
	c.links = append(c.links, "<"+c.base+c.r.URL.Path+"?"+q.Encode()+">; rel=\"next\"")
}

// page writes one page of items (sorted by key) after the cursor, keeping
// those keep accepts (nil keeps all), and the paging links.
func page[T any](c *call, items []T, key func(T) string, keep func(T) bool, def, maxLimit int, enc func([]byte, T) []byte) {
	limit, ok := c.limit(def, maxLimit)
	if !ok {
		return
	}
	after, ok := c.after()
	if !ok {
		return
	}
	i := 0
	if after != "" {
		i = sort.Search(len(items), func(i int) bool { return key(items[i]) > after })
	}
	b := append(c.body[:0], '[')
	n, last, more := 0, "", false
	for ; i < len(items); i++ {
		x := items[i]
		if keep != nil && !keep(x) {
			continue
		}
		if n == limit {
			more = true
			break
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = enc(b, x)
		last = key(x)
		n++
	}
	c.body = append(b, ']')
	if !more {
		last = ""
	}
	c.pageLinks(last, limit)
}

// writeOne writes a single object.
func (c *call) writeOne(enc func([]byte) []byte) {
	c.body = enc(c.body[:0])
}

func userKey(u *user) string          { return u.id }
func groupKey(g *group) string        { return g.id }
func appKey(a *app) string            { return a.id }
func appUserKey(au *appUser) string   { return au.user.id }
func appGroupKey(ag *appGroup) string { return ag.group.id }

// listUsers serves GET /api/v1/users: filter, search, q, limit, after.
// Without filter or search, DEPROVISIONED users are left out as in Okta.
func (s *Sim) listUsers(c *call) {
	filter, search, q := c.query.Get("filter"), c.query.Get("search"), c.query.Get("q")
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.org
	var keep func(*user) bool
	switch {
	case search != "":
		e, err := parseExpr(search, userSearchRules, true)
		if err != nil {
			c.badSearch(err.Error())
			return
		}
		keep = func(u *user) bool { return e.eval(o.userValues(u)) }
	case filter != "":
		e, err := parseExpr(filter, userFilterRules, true)
		if err != nil {
			c.badSearch(err.Error())
			return
		}
		keep = func(u *user) bool { return e.eval(o.userValues(u)) }
	case q != "":
		keep = func(u *user) bool {
			if u.status == "DEPROVISIONED" {
				return false
			}
			p := o.profile(u)
			return hasPrefixFold(p.FirstName, q) || hasPrefixFold(p.LastName, q) || hasPrefixFold(p.Email, q) || hasPrefixFold(p.Login, q)
		}
	default:
		keep = func(u *user) bool { return u.status != "DEPROVISIONED" }
	}
	def := 200 // the spec: default 200, "up to the maximum (200 for most orgs)"
	if q != "" && filter == "" && search == "" {
		def = 10 // the spec: "Defaults to 10 if q is provided"
	}
	page(c, o.users, userKey, keep, def, 200, func(b []byte, u *user) []byte { return o.appendUser(b, u, c.base) })
}

// userParam resolves the {id} of a user path: an id, a login, or "me".
func (s *Sim) userParam(c *call, id string) *user {
	o := s.org
	if id == "me" {
		if u := c.who.owner(); u != nil && o.user(u.id) == u {
			return u
		}
		c.notFound(id, "User")
		return nil
	}
	if u := o.user(id); u != nil {
		return u
	}
	if strings.Contains(id, "@") {
		for _, u := range o.users {
			if strings.EqualFold(o.profile(u).Login, id) {
				return u
			}
		}
	}
	c.notFound(id, "User")
	return nil
}

// getUser serves GET /api/v1/users/{id}.
func (s *Sim) getUser(c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.userParam(c, c.params[0])
	if u == nil {
		return
	}
	c.writeOne(func(b []byte) []byte { return s.org.appendUser(b, u, c.base) })
}

// listUserGroups serves GET /api/v1/users/{id}/groups.
func (s *Sim) listUserGroups(c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.userParam(c, c.params[0])
	if u == nil {
		return
	}
	gs := slices.Clone(u.groups)
	slices.SortFunc(gs, func(a, b *group) int { return strings.Compare(a.id, b.id) })
	// The spec: default 20, maximum 200.
	page(c, gs, groupKey, nil, 20, 200, func(b []byte, g *group) []byte { return s.org.appendCachedGroup(b, g, c.base, false) })
}

// listGroups serves GET /api/v1/groups: filter, search, q, expand=stats.
func (s *Sim) listGroups(c *call) {
	filter, search, q := c.query.Get("filter"), c.query.Get("search"), c.query.Get("q")
	stats := strings.Contains(c.query.Get("expand"), "stats")
	s.mu.RLock()
	defer s.mu.RUnlock()
	var keep func(*group) bool
	view := func(g *group) *group { return g }
	switch {
	case search != "":
		e, err := parseExpr(search, groupSearchRules, true)
		if err != nil {
			c.badSearch(err.Error())
			return
		}
		// Search answers from its lagging index: the groups as they were
		// before writes it has not caught up with.
		now := s.nowMS()
		view = func(g *group) *group { return g.searchView(now) }
		keep = func(g *group) bool {
			v := view(g)
			return v != nil && e.eval(groupValues(v))
		}
	case filter != "":
		e, err := parseExpr(filter, groupFilterRules, true)
		if err != nil {
			c.badSearch(err.Error())
			return
		}
		keep = func(g *group) bool { return e.eval(groupValues(g)) }
	case q != "":
		keep = func(g *group) bool { return hasPrefixFold(g.name, q) }
	}
	// The spec: default 10000; Okta's reference: "limit integer <= 10000"
	// (https://developer.okta.com/docs/api/openapi/okta-management/management/tag/Group/#tag/Group/operation/listGroups).
	page(c, s.org.groups, groupKey, keep, 10000, 10000, func(b []byte, g *group) []byte { return s.org.appendCachedGroup(b, view(g), c.base, stats) })
}

// groupParam resolves a group id.
func (s *Sim) groupParam(c *call, id string) *group {
	if g := s.org.group(id); g != nil {
		return g
	}
	c.notFound(id, "UserGroup")
	return nil
}

// appParam resolves an app id.
func (s *Sim) appParam(c *call, id string) *app {
	if a := s.org.app(id); a != nil {
		return a
	}
	c.notFound(id, "AppInstance")
	return nil
}

// getGroup serves GET /api/v1/groups/{id}.
func (s *Sim) getGroup(c *call) {
	stats := strings.Contains(c.query.Get("expand"), "stats")
	s.mu.RLock()
	defer s.mu.RUnlock()
	g := s.groupParam(c, c.params[0])
	if g == nil {
		return
	}
	c.writeOne(func(b []byte) []byte { return s.org.appendCachedGroup(b, g, c.base, stats) })
}

// listGroupUsers serves GET /api/v1/groups/{id}/users.
func (s *Sim) listGroupUsers(c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g := s.groupParam(c, c.params[0])
	if g == nil {
		return
	}
	o := s.org
	// The spec: default 1000 and no larger maximum documented, so none
	// is assumed.
	page(c, g.members, userKey, nil, 1000, 1000, func(b []byte, u *user) []byte { return o.appendUser(b, u, c.base) })
}

// listGroupApps serves GET /api/v1/groups/{id}/apps.
func (s *Sim) listGroupApps(c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g := s.groupParam(c, c.params[0])
	if g == nil {
		return
	}
	apps := make([]*app, 0, len(g.apps))
	for _, ag := range g.apps {
		apps = append(apps, ag.app)
	}
	slices.SortFunc(apps, func(a, b *app) int { return strings.Compare(a.id, b.id) })
	page(c, apps, appKey, nil, 20, 200, func(b []byte, a *app) []byte { return appendApp(b, a, c.base) })
}

// listApps serves GET /api/v1/apps: filter (status, name, user.id,
// group.id, credentials.signing.kid), q, limit, after.
func (s *Sim) listApps(c *call) {
	filter, q := c.query.Get("filter"), c.query.Get("q")
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.org
	var keep func(*app) bool
	switch {
	case filter != "":
		e, err := parseExpr(filter, appFilterRules, false)
		if err != nil {
			c.badSearch(err.Error())
			return
		}
		// user.id and group.id select by assignment rather than by value.
		var byAssign func(*app, *expr) bool
		byAssign = func(a *app, e *expr) bool {
			switch e.op {
			case "and":
				return byAssign(a, e.l) && byAssign(a, e.r)
			case "or":
				return byAssign(a, e.l) || byAssign(a, e.r)
			}
			switch e.c.attr {
			case "user.id":
				u := o.user(e.c.val)
				return u != nil && findAppUser(a, u) != nil
			case "group.id":
				for _, ag := range a.groups {
					if ag.group.id == e.c.val {
						return true
					}
				}
				return false
			}
			return e.eval(func(attr string) (string, int64, bool) {
				switch attr {
				case "status":
					return a.status, 0, true
				case "name":
					return a.name, 0, true
				}
				return "", 0, false // the sim's apps carry no signing keys
			})
		}
		keep = func(a *app) bool { return byAssign(a, e) }
	case q != "":
		keep = func(a *app) bool { return hasPrefixFold(a.label, q) || hasPrefixFold(a.name, q) }
	}
	// Okta's reference: "limit integer <= 200"; a request without limit
	// gets 20 a page (the spec's default of -1 names no size; 20 is what
	// Okta's earlier Apps reference gave).
	page(c, o.apps, appKey, keep, 20, 200, func(b []byte, a *app) []byte { return appendApp(b, a, c.base) })
}

// getApp serves GET /api/v1/apps/{id}.
func (s *Sim) getApp(c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.appParam(c, c.params[0])
	if a == nil {
		return
	}
	c.writeOne(func(b []byte) []byte { return appendApp(b, a, c.base) })
}

// listAppUsers serves GET /api/v1/apps/{id}/users.
func (s *Sim) listAppUsers(c *call) {
	q := c.query.Get("q")
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.appParam(c, c.params[0])
	if a == nil {
		return
	}
	o := s.org
	var keep func(*appUser) bool
	if q != "" {
		keep = func(au *appUser) bool {
			p := o.profile(au.user)
			return hasPrefixFold(p.FirstName, q) || hasPrefixFold(p.LastName, q) || hasPrefixFold(p.Email, q) || hasPrefixFold(p.Login, q)
		}
	}
	// The spec: default 50, minimum 1, maximum 500.
	page(c, a.users, appUserKey, keep, 50, 500, func(b []byte, au *appUser) []byte { return o.appendAppUser(b, au, c.base) })
}

// getAppUser serves GET /api/v1/apps/{id}/users/{uid}.
func (s *Sim) getAppUser(c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.appParam(c, c.params[0])
	if a == nil {
		return
	}
	u := s.org.user(c.params[1])
	var au *appUser
	if u != nil {
		au = findAppUser(a, u)
	}
	if au == nil {
		c.notFound(c.params[1], "AppUser")
		return
	}
	c.writeOne(func(b []byte) []byte { return s.org.appendAppUser(b, au, c.base) })
}

// listAppGroups serves GET /api/v1/apps/{id}/groups.
func (s *Sim) listAppGroups(c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.appParam(c, c.params[0])
	if a == nil {
		return
	}
	// The spec: default 20, minimum 20, maximum 200.
	if !c.minLimit(20) {
		return
	}
	page(c, a.groups, appGroupKey, nil, 20, 200, func(b []byte, ag *appGroup) []byte { return appendAppGroup(b, ag, c.base) })
}

// getAppGroup serves GET /api/v1/apps/{id}/groups/{gid}.
func (s *Sim) getAppGroup(c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.appParam(c, c.params[0])
	if a == nil {
		return
	}
	for _, ag := range a.groups {
		if ag.group.id == c.params[1] {
			c.writeOne(func(b []byte) []byte { return appendAppGroup(b, ag, c.base) })
			return
		}
	}
	c.notFound(c.params[1], "ApplicationGroupAssignment")
}

// listUserRoles serves GET /api/v1/users/{id}/roles: the admin roles of
// token owners; other users have none.
func (s *Sim) listUserRoles(c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.userParam(c, c.params[0])
	if u == nil {
		return
	}
	b := append(c.body[:0], '[')
	if int(u.seq) < len(tokenOwners) && s.org.users[u.seq] == u {
		b = s.appendRole(b, c, u, tokenOwners[u.seq].role)
	}
	c.body = append(b, ']')
}

// appendRole appends one role assignment.
func (s *Sim) appendRole(b []byte, c *call, u *user, role string) []byte {
	label := map[string]string{roleSuper: "Super Administrator", roleReadOnly: "Read Only Administrator", roleNoApps: "Directory Viewer (no apps)"}[role]
	created := genEpoch - 400*day
	b = append(b, `{"id":`...)
	b = appendStr(b, idFor(s.org.seed, prefixRole, u.seq))
	b = append(b, `,"label":`...)
	b = appendStr(b, label)
	b = append(b, `,"type":`...)
	b = appendStr(b, role)
	b = append(b, `,"status":"ACTIVE","created":`...)
	b = appendTime(b, created)
	b = append(b, `,"lastUpdated":`...)
	b = appendTime(b, created)
	b = append(b, `,"assignmentType":"USER","_links":{"assignee":`...)
	b = appendHref(b, c.base, "/api/v1/users/"+u.id)
	b = append(b, '}')
	if role == roleNoApps {
		b = append(b, `,"role":`...)
		b = appendHref(b, c.base, "/api/v1/iam/roles/cr0directoryviewer")
		b = append(b, `},"permissions":`...)
		b = appendHref(b, c.base, "/api/v1/iam/roles/cr0directoryviewer/permissions")
		b = append(b, '}')
	}
	return append(b, "}}"...)
}

// appendAPIToken appends an API token's metadata.
func appendAPIToken(b []byte, t *apiToken, base string) []byte {
	last := t.lastUsed.Load()
	b = append(b, `{"id":`...)
	b = appendStr(b, t.id)
	b = append(b, `,"name":`...)
	b = appendStr(b, t.name)
	b = append(b, `,"userId":`...)
	b = appendStr(b, t.owner.id)
	b = append(b, `,"clientName":"Okta API","created":`...)
	b = appendTime(b, t.created)
	b = append(b, `,"lastUpdated":`...)
	b = appendTime(b, last)
	b = append(b, `,"expiresAt":`...)
	b = appendTime(b, last+t.windowMS)
	b = append(b, `,"tokenWindow":`...)
	b = appendStr(b, t.window)
	b = append(b, `,"network":{"connection":"ANYWHERE"},"_link":{"self":`...)
	b = appendHref(b, base, "/api/v1/api-tokens/"+t.id)
	b = append(b, `,"hints":{"allow":["GET","DELETE"]}}}}`...)
	return b
}

// listAPITokens serves GET /api/v1/api-tokens.
func (s *Sim) listAPITokens(c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	page(c, s.org.tokens, func(t *apiToken) string { return t.id }, nil, 20, 200, func(b []byte, t *apiToken) []byte { return appendAPIToken(b, t, c.base) })
}

// revokeCurrentAPIToken serves DELETE /api/v1/api-tokens/current: the
// token in the Authorization header stops working at once. It is the only
// method Okta has on this path (a GET is 405 E0000022), and only an API
// token can call it (the spec's security lists apiToken alone).
func (s *Sim) revokeCurrentAPIToken(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.org.tokens = slices.DeleteFunc(s.org.tokens, func(t *apiToken) bool { return t == c.who.token })
	c.status = http.StatusNoContent
}

// getAPIToken serves GET /api/v1/api-tokens/{id}.
func (s *Sim) getAPIToken(c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, t := range s.org.tokens {
		if t.id == c.params[0] {
			c.writeOne(func(b []byte) []byte { return appendAPIToken(b, t, c.base) })
			return
		}
	}
	c.notFound(c.params[0], "ApiToken")
}
