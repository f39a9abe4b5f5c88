package oktasim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	okta "github.com/okta/okta-sdk-golang/v5/okta"
)

// These tests drive the real okta-sdk-golang/v5 client against the
// simulator over HTTP, the way dirdeck and any other integration would.

// sdkIsolate keeps OKTA_* variables, which the SDK merges into every
// configuration, out of the test. HOME does not hide ~/.okta/okta.yaml
// (the SDK finds it through os/user, which reads /etc/passwd): newSDK
// overwrites what that file could set instead.
func sdkIsolate(t *testing.T) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "OKTA_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

// newSDK builds an SDK client for srv. The SDK keeps only the host name
// of the org URL, so the port goes back into cfg.Host.
func newSDK(t *testing.T, srv *Server, httpClient *http.Client, setters ...okta.ConfigSetter) *okta.APIClient {
	t.Helper()
	base := []okta.ConfigSetter{
		okta.WithOrgUrl(srv.URL),
		okta.WithCache(false),
		okta.WithTestingDisableHttpsCheck(true),
		okta.WithRateLimitMaxRetries(3),
		okta.WithRateLimitMaxBackOff(1),
		okta.WithRequestTimeout(30),
	}
	if httpClient != nil {
		base = append(base, okta.WithHttpClientPtr(httpClient))
	}
	cfg, err := okta.NewConfiguration(append(base, setters...)...)
	if err != nil {
		t.Fatalf("SDK configuration: %v", err)
	}
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host = u.Host
	// Whatever a developer's ~/.okta/okta.yaml says about proxies or keys
	// must not reach the test.
	cl := &cfg.Okta.Client
	cl.Proxy.Host, cl.Proxy.Port, cl.Proxy.Username, cl.Proxy.Password = "", 0, "", ""
	cl.PrivateKeyId, cl.JWK, cl.EncryptionType, cl.ClientAssertion = "", "", "", ""
	cfg.Debug = false
	return okta.NewAPIClient(cfg)
}

func sswsSDK(t *testing.T, srv *Server, token string) *okta.APIClient {
	return newSDK(t, srv, nil, okta.WithAuthorizationMode("SSWS"), okta.WithToken(token))
}

func privateKeySDK(t *testing.T, srv *Server, client string, scopes ...string) *okta.APIClient {
	sc := clientByName(t, srv.Sim, client)
	return newSDK(t, srv, nil,
		okta.WithAuthorizationMode("PrivateKey"),
		okta.WithClientId(sc.ClientID),
		okta.WithScopes(scopes),
		okta.WithPrivateKey(sc.PrivateKeyPEM))
}

// sdkPages runs a list request and follows the SDK's own Next links.
func sdkPages[T any](t *testing.T, what string, first func() ([]T, *okta.APIResponse, error)) []T {
	t.Helper()
	items, resp, err := first()
	if err != nil {
		t.Fatalf("%s: %v", what, sdkErr(err))
	}
	for n := 2; resp.HasNextPage(); n++ {
		var page []T
		if resp, err = resp.Next(&page); err != nil {
			t.Fatalf("%s page %d: %v", what, n, sdkErr(err))
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s page %d: status %d", what, n, resp.StatusCode)
		}
		items = append(items, page...)
	}
	return items
}

// sdkErr adds the Okta error body the SDK keeps in its error value.
func sdkErr(err error) error {
	var ge *okta.GenericOpenAPIError
	if errors.As(err, &ge) {
		return fmt.Errorf("%w: %s", err, ge.Body())
	}
	return err
}

