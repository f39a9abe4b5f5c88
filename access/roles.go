package access

import (
	"slices"

	"github.com/dirdeck/dirdeck/internal/oktaspec"
	"github.com/dirdeck/dirdeck/okta"
)

// allScopes stands for "every permission" (Super Administrator).
const allScopes = "*"

// rolePermissions is what Okta's standard admin roles may do, in the
// vocabulary of OAuth scopes (the permissions a custom role would list).
// It is an inference only: the live probes confirm it, and a probe result
// wins over it. Custom roles (type CUSTOM) are absent: their permissions
// are theirs, so dirdeck relies on the probes for them.
var rolePermissions = map[string][]string{
	"SUPER_ADMIN": {allScopes},
	"ORG_ADMIN": {"okta.users.manage", "okta.groups.manage", "okta.apps.read", "okta.logs.read",
		"okta.apiTokens.read", "okta.roles.read"},
	"READ_ONLY_ADMIN": {"okta.users.read", "okta.groups.read", "okta.apps.read", "okta.logs.read",
		"okta.apiTokens.read", "okta.roles.read"},
	"APP_ADMIN":              {"okta.apps.manage", "okta.users.read", "okta.groups.read"},
	"USER_ADMIN":             {"okta.users.manage", "okta.groups.read"},
	"GROUP_MEMBERSHIP_ADMIN": {"okta.groups.manage", "okta.users.read"},
	"HELP_DESK_ADMIN":        {"okta.users.read", "okta.groups.read"},
	"REPORT_ADMIN":           {"okta.logs.read"},
}

// roleGrants infers the permissions of roles. known is false when a role
// is custom or unknown to dirdeck: then granted is only a lower bound.
func roleGrants(roles []okta.Role) (granted []string, known bool) {
	known = true
	for _, r := range roles {
		if r.Status != "" && r.Status != "ACTIVE" {
			continue
		}
		perms, ok := rolePermissions[r.Type]
		if !ok {
			known = false
			continue
		}
		for _, p := range perms {
			if !slices.Contains(granted, p) {
				granted = append(granted, p)
			}
		}
	}
	slices.Sort(granted)
	return granted, known
}

// grantsAll reports whether granted covers scope, with "*" covering all.
func grantsAll(granted []string, scope string) bool {
	return slices.Contains(granted, allScopes) || covers(granted, scope)
}

// writeCapable reports whether a role's inferred permissions include
// writes (for the excess-privilege check).
func writeCapable(roleType string) bool {
	for _, p := range rolePermissions[roleType] {
		if p == allScopes || oktaspec.IsWriteScope(p) {
			return true
		}
	}
	return false
}
