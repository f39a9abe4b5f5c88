package oktasim

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestDeterministicRSAKey(t *testing.T) {
	a, err := deterministicRSAKey(42, "readonly")
	if err != nil {
		t.Fatal(err)
	}
	clientKeyCache.Delete("42/readonly")
	b, err := deterministicRSAKey(42, "readonly")
	if err != nil {
		t.Fatal(err)
	}
	if a.N.Cmp(b.N) != 0 || a.D.Cmp(b.D) != 0 {
		t.Fatal("same seed and name gave different keys")
	}
	if a.N.BitLen() != 2048 {
		t.Fatalf("key has %d bits, want 2048", a.N.BitLen())
	}
	c, err := deterministicRSAKey(42, "manager")
	if err != nil {
		t.Fatal(err)
	}
	if a.N.Cmp(c.N) == 0 {
		t.Fatal("different clients share a key")
	}
}

// clientByName returns a seeded service app.
func clientByName(t testing.TB, s *Sim, name string) ServiceClient {
	t.Helper()
	clients, err := s.Clients()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no service app %q", name)
	return ServiceClient{}
}

func parsePEMKey(t testing.TB, s string) *rsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		t.Fatal("private_key_pem is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

// assertion signs a client assertion; mutate may change claims first.
func assertion(t testing.TB, key *rsa.PrivateKey, clientID, aud string, mutate func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	claims := jwt.MapClaims{"iss": clientID, "sub": clientID, "aud": aud, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	if mutate != nil {
		mutate(claims)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// requestToken posts a client_credentials request as a form body.
func requestToken(t testing.TB, base string, form url.Values) (int, map[string]any, http.Header) {
	t.Helper()
	resp, err := http.Post(base+"/oauth2/v1/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatalf("token response %d is not JSON: %s", resp.StatusCode, data)
	}
	return resp.StatusCode, body, resp.Header
}

func TestTokenEndpoint(t *testing.T) {
	srv := NewServer(t, Options{Seed: 3})
	ro := clientByName(t, srv.Sim, "readonly")
	mgr := clientByName(t, srv.Sim, "manager")
	roKey, mgrKey := parsePEMKey(t, ro.PrivateKeyPEM), parsePEMKey(t, mgr.PrivateKeyPEM)
	aud := srv.URL + "/oauth2/v1/token"
	form := func(a, scope string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "scope": {scope}, "client_assertion_type": {jwtBearerAssertion}, "client_assertion": {a}}
	}
	replayed := assertion(t, roKey, ro.ClientID, aud, func(c jwt.MapClaims) { c["jti"] = "once" })
	claims := jwt.MapClaims{"iss": ro.ClientID, "sub": ro.ClientID, "aud": aud, "exp": time.Now().Add(time.Minute).Unix()}
	pubDER, err := x509.MarshalPKIXPublicKey(&roKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	// Algorithm confusion: HMAC keyed with the public key, and "none".
	hsSigned, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(pubDER)
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		form      url.Values
		status    int
		error     string
		wantScope string
	}{
		{"granted scopes", form(assertion(t, roKey, ro.ClientID, aud, nil), "okta.users.read okta.groups.read"), 200, "", "okta.groups.read okta.users.read"},
		{"jti first use", form(replayed, "okta.users.read"), 200, "", "okta.users.read"},
		{"jti replay", form(replayed, "okta.users.read"), 401, "invalid_client", ""},
		{"scope not granted", form(assertion(t, roKey, ro.ClientID, aud, nil), "okta.users.read okta.groups.manage"), 400, "invalid_scope", ""},
		{"manager may manage groups", form(assertion(t, mgrKey, mgr.ClientID, aud, nil), "okta.groups.manage"), 200, "", "okta.groups.manage"},
		{"no scope", form(assertion(t, roKey, ro.ClientID, aud, nil), ""), 400, "invalid_scope", ""},
		{"signed with another client's key", form(assertion(t, mgrKey, ro.ClientID, aud, nil), "okta.users.read"), 401, "invalid_client", ""},
		{"unknown client", form(assertion(t, roKey, "0oaunknown", aud, nil), "okta.users.read"), 401, "invalid_client", ""},
		{"wrong audience", form(assertion(t, roKey, ro.ClientID, "https://evil.example/oauth2/v1/token", nil), "okta.users.read"), 401, "invalid_client", ""},
		{"expired", form(assertion(t, roKey, ro.ClientID, aud, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), "okta.users.read"), 401, "invalid_client", ""},
		{"no exp", form(assertion(t, roKey, ro.ClientID, aud, func(c jwt.MapClaims) { delete(c, "exp") }), "okta.users.read"), 401, "invalid_client", ""},
		{"sub differs from iss", form(assertion(t, roKey, ro.ClientID, aud, func(c jwt.MapClaims) { c["sub"] = "someone" }), "okta.users.read"), 401, "invalid_client", ""},
		{"garbage assertion", form("not.a.jwt", "okta.users.read"), 401, "invalid_client", ""},
		{"HS256 keyed with the public key", form(hsSigned, "okta.users.read"), 401, "invalid_client", ""},
		{"alg none", form(unsigned, "okta.users.read"), 401, "invalid_client", ""},
		{"no assertion", url.Values{"grant_type": {"client_credentials"}, "scope": {"okta.users.read"}}, 401, "invalid_client", ""},
		{"wrong grant", url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type", ""},
		{"no grant", url.Values{}, 400, "invalid_request", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, h := requestToken(t, srv.URL, tt.form)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, body)
			}
			if h.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", h.Get("Cache-Control"))
			}
			if tt.error != "" {
				if body["error"] != tt.error || body["error_description"] == "" {
					t.Fatalf("body %v, want error %s with a description", body, tt.error)
				}
				return
			}
			if body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) || body["access_token"] == "" || body["scope"] != tt.wantScope {
				t.Fatalf("token body %v, want Bearer/3600/scope %q", body, tt.wantScope)
			}
		})
	}
}

