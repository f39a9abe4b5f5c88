package okta

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

// pages is how many requests listing n items at page size limit takes
// (an empty listing still takes one).
func pages(n, limit int) int64 { return int64(max(1, (n+limit-1)/limit)) }

// snapshot is everything a full listing read, with the request count each
// endpoint should have taken at the maximum page sizes.
type snapshot struct {
	digest   directory.Digester
	expected map[string]int64
}

// listAll reads the whole org the way a full sync does: users (plus the
// DEPROVISIONED ones), groups, apps, then members and assignments of many
// groups and apps concurrently.
func listAll(ctx context.Context, c *Client) (*snapshot, error) {
	s := &snapshot{expected: map[string]int64{}}
	var mu sync.Mutex
	add := func(f func()) { mu.Lock(); f(); mu.Unlock() }

	var groups []directory.Group
	var apps []directory.App
	active, deprov := 0, 0
	steps := []func() error{
		func() error {
			return c.ListUsers(ctx, Query{}, func(us []directory.User) error {
				add(func() {
					for _, u := range us {
						s.digest.AddUser(u)
					}
					active += len(us)
				})
				return nil
			})
		},
		func() error {
			return c.ListUsers(ctx, Query{Filter: FilterDeprovisioned}, func(us []directory.User) error {
				add(func() {
					for _, u := range us {
						if u.Status != directory.StatusDeprovisioned {
							panic("filter ignored: " + u.Status)
						}
						s.digest.AddUser(u)
					}
					deprov += len(us)
				})
				return nil
			})
		},
		func() error {
			return c.ListGroups(ctx, Query{}, func(gs []directory.Group) error {
				add(func() { groups = append(groups, gs...) })
				return nil
			})
		},
		func() error {
			return c.ListApps(ctx, Query{}, func(as []directory.App) error {
				add(func() { apps = append(apps, as...) })
				return nil
			})
		},
	}
	if err := parallel(steps); err != nil {
		return nil, err
	}
	s.expected["GET /api/v1/users"] = pages(active, UsersPageSize) + pages(deprov, UsersPageSize)
	s.expected["GET /api/v1/groups"] = pages(len(groups), GroupsPageSize)
	s.expected["GET /api/v1/apps"] = pages(len(apps), AppsPageSize)

	steps = nil
	for _, g := range groups {
		s.digest.AddGroup(g)
		steps = append(steps, func() error {
			n := 0
			err := c.ListGroupMembers(ctx, g.ID, func(ids []string) error {
				add(func() {
					for _, id := range ids {
						s.digest.AddMember(g.ID, id)
					}
				})
				n += len(ids)
				return nil
			})
			add(func() { s.expected["GET /api/v1/groups/{id}/users"] += pages(n, GroupMembersPageSize) })
			return err
		})
	}
	for _, a := range apps {
		s.digest.AddApp(a)
		steps = append(steps, func() error {
			n := 0
			err := c.ListAppUsers(ctx, a.ID, func(us []directory.AppUser) error {
				add(func() {
					for _, u := range us {
						if u.Scope != directory.ScopeUser && u.Scope != directory.ScopeGroup {
							panic("app user scope " + u.Scope)
						}
						s.digest.AddAppUser(a.ID, u.UserID)
					}
				})
				n += len(us)
				return nil
			})
			add(func() { s.expected["GET /api/v1/apps/{id}/users"] += pages(n, AppUsersPageSize) })
			return err
		}, func() error {
			n := 0
			err := c.ListAppGroups(ctx, a.ID, func(gs []directory.AppGroup) error {
				add(func() {
					for _, g := range gs {
						s.digest.AddAppGroup(a.ID, g.GroupID)
					}
				})
				n += len(gs)
				return nil
			})
			add(func() { s.expected["GET /api/v1/apps/{id}/groups"] += pages(n, AppGroupsPageSize) })
			return err
		})
	}
	return s, parallel(steps)
}

