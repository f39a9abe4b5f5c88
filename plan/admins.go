package plan

import (
	"context"
	"fmt"
	"strings"

	"github.com/dirdeck/dirdeck/okta"
)

// MaxAdminChecks bounds the role look-ups FlagAdmins makes (one request
// per user): a plan touching more users says the check was skipped.
const MaxAdminChecks = 200

// AdminUser is a user the plan touches who holds Okta admin roles.
type AdminUser struct {
	Login string   `json:"login"`
	Roles []string `json:"roles"`
}

// FlagAdmins looks up the admin roles of every user the plan adds or
// removes (the cache has no roles) and records the admins in the impact
// with a warning each: changing an admin's groups deserves a second look.
// Call it before Submit, which hashes the plan. A credential that may not
// read roles gets a warning saying the check could not run, not an error.
func FlagAdmins(ctx context.Context, c *okta.Client, p *Plan) error {
	var users []Op
	seen := map[string]bool{}
	for _, op := range p.Ops {
		if (op.Kind == OpAdd || op.Kind == OpRemove) && !seen[op.UserID] {
			seen[op.UserID] = true
			users = append(users, op)
		}
	}
	if len(users) > MaxAdminChecks {
		p.Warnings = append(p.Warnings, fmt.Sprintf("Admin roles not checked: the plan touches %d users (more than %d).", len(users), MaxAdminChecks))
		return nil
	}
	for _, op := range users {
		roles, err := c.UserRoles(ctx, op.UserID)
		switch {
		case okta.IsForbidden(err):
			p.Warnings = append(p.Warnings, "Admin roles not checked: the credential may not read roles (okta.roles.read).")
			return nil
		case okta.IsNotFound(err):
			continue // the user is gone, so no admin either
		case okta.IsUnavailable(err):
			p.Warnings = append(p.Warnings, "Admin roles not checked: unavailable here ("+err.Error()+").")
			return nil
		}
		if err != nil {
			return fmt.Errorf("admin roles of %s: %w", op.Login, err)
		}
		if len(roles) == 0 {
			continue
		}
		names := make([]string, 0, len(roles))
		for _, r := range roles {
			names = append(names, r.String())
		}
		p.Impact.Admins = append(p.Impact.Admins, AdminUser{Login: op.Login, Roles: names})
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s is an Okta admin (%s): check what their group change grants or revokes.", op.Login, strings.Join(names, ", ")))
	}
	return nil
}
