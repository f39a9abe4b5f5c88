package plan

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/dirdeck/dirdeck/okta"
)

// FlagRules warns about every group the plan removes members from that an
// ACTIVE Okta group rule assigns users to: the rule re-adds a removed user
// who still matches its expression, so the removal may not last. The cache
// holds no rules, so they are listed live. Call it before Submit, which
// hashes the plan. A credential that may not read rules gets a warning
// saying the check could not run, not an error.
func FlagRules(ctx context.Context, c *okta.Client, p *Plan) error {
	var groups []string // refs with removals, in plan order
	name := map[string]string{}
	for _, op := range p.Ops {
		if op.Kind != OpRemove {
			continue
		}
		if _, ok := name[op.Group]; !ok {
			groups = append(groups, op.Group)
		}
		name[op.Group] = op.GroupName
	}
	if len(groups) == 0 {
		return nil
	}
	rulesOf := map[string][]string{} // group id → names of ACTIVE rules filling it
	err := c.ListGroupRules(ctx, func(rules []okta.GroupRule) error {
		for _, r := range rules {
			if r.Status != "ACTIVE" {
				continue
			}
			for _, id := range r.GroupIDs {
				rulesOf[id] = append(rulesOf[id], r.Name)
			}
		}
		return nil
	})
	switch {
	case okta.IsForbidden(err):
		p.Warnings = append(p.Warnings, "Group rules not checked: the credential may not read group rules (okta.groups.read); a rule may re-add removed users.")
		return nil
	case okta.IsUnavailable(err):
		p.Warnings = append(p.Warnings, "Group rules not checked: unavailable here ("+err.Error()+"); a rule may re-add removed users.")
		return nil
	}
	if err != nil {
		return fmt.Errorf("group rules: %w", err)
	}
	for _, ref := range groups {
		rules := rulesOf[ref]
		if len(rules) == 0 {
			continue
		}
		quoted := make([]string, len(rules))
		for i, r := range rules {
			quoted[i] = strconv.Quote(r)
		}
		what := "group rule " + quoted[0]
		if len(quoted) > 1 {
			what = "group rules " + strings.Join(quoted, ", ")
		}
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s is managed by %s: removed users may be re-added by the rule.", name[ref], what))
	}
	return nil
}
