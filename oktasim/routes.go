package oktasim

import "strings"

// The routing table: one line per Okta operation the sim serves, each an
// operation of Okta's management spec (TestRoutesAreInTheSpec holds the
// table to it). Routes are matched in order, so literal segments such as
// /groups/rules or /api-tokens/current come before {id}; the first
// template a path matches is its template, and another method on it is 405
// E0000022 (as GET /api/v1/api-tokens/current is on Okta), never a
// fall-through to a later {id} route. bucket selects the rate-limit bucket, scope the OAuth
// scope a Bearer token needs (a ".manage" scope also grants ".read"),
// and perm the admin-role check for SSWS tokens.
var routes = []route{
	{method: "GET", pattern: "/api/v1/users", bucket: bucketUsers, scope: "okta.users.read", handler: (*Sim).listUsers},
	{method: "GET", pattern: "/api/v1/users/{id}", bucket: bucketOther, scope: "okta.users.read", handler: (*Sim).getUser},
	{method: "GET", pattern: "/api/v1/users/{id}/groups", bucket: bucketOther, scope: "okta.users.read", handler: (*Sim).listUserGroups},
	{method: "GET", pattern: "/api/v1/users/{id}/roles", bucket: bucketOther, scope: "okta.roles.read", handler: (*Sim).listUserRoles},
	{method: "GET", pattern: "/api/v1/groups", bucket: bucketGroups, scope: "okta.groups.read", handler: (*Sim).listGroups},
	{method: "GET", pattern: "/api/v1/groups/rules", bucket: bucketGroup, scope: "okta.groups.read", handler: (*Sim).listGroupRules},
	{method: "GET", pattern: "/api/v1/groups/{id}", bucket: bucketGroup, scope: "okta.groups.read", handler: (*Sim).getGroup},
	{method: "GET", pattern: "/api/v1/groups/{id}/users", bucket: bucketGroup, scope: "okta.groups.read", handler: (*Sim).listGroupUsers},
	{method: "GET", pattern: "/api/v1/groups/{id}/apps", bucket: bucketGroup, scope: "okta.groups.read", perm: permApps, handler: (*Sim).listGroupApps},
	{method: "GET", pattern: "/api/v1/apps", bucket: bucketApps, scope: "okta.apps.read", perm: permApps, handler: (*Sim).listApps},
	{method: "GET", pattern: "/api/v1/apps/{id}", bucket: bucketApp, scope: "okta.apps.read", perm: permApps, handler: (*Sim).getApp},
	{method: "GET", pattern: "/api/v1/apps/{id}/users", bucket: bucketApp, scope: "okta.apps.read", perm: permApps, handler: (*Sim).listAppUsers},
	{method: "GET", pattern: "/api/v1/apps/{id}/users/{uid}", bucket: bucketApp, scope: "okta.apps.read", perm: permApps, handler: (*Sim).getAppUser},
	{method: "GET", pattern: "/api/v1/apps/{id}/groups", bucket: bucketApp, scope: "okta.apps.read", perm: permApps, handler: (*Sim).listAppGroups},
	{method: "GET", pattern: "/api/v1/apps/{id}/groups/{gid}", bucket: bucketApp, scope: "okta.apps.read", perm: permApps, handler: (*Sim).getAppGroup},
	{method: "GET", pattern: "/api/v1/api-tokens", bucket: bucketOther, scope: "okta.apiTokens.read", handler: (*Sim).listAPITokens},
	// Okta has only DELETE on /api-tokens/current: a GET there is 405, not
	// a token whose id is "current". No scope grants it to a Bearer token.
	{method: "DELETE", pattern: "/api/v1/api-tokens/current", bucket: bucketOther, handler: (*Sim).revokeCurrentAPIToken},
	{method: "GET", pattern: "/api/v1/api-tokens/{id}", bucket: bucketOther, scope: "okta.apiTokens.read", handler: (*Sim).getAPIToken},
	// System Log, group writes and the OAuth token endpoint (logs.go, writes.go, oauth.go).
	{method: "GET", pattern: "/api/v1/logs", bucket: bucketLogs, scope: "okta.logs.read", handler: (*Sim).listLogs},
	{method: "POST", pattern: "/api/v1/groups", bucket: bucketGroups, scope: "okta.groups.manage", perm: permWrite, handler: (*Sim).createGroup},
	{method: "PUT", pattern: "/api/v1/groups/{id}", bucket: bucketGroup, scope: "okta.groups.manage", perm: permWrite, handler: (*Sim).replaceGroup},
	{method: "PUT", pattern: "/api/v1/groups/{id}/users/{uid}", bucket: bucketGroup, scope: "okta.groups.manage", perm: permWrite, handler: (*Sim).addGroupMember},
	{method: "DELETE", pattern: "/api/v1/groups/{id}/users/{uid}", bucket: bucketGroup, scope: "okta.groups.manage", perm: permWrite, handler: (*Sim).removeGroupMember},
	{method: "POST", pattern: "/oauth2/v1/token", bucket: bucketToken, perm: permNone, handler: (*Sim).issueToken},
}

