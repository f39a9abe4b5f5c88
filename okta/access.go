package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	oktasdk "github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/dirdeck/dirdeck/directory"
)

// Calls for the access checks (package access): cheap probes that show
// what the credential may read, the token owner, and the org's API token
// inventory.

// ProbeTarget names a collection a probe reads one item of.
type ProbeTarget string

// Probe targets: one per feature dirdeck can confirm without writing.
const (
	ProbeUsers     ProbeTarget = "users"
	ProbeGroups    ProbeTarget = "groups"
	ProbeApps      ProbeTarget = "apps"
	ProbeLogs      ProbeTarget = "logs"
	ProbeAPITokens ProbeTarget = "api-tokens"
)

// Probe reads one item of target (a limit=1 GET; the API token list has
// no limit parameter and is read as one page) to confirm the credential
// may read it. It returns nil when Okta answered 2xx and the *APIError
// otherwise, so IsForbidden tells a missing permission apart.
func (c *Client) Probe(ctx context.Context, target ProbeTarget) error {
	op := "probe " + string(target)
	var (
		resp *oktasdk.APIResponse
		err  error
	)
	switch target {
	case ProbeUsers:
		_, resp, err = firstAuth(c, func() ([]oktasdk.User, *oktasdk.APIResponse, error) {
			return c.api.UserAPI.ListUsers(ctx).Limit(1).Execute()
		})
	case ProbeGroups:
		_, resp, err = firstAuth(c, func() ([]oktasdk.Group, *oktasdk.APIResponse, error) {
			return c.api.GroupAPI.ListGroups(ctx).Limit(1).Execute()
		})
	case ProbeApps:
		// The typed call's oneOf decoding fails on sign-on modes the SDK
		// does not know; a probe needs only the status.
		_, resp, err = firstAuth(c, func() ([]oktasdk.ListApplications200ResponseInner, *oktasdk.APIResponse, error) {
			return c.api.ApplicationAPI.ListApplications(ctx).Limit(1).Execute()
		})
		if err != nil && resp != nil && resp.Response != nil && resp.StatusCode < 300 {
			err = nil
		}
	case ProbeLogs:
		_, resp, err = firstAuth(c, func() ([]oktasdk.LogEvent, *oktasdk.APIResponse, error) {
			return c.api.SystemLogAPI.ListLogEvents(ctx).Limit(1).Execute()
		})
	case ProbeAPITokens:
		_, resp, err = firstAuth(c, func() ([]oktasdk.ApiToken, *oktasdk.APIResponse, error) {
			return c.api.ApiTokenAPI.ListApiTokens(ctx).Execute()
		})
	default:
		return fmt.Errorf("probe: unknown target %q", target)
	}
	if err != nil {
		return c.wrapErr(ctx, op, resp, err)
	}
	return nil
}

// ListAPITokens reads the metadata of every API token of the org (needs
// okta.apiTokens.read). Okta has no call for "the token of this request"
// (only DELETE on /api/v1/api-tokens/current), so this list, with the
// owner from CurrentUser, is also how the credential finds its own. The
// SDK's call has no after parameter, so later pages follow the Link header
// through the SDK's Next.
func (c *Client) ListAPITokens(ctx context.Context) ([]APIToken, error) {
	toks, resp, err := firstAuth(c, func() ([]oktasdk.ApiToken, *oktasdk.APIResponse, error) {
		return c.api.ApiTokenAPI.ListApiTokens(ctx).Execute()
	})
	if err != nil {
		return nil, c.wrapErr(ctx, "list API tokens page 1", resp, err)
	}
	out := make([]APIToken, 0, len(toks))
	seen := map[string]bool{}
	for page := 2; ; page++ {
		for i := range toks {
			out = append(out, mapAPIToken(&toks[i]))
		}
		if resp == nil || !resp.HasNextPage() {
			return out, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("list API tokens page %d: %w", page, err)
		}
		next := resp.NextPage()
		if seen[next] {
			return nil, fmt.Errorf("list API tokens page %d: %w: the next-page link repeats", page, ErrMalformedResponse)
		}
		seen[next] = true
		toks = nil
		if resp, err = resp.Next(&toks); err != nil {
			return nil, c.wrapErr(ctx, fmt.Sprintf("list API tokens page %d", page), resp, err)
		}
	}
}

func mapAPIToken(t *oktasdk.ApiToken) APIToken {
	return APIToken{
		ID: t.GetId(), Name: t.Name, UserID: t.GetUserId(), ClientName: t.GetClientName(),
		Created: utc(t.Created), LastUpdated: utc(t.LastUpdated), ExpiresAt: utc(t.ExpiresAt), TokenWindow: t.GetTokenWindow(),
	}
}

// CurrentUser reads the user an API token acts as (GET /api/v1/users/me).
// An OAuth service app is no user: Okta answers 404.
func (c *Client) CurrentUser(ctx context.Context) (directory.User, error) {
	if c.oauth {
		return directory.User{}, errors.New("current user: the client authenticates as an OAuth service app, which is no user")
	}
	return c.getUser(ctx, "get current user", "me")
}

// GetUser reads one user by id or login (e.g. an API token's owner, whose
// status decides whether the token still works).
func (c *Client) GetUser(ctx context.Context, userID string) (directory.User, error) {
	if userID == "" {
		return directory.User{}, errors.New("get user: empty user id")
	}
	return c.getUser(ctx, "get user", userID)
}

func (c *Client) getUser(ctx context.Context, op, id string) (directory.User, error) {
	ctx, page := withRawPage(ctx, "{}")
	_, resp, err := firstAuth(c, func() ([]struct{}, *oktasdk.APIResponse, error) {
		_, resp, err := c.api.UserAPI.GetUser(ctx, id).Execute()
		return nil, resp, err
	})
	if err != nil {
		return directory.User{}, c.wrapErr(ctx, op, resp, err)
	}
	if !page.got {
		return directory.User{}, fmt.Errorf("%s: %w: the answer is not a JSON user", op, ErrMalformedResponse)
	}
	var u userJSON
	if err := json.Unmarshal(page.body, &u); err != nil {
		return directory.User{}, fmt.Errorf("%s: %w: %v", op, ErrMalformedResponse, err)
	}
	if u.ID == "" {
		return directory.User{}, fmt.Errorf("%s: %w: user without id", op, ErrMalformedResponse)
	}
	return u.user(), nil
}

// IsOAuth reports whether the client authenticates as an OAuth 2.0
// service app rather than with an SSWS API token.
func (c *Client) IsOAuth() bool { return c.oauth }

// AccessTokenLifetime is the lifetime Okta gave the latest OAuth access
// token (expires_in); zero with an API token or before the first token.
func (c *Client) AccessTokenLifetime() time.Duration {
	c.tr.mu.Lock()
	defer c.tr.mu.Unlock()
	return c.tr.tokenLifetime
}

// ClockSkew is how far the org's clock (the latest response's Date
// header) is ahead of the local clock; ok is false before any response.
// Date has whole seconds (the org's clock is on average half a second
// past it), so the skew is exact to about half a second.
func (c *Client) ClockSkew() (skew time.Duration, ok bool) {
	c.tr.mu.Lock()
	defer c.tr.mu.Unlock()
	if c.tr.serverDateAt.IsZero() {
		return 0, false
	}
	return c.tr.serverDate.Add(500 * time.Millisecond).Sub(c.tr.serverDateAt.Round(0)), true
}