// bearer obtains an access token for a seeded service app.
func bearer(t testing.TB, srv *Server, client string, scopes ...string) string {
	t.Helper()
	sc := clientByName(t, srv.Sim, client)
	a := assertion(t, parsePEMKey(t, sc.PrivateKeyPEM), sc.ClientID, srv.URL+"/oauth2/v1/token", nil)
	status, body, _ := requestToken(t, srv.URL, url.Values{"grant_type": {"client_credentials"}, "scope": {strings.Join(scopes, " ")}, "client_assertion_type": {jwtBearerAssertion}, "client_assertion": {a}})
	if status != 200 {
		t.Fatalf("token for %s: %d %v", client, status, body)
	}
	return "Bearer " + body["access_token"].(string)
}

func TestBearerScopes(t *testing.T) {
	srv := NewServer(t, Options{Seed: 3})
	users := bearer(t, srv, "usersonly", "okta.users.read")
	ro := bearer(t, srv, "readonly", "okta.users.read", "okta.groups.read", "okta.apps.read", "okta.logs.read")
	mgr := bearer(t, srv, "manager", "okta.groups.manage")
	// Scopes but no admin role: Okta refuses every call with a plain 403
	// E0000006, no insufficient_scope challenge (the scope is there).
	norole := bearer(t, srv, "norole", "okta.users.read", "okta.groups.read")
	tests := []struct {
		auth, method, path string
		status             int
		roleMissing        bool // a 403 for the missing admin role, not a scope
	}{
		{norole, "GET", "/api/v1/users?limit=1", 403, true},
		{norole, "GET", "/api/v1/groups?limit=1", 403, true},
		{norole, "GET", "/api/v1/apps", 403, false},
		{users, "GET", "/api/v1/users?limit=1", 200, false},
		{users, "GET", "/api/v1/groups", 403, false},
		{users, "GET", "/api/v1/apps", 403, false},
		{users, "GET", "/api/v1/logs", 403, false},
		{ro, "GET", "/api/v1/groups?limit=1", 200, false},
		{ro, "GET", "/api/v1/logs", 200, false},
		{ro, "POST", "/api/v1/groups", 403, false},
		{mgr, "GET", "/api/v1/groups?limit=1", 200, false}, // manage implies read
		{mgr, "GET", "/api/v1/users", 403, false},
		{"Bearer not-a-token", "GET", "/api/v1/users", 401, false},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(`{"profile":{"name":"x"}}`))
		req.Header.Set("Authorization", tt.auth)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s with %.12s…: %d, want %d: %s", tt.method, tt.path, tt.auth, resp.StatusCode, tt.status, data)
		}
		if tt.status == 403 && !strings.Contains(string(data), "E0000006") {
			t.Errorf("%s %s: 403 without E0000006: %s", tt.method, tt.path, data)
		}
		challenge := resp.Header.Get("WWW-Authenticate")
		switch tt.status {
		case 401:
			if !strings.HasPrefix(challenge, "Bearer ") || !strings.Contains(challenge, `error="invalid_token"`) {
				t.Errorf("%s %s: 401 challenge %q", tt.method, tt.path, challenge)
			}
		case 403:
			if tt.roleMissing {
				if challenge != "" {
					t.Errorf("%s %s: 403 for a missing role with challenge %q", tt.method, tt.path, challenge)
				}
				continue
			}
			want := `error="insufficient_scope"`
			if !strings.HasPrefix(challenge, "Bearer ") || !strings.Contains(challenge, want) || !strings.Contains(challenge, `scope="okta.`) {
				t.Errorf("%s %s: 403 challenge %q, want one naming the scope and %s", tt.method, tt.path, challenge, want)
			}
		}
	}

	// Access tokens live one hour on the sim clock.
	srv.Sim.Advance(61 * time.Minute)
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/users?limit=1", nil)
	req.Header.Set("Authorization", users)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("expired access token: %d, want 401", resp.StatusCode)
	}
}

func TestClientsControlPlane(t *testing.T) {
	srv := NewServer(t, Options{Seed: 3})
	resp, err := http.Get(srv.URL + "/__sim/clients")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var clients []ServiceClient
	if err := json.NewDecoder(resp.Body).Decode(&clients); err != nil {
		t.Fatal(err)
	}
	if len(clients) != 4 {
		t.Fatalf("%d clients, want 4", len(clients))
	}
	for _, c := range clients {
		if (c.Name == "norole") != (len(c.Roles) == 0) {
			t.Errorf("client %s has roles %v", c.Name, c.Roles)
		}
	}
	other, err := New(Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	again, err := other.Clients()
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range clients {
		if !strings.HasPrefix(c.ClientID, "0oa") || len(c.ClientID) != 20 || len(c.Scopes) == 0 {
			t.Errorf("client %+v does not look like an Okta service app", c)
		}
		if c.ClientID != again[i].ClientID || c.PrivateKeyPEM != again[i].PrivateKeyPEM {
			t.Errorf("client %s differs between sims of the same seed", c.Name)
		}
		parsePEMKey(t, c.PrivateKeyPEM)
	}
}