// parallel runs every step at once (the governor bounds the real
// concurrency) and returns the first error.
func parallel(steps []func() error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(steps))
	for i, step := range steps {
		wg.Go(func() { errs[i] = step() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func simClient(t *testing.T, srv *simtest.Server, token string, opts Options) *Client {
	t.Helper()
	if opts.BaseBackoff == 0 {
		opts.BaseBackoff = 5 * time.Millisecond
	}
	c, err := New(t.Context(), Credentials{OrgURL: srv.URL, Token: token}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkTruth(t *testing.T, srv *simtest.Server, s *snapshot) {
	t.Helper()
	truth := srv.Sim.Truth()
	counts := s.digest.Counts()
	got := map[string]int{"users": counts.Users, "groups": counts.Groups, "apps": counts.Apps,
		"memberships": counts.Memberships, "app_users": counts.AppUsers, "app_groups": counts.AppGroups}
	for k, want := range truth.Counts {
		if got[k] != want {
			t.Errorf("%s: listed %d, truth %d", k, got[k], want)
		}
	}
	if d := s.digest.Sum(); d != truth.Digest {
		t.Errorf("digest %s, truth %s", d, truth.Digest)
	}
}

// TestSimFullListingEqualsTruth lists scenarios S and M completely and
// compares with the sim's truth; the request counts per endpoint prove the
// maximum page sizes.
func TestSimFullListingEqualsTruth(t *testing.T) {
	t.Parallel()
	for _, scenario := range []string{"S", "M"} {
		t.Run(scenario, func(t *testing.T) {
			if scenario == "M" && testing.Short() {
				t.Skip("scenario M in -short mode")
			}
			srv := simtest.NewServer(t, oktasim.Options{Scenario: scenario, Seed: 7})
			c := simClient(t, srv, srv.ReadOnlyToken(), Options{})
			s, err := listAll(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			checkTruth(t, srv, s)
			st := srv.Sim.Stats()
			for ep, want := range s.expected {
				if got := st.ByEndpoint[ep]; got != want {
					t.Errorf("%s: %d requests, want %d (maximum page size)", ep, got, want)
				}
			}
			if st.Requests != c.Stats().Requests || c.Stats().Retries != 0 {
				t.Errorf("sim served %d requests, client sent %+v", st.Requests, c.Stats())
			}
			for _, e := range c.Journal() {
				if strings.Contains(e.Path, "00u") || strings.Contains(e.Path, "00g") || strings.Contains(e.Path, "0oa") {
					t.Fatalf("journal path with a concrete id: %+v", e)
				}
			}
		})
	}
}

// TestSimFaults: transient faults are retried to exactly the truth;
// permanent ones fail with the right, readable error.
func TestSimFaults(t *testing.T) {
	t.Parallel()
	t.Run("transient", func(t *testing.T) {
		srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 3})
		srv.Sim.SetFaults([]oktasim.FaultRule{
			{Path: "/api/v1/*", Probability: 0.025, Status: 500},
			{Path: "/api/v1/*", Probability: 0.025, Status: 503},
			{Path: "/api/v1/*", Probability: 0.03, Status: 429},
			{Path: "/api/v1/*", Probability: 0.03, Reset: true},
			{Path: "/api/v1/*", Probability: 0.05, LatencyMS: 20},
		})
		c := simClient(t, srv, srv.ReadOnlyToken(), Options{MaxRetries: 8})
		// Repeat the listing until every kind of answer fault has struck
		// (the draws depend on the request interleaving); each listing
		// must be exact. Connection resets are in the mix too, but net/http
		// silently resends a GET whose reused connection died, so they do
		// not always reach the journal (the fake-server tests cover them).
		statuses := map[int]int{}
		for round := 0; round < 8 && (statuses[500] == 0 || statuses[503] == 0 || statuses[429] == 0); round++ {
			c.SetJournal(NewJournal())
			s, err := listAll(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			checkTruth(t, srv, s)
			for _, e := range c.Journal() {
				statuses[e.Status]++
			}
		}
		if statuses[500] == 0 || statuses[503] == 0 || statuses[429] == 0 {
			t.Errorf("journal statuses %v: want 500, 503 and 429", statuses)
		}
		if st := c.Stats(); st.Retries == 0 || st.RateLimited == 0 {
			t.Errorf("client stats %+v", st)
		}
	})

	tests := []struct {
		name  string
		rules []oktasim.FaultRule
		token string
		list  func(ctx context.Context, c *Client) error
		check func(t *testing.T, err error)
	}{
		{
			name:  "noapps role",
			token: "noapps",
			list: func(ctx context.Context, c *Client) error {
				return c.ListApps(ctx, Query{}, func([]directory.App) error { return nil })
			},
			check: func(t *testing.T, err error) {
				var ae *APIError
				if !IsForbidden(err) || !errors.As(err, &ae) || ae.ErrorCode != CodeForbidden || ae.ErrorID == "" {
					t.Fatalf("err = %v, want 403 E0000006 with errorId", err)
				}
				if ae.Method != "GET" || ae.Path != "/api/v1/apps" {
					t.Errorf("refused request = %s %s, want GET /api/v1/apps (the hint's scope comes from it)", ae.Method, ae.Path)
				}
				if !strings.Contains(err.Error(), "okta.apps.read") {
					t.Errorf("no scope hint: %v", err)
				}
			},
		},
		{
			name:  "403 fault on apps, users still readable",
			rules: []oktasim.FaultRule{{Method: "GET", Path: "/api/v1/apps*", Probability: 1, Status: 403}},
			list: func(ctx context.Context, c *Client) error {
				n := 0
				if err := c.ListUsers(ctx, Query{}, func(us []directory.User) error { n += len(us); return nil }); err != nil || n == 0 {
					return fmt.Errorf("users with apps forbidden: n=%d err=%v", n, err)
				}
				return c.ListAppUsers(ctx, "0oaWhatever", func([]directory.AppUser) error { return nil })
			},
			check: func(t *testing.T, err error) {
				if !IsForbidden(err) || !strings.Contains(err.Error(), "E0000006") {
					t.Fatalf("err = %v, want IsForbidden E0000006", err)
				}
			},
		},
		{
			name:  "truncated body",
			rules: []oktasim.FaultRule{{Method: "GET", Path: "/api/v1/groups", Probability: 1, Truncate: true}},
			list: func(ctx context.Context, c *Client) error {
				return c.ListGroups(ctx, Query{}, func([]directory.Group) error { return nil })
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, ErrMalformedResponse) || !strings.HasPrefix(err.Error(), "list groups page 1: malformed response body") {
					t.Fatalf("err = %v, want a clear malformed-body error", err)
				}
			},
		},
		{
			name:  "revoked token",
			token: "00notAValidToken",
			list: func(ctx context.Context, c *Client) error {
				return c.ListGroups(ctx, Query{}, func([]directory.Group) error { return nil })
			},
			check: func(t *testing.T, err error) {
				if !IsUnauthorized(err) || !strings.Contains(err.Error(), "E0000011") || !strings.Contains(err.Error(), "set-token") {
					t.Fatalf("err = %v, want IsUnauthorized E0000011 with a hint", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 3})
			srv.Sim.SetFaults(tt.rules)
			token := srv.ReadOnlyToken()
			if tt.token != "" {
				token = srv.Token(tt.token)
				if token == "" {
					token = tt.token
				}
			}
			c := simClient(t, srv, token, Options{MaxRetries: 3})
			err := tt.list(t.Context(), c)
			tt.check(t, err)
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("error contains the token")
			}
			for _, e := range c.Journal() {
				if strings.Contains(fmt.Sprintf("%+v", e), token) {
					t.Fatalf("journal contains the token: %+v", e)
				}
			}
		})
	}
}

// TestSimGovernorRealistic: under realistic limits (list apps: 100 per
// minute, so dirdeck may use 50) a listing that needs more than the share
// is held to it — by the sim's own count — without a single 429, and when
// another client has already eaten into the bucket dirdeck leaves it its
// reserve.
func TestSimGovernorRealistic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		others   int // requests another integration makes at the start of the window
		listings int // concurrent listings of 12 one-app pages
		maxTotal int // most requests the bucket may show used while dirdeck is served
		// background keeps the other integration busy (a request every
		// 100 ms) while dirdeck runs; the bucket's total use then depends on
		// both, so only dirdeck's own side is checked.
		background bool
	}{
		// 72 requests: 50 in the first window, the rest after it resets.
		{"alone", 0, 6, 50, false},
		// 36 requests: 10 in the first window (the others took 40 and 50
		// stay in reserve), the rest after it resets.
		{"other integration", 40, 3, 50, false},
		{"other integration keeps going", 40, 3, 50, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 11, RateLimits: "realistic"})
			// Leave room for the other integration's requests, then bring
			// the window's end close so the test takes seconds.
			simtest.AlignToWindowEnd(srv.Sim, 40*time.Second)
			other := srv.Token("superadmin")
			otherRequest := func(ctx context.Context) error {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/apps?limit=1", nil)
				req.Header.Set("Authorization", "SSWS "+other)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return err
				}
				return resp.Body.Close()
			}
			for range tt.others {
				if err := otherRequest(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			simtest.AlignToWindowEnd(srv.Sim, 4*time.Second)
			srv.Sim.ResetStats()
			if tt.background {
				ctx, stop := context.WithCancel(t.Context())
				done := make(chan struct{})
				go func() {
					defer close(done)
					tick := time.NewTicker(100 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-ctx.Done():
							return
						case <-tick.C:
							_ = otherRequest(ctx)
						}
					}
				}()
				defer func() { stop(); <-done }()
			}

			c := simClient(t, srv, srv.ReadOnlyToken(), Options{})
			var steps []func() error
			for range tt.listings {
				steps = append(steps, func() error {
					return c.ListApps(t.Context(), Query{Limit: 1}, func([]directory.App) error { return nil })
				})
			}
			if err := parallel(steps); err != nil {
				t.Fatal(err)
			}
			st := srv.Sim.Stats()
			journal := c.Journal()
			want := 12 * tt.listings
			if !tt.background {
				if st.Throttled != 0 {
					t.Errorf("sim throttled %d requests", st.Throttled)
				}
				if st.ByEndpoint["GET /api/v1/apps"] != int64(want) {
					t.Errorf("sim served %d list-apps requests, want %d", st.ByEndpoint["GET /api/v1/apps"], want)
				}
			}
			if len(journal) != want {
				t.Fatalf("journal %d entries, want %d", len(journal), want)
			}
			ours := map[int64]int{}
			var first int64
			for _, e := range journal {
				if e.Status != http.StatusOK || e.RateLimit != 100 {
					t.Fatalf("entry %+v", e)
				}
				if used := e.RateLimit - e.RateRemaining; used > tt.maxTotal && !tt.background {
					t.Errorf("bucket at %d/100 after one of dirdeck's requests; budget is %d", used, tt.maxTotal)
				}
				ours[e.RateReset]++
				if first == 0 || e.RateReset < first {
					first = e.RateReset
				}
			}
			// In the first window the others had taken 40 of 100 and 50 stay
			// in reserve: dirdeck may take at most 10 (fewer when the others
			// keep going).
			if tt.others > 0 && ours[first] > 100-tt.others-50 {
				t.Errorf("first window: dirdeck sent %d, the reserve allows %d", ours[first], 100-tt.others-50)
			}
			for reset, n := range ours {
				if n > 50 {
					t.Errorf("window %d: dirdeck sent %d of 100", reset, n)
				}
			}
			if len(ours) < 2 {
				t.Errorf("all requests in one window (%v): the share was not enforced", ours)
			}
			if cs := c.Stats(); cs.ThrottledWaits == 0 || cs.Buckets[BucketApps].MaxOwnShare > 0.5 {
				t.Errorf("client stats %+v", cs)
			}
		})
	}
}

