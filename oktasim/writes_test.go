package oktasim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	gosync "sync"
	"testing"
)

// send makes one API request and returns status and body.
func send(t testing.TB, method, url, auth, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// groupsOfType returns the ids of the org's groups of a type.
func groupsOfType(s *Sim, typ string) []*group {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*group
	for _, g := range s.org.groups {
		if g.typ == typ {
			out = append(out, g)
		}
	}
	return out
}

func TestGroupWrites(t *testing.T) {
	srv := NewServer(t, Options{Seed: 21})
	s := srv.Sim
	super, ro, noapps := "SSWS "+srv.SuperAdminToken(), "SSWS "+srv.ReadOnlyToken(), "SSWS "+srv.Token("noapps")
	mgr := bearer(t, srv, "manager", "okta.groups.manage")
	roBearer := bearer(t, srv, "readonly", "okta.groups.read")
	okta := groupsOfType(s, "OKTA_GROUP")[0]
	appGroup := groupsOfType(s, "APP_GROUP")[0]
	everyone := groupsOfType(s, "BUILT_IN")[0]
	s.mu.RLock()
	var outsider *user
	for _, u := range s.org.users {
		if !isMember(okta, u) {
			outsider = u
			break
		}
	}
	s.mu.RUnlock()
	member := srv.URL + "/api/v1/groups/" + okta.id + "/users/" + outsider.id
	beforeMembership := okta.lastMembershipUpdated

	tests := []struct {
		name, method, url, auth, body string
		status                        int
		code                          string // Okta errorCode for errors
	}{
		{"create as super admin", "POST", srv.URL + "/api/v1/groups", super, `{"profile":{"name":"Signature pilots","description":"Q4 rollout"}}`, 200, ""},
		{"create with OAuth manage scope", "POST", srv.URL + "/api/v1/groups", mgr, `{"profile":{"name":"OAuth made"}}`, 200, ""},
		{"duplicate name", "POST", srv.URL + "/api/v1/groups", super, `{"profile":{"name":"Signature pilots"}}`, 400, "E0000001"},
		{"no name", "POST", srv.URL + "/api/v1/groups", super, `{"profile":{"description":"x"}}`, 400, "E0000001"},
		{"malformed body", "POST", srv.URL + "/api/v1/groups", super, `{"profile":`, 400, "E0000003"},
		{"name too long", "POST", srv.URL + "/api/v1/groups", super, `{"profile":{"name":"` + strings.Repeat("x", 256) + `"}}`, 400, "E0000001"},
		{"read-only admin may not create", "POST", srv.URL + "/api/v1/groups", ro, `{"profile":{"name":"nope"}}`, 403, "E0000006"},
		{"custom role may not create", "POST", srv.URL + "/api/v1/groups", noapps, `{"profile":{"name":"nope"}}`, 403, "E0000006"},
		{"read scope may not create", "POST", srv.URL + "/api/v1/groups", roBearer, `{"profile":{"name":"nope"}}`, 403, "E0000006"},
		{"no credential", "POST", srv.URL + "/api/v1/groups", "", `{"profile":{"name":"nope"}}`, 401, "E0000011"},
		{"rename", "PUT", srv.URL + "/api/v1/groups/" + okta.id, super, `{"profile":{"name":"Renamed group","description":"d"}}`, 200, ""},
		{"rename app group", "PUT", srv.URL + "/api/v1/groups/" + appGroup.id, super, `{"profile":{"name":"x"}}`, 403, "E0000006"},
		{"rename Everyone", "PUT", srv.URL + "/api/v1/groups/" + everyone.id, super, `{"profile":{"name":"x"}}`, 403, "E0000006"},
		{"rename missing group", "PUT", srv.URL + "/api/v1/groups/00gmissing0000000000", super, `{"profile":{"name":"x"}}`, 404, "E0000007"},
		{"add member", "PUT", member, super, "", 204, ""},
		{"add member again", "PUT", member, mgr, "", 204, ""},
		{"add member read-only", "PUT", member, ro, "", 403, "E0000006"},
		{"add to app group", "PUT", srv.URL + "/api/v1/groups/" + appGroup.id + "/users/" + outsider.id, super, "", 403, "E0000006"},
		{"add to Everyone", "PUT", srv.URL + "/api/v1/groups/" + everyone.id + "/users/" + outsider.id, super, "", 403, "E0000006"},
		{"add missing user", "PUT", srv.URL + "/api/v1/groups/" + okta.id + "/users/00umissing0000000000", super, "", 404, "E0000007"},
		{"remove member", "DELETE", member, super, "", 204, ""},
		{"remove member again", "DELETE", member, super, "", 204, ""},
		{"remove from Everyone", "DELETE", srv.URL + "/api/v1/groups/" + everyone.id + "/users/" + outsider.id, super, "", 403, "E0000006"},
	}
	for _, tt := range tests {
		status, body := send(t, tt.method, tt.url, tt.auth, tt.body)
		if status != tt.status {
			t.Fatalf("%s: status %d, want %d: %s", tt.name, status, tt.status, body)
		}
		if tt.code != "" && !strings.Contains(string(body), `"errorCode":"`+tt.code+`"`) {
			t.Fatalf("%s: body %s, want errorCode %s", tt.name, body, tt.code)
		}
		if tt.status == 204 && len(body) != 0 {
			t.Fatalf("%s: 204 with a body", tt.name)
		}
	}

	// The created group is a real OKTA_GROUP, listed and gettable (by
	// search once its index has caught up).
	s.Advance(DefaultSearchLag)
	status, body := send(t, "GET", srv.URL+"/api/v1/groups?search="+`profile.name+eq+"Signature+pilots"`, super, "")
	var found []struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Profile struct {
			Name, Description string
		} `json:"profile"`
	}
	if status != 200 || json.Unmarshal(body, &found) != nil || len(found) != 1 || found[0].Type != "OKTA_GROUP" || found[0].Profile.Description != "Q4 rollout" {
		t.Fatalf("created group not listed: %d %s", status, body)
	}
	if okta.name != "Renamed group" {
		t.Errorf("rename not applied: %q", okta.name)
	}
	if okta.lastMembershipUpdated <= beforeMembership {
		t.Error("membership writes did not bump lastMembershipUpdated")
	}
	checkModel(t, s)

	// Each effective write is in the System Log, by who made it; the
	// idempotent repeats and refusals are not.
	var got []string
	for _, ev := range s.ext.logs.all() {
		got = append(got, ev.EventType+" "+ev.Actor.Type)
		if !strings.HasPrefix(ev.DebugContext.DebugData["requestUri"], "/api/v1/groups") {
			t.Errorf("%s: debugContext %v lacks the request URI", ev.EventType, ev.DebugContext.DebugData)
		}
	}
	want := []string{
		"group.lifecycle.create User",
		"group.lifecycle.create PublicClientApp",
		"group.profile.update User",
		"group.user_membership.add User",
		"group.user_membership.remove User",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	stats := s.Stats()
	if stats.ByEndpoint["PUT /api/v1/groups/{id}/users/{uid}"] != 6 || stats.ByEndpoint["POST /api/v1/groups"] != 10 {
		t.Errorf("writes not counted in stats: %v", stats.ByEndpoint)
	}
}

// TestConcurrentWritesChurnAndReads mixes API writes, churn, token
// requests, log polls and reads; run with -race it guards the locking
// between the write paths and the readers.
func TestConcurrentWritesChurnAndReads(t *testing.T) {
	srv := NewServer(t, Options{Seed: 31})
	s := srv.Sim
	super := "SSWS " + srv.SuperAdminToken()
	groups := groupsOfType(s, "OKTA_GROUP")
	s.mu.RLock()
	users := append([]*user(nil), s.org.users[10:40]...)
	s.mu.RUnlock()
	mgr := bearer(t, srv, "manager", "okta.groups.manage")

	var wg gosync.WaitGroup
	errs := make(chan string, 64)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				g, u := groups[(w*7+i)%len(groups)], users[(w*5+i)%len(users)]
				method := "PUT"
				if i%3 == 2 {
					method = "DELETE"
				}
				auth := super
				if w%2 == 1 {
					auth = mgr
				}
				// Churn may delete the group or the user meanwhile: 404.
				if st, body := send(t, method, srv.URL+"/api/v1/groups/"+g.id+"/users/"+u.id, auth, ""); st != 204 && st != 404 {
					errs <- fmt.Sprintf("%s membership: %d %s", method, st, body)
				}
				if st, _ := send(t, "GET", srv.URL+"/api/v1/groups/"+g.id+"/users", super, ""); st != 200 && st != 404 {
					errs <- fmt.Sprintf("list members: %d", st)
				}
			}
		}(w)
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			if _, err := s.Churn(5); err != nil {
				errs <- err.Error()
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			if st, _ := send(t, "GET", srv.URL+"/api/v1/logs?limit=50", super, ""); st != 200 {
				errs <- fmt.Sprintf("logs: %d", st)
			}
			send(t, "GET", srv.URL+"/api/v1/users?limit=50", super, "")
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 5; i++ {
			bearer(t, srv, "readonly", "okta.users.read")
			if st, body := send(t, "POST", srv.URL+"/api/v1/groups", super, fmt.Sprintf(`{"profile":{"name":"concurrent %d"}}`, i)); st != 200 {
				errs <- fmt.Sprintf("create group: %d %s", st, body)
			}
		}
	}()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	checkModel(t, s)
	// Publication times never go backwards, whoever wrote the events.
	events := s.ext.logs.all()
	for i := 1; i < len(events); i++ {
		if events[i].published < events[i-1].published {
			t.Fatalf("event %d published before event %d", i, i-1)
		}
	}
}