// controlRoutes is the loopback-only control plane under /__sim/.
var controlRoutes = []controlRoute{
	{method: "GET", path: "/__sim/truth", handler: (*Sim).ctlTruth},
	{method: "GET", path: "/__sim/tokens", handler: (*Sim).ctlTokens},
	{method: "GET", path: "/__sim/stats", handler: (*Sim).ctlStats},
	{method: "DELETE", path: "/__sim/stats", handler: (*Sim).ctlResetStats},
	{method: "POST", path: "/__sim/reset", handler: (*Sim).ctlReset},
	{method: "POST", path: "/__sim/clock", handler: (*Sim).ctlClock},
	{method: "GET", path: "/__sim/clock", handler: (*Sim).ctlClock},
	{method: "POST", path: "/__sim/faults", handler: (*Sim).ctlFaults},
	{method: "GET", path: "/__sim/faults", handler: (*Sim).ctlFaults},
	{method: "GET", path: "/__sim/clients", handler: (*Sim).ctlClients},
	{method: "POST", path: "/__sim/churn", handler: (*Sim).ctlChurn},
}

// Permission classes checked against the admin role of an SSWS token.
const (
	permRead  = iota // any admin role may read
	permApps         // needs app permissions (not the custom noapps role)
	permWrite        // needs a role that may write (super admin)
	permNone         // no credential needed (the OAuth token endpoint)
)

// route is one API operation.
type route struct {
	method  string
	pattern string
	bucket  int
	scope   string
	perm    int
	handler func(*Sim, *call)
	segs    []string
}

// controlRoute is one control-plane operation. Handlers write directly.
type controlRoute struct {
	method  string
	path    string
	handler func(*Sim, *call)
}

func init() {
	for i := range routes {
		routes[i].segs = strings.Split(strings.Trim(routes[i].pattern, "/"), "/")
	}
}

// match finds the route for method and path and its {param} values.
// It returns the index of the route, or -1 with methodMismatch set when
// the path exists under another method.
func match(method, path string) (idx int, params []string, methodMismatch bool) {
	p := strings.Trim(path, "/")
	var segs [8]string
	n := 0
	for n < len(segs) {
		i := strings.IndexByte(p, '/')
		if i < 0 {
			segs[n] = p
			n++
			break
		}
		segs[n] = p[:i]
		n++
		p = p[i+1:]
		if n == len(segs) && p != "" {
			return -1, nil, false
		}
	}
	template := ""
	for ri := range routes {
		r := &routes[ri]
		if len(r.segs) != n || template != "" && r.pattern != template {
			continue
		}
		ok := true
		for i, s := range r.segs {
			if s[0] == '{' {
				if segs[i] == "" {
					ok = false
					break
				}
				continue
			}
			if s != segs[i] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		template = r.pattern
		if r.method != method {
			methodMismatch = true
			continue
		}
		for i, s := range r.segs {
			if s[0] == '{' {
				params = append(params, segs[i])
			}
		}
		return ri, params, false
	}
	return -1, nil, methodMismatch
}
