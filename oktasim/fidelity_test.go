package oktasim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// These tests hold every response the simulator gives (successes, paging,
// and the 400/401/403/404/429 errors) to the Okta management spec shipped
// with the SDK, and the routing table's OAuth scopes to the spec's
// security requirements.

func TestFidelitySpecHarness(t *testing.T) {
	spec := loadFidelitySpec(t)
	if n := len(spec.doc.Paths.Map()); n < 300 {
		t.Fatalf("spec has %d paths; not the Okta management spec?", n)
	}
	req, _ := http.NewRequest("GET", "http://127.0.0.1:1/api/v1/users?limit=2", nil)
	h := http.Header{"Content-Type": {"application/json"}, "Date": {"x"}, "X-Rate-Limit-Limit": {"1"}, "X-Rate-Limit-Remaining": {"1"}, "X-Rate-Limit-Reset": {"1"}}
	tests := []struct {
		name    string
		status  int
		body    string
		header  http.Header
		wantErr string
	}{
		{"valid empty page", 200, `[]`, h, ""},
		{"wrong body type", 200, `{"id":"x"}`, h, "response body"},
		{"wrong field type", 200, `[{"id":7}]`, h, "response body"},
		{"undeclared success", 201, `[]`, h, "not declared"},
		{"error without errorCode", 403, `{"errorSummary":"x"}`, h, "errorCode"},
		{"401 with Okta error body", 401, `{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorLink":"E0000011","errorId":"oae1","errorCauses":[]}`, h, ""},
		{"missing rate-limit headers", 200, `[]`, http.Header{"Content-Type": {"application/json"}}, "header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := spec.check(req, tt.status, tt.header, []byte(tt.body))
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

// inSpec reports whether a route can be held to the management spec: all
// can but the OAuth token endpoint, which belongs to Okta's OAuth 2.0 API
// (TestRoutesAreInTheSpec).
func inSpec(rt *route) bool { return rt.perm != permNone }

// specRoute returns the spec route a route of the routing table serves,
// found the way a request would find it.
func specRoute(t *testing.T, spec *fidelitySpec, rt *route) *routers.Route {
	t.Helper()
	path := rt.pattern
	for _, seg := range rt.segs {
		if strings.HasPrefix(seg, "{") {
			path = strings.Replace(path, seg, "x1", 1)
		}
	}
	req, _ := http.NewRequest(rt.method, "http://127.0.0.1"+path, nil)
	r, _, err := spec.operation(req)
	if err != nil {
		t.Fatalf("route %s %s: %v", rt.method, rt.pattern, err)
	}
	return r
}

// specOperation returns the spec operation a route of the routing table
// serves.
func specOperation(t *testing.T, spec *fidelitySpec, rt *route) *openapi3.Operation {
	t.Helper()
	r := specRoute(t, spec, rt)
	op := r.PathItem.GetOperation(rt.method)
	if op == nil {
		t.Fatalf("route %s %s: the spec has no %s operation on %s", rt.method, rt.pattern, rt.method, r.Path)
	}
	return op
}

func TestRouteScopesMatchSpec(t *testing.T) {
	spec := loadFidelitySpec(t)
	for i := range routes {
		rt := &routes[i]
		if !inSpec(rt) {
			continue // the token endpoint is not part of the management API
		}
		op := specOperation(t, spec, rt)
		var want []string
		if op.Security != nil {
			for _, req := range *op.Security {
				want = append(want, req["oauth2"]...)
			}
		}
		if len(want) == 0 && rt.scope == "" {
			continue // API tokens only, e.g. revoking the current token
		}
		if !slices.Contains(want, rt.scope) {
			t.Errorf("%s %s needs scope %q in the routing table, the spec says %v", rt.method, rt.pattern, rt.scope, want)
		}
	}
}

// fidelityIDs are real object ids of a scenario to fill path templates.
type fidelityIDs struct {
	user, group, app, appUser, appGroup, token, outsider string
}

func pickFidelityIDs(s *Sim) fidelityIDs {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.org
	var ids fidelityIDs
	for _, a := range o.apps {
		if len(a.users) > 0 && len(a.groups) > 0 {
			ids.app, ids.appUser, ids.appGroup = a.id, a.users[0].user.id, a.groups[0].group.id
			break
		}
	}
	for _, g := range o.groups {
		if g.typ == "OKTA_GROUP" && len(g.members) > 0 && len(g.apps) > 0 {
			ids.group = g.id
			for _, u := range o.users {
				if !isMember(g, u) {
					ids.outsider = u.id
					break
				}
			}
			break
		}
	}
	ids.user = o.users[len(tokenOwners)+1].id
	for _, tk := range o.tokens {
		ids.token = tk.id
		break
	}
	return ids
}

// target fills a route's path template with ids; missing replaces the
// first parameter with an id that does not exist.
func (ids fidelityIDs) target(t *testing.T, rt *route, missing bool) string {
	t.Helper()
	var vals []string
	switch rt.pattern {
	case "/api/v1/users/{id}", "/api/v1/users/{id}/groups", "/api/v1/users/{id}/roles":
		vals = []string{ids.user}
	case "/api/v1/groups/{id}", "/api/v1/groups/{id}/users", "/api/v1/groups/{id}/apps":
		vals = []string{ids.group}
	case "/api/v1/groups/{id}/users/{uid}":
		vals = []string{ids.group, ids.outsider}
	case "/api/v1/apps/{id}", "/api/v1/apps/{id}/users", "/api/v1/apps/{id}/groups":
		vals = []string{ids.app}
	case "/api/v1/apps/{id}/users/{uid}":
		vals = []string{ids.app, ids.appUser}
	case "/api/v1/apps/{id}/groups/{gid}":
		vals = []string{ids.app, ids.appGroup}
	case "/api/v1/api-tokens/{id}":
		vals = []string{ids.token}
	default:
		if strings.Contains(rt.pattern, "{") {
			t.Fatalf("no sample ids for route %s %s: teach fidelityIDs.target about it", rt.method, rt.pattern)
		}
	}
	if missing && len(vals) > 0 {
		vals[0] = vals[0][:3] + "0000000missing00"
	}
	path := rt.pattern
	for i, seg := range rt.segs {
		if strings.HasPrefix(seg, "{") {
			path = strings.Replace(path, seg, vals[0], 1)
			vals = vals[1:]
		}
		_ = i
	}
	return path
}

// writeBody is a valid body for the routes that take one.
func writeBody(rt *route) any {
	if rt.method == "POST" || (rt.method == "PUT" && strings.Count(rt.pattern, "{") == 1) {
		return map[string]any{"profile": map[string]any{"name": fmt.Sprintf("Fidelity %d", time.Now().UnixNano()), "description": "spec check"}}
	}
	return nil
}

// isList reports whether a route returns a paged collection.
func isList(rt *route) bool {
	if rt.method != "GET" {
		return false
	}
	last := rt.segs[len(rt.segs)-1]
	return !strings.HasPrefix(last, "{") && last != "current" && last != "roles"
}

func TestFidelity(t *testing.T) {
	for _, sc := range []struct {
		scenario string
		sample   int // validate every n-th page of long listings
		perKind  int // sub-collections walked per kind of parent
	}{
		{"S", 1, 1 << 30},
		{"M", 10, 6},
	} {
		t.Run(sc.scenario, func(t *testing.T) { fidelityScenario(t, sc.scenario, sc.sample, sc.perKind) })
	}
	t.Run("coverage", func(t *testing.T) {
		spec := loadFidelitySpec(t)
		covered := map[string]bool{}
		for _, k := range spec.covered() {
			covered[k] = true
		}
		for i := range routes {
			rt := &routes[i]
			if !inSpec(rt) {
				continue
			}
			tmpl := specRoute(t, spec, rt).Path
			want := []int{401, 403, 429}
			switch {
			case rt.method == "GET":
				want = append(want, 200)
			case rt.method == "POST" || rt.method == "PUT" && !strings.HasSuffix(rt.pattern, "{uid}"):
				want = append(want, 200, 400)
			default:
				want = append(want, 204)
			}
			if strings.Contains(rt.pattern, "{") && !strings.HasSuffix(rt.pattern, "current") {
				want = append(want, 404)
			}
			if isList(rt) {
				want = append(want, 400)
			}
			for _, st := range want {
				if key := fmt.Sprintf("%s %s %d", rt.method, tmpl, st); !covered[key] {
					t.Errorf("no validated response for %s", key)
				}
			}
		}
	})
}

// firstIDs returns the ids of the first n listed objects.
func firstIDs(objects []map[string]any, n int) []string {
	var ids []string
	for _, o := range objects[:min(n, len(objects))] {
		ids = append(ids, o["id"].(string))
	}
	return ids
}

func fidelityScenario(t *testing.T, scenario string, sample, perKind int) {
	srv := NewServer(t, Options{Scenario: scenario, Seed: 7})
	s := srv.Sim
	if _, err := s.Churn(60); err != nil {
		t.Fatal(err)
	}
	super := newFidelityClient(t, srv.URL, "SSWS "+srv.SuperAdminToken())
	ids := pickFidelityIDs(s)

	// Every collection through all its pages (validating a sample of the
	// pages for big scenarios), with the filters clients use.
	q := func(path string, kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return path + "?" + v.Encode()
	}
	since := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
	super.pages(q("/api/v1/users", "limit", "200"), sample)
	super.pages(q("/api/v1/users", "filter", `status eq "DEPROVISIONED"`, "limit", "200"), sample)
	super.pages(q("/api/v1/users", "filter", `lastUpdated gt "`+since+`"`), sample)
	super.pages(q("/api/v1/users", "search", `profile.department eq "Engineering"`, "limit", "50"), sample)
	groups := super.pages(q("/api/v1/groups", "limit", "200", "expand", "stats"), sample)
	super.pages(q("/api/v1/groups", "filter", `lastMembershipUpdated gt "`+since+`" or lastUpdated gt "`+since+`"`), sample)
	super.pages(q("/api/v1/groups", "filter", `type eq "APP_GROUP"`), sample)
	apps := super.pages(q("/api/v1/apps", "limit", "200"), sample)
	super.pages("/api/v1/api-tokens", 1)
	super.pages(q("/api/v1/groups/rules", "limit", "2"), 1)
	super.pages("/api/v1/users/"+ids.user+"/groups", 1)
	for _, id := range firstIDs(groups, perKind) {
		super.pages(q("/api/v1/groups/"+id+"/users", "limit", "1000"), sample)
		super.pages("/api/v1/groups/"+id+"/apps", sample)
	}
	super.pages(q("/api/v1/groups/"+ids.group+"/users", "limit", "2"), sample)
	for _, id := range firstIDs(apps, perKind) {
		super.pages(q("/api/v1/apps/"+id+"/users", "limit", "500"), sample)
		super.pages("/api/v1/apps/"+id+"/groups", sample)
	}
	super.pages(q("/api/v1/apps/"+ids.app+"/users", "limit", "3"), sample)

	// System Log: bounded paging, filters, and a polling pair.
	logSince := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	logUntil := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	events := super.pages(q("/api/v1/logs", "since", logSince, "until", logUntil, "limit", "7"), 1)
	if len(events) < 60 {
		t.Fatalf("System Log holds %d events after 60 changes", len(events))
	}
	super.pages(q("/api/v1/logs", "since", logSince, "until", logUntil, "filter", `eventType eq "group.user_membership.add" or eventType eq "user.lifecycle.create"`), 1)
	super.pages(q("/api/v1/logs", "since", logSince, "until", logUntil, "sortOrder", "DESCENDING", "limit", "25"), 1)
	resp, _ := super.expect(200, "GET", q("/api/v1/logs", "since", logSince, "limit", "1000"), nil)
	next := linkNext(resp.Header)
	if next == "" {
		t.Fatal("polling page has no next link")
	}
	resp, data := super.expect(200, "GET", next, nil)
	if string(data) != "[]" || linkNext(resp.Header) == "" {
		t.Fatalf("empty poll: body %s, next %q; want [] and a next link", data, linkNext(resp.Header))
	}

	// Single objects, and writes.
	ro := super.with("SSWS " + srv.ReadOnlyToken())
	for i := range routes {
		rt := &routes[i]
		if !inSpec(rt) || isList(rt) {
			continue
		}
		status := 200
		if rt.method == "PUT" && strings.HasSuffix(rt.pattern, "{uid}") || rt.method == "DELETE" {
			status = 204
		}
		c := super
		if rt.pattern == "/api/v1/api-tokens/current" {
			// Revoking the caller's own token: spend the reviewer's.
			c = super.with("SSWS " + srv.Token("reviewer"))
		}
		c.expect(status, rt.method, ids.target(t, rt, false), writeBody(rt))
	}
	super.expect(200, "GET", "/api/v1/users/me", nil)
	ro.expect(200, "GET", "/api/v1/users/me/roles", nil)

	// Errors, for every route.
	bogus := super.with("SSWS 00thisTokenDoesNotExist000000000000000000")
	usersOnly := super.with(bearer(t, srv, "usersonly", "okta.users.read"))
	for i := range routes {
		rt := &routes[i]
		if !inSpec(rt) {
			continue
		}
		target := ids.target(t, rt, false)
		body := writeBody(rt)
		bogus.expect(401, rt.method, target, body)
		if strings.Contains(rt.pattern, "{") && !strings.HasSuffix(rt.pattern, "current") {
			super.expect(404, rt.method, ids.target(t, rt, true), writeBody(rt))
		}
		if isList(rt) {
			super.expect(400, rt.method, target+"?limit=0", nil)
		}
		if body != nil {
			super.expect(400, rt.method, target, map[string]any{"profile": map[string]any{"description": "no name"}})
		}
		switch {
		case rt.perm == permWrite:
			ro.expect(403, rt.method, target, body)
		case rt.scope != "okta.users.read":
			usersOnly.expect(403, rt.method, target, body)
		default:
			// Every credential the org hands out may read users, so the
			// 403 comes from a fault rule, as from a locked-down org.
			s.SetFaults([]FaultRule{{Path: "*", Probability: 1, Status: 403}})
			super.expect(403, rt.method, target, body)
			s.SetFaults(nil)
		}
		s.SetFaults([]FaultRule{{Path: "*", Probability: 1, Status: 429}})
		super.expect(429, rt.method, target, body)
		s.SetFaults(nil)
	}
	super.expect(400, "GET", q("/api/v1/logs", "filter", `eventType eq`), nil)
	super.expect(400, "GET", q("/api/v1/logs", "after", "not-a-cursor"), nil)
	super.expect(400, "GET", q("/api/v1/users", "filter", `nonsense`), nil)

	// A real 429 from an exhausted bucket validates too.
	limited := NewServer(t, Options{Scenario: "S", Seed: 7, RateLimits: "realistic"})
	if err := limited.Sim.SetCredentialRateLimit("readonly", 100); err != nil { // the org-wide limit, not the token's
		t.Fatal(err)
	}
	lc := newFidelityClient(t, limited.URL, "SSWS "+limited.ReadOnlyToken())
	for i := 0; i < realisticLimits[bucketLogs]; i++ {
		lc.raw("GET", "/api/v1/logs?limit=1")
	}
	resp, _ = lc.expect(429, "GET", "/api/v1/logs", nil)
	if resp.Header.Get("X-Rate-Limit-Remaining") != "0" {
		t.Errorf("429 with X-Rate-Limit-Remaining %q", resp.Header.Get("X-Rate-Limit-Remaining"))
	}
	var e struct{ ErrorCode string }
	if json.Unmarshal(data, &e); e.ErrorCode != "" && e.ErrorCode != "E0000047" {
		t.Errorf("429 errorCode %s", e.ErrorCode)
	}
}