// digestTime is the canonical digest's timestamp format.
func digestTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// sdkTruth lists the whole directory through the SDK and computes the
// counts and canonical digest (docs/DESIGN.md) from what the SDK decoded,
// without any of the simulator's code. Page sizes are small so that every
// collection takes several pages and the SDK's own Next links are used.
func sdkTruth(t *testing.T, c *okta.APIClient) Truth {
	t.Helper()
	ctx := context.Background()
	var lines []string
	counts := map[string]int{}
	add := func(kind string, fields ...string) {
		lines = append(lines, strings.Join(fields, "\t"))
		counts[kind]++
	}
	// Okta leaves DEPROVISIONED users out of an unfiltered list.
	users := sdkPages(t, "list users", func() ([]okta.User, *okta.APIResponse, error) {
		return c.UserAPI.ListUsers(ctx).Limit(60).Execute()
	})
	users = append(users, sdkPages(t, "list deprovisioned users", func() ([]okta.User, *okta.APIResponse, error) {
		return c.UserAPI.ListUsers(ctx).Limit(3).Filter(`status eq "DEPROVISIONED"`).Execute()
	})...)
	for _, u := range users {
		add("users", "user", u.GetId(), u.GetStatus(), digestTime(u.LastUpdated))
	}
	groups := sdkPages(t, "list groups", func() ([]okta.Group, *okta.APIResponse, error) {
		return c.GroupAPI.ListGroups(ctx).Limit(7).Execute()
	})
	for _, g := range groups {
		add("groups", "group", g.GetId(), digestTime(g.LastUpdated))
		members := sdkPages(t, "list members of "+g.GetId(), func() ([]okta.GroupMember, *okta.APIResponse, error) {
			return c.GroupAPI.ListGroupUsers(ctx, g.GetId()).Limit(9).Execute()
		})
		for _, m := range members {
			add("memberships", "member", g.GetId(), m.GetId())
		}
	}
	apps := sdkPages(t, "list apps", func() ([]okta.ListApplications200ResponseInner, *okta.APIResponse, error) {
		return c.ApplicationAPI.ListApplications(ctx).Limit(5).Execute()
	})
	for _, a := range apps {
		// The SDK decodes each app into the type of its sign-on mode.
		b, err := json.Marshal(a.GetActualInstance())
		if err != nil {
			t.Fatal(err)
		}
		var app struct {
			ID          string     `json:"id"`
			LastUpdated *time.Time `json:"lastUpdated"`
		}
		if err := json.Unmarshal(b, &app); err != nil || app.ID == "" {
			t.Fatalf("SDK app %s: %v", b, err)
		}
		add("apps", "app", app.ID, digestTime(app.LastUpdated))
		appUsers := sdkPages(t, "list users of "+app.ID, func() ([]okta.AppUser, *okta.APIResponse, error) {
			return c.ApplicationUsersAPI.ListApplicationUsers(ctx, app.ID).Limit(11).Execute()
		})
		for _, au := range appUsers {
			add("app_users", "appuser", app.ID, au.GetId())
		}
		appGroups := sdkPages(t, "list groups of "+app.ID, func() ([]okta.ApplicationGroupAssignment, *okta.APIResponse, error) {
			return c.ApplicationGroupsAPI.ListApplicationGroupAssignments(ctx, app.ID).Limit(20).Execute()
		})
		for _, ag := range appGroups {
			add("app_groups", "appgroup", app.ID, ag.GetId())
		}
	}
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l + "\n"))
	}
	for _, k := range []string{"users", "groups", "apps", "memberships", "app_users", "app_groups"} {
		counts[k] += 0
	}
	return Truth{Counts: counts, Digest: "sha256:" + hex.EncodeToString(h.Sum(nil))}
}

// controlTruth reads GET /__sim/truth.
func controlTruth(t *testing.T, srv *Server) Truth {
	t.Helper()
	resp, err := http.Get(srv.URL + "/__sim/truth")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr Truth
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatalf("/__sim/truth: %v", err)
	}
	return tr
}

func sameTruth(t *testing.T, label string, got, want Truth) {
	t.Helper()
	for k, n := range want.Counts {
		if got.Counts[k] != n {
			t.Errorf("%s: %s = %d, truth says %d", label, k, got.Counts[k], n)
		}
	}
	if got.Digest != want.Digest {
		t.Errorf("%s: digest %s, truth %s", label, got.Digest, want.Digest)
	}
}

