package oktaspec

import (
	"bytes"
	"os"
	"testing"

	"github.com/dirdeck/dirdeck/internal/oktaspec/internal/gen"
)

// TestTableMatchesSpec regenerates the scope table from the SDK's spec in
// memory: a stale scopes_gen.go (SDK upgraded, table not regenerated, or
// edited by hand) fails here.
func TestTableMatchesSpec(t *testing.T) {
	spec, err := gen.SpecPath(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want, err := gen.Generate("oktaspec", spec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("scopes_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("scopes_gen.go differs from the table generated from the SDK's openapi.yaml: run go generate ./internal/oktaspec")
	}
}

func TestLeastPrivileged(t *testing.T) {
	tests := []struct {
		method, path, want string
	}{
		{"GET", "/api/v1/users", "okta.users.read"},
		{"GET", "/api/v1/users/{userId}/groups", "okta.users.read"},
		{"PUT", "/api/v1/groups/{groupId}/users/{userId}", "okta.groups.manage"},
		{"GET", "/api/v1/api-tokens", "okta.apiTokens.read"},
		{"GET", "/api/v1/logs", "okta.logs.read"},
	}
	for _, tt := range tests {
		scopes, err := ScopesFor(tt.method, tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := LeastPrivileged(scopes); got != tt.want {
			t.Errorf("LeastPrivileged(ScopesFor(%s %s) = %v) = %q, want %q", tt.method, tt.path, scopes, got, tt.want)
		}
	}
	if len(specOperations) < 500 {
		t.Errorf("%d operations in the table, want the whole spec", len(specOperations))
	}
	if _, err := ScopesFor("GET", "/api/v1/nothing"); err == nil {
		t.Error("ScopesFor of an operation the spec lacks: no error")
	}
}
