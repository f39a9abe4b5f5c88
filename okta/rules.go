package okta

import (
	"context"
	"fmt"

	oktasdk "github.com/okta/okta-sdk-golang/v5/okta"
)

// GroupRulesPageSize is the largest page of group rules Okta serves.
const GroupRulesPageSize = 200

// GroupRule is the part of an Okta group rule that tells which groups it
// fills: a hand-removed member of one of GroupIDs comes back while the
// rule is ACTIVE and the user still matches its expression.
type GroupRule struct {
	ID       string
	Name     string
	Status   string // ACTIVE, INACTIVE or INVALID
	GroupIDs []string
}

// ListGroupRules streams the org's group rules page by page (needs
// okta.groups.read).
func (c *Client) ListGroupRules(ctx context.Context, fn func([]GroupRule) error) error {
	return paginate(ctx, c, "list group rules", false, func(after string) ([]GroupRule, *oktasdk.APIResponse, error) {
		r := c.api.GroupAPI.ListGroupRules(ctx).Limit(GroupRulesPageSize)
		if after != "" {
			r = r.After(after)
		}
		rules, resp, err := r.Execute()
		if err != nil {
			return nil, resp, err
		}
		out := make([]GroupRule, 0, len(rules))
		for i := range rules {
			gr := &rules[i]
			if gr.GetId() == "" {
				return nil, resp, fmt.Errorf("%w: group rule without id", ErrMalformedResponse)
			}
			assign := gr.GetActions()
			groups := assign.GetAssignUserToGroups()
			out = append(out, GroupRule{ID: gr.GetId(), Name: gr.GetName(), Status: gr.GetStatus(), GroupIDs: groups.GetGroupIds()})
		}
		return out, resp, nil
	}, fn)
}