func TestSDKListsTheTruth(t *testing.T) {
	sdkIsolate(t)
	srv := NewServer(t, Options{Scenario: "S", Seed: 17})
	clients := []struct {
		name string
		new  func() *okta.APIClient
	}{
		{"SSWS read-only admin", func() *okta.APIClient { return sswsSDK(t, srv, srv.ReadOnlyToken()) }},
		{"PrivateKey read-only service app", func() *okta.APIClient {
			return privateKeySDK(t, srv, "readonly", "okta.users.read", "okta.groups.read", "okta.apps.read")
		}},
	}
	for round, churn := range []int{0, 150} {
		if _, err := srv.Sim.Churn(churn); err != nil {
			t.Fatal(err)
		}
		want := controlTruth(t, srv)
		if want.Digest != srv.Sim.Truth().Digest {
			t.Fatal("/__sim/truth differs from Sim.Truth")
		}
		for _, c := range clients {
			srv.Sim.ResetStats()
			label := fmt.Sprintf("%s after churn %d", c.name, churn)
			sameTruth(t, label, sdkTruth(t, c.new()), want)
			// Every collection took more than one page (app group
			// assignments come at least 20 a page, the spec's minimum,
			// and no app of S has more).
			st := srv.Sim.Stats().ByEndpoint
			for ep, parents := range map[string]int{
				"GET /api/v1/users":             2,
				"GET /api/v1/groups":            1,
				"GET /api/v1/apps":              1,
				"GET /api/v1/groups/{id}/users": want.Counts["groups"],
				"GET /api/v1/apps/{id}/users":   want.Counts["apps"],
			} {
				if st[ep] <= int64(parents) {
					t.Errorf("%s: %d requests to %s, want more than %d (paging)", label, st[ep], ep, parents)
				}
			}
		}
		if round == 0 && want.Counts["users"] == 0 {
			t.Fatal("empty truth")
		}
	}
}

// retryTransport records the status of each response and, when the sim
// answers 429, moves the sim clock into the next rate-limit window so that
// the SDK's retry (after the backoff the headers ask for) can succeed.
type retryTransport struct {
	sim *Sim

	mu       gosync.Mutex
	statuses []int
	retries  []string // X-Okta-Retry-Count of each request
}

func (rt *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	rt.statuses = append(rt.statuses, resp.StatusCode)
	rt.retries = append(rt.retries, req.Header.Get("X-Okta-Retry-Count"))
	rt.mu.Unlock()
	if resp.StatusCode == http.StatusTooManyRequests {
		rt.sim.Advance(time.Minute)
	}
	return resp, nil
}

func TestSDKRetries429(t *testing.T) {
	sdkIsolate(t)
	srv := NewServer(t, Options{Scenario: "S", Seed: 17, RateLimits: "realistic"})
	// Spend the minute's budget of GET /api/v1/apps, with a token an admin
	// let use all of it.
	if err := srv.Sim.SetCredentialRateLimit("readonly", 100); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < realisticLimits[bucketApps]; i++ {
		if st, body := send(t, "GET", srv.URL+"/api/v1/apps?limit=1", "SSWS "+srv.ReadOnlyToken(), ""); st != 200 {
			t.Fatalf("request %d: %d %s", i, st, body)
		}
	}
	rt := &retryTransport{sim: srv.Sim}
	c := newSDK(t, srv, &http.Client{Transport: rt}, okta.WithAuthorizationMode("SSWS"), okta.WithToken(srv.ReadOnlyToken()))
	apps, resp, err := c.ApplicationAPI.ListApplications(context.Background()).Limit(200).Execute()
	if err != nil {
		t.Fatalf("list apps after 429: %v", sdkErr(err))
	}
	if resp.StatusCode != 200 || len(apps) != srv.Sim.Truth().Counts["apps"] {
		t.Fatalf("status %d with %d apps", resp.StatusCode, len(apps))
	}
	if !slices.Equal(rt.statuses, []int{429, 200}) || rt.retries[1] != "1" {
		t.Fatalf("responses %v, retry counts %q; want the SDK to retry the 429 once", rt.statuses, rt.retries)
	}
	if st := srv.Sim.Stats(); st.Throttled != 1 {
		t.Errorf("sim counted %d throttled requests, want 1", st.Throttled)
	}
}

