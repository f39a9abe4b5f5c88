// Package oktaspec is the operation → OAuth scope table of Okta's
// Management API, generated from the spec shipped in the SDK module. It
// sits below okta and access so that both read the one table: access to
// check a credential's scopes before a sync, okta to name the scope a
// refused call needed in its error hint.
package oktaspec

import (
	"fmt"
	"slices"
	"strings"
)

// Operation is one Okta Management API operation with the OAuth 2.0
// scopes that allow it (from the spec's security section).
type Operation struct {
	Method, Path, ID string
	Scopes           []string
}

// ScopesFor returns the OAuth scopes the spec accepts for an operation,
// e.g. ScopesFor("GET", "/api/v1/users"); path is the spec's template
// ("/api/v1/groups/{groupId}/users").
func ScopesFor(method, path string) ([]string, error) {
	method = strings.ToUpper(method)
	i, found := slices.BinarySearchFunc(specOperations, Operation{Method: method, Path: path}, compareOps)
	if !found {
		return nil, fmt.Errorf("operation %s %s is not in Okta's API spec (SDK %s)", method, path, specVersion)
	}
	return slices.Clone(specOperations[i].Scopes), nil
}

func compareOps(a, b Operation) int {
	if c := strings.Compare(a.Path, b.Path); c != 0 {
		return c
	}
	return strings.Compare(a.Method, b.Method)
}

// LeastPrivileged picks, of scopes that each allow an operation, the one
// to ask an admin for: a read scope when one allows it (okta.X.manage
// includes okta.X.read), else the first. "" when scopes is empty.
func LeastPrivileged(scopes []string) string {
	for _, s := range scopes {
		if !IsWriteScope(s) {
			return s
		}
	}
	if len(scopes) == 0 {
		return ""
	}
	return scopes[0]
}

// IsWriteScope reports whether scope allows changes (Okta's write scopes
// end in .manage).
func IsWriteScope(scope string) bool { return strings.HasSuffix(scope, ".manage") }
