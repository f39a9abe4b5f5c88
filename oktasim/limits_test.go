package oktasim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// alignToWindowStart moves the sim clock to just after a minute boundary
// so that a test's requests all fall in one rate-limit window.
func alignToWindowStart(s *Sim) {
	now := s.Now()
	s.Advance(time.Minute - time.Duration(now.Unix()%60)*time.Second + time.Second)
}

func TestRateLimitsRealistic(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 1, RateLimits: "realistic"})
	alignToWindowStart(srv.Sim)
	tok := srv.ReadOnlyToken()
	// The org-wide limit, with a token an admin let use all of it.
	if err := srv.Sim.SetCredentialRateLimit("readonly", 100); err != nil {
		t.Fatal(err)
	}
	var last *http.Response
	for i := 0; i < 100; i++ {
		resp, body := get(t, srv, tok, "/api/v1/apps")
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i+1, resp.StatusCode, body)
		}
		if got := resp.Header.Get("X-Rate-Limit-Remaining"); got != strconv.Itoa(99-i) {
			t.Fatalf("request %d: remaining %s, want %d", i+1, got, 99-i)
		}
		last = resp
	}
	if last.Header.Get("X-Rate-Limit-Limit") != "100" {
		t.Fatalf("apps limit %q, want 100", last.Header.Get("X-Rate-Limit-Limit"))
	}
	// Another bucket is unaffected.
	if resp, _ := get(t, srv, tok, "/api/v1/users?limit=1"); resp.StatusCode != 200 || resp.Header.Get("X-Rate-Limit-Limit") != "600" {
		t.Fatalf("users bucket: %d limit %s", resp.StatusCode, resp.Header.Get("X-Rate-Limit-Limit"))
	}
	resp, body := get(t, srv, tok, "/api/v1/apps")
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "E0000047") {
		t.Fatalf("101st apps request: %d %s", resp.StatusCode, body)
	}
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		t.Fatalf("Date header: %v", err)
	}
	reset, err := strconv.ParseInt(resp.Header.Get("X-Rate-Limit-Reset"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if wait := reset - date.Unix(); wait <= 0 || wait > 60 {
		t.Fatalf("reset %d is %ds after Date %s", reset, wait, date)
	}
	if st := srv.Sim.Stats(); st.Throttled != 1 || st.ByEndpoint["GET /api/v1/apps"] != 101 {
		t.Fatalf("stats %+v", st)
	}
	srv.Sim.Advance(time.Duration(reset-date.Unix()) * time.Second)
	if resp, body := get(t, srv, tok, "/api/v1/apps"); resp.StatusCode != 200 {
		t.Fatalf("after the window: %d %s", resp.StatusCode, body)
	}
}

// TestCredentialRateCap: one API token may use at most 50% of a bucket's
// limit by default, whatever the org has left; past it Okta answers 429
// with the credential's ceiling in the headers. Another token still has
// the rest, and an admin may raise a token's share.
func TestCredentialRateCap(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 1, RateLimits: "realistic"})
	alignToWindowStart(srv.Sim)
	ro, super := srv.Token("readonly"), srv.Token("superadmin")
	for i := range 50 {
		if resp, body := get(t, srv, ro, "/api/v1/apps"); resp.StatusCode != 200 || resp.Header.Get("X-Rate-Limit-Limit") != "100" {
			t.Fatalf("request %d: %d limit %s: %s", i+1, resp.StatusCode, resp.Header.Get("X-Rate-Limit-Limit"), body)
		}
	}
	resp, body := get(t, srv, ro, "/api/v1/apps")
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "E0000047") ||
		resp.Header.Get("X-Rate-Limit-Limit") != "50" || resp.Header.Get("X-Rate-Limit-Remaining") != "0" {
		t.Fatalf("51st request of one token: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	date, _ := http.ParseTime(resp.Header.Get("Date"))
	if reset, _ := strconv.ParseInt(resp.Header.Get("X-Rate-Limit-Reset"), 10, 64); reset-date.Unix() <= 0 || reset-date.Unix() > 60 {
		t.Fatalf("reset %d, Date %s", reset, date)
	}
	// Another credential is not held by the first one's cap.
	if resp, body := get(t, srv, super, "/api/v1/apps"); resp.StatusCode != 200 {
		t.Fatalf("another token: %d %s", resp.StatusCode, body)
	}
	// An admin raises the token's share to 80%: it may go on to 80.
	if err := srv.Sim.SetCredentialRateLimit("readonly", 80); err != nil {
		t.Fatal(err)
	}
	n := 0
	for ; n < 40; n++ {
		if resp, _ := get(t, srv, ro, "/api/v1/apps"); resp.StatusCode != 200 {
			break
		}
	}
	if n != 29 { // 51 counted so far (the refused one too); 80 allowed
		t.Errorf("after raising to 80%%: %d more requests, want 29", n)
	}
	if err := srv.Sim.SetCredentialRateLimit("readonly", 3); err == nil {
		t.Error("a 3% share was accepted; Okta's minimum is 5%")
	}
}

func TestRateLimitModes(t *testing.T) {
	for _, tt := range []struct {
		mode  string
		limit string
	}{{"off", "1000000"}, {"dev", "1000"}, {"realistic", "100"}} {
		t.Run(tt.mode, func(t *testing.T) {
			srv := NewServer(t, Options{Scenario: "S", Seed: 1, RateLimits: tt.mode})
			resp, _ := get(t, srv, srv.ReadOnlyToken(), "/api/v1/apps")
			if got := resp.Header.Get("X-Rate-Limit-Limit"); got != tt.limit {
				t.Fatalf("limit %s, want %s", got, tt.limit)
			}
		})
	}
	if _, err := New(Options{RateLimits: "sometimes"}); err == nil {
		t.Fatal("bad rate-limit mode accepted")
	}
	if _, err := New(Options{Scenario: "XXL"}); err == nil {
		t.Fatal("bad scenario accepted")
	}
}

func TestConcurrencyLimit(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 1, RateLimits: "dev"})
	srv.Sim.SetFaults([]FaultRule{{Path: "/api/v1/groups", Probability: 1, LatencyMS: 30000}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < maxConcurrent; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/groups", nil)
			req.Header.Set("Authorization", "SSWS "+srv.ReadOnlyToken())
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	for srv.Sim.limits.inflight.Load() < maxConcurrent {
		runtime.Gosched()
	}
	resp, body := get(t, srv, srv.ReadOnlyToken(), "/api/v1/users?limit=1")
	cancel()
	wg.Wait()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "E0000047") {
		t.Fatalf("76th concurrent request: %d %s", resp.StatusCode, body)
	}
}

