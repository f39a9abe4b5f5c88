package oktasim

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// firstPage returns the size of the first page of path and its next link
// (nil on the last page).
func firstPage(t *testing.T, srv *Server, token, path string) (int, *url.URL) {
	t.Helper()
	resp, body := get(t, srv, token, path)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	m := nextRE.FindStringSubmatch(strings.Join(resp.Header.Values("Link"), ", "))
	if m == nil {
		return len(items), nil
	}
	u, err := url.Parse(m[1])
	if err != nil {
		t.Fatalf("next link %q: %v", m[1], err)
	}
	return len(items), u
}

// TestPageSizes: each listing serves the spec's default page size without
// limit, and at most its maximum with a larger limit (Okta clamps).
func TestPageSizes(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, Options{Scenario: "M", Seed: 3})
	tok := srv.ReadOnlyToken()
	o := srv.Sim.org
	var bigGroup *group
	for _, g := range o.groups[1:] {
		if bigGroup == nil || len(g.members) > len(bigGroup.members) {
			bigGroup = g
		}
	}
	var bigApp *app
	for _, a := range o.apps {
		if bigApp == nil || len(a.users) > len(bigApp.users) {
			bigApp = a
		}
	}
	var groupyApp *app
	for _, a := range o.apps {
		if groupyApp == nil || len(a.groups) > len(groupyApp.groups) {
			groupyApp = a
		}
	}
	var joiner *user
	for _, u := range o.users {
		if joiner == nil || len(u.groups) > len(joiner.groups) {
			joiner = u
		}
	}
	nonDeprov := 0
	for _, u := range o.users {
		if u.status != "DEPROVISIONED" {
			nonDeprov++
		}
	}
	tests := []struct {
		name string
		path string
		want int
	}{
		{"users default", "/api/v1/users", 200},
		{"users clamp", "/api/v1/users?limit=1000", 200},
		{"users q default", "/api/v1/users?q=a", min(10, nonDeprov)},
		{"groups default 10000", "/api/v1/groups", min(10000, len(o.groups))},
		{"groups clamp", "/api/v1/groups?limit=20000", min(10000, len(o.groups))},
		{"group members default", "/api/v1/groups/" + bigGroup.id + "/users", min(1000, len(bigGroup.members))},
		{"group members clamp", "/api/v1/groups/" + bigGroup.id + "/users?limit=5000", min(1000, len(bigGroup.members))},
		{"user groups default", "/api/v1/users/" + joiner.id + "/groups", min(20, len(joiner.groups))},
		{"user groups clamp", "/api/v1/users/" + joiner.id + "/groups?limit=10000", min(200, len(joiner.groups))},
		{"apps default", "/api/v1/apps", min(20, len(o.apps))},
		{"apps clamp", "/api/v1/apps?limit=1000", min(200, len(o.apps))},
		{"app users default", "/api/v1/apps/" + bigApp.id + "/users", min(50, len(bigApp.users))},
		{"app users clamp", "/api/v1/apps/" + bigApp.id + "/users?limit=5000", min(500, len(bigApp.users))},
		{"app groups default", "/api/v1/apps/" + groupyApp.id + "/groups", min(20, len(groupyApp.groups))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, _ := firstPage(t, srv, tok, tt.path); n != tt.want || n == 0 {
				t.Errorf("first page of %s: %d items, want %d", tt.path, n, tt.want)
			}
		})
	}
	// The spec's minimum: app group assignments come at least 20 a page.
	if resp, body := get(t, srv, tok, "/api/v1/apps/"+groupyApp.id+"/groups?limit=5"); resp.StatusCode != 400 || !strings.Contains(string(body), "E0000001") {
		t.Errorf("app groups limit=5: %d %s", resp.StatusCode, body)
	}
}

// TestNextLinksCarryTheQuery: a next link keeps every parameter of the
// request, states the page size served, and its cursor is opaque — not an
// object id a client could have made up — and leads exactly on.
func TestNextLinksCarryTheQuery(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, Options{Scenario: "S", Seed: 5})
	tok := srv.ReadOnlyToken()
	o := srv.Sim.org
	path := "/api/v1/users?filter=" + url.QueryEscape(`status eq "ACTIVE"`) + "&limit=7&unknownParam=kept"
	n, next := firstPage(t, srv, tok, path)
	if n != 7 || next == nil {
		t.Fatalf("first page: %d items, next %v", n, next)
	}
	q := next.Query()
	if q.Get("filter") != `status eq "ACTIVE"` || q.Get("limit") != "7" || q.Get("unknownParam") != "kept" {
		t.Errorf("next link lost the query: %s", next.RawQuery)
	}
	after := q.Get("after")
	if o.user(after) != nil || strings.HasPrefix(after, "00u") {
		t.Errorf("cursor %q is a user id, not opaque", after)
	}
	// The default page size is stated in the link even when the request
	// left it out.
	if _, next := firstPage(t, srv, tok, "/api/v1/users"); next == nil || next.Query().Get("limit") != "200" {
		t.Errorf("next link of a request without limit: %v", next)
	}
	// Following the links reads every ACTIVE user once.
	seen := map[string]bool{}
	for _, u := range listAll(t, srv, tok, path) {
		id, _ := u["id"].(string)
		if seen[id] || u["status"] != "ACTIVE" {
			t.Fatalf("user %s (%v) twice or not ACTIVE", id, u["status"])
		}
		seen[id] = true
	}
	want := 0
	for _, u := range o.users {
		if u.status == "ACTIVE" {
			want++
		}
	}
	if len(seen) != want {
		t.Errorf("%d ACTIVE users listed, want %d", len(seen), want)
	}
	// A cursor the sim did not issue is refused.
	for _, bad := range []string{o.users[3].id, "%%%", strconv.Quote("x")} {
		if resp, body := get(t, srv, tok, "/api/v1/users?after="+url.QueryEscape(bad)); resp.StatusCode != 400 {
			t.Errorf("after=%q: %d %s", bad, resp.StatusCode, body)
		}
	}
}
