package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	oktasdk "github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/sync"
)

// runSyncPhase runs one dirdeck sync into the cache, exactly as
// `dirdeck sync` does: one client, default options.
func runSyncPhase(ctx context.Context, req phaseRequest, token string) (phaseResult, error) {
	st, err := store.Open(req.CachePath, store.Options{})
	if err != nil {
		return phaseResult{}, fmt.Errorf("open cache: %w", err)
	}
	defer st.Close()
	c, err := okta.New(ctx, okta.Credentials{OrgURL: req.OrgURL, Token: token}, okta.Options{})
	if err != nil {
		return phaseResult{}, fmt.Errorf("okta client: %w", err)
	}
	cpu0, t0 := cpuTime(), time.Now()
	run, err := sync.Run(ctx, c, st, sync.Options{})
	wall, cpu := time.Since(t0), cpuTime()-cpu0
	if err != nil {
		return phaseResult{}, fmt.Errorf("sync: %w", err)
	}
	if run.Status != directory.RunOK {
		// Partial data would make every comparison with the sim meaningless.
		return phaseResult{}, fmt.Errorf("sync ended %s: %+v", run.Status, run.Partial)
	}
	s := c.Stats()
	return phaseResult{Start: t0, Wall: wall, CPU: cpu, Run: run, Requests: s.Requests, RateLimited: s.RateLimited, Buckets: s.Buckets}, nil
}

// runNaivePhase is the baseline a script would be: the Okta SDK with its
// default settings (default page sizes, its own cache and retries), one
// request at a time, reading everything dirdeck reads. It keeps only ids,
// as a script that counts would; it does not write anything.
func runNaivePhase(ctx context.Context, req phaseRequest, token string) (phaseResult, error) {
	c, err := naiveClient(req.OrgURL, token)
	if err != nil {
		return phaseResult{}, err
	}
	cpu0, t0 := cpuTime(), time.Now()
	items, err := naiveLoop(ctx, c)
	wall, cpu := time.Since(t0), cpuTime()-cpu0
	if err != nil {
		return phaseResult{}, err
	}
	return phaseResult{Start: t0, Wall: wall, CPU: cpu, Items: items}, nil
}

// naiveClient builds an SDK client the documented way. NewConfiguration
// keeps only the host name of the org URL, so the sim's port goes back
// into cfg.Host; plain HTTP is allowed because the sim is on loopback.
// Whatever ~/.okta/okta.yaml (found through os/user, not HOME) says about
// proxies or keys is cleared.
func naiveClient(orgURL, token string) (*oktasdk.APIClient, error) {
	cfg, err := oktasdk.NewConfiguration(
		oktasdk.WithOrgUrl(orgURL),
		oktasdk.WithAuthorizationMode("SSWS"),
		oktasdk.WithToken(token),
		oktasdk.WithTestingDisableHttpsCheck(true),
	)
	if err != nil {
		return nil, fmt.Errorf("SDK configuration: %w", err)
	}
	u, err := url.Parse(orgURL)
	if err != nil {
		return nil, fmt.Errorf("org URL: %w", err)
	}
	cfg.Host = u.Host
	cl := &cfg.Okta.Client
	cl.Proxy.Host, cl.Proxy.Port, cl.Proxy.Username, cl.Proxy.Password = "", 0, "", ""
	cl.PrivateKeyId, cl.JWK, cl.EncryptionType, cl.ClientAssertion = "", "", "", ""
	cfg.Debug = false
	return oktasdk.NewAPIClient(cfg), nil
}

// pages runs a list call and follows the SDK's Next links, counting items.
func pages[T any](what string, first func() ([]T, *oktasdk.APIResponse, error), each func(T) error) (int, error) {
	items, resp, err := first()
	n := 0
	for page := 1; ; page++ {
		if err != nil {
			return n, fmt.Errorf("naive loop: %s page %d: %w", what, page, err)
		}
		for _, it := range items {
			if err := each(it); err != nil {
				return n, err
			}
		}
		n += len(items)
		if !resp.HasNextPage() {
			return n, nil
		}
		items = nil
		resp, err = resp.Next(&items)
	}
}

func naiveLoop(ctx context.Context, c *oktasdk.APIClient) (int, error) {
	total := 0
	n, err := pages("list users", func() ([]oktasdk.User, *oktasdk.APIResponse, error) {
		return c.UserAPI.ListUsers(ctx).Execute()
	}, func(oktasdk.User) error { return nil })
	if err != nil {
		return total, err
	}
	total += n
	n, err = pages("list deprovisioned users", func() ([]oktasdk.User, *oktasdk.APIResponse, error) {
		return c.UserAPI.ListUsers(ctx).Filter(`status eq "DEPROVISIONED"`).Execute()
	}, func(oktasdk.User) error { return nil })
	if err != nil {
		return total, err
	}
	total += n
	var groupIDs []string
	n, err = pages("list groups", func() ([]oktasdk.Group, *oktasdk.APIResponse, error) {
		return c.GroupAPI.ListGroups(ctx).Execute()
	}, func(g oktasdk.Group) error { groupIDs = append(groupIDs, g.GetId()); return nil })
	if err != nil {
		return total, err
	}
	total += n
	for _, id := range groupIDs {
		n, err = pages("list members of a group", func() ([]oktasdk.GroupMember, *oktasdk.APIResponse, error) {
			return c.GroupAPI.ListGroupUsers(ctx, id).Execute()
		}, func(oktasdk.GroupMember) error { return nil })
		if err != nil {
			return total, err
		}
		total += n
	}
	var appIDs []string
	n, err = pages("list apps", func() ([]oktasdk.ListApplications200ResponseInner, *oktasdk.APIResponse, error) {
		return c.ApplicationAPI.ListApplications(ctx).Execute()
	}, func(a oktasdk.ListApplications200ResponseInner) error {
		id, err := appID(a)
		appIDs = append(appIDs, id)
		return err
	})
	if err != nil {
		return total, err
	}
	total += n
	for _, id := range appIDs {
		n, err = pages("list users of an app", func() ([]oktasdk.AppUser, *oktasdk.APIResponse, error) {
			return c.ApplicationUsersAPI.ListApplicationUsers(ctx, id).Execute()
		}, func(oktasdk.AppUser) error { return nil })
		if err != nil {
			return total, err
		}
		total += n
		n, err = pages("list groups of an app", func() ([]oktasdk.ApplicationGroupAssignment, *oktasdk.APIResponse, error) {
			return c.ApplicationGroupsAPI.ListApplicationGroupAssignments(ctx, id).Execute()
		}, func(oktasdk.ApplicationGroupAssignment) error { return nil })
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// appID reads an app's id: the SDK decodes each app into the type of its
// sign-on mode, so a script goes through JSON to read a common field.
func appID(a oktasdk.ListApplications200ResponseInner) (string, error) {
	b, err := json.Marshal(a.GetActualInstance())
	if err != nil {
		return "", fmt.Errorf("naive loop: encode app: %w", err)
	}
	var app struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &app); err != nil {
		return "", fmt.Errorf("naive loop: decode app: %w", err)
	}
	if app.ID == "" {
		return "", errors.New("naive loop: the SDK decoded an app without an id (unknown signOnMode)")
	}
	return app.ID, nil
}