func TestTokenAging(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 1})
	ro, super := srv.Token("readonly"), srv.Token("superadmin")
	status := func(tok string) int {
		resp, _ := get(t, srv, tok, "/api/v1/users/me")
		return resp.StatusCode
	}
	srv.Sim.Advance(26 * 24 * time.Hour)
	if got := status(ro); got != 200 {
		t.Fatalf("readonly after 26 idle days: %d", got)
	}
	srv.Sim.Advance(26 * 24 * time.Hour)
	if got := status(ro); got != 200 {
		t.Fatalf("readonly 26 days after its last use: %d", got)
	}
	if got := status(super); got != 401 {
		t.Fatalf("superadmin idle 52 days: %d, want 401", got)
	}

	// The integration tokens: one idle for 25 days, one used daily.
	srv2 := NewServer(t, Options{Scenario: "S", Seed: 1})
	type meta struct {
		Name      string    `json:"name"`
		Created   time.Time `json:"created"`
		ExpiresAt time.Time `json:"expiresAt"`
		Window    string    `json:"tokenWindow"`
	}
	tokens := func() map[string]meta {
		var list []meta
		resp, body := get(t, srv2, srv2.ReadOnlyToken(), "/api/v1/api-tokens")
		if resp.StatusCode != 200 {
			t.Fatalf("api-tokens: %d %s", resp.StatusCode, body)
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatal(err)
		}
		m := map[string]meta{}
		for _, x := range list {
			m[x.Name] = x
		}
		return m
	}
	now := srv2.Sim.Now()
	m := tokens()
	legacy, hr := m["Legacy SCIM connector"], m["HR import (nightly)"]
	if d := legacy.ExpiresAt.Sub(now); d < 4*24*time.Hour || d > 5*24*time.Hour+time.Minute {
		t.Fatalf("legacy token expires in %s, want ~5 days", d)
	}
	if age := now.Sub(hr.Created); age < 90*24*time.Hour || hr.Window != "P30D" {
		t.Fatalf("HR token age %s window %q", age, hr.Window)
	}
	srv2.Sim.Advance(20 * 24 * time.Hour)
	tokens() // keeps the read-only token itself alive
	srv2.Sim.Advance(20 * 24 * time.Hour)
	m = tokens()
	if _, ok := m["Legacy SCIM connector"]; !ok || !m["Legacy SCIM connector"].ExpiresAt.Before(srv2.Sim.Now()) {
		t.Fatalf("legacy token should have expired: %+v", m["Legacy SCIM connector"])
	}
	if d := m["HR import (nightly)"].ExpiresAt.Sub(srv2.Sim.Now()); d < 29*24*time.Hour {
		t.Fatalf("daily-used token expires in %s after 40 days", d)
	}
}