func TestSDKPrivateKeyScopes(t *testing.T) {
	sdkIsolate(t)
	srv := NewServer(t, Options{Scenario: "S", Seed: 17})
	ctx := context.Background()

	users := privateKeySDK(t, srv, "usersonly", "okta.users.read")
	if _, _, err := users.UserAPI.ListUsers(ctx).Limit(5).Execute(); err != nil {
		t.Fatalf("list users with okta.users.read: %v", sdkErr(err))
	}
	forbidden := map[string]func() error{
		"list groups": func() error { _, _, err := users.GroupAPI.ListGroups(ctx).Execute(); return err },
		"list apps":   func() error { _, _, err := users.ApplicationAPI.ListApplications(ctx).Execute(); return err },
		"list logs":   func() error { _, _, err := users.SystemLogAPI.ListLogEvents(ctx).Execute(); return err },
	}
	for name, call := range forbidden {
		err := call()
		var ge *okta.GenericOpenAPIError
		if !errors.As(err, &ge) || !strings.Contains(err.Error(), "403") || !strings.Contains(string(ge.Body()), "E0000006") {
			t.Errorf("%s with only okta.users.read: %v, want 403 E0000006", name, err)
		}
	}

	// A scope the app was not granted gets no token at all.
	greedy := privateKeySDK(t, srv, "usersonly", "okta.users.read", "okta.users.manage")
	if _, _, err := greedy.UserAPI.ListUsers(ctx).Execute(); err == nil {
		t.Error("a token request with an ungranted scope succeeded")
	}

	// The manager app may change memberships of OKTA_GROUPs only.
	mgr := privateKeySDK(t, srv, "manager", "okta.groups.manage", "okta.users.read")
	okg := groupsOfType(srv.Sim, "OKTA_GROUP")[0]
	appg := groupsOfType(srv.Sim, "APP_GROUP")[0]
	uid := pickFidelityIDs(srv.Sim).user
	if resp, err := mgr.GroupAPI.AssignUserToGroup(ctx, okg.id, uid).Execute(); err != nil || resp.StatusCode != 204 {
		t.Fatalf("assign user to OKTA_GROUP: %v", sdkErr(err))
	}
	if _, err := mgr.GroupAPI.AssignUserToGroup(ctx, appg.id, uid).Execute(); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("assign user to APP_GROUP: %v, want 403", err)
	}
	members := sdkPages(t, "members", func() ([]okta.GroupMember, *okta.APIResponse, error) {
		return mgr.GroupAPI.ListGroupUsers(ctx, okg.id).Limit(1000).Execute()
	})
	if !slices.ContainsFunc(members, func(m okta.GroupMember) bool { return m.GetId() == uid }) {
		t.Error("assigned user not listed as a member")
	}
	events := sdkPages(t, "logs", func() ([]okta.LogEvent, *okta.APIResponse, error) {
		return sswsSDK(t, srv, srv.ReadOnlyToken()).SystemLogAPI.ListLogEvents(ctx).
			Since(time.Now().Add(-time.Hour)).Until(time.Now().Add(time.Hour)).
			Filter(`eventType eq "group.user_membership.add"`).Execute()
	})
	if len(events) != 1 || events[0].Actor.GetType() != "PublicClientApp" || len(events[0].Target) != 2 ||
		events[0].Target[0].GetId() != uid || events[0].Target[1].GetId() != okg.id {
		b, _ := json.Marshal(events)
		t.Errorf("membership add events through the SDK: %s", b)
	}
}

