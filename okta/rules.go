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
	req := func(ctx context.Context) oktasdk.ApiListGroupRulesRequest {
		return c.api.GroupAPI.ListGroupRules(ctx).Limit(GroupRulesPageSize)
	}
	return paginate(ctx, c, "list group rules", false, fetchPages(req, each(func(gr *oktasdk.GroupRule) (GroupRule, error) {
		if gr.GetId() == "" {
			return GroupRule{}, fmt.Errorf("%w: group rule without id", ErrMalformedResponse)
		}
		assign := gr.GetActions()
		groups := assign.GetAssignUserToGroups()
		return GroupRule{ID: gr.GetId(), Name: gr.GetName(), Status: gr.GetStatus(), GroupIDs: groups.GetGroupIds()}, nil
	})), fn)
}
