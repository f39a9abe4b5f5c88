package access

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dirdeck/dirdeck/internal/oktaspec"
	"github.com/dirdeck/dirdeck/okta"
)

// Feature is something dirdeck offers, with the Okta operations it calls.
type Feature struct {
	// Name is how reports and the pane name it, e.g. "browse users".
	Name string
	// Ops are "METHOD /path" keys of the spec table (path templates as the
	// spec spells them).
	Ops []string
	// Core features are what dirdeck is for: without them it is useless
	// (exit 2 from `dirdeck scopes`).
	Core bool
	// Write features need a profile with writes enabled; with writes off
	// their missing permissions are expected.
	Write bool
	// Probe is the read that confirms the feature ("" for writes, which
	// dirdeck never tries out).
	Probe okta.ProbeTarget
	// Degrades says what still works without the feature; empty when
	// dirdeck simply cannot offer it.
	Degrades string
}

// Features are dirdeck's features in the order reports list them.
var Features = []Feature{
	{Name: "browse users", Core: true, Probe: okta.ProbeUsers,
		Ops: []string{"GET /api/v1/users", "GET /api/v1/users/{userId}"}},
	{Name: "browse groups and memberships", Core: true, Probe: okta.ProbeGroups,
		Ops: []string{"GET /api/v1/groups", "GET /api/v1/groups/{groupId}", "GET /api/v1/groups/{groupId}/users"}},
	{Name: "browse apps and assignments", Probe: okta.ProbeApps,
		Ops: []string{"GET /api/v1/apps", "GET /api/v1/apps/{appId}/users", "GET /api/v1/apps/{appId}/groups"}},
	{Name: "incremental sync (System Log)", Probe: okta.ProbeLogs,
		Ops:      []string{"GET /api/v1/logs"},
		Degrades: "every sync is a full membership refresh (more requests, slower)"},
	{Name: "token inventory", Probe: okta.ProbeAPITokens,
		Ops:      []string{"GET /api/v1/api-tokens", "GET /api/v1/api-tokens/{apiTokenId}"},
		Degrades: "only dirdeck's own token is checked; other integrations' tokens may expire unseen"},
	{Name: "push group changes", Write: true,
		Ops: []string{"POST /api/v1/groups", "PUT /api/v1/groups/{groupId}",
			"PUT /api/v1/groups/{groupId}/users/{userId}", "DELETE /api/v1/groups/{groupId}/users/{userId}"}},
}

// ReadScopes is the least-privilege scope set for a read-only dirdeck:
// what a custom admin role or a service app needs for every read feature.
var ReadScopes = []string{"okta.users.read", "okta.groups.read", "okta.apps.read", "okta.logs.read"}

// ScopesFor returns the OAuth scopes the spec accepts for an operation,
// e.g. ScopesFor("GET", "/api/v1/users").
func ScopesFor(method, path string) ([]string, error) { return oktaspec.ScopesFor(method, path) }

// Needed returns the scopes f needs: for each operation, the least
// privileged of the scopes the spec accepts for it.
func (f Feature) Needed() ([]string, error) {
	var out []string
	for _, op := range f.Ops {
		method, path, ok := strings.Cut(op, " ")
		if !ok {
			return nil, fmt.Errorf("feature %s: operation %q is not \"METHOD /path\"", f.Name, op)
		}
		scopes, err := ScopesFor(method, path)
		if err != nil {
			return nil, fmt.Errorf("feature %s: %w", f.Name, err)
		}
		if len(scopes) == 0 {
			return nil, fmt.Errorf("feature %s: the spec names no OAuth scope for %s", f.Name, op)
		}
		pick := oktaspec.LeastPrivileged(scopes)
		if !slices.Contains(out, pick) {
			out = append(out, pick)
		}
	}
	return out, nil
}

// covers reports whether granted allows scope; okta.X.manage includes
// okta.X.read, as in Okta.
func covers(granted []string, scope string) bool {
	if slices.Contains(granted, scope) {
		return true
	}
	if r, ok := strings.CutSuffix(scope, ".read"); ok {
		return slices.Contains(granted, r+".manage")
	}
	return false
}