// FuzzGroupWriteBodies posts arbitrary bodies to the group write
// operations: every answer must be Okta JSON (a group or an error), never
// a panic or a group without a name.
func FuzzGroupWriteBodies(f *testing.F) {
	for _, seed := range []string{
		`{"profile":{"name":"x","description":"y"}}`, `{"profile":{"name":""}}`, `{"profile":null}`,
		`{"profile":{"name":7}}`, `[]`, `{`, `{"profile":{"name":"a"}} trailing`, "\xff\xfe",
	} {
		f.Add(seed, true)
	}
	s, err := New(Options{Seed: 4})
	if err != nil {
		f.Fatal(err)
	}
	tok := "SSWS " + s.Token("superadmin")
	gid := groupsOfType(s, "OKTA_GROUP")[1].id
	f.Fuzz(func(t *testing.T, body string, create bool) {
		method, path := http.MethodPut, "/api/v1/groups/"+gid
		if create {
			method, path = http.MethodPost, "/api/v1/groups"
		}
		req := httptest.NewRequest(method, "http://127.0.0.1"+path, strings.NewReader(body))
		req.Header.Set("Authorization", tok)
		req.RemoteAddr = "192.0.2.1:1234"
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var out struct {
			ID        string `json:"id"`
			ErrorCode string `json:"errorCode"`
			Profile   struct {
				Name string `json:"name"`
			} `json:"profile"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %q: body is not JSON: %q", method, body, rec.Body.String())
		}
		switch rec.Code {
		case 200:
			if out.ID == "" || strings.TrimSpace(out.Profile.Name) == "" {
				t.Fatalf("%s %q: 200 with %s", method, body, rec.Body.String())
			}
		case 400:
			if out.ErrorCode == "" {
				t.Fatalf("%s %q: 400 without errorCode", method, body)
			}
		default:
			t.Fatalf("%s %q: status %d", method, body, rec.Code)
		}
	})
}

// TestGroupProfileReplacedWhole checks Okta's PUT semantics on a group
// with custom profile attributes: the body is the whole new profile, so an
// attribute left out is removed; attributes outside the group schema, or
// of the wrong type, are refused.
func TestGroupProfileReplacedWhole(t *testing.T) {
	srv := NewServer(t, Options{Seed: 21})
	super := "SSWS " + srv.SuperAdminToken()
	var g *group
	for _, cand := range groupsOfType(srv.Sim, "OKTA_GROUP") {
		if cand.custom != nil && len(cand.custom.attrs) >= 2 {
			g = cand
			break
		}
	}
	if g == nil {
		t.Fatal("no generated OKTA_GROUP with custom attributes")
	}
	url := srv.URL + "/api/v1/groups/" + g.id
	profile := func() map[string]any {
		t.Helper()
		code, body := send(t, "GET", url, super, "")
		var got struct{ Profile map[string]any }
		if code != 200 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("GET: %d %s", code, body)
		}
		return got.Profile
	}
	if p := profile(); p["costCenter"] == nil || p["managedBy"] == nil {
		t.Fatalf("generated profile lacks its custom attributes: %v", p)
	}
	tests := []struct {
		body     string
		code     int
		errCode  string
		wantKeys []string
	}{
		{`{"profile":{"name":"Kept","description":"d","costCenter":"CC-9","managedBy":"x@example.com","requestable":false}}`, 200, "", []string{"costCenter", "description", "managedBy", "name", "requestable"}},
		{`{"profile":{"name":"Renamed only"}}`, 200, "", []string{"name"}},
		{`{"profile":{"name":"Bad","shoeSize":"44"}}`, 400, "E0000001", nil},
		{`{"profile":{"name":"Bad","requestable":"yes"}}`, 400, "E0000001", nil},
		{`{"profile":{"name":"Nulls","costCenter":null}}`, 200, "", []string{"name"}},
	}
	for _, tt := range tests {
		code, body := send(t, "PUT", url, super, tt.body)
		if code != tt.code || (tt.errCode != "" && !strings.Contains(string(body), tt.errCode)) {
			t.Fatalf("PUT %s: %d %s, want %d %s", tt.body, code, body, tt.code, tt.errCode)
		}
		if tt.code != 200 {
			continue
		}
		var keys []string
		for k := range profile() {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, tt.wantKeys) {
			t.Errorf("PUT %s: profile keys %v, want %v", tt.body, keys, tt.wantKeys)
		}
	}
}

// TestGeneratedGroupsCarryCustomAttributes: some OKTA_GROUPs of each
// scenario have custom profile attributes, the same ones for a seed.
func TestGeneratedGroupsCarryCustomAttributes(t *testing.T) {
	for _, sc := range []string{"S", "M"} {
		count := func() (n int, first string) {
			s, err := New(Options{Scenario: sc, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range groupsOfType(s, "OKTA_GROUP") {
				if g.custom != nil {
					if n == 0 {
						first = g.id + string(g.custom.attrs[0].value)
					}
					n++
				}
			}
			return n, first
		}
		n, first := count()
		if n == 0 {
			t.Fatalf("%s: no OKTA_GROUP has custom attributes", sc)
		}
		if n2, first2 := count(); n2 != n || first2 != first {
			t.Fatalf("%s: not deterministic: %d %s, then %d %s", sc, n, first, n2, first2)
		}
	}
}
