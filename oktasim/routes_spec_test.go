package oktasim

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// outsideManagementSpec are the sim's routes that belong to an Okta API
// other than the management API whose spec the SDK ships, with the source
// that grounds them.
var outsideManagementSpec = map[string]string{
	// The org authorization server's token endpoint, in Okta's OpenID
	// Connect & OAuth 2.0 API (its own spec, okta-oauth):
	// https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/tag/OrgAS/
	"POST /oauth2/v1/token": "Okta OAuth 2.0 API, org authorization server /token",
}

// specTemplate is a path template with its parameter names blanked, so
// that /api/v1/users/{id} and the spec's /api/v1/users/{userId} compare
// equal while a literal segment (/api-tokens/current) matches only itself.
func specTemplate(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "{}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

// TestRoutesAreInTheSpec lists every route of the sim and fails on one
// whose path template and method Okta's management spec does not have: the
// sim may serve only what Okta serves (TestRouteScopesMatchSpec holds the
// routes' scopes to the spec). The control plane must stay under /__sim/.
func TestRoutesAreInTheSpec(t *testing.T) {
	spec := loadFidelitySpec(t)
	ops := map[string]bool{} // "METHOD template"
	for path, item := range spec.doc.Paths.Map() {
		for method := range item.Operations() {
			ops[method+" "+specTemplate(path)] = true
		}
	}
	for _, r := range routes {
		key := r.method + " " + r.pattern
		t.Logf("route %s", key)
		if _, ok := outsideManagementSpec[key]; ok {
			continue
		}
		if !ops[r.method+" "+specTemplate(r.pattern)] {
			t.Errorf("%s is not an operation of Okta's management spec", key)
		}
	}
	for _, r := range controlRoutes {
		if !strings.HasPrefix(r.path, "/__sim/") {
			t.Errorf("control route %s %s is outside /__sim/", r.method, r.path)
		}
	}
}

// TestMethodOnLiteralPathIs405: a path the spec has under other methods
// answers 405 E0000022, as Okta does for GET /api/v1/api-tokens/current,
// instead of falling through to a later {id} route.
func TestMethodOnLiteralPathIs405(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 1})
	token := srv.Token("readonly")
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/api-tokens/current", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "SSWS "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(string(body), `"E0000022"`) {
		t.Fatalf("GET /api/v1/api-tokens/current: %s %s", resp.Status, body)
	}
	c := newFidelityClient(t, srv.URL, "SSWS "+token)
	// Revoking the current token is Okta's one operation on the path: the
	// token stops working at once.
	c.expect(204, "DELETE", "/api/v1/api-tokens/current", nil)
	c.expect(401, "GET", "/api/v1/users?limit=1", nil)
}
