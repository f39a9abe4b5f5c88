package gen

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const tinySpec = `openapi: 3.0.3
info: {title: tiny, version: "1"}
security:
  - oauth2: [okta.default.read]
paths:
  /api/v1/things:
    get:
      operationId: listThings
      security:
        - apiToken: []
        - oauth2: [okta.things.read]
      responses: {"200": {description: ok}}
    post:
      operationId: createThing
      responses: {"200": {description: ok}}
  /api/v1/open:
    get:
      operationId: openThing
      security: []
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    apiToken: {type: apiKey, in: header, name: Authorization}
    oauth2:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: /oauth2/v1/token
          scopes: {okta.things.read: r, okta.default.read: d}
`

func TestOperationsFromSecuritySections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(path, []byte(tinySpec), 0o600); err != nil {
		t.Fatal(err)
	}
	ops, err := Operations(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Operation{
		{Method: "GET", Path: "/api/v1/open", ID: "openThing"},                                             // explicitly open
		{Method: "GET", Path: "/api/v1/things", ID: "listThings", Scopes: []string{"okta.things.read"}},    // its own
		{Method: "POST", Path: "/api/v1/things", ID: "createThing", Scopes: []string{"okta.default.read"}}, // the document's
	}
	if len(ops) != len(want) {
		t.Fatalf("ops = %+v", ops)
	}
	for i := range want {
		if ops[i].Method != want[i].Method || ops[i].Path != want[i].Path || ops[i].ID != want[i].ID || !slices.Equal(ops[i].Scopes, want[i].Scopes) {
			t.Errorf("op %d = %+v, want %+v", i, ops[i], want[i])
		}
	}
	src, err := Source("x", "v1.2.3", ops)
	if err != nil || !strings.Contains(string(src), `Scopes: []string{"okta.things.read"}`) || !strings.Contains(string(src), "DO NOT EDIT") {
		t.Fatalf("source: %v\n%s", err, src)
	}
	if _, err := Operations(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("missing spec accepted")
	}
}

func TestVersion(t *testing.T) {
	tests := map[string]string{
		"/mod/github.com/okta/okta-sdk-golang/v5@v5.0.2/okta/api/openapi.yaml": "v5.0.2",
		"openapi.yaml": "unknown",
	}
	for in, want := range tests {
		if got := Version(in); got != want {
			t.Errorf("Version(%q) = %q, want %q", in, got, want)
		}
	}
}