// TestSimOAuth: the SDK's private_key_jwt flow against the sim's org
// authorization server, the granted scopes, and the 403 for a scope the
// service app lacks.
func TestSimOAuth(t *testing.T) {
	t.Parallel()
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 5})
	clients, err := srv.Sim.Clients()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]oktasim.ServiceClient{}
	for _, sc := range clients {
		byName[sc.Name] = sc
	}
	oauth := func(sc oktasim.ServiceClient, scopes []string) *Client {
		c, err := New(t.Context(), Credentials{OrgURL: srv.URL, ClientID: sc.ClientID, PrivateKeyPEM: []byte(sc.PrivateKeyPEM), Scopes: scopes}, Options{BaseBackoff: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	ro := byName["readonly"]
	c := oauth(ro, ro.Scopes)
	s, err := listAll(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	checkTruth(t, srv, s)
	if got := c.GrantedScopes(); len(got) != len(ro.Scopes) {
		t.Errorf("granted scopes %v, want %v", got, ro.Scopes)
	}
	tokenRequests := 0
	for _, e := range c.Journal() {
		if e.Path == "/oauth2/v1/token" {
			tokenRequests++
		}
	}
	if tokenRequests != 1 {
		t.Errorf("%d token requests for one listing, want 1 (cached)", tokenRequests)
	}

	// A users-only app: users work, apps are forbidden with the scope hint.
	var ae *APIError
	uo := byName["usersonly"]
	c = oauth(uo, uo.Scopes)
	if err := c.ListUsers(t.Context(), Query{}, func([]directory.User) error { return nil }); err != nil {
		t.Fatal(err)
	}
	err = c.ListApps(t.Context(), Query{}, func([]directory.App) error { return nil })
	if !IsForbidden(err) || !errors.As(err, &ae) || ae.Challenge != "insufficient_scope" || ae.Scope != "okta.apps.read" ||
		!strings.Contains(err.Error(), "OAuth access token lacks okta.apps.read") {
		t.Errorf("apps without okta.apps.read: %v", err)
	}

	// Asking for a scope the app was not granted fails at the token
	// endpoint, with the OAuth error instead of the SDK's "Empty access token".
	c = oauth(uo, []string{"okta.users.read", "okta.apps.read"})
	err = c.ListUsers(t.Context(), Query{}, func([]directory.User) error { return nil })
	if !errors.As(err, &ae) || ae.ErrorCode == "" || !strings.Contains(err.Error(), "get OAuth access token") {
		t.Errorf("ungranted scope: %v", err)
	}
	t.Logf("ungranted scope error: %v", err)
}

// TestSimLogs polls the System Log after churn: every event of the churn
// arrives once, oldest first, and the returned cursor is the newest.
func TestSimLogs(t *testing.T) {
	t.Parallel()
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 9})
	srv.Sim.Advance(2 * time.Second) // seeded history stays before since
	since := srv.Sim.Now().Truncate(time.Second)
	res, err := srv.Sim.Churn(300)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ByKind) == 0 || res.ByKind["group.user_membership.add"] == 0 {
		t.Fatalf("churn made no membership events: %+v", res)
	}
	c := simClient(t, srv, srv.ReadOnlyToken(), Options{})
	byType := map[string]int{}
	seen := map[string]bool{}
	var prev time.Time
	last, err := c.ListLogs(t.Context(), since, "", func(es []LogEvent) error {
		for _, e := range es {
			if seen[e.UUID] {
				t.Errorf("event %s twice", e.UUID)
			}
			seen[e.UUID] = true
			if e.Published.Before(prev) {
				t.Errorf("event %s out of order", e.UUID)
			}
			prev = e.Published
			byType[e.EventType]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for typ, n := range res.ByKind {
		if byType[typ] != n {
			t.Errorf("%s: read %d events, churn made %d", typ, byType[typ], n)
		}
	}
	if !last.Equal(prev) || last.Before(since) {
		t.Errorf("last published %v, newest event %v", last, prev)
	}

	// A filtered poll returns only that type.
	typ := "group.user_membership.add"
	n := 0
	if _, err := c.ListLogs(t.Context(), since, `eventType eq "`+typ+`"`, func(es []LogEvent) error {
		for _, e := range es {
			if e.EventType != typ {
				t.Errorf("filtered poll returned %s", e.EventType)
			}
		}
		n += len(es)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != res.ByKind[typ] {
		t.Errorf("filtered poll: %d events, want %d", n, res.ByKind[typ])
	}
}

// TestSimWritesAndTokenInfo: group writes with a super admin token, the
// 403 with the manage scope for a read-only one, and the token metadata
// and roles the scope checks read.
func TestSimWritesAndTokenInfo(t *testing.T) {
	t.Parallel()
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 2})
	ctx := t.Context()
	admin := simClient(t, srv, srv.SuperAdminToken(), Options{})
	var someUser string
	if err := admin.ListUsers(ctx, Query{Limit: 1}, func(us []directory.User) error {
		someUser = us[0].ID
		return errStop
	}); !errors.Is(err, errStop) {
		t.Fatal(err)
	}

	g, err := admin.CreateGroup(ctx, "dirdeck test", "made by a test")
	if err != nil {
		t.Fatal(err)
	}
	if g.ID == "" || g.Name != "dirdeck test" || g.Type != directory.GroupTypeOkta {
		t.Fatalf("created %+v", g)
	}
	for range 2 { // adding twice is harmless
		if err := admin.AddGroupMember(ctx, g.ID, someUser); err != nil {
			t.Fatal(err)
		}
	}
	members := func() []string {
		var ids []string
		if err := admin.ListGroupMembers(ctx, g.ID, func(p []string) error { ids = append(ids, p...); return nil }); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := members(); len(got) != 1 || got[0] != someUser {
		t.Fatalf("members after add: %v", got)
	}
	if err := admin.RemoveGroupMember(ctx, g.ID, someUser); err != nil {
		t.Fatal(err)
	}
	if got := members(); len(got) != 0 {
		t.Fatalf("members after remove: %v", got)
	}
	if _, err := admin.UpdateGroup(ctx, g.ID, "dirdeck renamed", ""); err != nil {
		t.Fatal(err)
	}
	got, err := admin.GetGroup(ctx, g.ID)
	if err != nil || got.Name != "dirdeck renamed" || got.Description != "" {
		t.Fatalf("after update: %+v %v", got, err)
	}
	if _, err := admin.GetGroup(ctx, "00gDoesNotExist0000"); !IsNotFound(err) {
		t.Errorf("missing group: %v", err)
	}

	ro := simClient(t, srv, srv.ReadOnlyToken(), Options{})
	err = ro.AddGroupMember(ctx, g.ID, someUser)
	if !IsForbidden(err) || !strings.Contains(err.Error(), "okta.groups.manage") {
		t.Errorf("read-only write: %v", err)
	}
	var owner string
	for _, ti := range srv.Sim.Tokens() {
		if ti.Name == "readonly" {
			owner = ti.Owner
		}
	}
	roles, err := ro.UserRoles(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) == 0 || roles[0].Type != "READ_ONLY_ADMIN" {
		t.Errorf("roles %+v", roles)
	}
}

var errStop = errors.New("stop")

// BenchmarkListAll measures the client's own cost (SDK decoding, mapping,
// governor bookkeeping) for a full listing with rate limits off.
func BenchmarkListAll(b *testing.B) {
	for _, scenario := range []string{"S", "M"} {
		b.Run(scenario, func(b *testing.B) {
			srv := simtest.NewServer(b, oktasim.Options{Scenario: scenario, Seed: 1})
			c, err := New(b.Context(), Credentials{OrgURL: srv.URL, Token: srv.ReadOnlyToken()}, Options{})
			if err != nil {
				b.Fatal(err)
			}
			var requests int64
			for b.Loop() {
				before := c.Stats().Requests
				if _, err := listAll(b.Context(), c); err != nil {
					b.Fatal(err)
				}
				requests = c.Stats().Requests - before
			}
			b.ReportMetric(float64(requests), "requests/op")
		})
	}
}
