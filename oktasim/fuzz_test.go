package oktasim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// FuzzRequests sends arbitrary paths and query strings to the sim: every
// answer must be JSON (an Okta error body or a resource), never a panic.
func FuzzRequests(f *testing.F) {
	for _, seed := range []struct{ path, query string }{
		{"/api/v1/users", `filter=status eq "ACTIVE" and lastUpdated gt "2026-01-01T00:00:00.000Z"`},
		{"/api/v1/users", `search=(profile.department sw "Eng" or status eq "STAGED") and created lt "2030-01-01T00:00:00Z"`},
		{"/api/v1/users", "limit=0&after=%00"},
		{"/api/v1/groups", `filter=type eq "APP_GROUP"&expand=stats&limit=999999999999`},
		{"/api/v1/groups", `search=((((profile.name co "a"`},
		{"/api/v1/apps", `filter=user.id eq "00u" or group.id eq "x"`},
		{"/api/v1/apps/x/users", "q=%ff%fe&limit=-5"},
		{"/api/v1/users/me/roles", ""},
		{"/api/v1//users", ""},
		{"/api/v1/users/a/b/c/d/e/f/g/h/i", ""},
	} {
		f.Add(seed.path, seed.query)
	}
	s, err := New(Options{Scenario: "S", Seed: 4})
	if err != nil {
		f.Fatal(err)
	}
	tok := s.Token("superadmin")
	f.Fuzz(func(t *testing.T, path, query string) {
		u := &url.URL{Path: "/" + path, RawQuery: query}
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1"+u.RequestURI(), nil)
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "SSWS "+tok)
		req.RemoteAddr = "192.0.2.1:1234" // keep the control plane out of reach
		rec := &recorder{header: http.Header{}}
		s.ServeHTTP(rec, req)
		if !json.Valid(rec.body.Bytes()) {
			t.Fatalf("GET %s: status %d, body is not JSON: %.200q", u.RequestURI(), rec.status, rec.body.String())
		}
		if rec.header.Get("X-Rate-Limit-Reset") == "" || rec.header.Get("Date") == "" {
			t.Fatalf("GET %s: missing headers %v", u.RequestURI(), rec.header)
		}
	})
}