// TestSDKDecodesEveryResource reads each kind of object the simulator
// serves through the SDK's typed models, polls the System Log the way
// the SDK pages it, and makes group writes with the SDK's request types.
func TestSDKDecodesEveryResource(t *testing.T) {
	sdkIsolate(t)
	srv := NewServer(t, Options{Scenario: "S", Seed: 17})
	ctx := context.Background()
	c := sswsSDK(t, srv, srv.SuperAdminToken())
	ids := pickFidelityIDs(srv.Sim)
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, sdkErr(err))
		}
	}
	u, _, err := c.UserAPI.GetUser(ctx, ids.user).Execute()
	check("get user", err)
	if u.GetId() != ids.user || u.Profile == nil || u.Profile.GetLogin() == "" {
		t.Errorf("user decoded as %+v", u)
	}
	me, _, err := c.UserAPI.GetUser(ctx, "me").Execute()
	check("get me", err)
	roles, _, err := c.RoleAssignmentAPI.ListAssignedRolesForUser(ctx, me.GetId()).Execute()
	check("roles", err)
	if len(roles) == 0 || roles[0].GetType() != "SUPER_ADMIN" {
		t.Errorf("super admin's roles decoded as %+v", roles)
	}
	_, _, err = c.UserAPI.ListUserGroups(ctx, ids.user).Execute()
	check("user groups", err)
	g, _, err := c.GroupAPI.GetGroup(ctx, ids.group).Execute()
	check("get group", err)
	if g.GetId() != ids.group || g.GetType() != "OKTA_GROUP" || g.LastMembershipUpdated == nil {
		t.Errorf("group decoded as %+v", g)
	}
	_, _, err = c.GroupAPI.ListAssignedApplicationsForGroup(ctx, ids.group).Execute()
	check("group apps", err)
	_, _, err = c.ApplicationAPI.GetApplication(ctx, ids.app).Execute()
	check("get app", err)
	au, _, err := c.ApplicationUsersAPI.GetApplicationUser(ctx, ids.app, ids.appUser).Execute()
	check("get app user", err)
	if au.GetId() != ids.appUser || au.GetScope() == "" {
		t.Errorf("app user decoded as %+v", au)
	}
	ag, _, err := c.ApplicationGroupsAPI.GetApplicationGroupAssignment(ctx, ids.app, ids.appGroup).Execute()
	check("get app group", err)
	if ag.GetId() != ids.appGroup {
		t.Errorf("app group decoded as %+v", ag)
	}
	tokens, _, err := c.ApiTokenAPI.ListApiTokens(ctx).Execute()
	check("api tokens", err)
	if len(tokens) == 0 || tokens[0].ExpiresAt == nil || tokens[0].GetTokenWindow() == "" {
		t.Errorf("api tokens decoded as %+v", tokens)
	}
	tok, _, err := c.ApiTokenAPI.GetApiToken(ctx, tokens[0].GetId()).Execute()
	check("api token", err)
	if tok.GetName() != tokens[0].GetName() {
		t.Errorf("api token %q, listed as %q", tok.GetName(), tokens[0].GetName())
	}

	// Group writes with the SDK's own request bodies.
	profile := okta.NewGroupProfile()
	profile.SetName("Created through the SDK")
	profile.SetDescription("sdk")
	created, _, err := c.GroupAPI.CreateGroup(ctx).Group(okta.Group{Profile: profile}).Execute()
	check("create group", err)
	if created.GetType() != "OKTA_GROUP" || created.Profile.GetName() != "Created through the SDK" {
		t.Errorf("created group %+v", created)
	}
	profile.SetName("Renamed through the SDK")
	renamed, _, err := c.GroupAPI.ReplaceGroup(ctx, created.GetId()).Group(okta.Group{Profile: profile}).Execute()
	check("replace group", err)
	if renamed.Profile.GetName() != "Renamed through the SDK" || !renamed.LastUpdated.After(*created.LastUpdated) {
		t.Errorf("renamed group %+v", renamed)
	}
	_, err = c.GroupAPI.AssignUserToGroup(ctx, created.GetId(), ids.user).Execute()
	check("assign", err)
	_, err = c.GroupAPI.UnassignUserFromGroup(ctx, created.GetId(), ids.user).Execute()
	check("unassign", err)

	// Polling: without until there is always a next page; it holds only
	// what happened after the previous page. The filter leaves out the
	// background sign-in noise.
	events, resp, err := c.SystemLogAPI.ListLogEvents(ctx).Since(time.Now().Add(-time.Hour)).Filter(`eventType sw "group." or eventType sw "user.lifecycle." or eventType sw "user.account." or eventType sw "application."`).Execute()
	check("logs", err)
	if len(events) != 4 || !resp.HasNextPage() {
		t.Fatalf("first poll: %d events, next page %v; want the 4 writes and a next page", len(events), resp.HasNextPage())
	}
	var page []okta.LogEvent
	resp, err = resp.Next(&page)
	check("empty poll", err)
	if len(page) != 0 || !resp.HasNextPage() {
		t.Fatalf("empty poll: %d events, next page %v", len(page), resp.HasNextPage())
	}
	if _, err := srv.Sim.Churn(3); err != nil {
		t.Fatal(err)
	}
	resp, err = resp.Next(&page)
	check("poll after churn", err)
	if len(page) < 3 || !resp.HasNextPage() {
		t.Fatalf("poll after 3 changes: %d events, next page %v", len(page), resp.HasNextPage())
	}
	for _, ev := range page {
		if ev.GetUuid() == "" || ev.Published == nil || ev.Actor == nil || len(ev.Target) == 0 || ev.Outcome.GetResult() != "SUCCESS" {
			t.Errorf("event decoded as %+v", ev)
		}
	}
}
