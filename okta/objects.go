package okta

import (
	"context"
	"errors"
	"fmt"
	"time"

	oktasdk "github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/dirdeck/dirdeck/directory"
)

// GetGroup reads one group (a plan's drift check compares it with the
// cache before applying).
func (c *Client) GetGroup(ctx context.Context, groupID string) (directory.Group, error) {
	if groupID == "" {
		return directory.Group{}, errors.New("get group: empty group id")
	}
	g, resp, err := c.api.GroupAPI.GetGroup(ctx, groupID).Execute()
	if err != nil {
		return directory.Group{}, c.wrapErr(ctx, "get group", resp, err)
	}
	return mapGroup(g), nil
}

// CreateGroup creates an OKTA_GROUP. It is not retried after a network
// error (a POST is not idempotent): the caller checks whether it exists.
func (c *Client) CreateGroup(ctx context.Context, name, description string) (directory.Group, error) {
	if name == "" {
		return directory.Group{}, errors.New("create group: empty name")
	}
	profile := oktasdk.GroupProfile{Name: &name}
	if description != "" {
		profile.Description = &description
	}
	g, resp, err := c.api.GroupAPI.CreateGroup(ctx).Group(oktasdk.Group{Profile: &profile}).Execute()
	if err != nil {
		return directory.Group{}, c.wrapErr(ctx, "create group", resp, err)
	}
	return mapGroup(g), nil
}

// UpdateGroup sets an OKTA_GROUP's name and description and keeps every
// other profile attribute. Okta's PUT /api/v1/groups/{id} replaces the
// whole profile (an attribute left out of the body is removed), so the
// profile is read first, only name and description are changed, and all of
// it is written back; the SDK keeps the custom attributes it does not know
// in GroupProfile.AdditionalProperties.
func (c *Client) UpdateGroup(ctx context.Context, groupID, name, description string) (directory.Group, error) {
	if groupID == "" || name == "" {
		return directory.Group{}, errors.New("update group: empty group id or name")
	}
	cur, resp, err := c.api.GroupAPI.GetGroup(ctx, groupID).Execute()
	if err != nil {
		return directory.Group{}, c.wrapErr(ctx, "update group: read its profile", resp, err)
	}
	profile := oktasdk.GroupProfile{}
	if cur.Profile != nil {
		profile = *cur.Profile
	}
	profile.Name = &name
	profile.Description = &description
	g, resp, err := c.api.GroupAPI.ReplaceGroup(ctx, groupID).Group(oktasdk.Group{Profile: &profile}).Execute()
	if err != nil {
		return directory.Group{}, c.wrapErr(ctx, "update group", resp, err)
	}
	return mapGroup(g), nil
}

// AddGroupMember adds a user to an OKTA_GROUP. Idempotent in Okta, so it
// is retried like a read.
func (c *Client) AddGroupMember(ctx context.Context, groupID, userID string) error {
	if groupID == "" || userID == "" {
		return errors.New("add group member: empty group or user id")
	}
	resp, err := c.api.GroupAPI.AssignUserToGroup(ctx, groupID, userID).Execute()
	if err != nil {
		return c.wrapErr(ctx, "add group member", resp, err)
	}
	return nil
}

// RemoveGroupMember removes a user from an OKTA_GROUP (idempotent).
func (c *Client) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	if groupID == "" || userID == "" {
		return errors.New("remove group member: empty group or user id")
	}
	resp, err := c.api.GroupAPI.UnassignUserFromGroup(ctx, groupID, userID).Execute()
	if err != nil {
		return c.wrapErr(ctx, "remove group member", resp, err)
	}
	return nil
}

// APIToken is the metadata of an SSWS API token (never its value).
type APIToken struct {
	ID          string
	Name        string
	UserID      string // the admin the token acts as
	ClientName  string
	Created     time.Time
	LastUpdated time.Time
	// ExpiresAt is when the token expires unless used: a token expires
	// after its TokenWindow without use, and each use pushes this (and
	// LastUpdated) forward.
	ExpiresAt   time.Time
	TokenWindow string // ISO 8601 idle window, e.g. P30D (Okta's default)
}

// Role is an admin role assigned to a user.
type Role struct {
	ID             string
	Type           string // e.g. READ_ONLY_ADMIN, SUPER_ADMIN, CUSTOM
	Label          string
	Status         string
	AssignmentType string // USER or GROUP
}

// UserRoles lists the admin roles of a user (e.g. the token's owner), for
// the scope checks.
func (c *Client) UserRoles(ctx context.Context, userID string) ([]Role, error) {
	if userID == "" {
		return nil, errors.New("list user roles: empty user id")
	}
	roles, resp, err := c.api.RoleAssignmentAPI.ListAssignedRolesForUser(ctx, userID).Execute()
	if err != nil {
		return nil, c.wrapErr(ctx, "list user roles", resp, err)
	}
	out := make([]Role, 0, len(roles))
	for _, r := range roles {
		out = append(out, Role{ID: r.GetId(), Type: r.GetType(), Label: r.GetLabel(), Status: r.GetStatus(), AssignmentType: r.GetAssignmentType()})
	}
	return out, nil
}

// String is the role for messages: its label, else its type.
func (r Role) String() string {
	if r.Label != "" {
		return fmt.Sprintf("%s (%s)", r.Label, r.Type)
	}
	return r.Type
}