func TestRolesAndMe(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 1})
	for _, tt := range []struct{ token, role string }{
		{"readonly", "READ_ONLY_ADMIN"}, {"superadmin", "SUPER_ADMIN"}, {"reviewer", "SUPER_ADMIN"}, {"noapps", "CUSTOM"},
	} {
		t.Run(tt.token, func(t *testing.T) {
			tok := srv.Token(tt.token)
			var me struct{ ID string }
			_, body := get(t, srv, tok, "/api/v1/users/me")
			if err := json.Unmarshal(body, &me); err != nil || me.ID == "" {
				t.Fatalf("me: %v %s", err, body)
			}
			var roles []struct{ Type string }
			_, body = get(t, srv, tok, "/api/v1/users/"+me.ID+"/roles")
			if err := json.Unmarshal(body, &roles); err != nil || len(roles) != 1 || roles[0].Type != tt.role {
				t.Fatalf("roles %s (%v), want %s", body, err, tt.role)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 9})
	tok := srv.ReadOnlyToken()
	post := func(body string) int {
		resp, err := http.Post(srv.URL+"/__sim/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(`{"rules":[{"method":"GET","path":"/api/v1/apps*","probability":1.0,"status":503}]}`); code != 200 {
		t.Fatalf("set faults: %d", code)
	}
	if resp, body := get(t, srv, tok, "/api/v1/apps/x/users"); resp.StatusCode != 503 || !strings.Contains(string(body), "errorCode") {
		t.Fatalf("503 fault: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, srv, tok, "/api/v1/groups"); resp.StatusCode != 200 {
		t.Fatalf("unmatched path: %d", resp.StatusCode)
	}

	post(`{"rules":[{"path":"/api/v1/users","probability":1,"truncate":true}]}`)
	resp, body := get(t, srv, tok, "/api/v1/users")
	if resp.StatusCode != 200 || json.Valid(body) || len(body) == 0 {
		t.Fatalf("truncate: %d valid=%v", resp.StatusCode, json.Valid(body))
	}

	post(`{"rules":[{"path":"/api/v1/groups*","probability":1,"reset":true}]}`)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/groups", nil)
	req.Header.Set("Authorization", "SSWS "+tok)
	if resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("reset fault answered %d", resp.StatusCode)
	}

	for _, bad := range []string{`{"rules":[{"path":"*","probability":2}]}`, `{"rules":[{"path":"*","status":200,"probability":1}]}`, `{"rulez":[]}`, `nope`} {
		if code := post(bad); code != 400 {
			t.Errorf("bad rules %s: %d", bad, code)
		}
	}

	// Probabilistic faults repeat exactly for the same seed and sequence.
	pattern := func() string {
		s2 := NewServer(t, Options{Scenario: "S", Seed: 9})
		s2.Sim.SetFaults([]FaultRule{{Path: "/api/v1/users*", Probability: 0.5, Status: 500}})
		var b bytes.Buffer
		for i := 0; i < 40; i++ {
			resp, _ := get(t, s2, s2.ReadOnlyToken(), "/api/v1/users?limit=1")
			b.WriteString(strconv.Itoa(resp.StatusCode / 100))
		}
		return b.String()
	}
	a, b := pattern(), pattern()
	if a != b || !strings.Contains(a, "5") || !strings.Contains(a, "2") {
		t.Fatalf("fault patterns %s vs %s", a, b)
	}

	post(`{"rules":[]}`)
	if resp, _ := get(t, srv, tok, "/api/v1/apps"); resp.StatusCode != 200 {
		t.Fatalf("after clearing: %d", resp.StatusCode)
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tt := range []struct {
		pat, path string
		want      bool
	}{
		{"/api/v1/apps*", "/api/v1/apps", true},
		{"/api/v1/apps*", "/api/v1/apps/0oa1/users", true},
		{"*/users", "/api/v1/groups/00g1/users", true},
		{"*/users", "/api/v1/groups/00g1/users/00u1", false},
		{"/api/*/groups/*/users", "/api/v1/groups/00g1/users", true},
		{"/api/v1/users", "/api/v1/users/x", false},
		{"*", "/anything", true},
	} {
		if got := globMatch(tt.pat, tt.path); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v", tt.pat, tt.path, got)
		}
	}
}

func TestControlPlane(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 2})
	do := func(method, path string) (int, []byte) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.Bytes()
	}
	var tokens []TokenInfo
	code, body := do("GET", "/__sim/tokens")
	if err := json.Unmarshal(body, &tokens); code != 200 || err != nil || len(tokens) != 4 {
		t.Fatalf("tokens: %d %v %d", code, err, len(tokens))
	}
	var truth Truth
	_, body = do("GET", "/__sim/truth")
	if err := json.Unmarshal(body, &truth); err != nil || truth.Digest != srv.Sim.Truth().Digest {
		t.Fatalf("truth %s", body)
	}
	for _, k := range []string{"users", "groups", "apps", "memberships", "app_users", "app_groups"} {
		if truth.Counts[k] == 0 {
			t.Errorf("truth count %s is 0", k)
		}
	}
	get(t, srv, srv.ReadOnlyToken(), "/api/v1/users")
	get(t, srv, srv.ReadOnlyToken(), "/api/v1/users")
	var st Stats
	_, body = do("GET", "/__sim/stats")
	if err := json.Unmarshal(body, &st); err != nil || st.Requests != 2 || st.ByEndpoint["GET /api/v1/users"] != 2 {
		t.Fatalf("stats %s", body)
	}
	if code, body := do("POST", "/__sim/clock?advance=26d"); code != 200 || !strings.Contains(string(body), "624h") {
		t.Fatalf("clock: %d %s", code, body)
	}
	if code, _ := do("POST", "/__sim/clock?advance=soon"); code != 400 {
		t.Fatalf("bad advance: %d", code)
	}
	if code, _ := do("POST", "/__sim/reset"); code != 200 {
		t.Fatalf("reset: %d", code)
	}
	if off := srv.Sim.clockOffset.Load(); off != 0 || srv.Sim.Stats().Requests != 0 {
		t.Fatalf("after reset: offset %d stats %+v", off, srv.Sim.Stats())
	}
	if code, _ := do("PUT", "/__sim/truth"); code != 405 {
		t.Fatalf("PUT truth: %d", code)
	}
	if code, _ := do("GET", "/__sim/nope"); code != 404 {
		t.Fatalf("unknown control path: %d", code)
	}

	// Only loopback clients reach the control plane.
	req, _ := http.NewRequest("GET", "/__sim/tokens", nil)
	req.RemoteAddr = "203.0.113.9:4444"
	rec := &recorder{header: http.Header{}}
	srv.Sim.ServeHTTP(rec, req)
	if rec.status != 404 || strings.Contains(rec.body.String(), srv.ReadOnlyToken()) {
		t.Fatalf("non-loopback control call: %d %s", rec.status, rec.body.String())
	}
}

// recorder is a minimal ResponseWriter for calling ServeHTTP directly.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.status = code }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
