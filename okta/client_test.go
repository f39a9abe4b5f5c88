package okta

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	oktasdk "github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/dirdeck/dirdeck/directory"
)

// TestMain keeps the developer's Okta SDK configuration out of the tests
// and plants poisoned values in its place (a home directory with
// ~/.okta/okta.yaml and OKTA_CLIENT_* variables): the client must not pick
// any of them up. Set for the whole process so that tests may run in
// parallel.
func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "okta-test-home")
	if err != nil {
		panic(err)
	}
	code := func() int {
		defer os.RemoveAll(home)
		if err := os.MkdirAll(filepath.Join(home, ".okta"), 0o700); err != nil {
			panic(err)
		}
		yaml := "okta:\n  client:\n    token: 00poisonFromYaml\n    orgUrl: https://poison.okta.com\n    proxy:\n      host: 127.0.0.1\n      port: 9\n"
		if err := os.WriteFile(filepath.Join(home, ".okta", "okta.yaml"), []byte(yaml), 0o600); err != nil {
			panic(err)
		}
		for k, v := range map[string]string{
			"HOME":                          home,
			"OKTA_CLIENT_TOKEN":             "00poisonFromEnv",
			"OKTA_CLIENT_ORGURL":            "https://poison.okta.com",
			"OKTA_CLIENT_PROXY_HOST":        "127.0.0.1",
			"OKTA_CLIENT_PROXY_PORT":        "9",
			"OKTA_CLIENT_AUTHORIZATIONMODE": "Bearer",
		} {
			os.Setenv(k, v)
		}
		return m.Run()
	}()
	os.Exit(code)
}

func newTestClient(t *testing.T, url, token string, opts Options) *Client {
	t.Helper()
	if opts.BaseBackoff == 0 {
		opts.BaseBackoff = time.Millisecond
	}
	c, err := New(t.Context(), Credentials{OrgURL: url, Token: token}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewRejectsBadCredentials(t *testing.T) {
	key := testKeyPEM(t)
	tests := []struct {
		name    string
		creds   Credentials
		opts    Options
		wantErr string
	}{
		{"no auth", Credentials{OrgURL: "https://a.okta.com"}, Options{}, "no API token"},
		{"both", Credentials{OrgURL: "https://a.okta.com", Token: "00x", ClientID: "c", PrivateKeyPEM: key, Scopes: []string{"okta.users.read"}}, Options{}, "not both"},
		{"token whitespace", Credentials{OrgURL: "https://a.okta.com", Token: "00a b"}, Options{}, "whitespace"},
		{"oauth no scopes", Credentials{OrgURL: "https://a.okta.com", ClientID: "c", PrivateKeyPEM: key}, Options{}, "scope"},
		{"oauth no client", Credentials{OrgURL: "https://a.okta.com", PrivateKeyPEM: key, Scopes: []string{"s"}}, Options{}, "client id"},
		{"oauth bad key", Credentials{OrgURL: "https://a.okta.com", ClientID: "c", PrivateKeyPEM: []byte("nope"), Scopes: []string{"s"}}, Options{}, "not PEM"},
		{"http remote", Credentials{OrgURL: "http://example.com", Token: "00x"}, Options{}, "plain http is refused"},
		{"bad share", Credentials{OrgURL: "https://a.okta.com", Token: "00x"}, Options{BudgetShare: 1.5}, "between 0 and 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(t.Context(), tt.creds, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestPathTemplateAndBucket(t *testing.T) {
	tests := []struct{ path, tmpl, bucket string }{
		{"/api/v1/users", "/api/v1/users", BucketUsers},
		{"/api/v1/users/00u1abc", "/api/v1/users/{userId}", BucketOtherAPI},
		{"/api/v1/users/alice@example.com/groups", "/api/v1/users/{userId}/groups", BucketOtherAPI},
		{"/api/v1/users/me", "/api/v1/users/me", BucketOtherAPI},
		{"/api/v1/groups", "/api/v1/groups", BucketGroups},
		{"/api/v1/groups/00g1/users", "/api/v1/groups/{groupId}/users", BucketGroupByID},
		{"/api/v1/groups/00g1/users/00u2", "/api/v1/groups/{groupId}/users/{userId}", BucketGroupByID},
		{"/api/v1/groups/rules", "/api/v1/groups/rules", BucketGroupByID},
		{"/api/v1/apps", "/api/v1/apps", BucketApps},
		{"/api/v1/apps/0oa1/users", "/api/v1/apps/{appId}/users", BucketAppByID},
		{"/api/v1/apps/0oa1/groups", "/api/v1/apps/{appId}/groups", BucketAppByID},
		{"/api/v1/logs", "/api/v1/logs", BucketLogs},
		{"/api/v1/api-tokens/current", "/api/v1/api-tokens/current", BucketOtherAPI},
		{"/api/v1/users/00u1/roles/ra1/targets/groups", "/api/v1/users/{userId}/roles/{roleId}/targets/groups", BucketOtherAPI},
		{"/oauth2/v1/token", "/oauth2/v1/token", BucketOAuthToken},
		{"/.well-known/okta-organization", "/.well-known/okta-organization", BucketOtherOrigin},
	}
	for _, tt := range tests {
		if got := pathTemplate(tt.path); got != tt.tmpl {
			t.Errorf("pathTemplate(%q) = %q, want %q", tt.path, got, tt.tmpl)
		}
		if got := BucketFor(tt.path); got != tt.bucket {
			t.Errorf("BucketFor(%q) = %q, want %q", tt.path, got, tt.bucket)
		}
	}
}

func TestListUsersPagingAndMapping(t *testing.T) {
	t.Parallel()
	f := newFakeOkta(t)
	f.addUsers(450)
	srv := f.start()
	c := newTestClient(t, srv.URL, f.token, Options{})

	var got []directory.User
	pages := 0
	err := c.ListUsers(t.Context(), Query{}, func(us []directory.User) error {
		pages++
		got = append(got, us...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages != 3 || len(got) != 450 {
		t.Fatalf("pages=%d users=%d, want 3 pages, 450 users", pages, len(got))
	}
	for i, u := range got {
		if want := fmt.Sprintf("00u%05d", i); u.ID != want {
			t.Fatalf("user %d id %s, want %s (order or paging broken)", i, u.ID, want)
		}
	}
	u := got[7]
	if u.Login != "user7@example.com" || u.Department != "Sales" || u.LastName != "Last7" || u.Title != "" {
		t.Errorf("profile mapping: %+v", u)
	}
	if u.LastUpdated.Location() != time.UTC || u.LastUpdated.Format(time.RFC3339Nano) != "2026-11-26T04:36:00.123Z" {
		t.Errorf("lastUpdated %v, want 2026-11-26T04:36:00.123Z in UTC", u.LastUpdated)
	}
	if u.Activated != nil {
		t.Errorf("activated null mapped to %v", u.Activated)
	}
	if u.Attributes["favouriteColour"] != "teal" || u.Attributes["streetAddress"] != "1 Main St" {
		t.Errorf("attributes %v, want custom favouriteColour and streetAddress", u.Attributes)
	}
	if _, ok := u.Attributes["title"]; ok {
		t.Errorf("attributes hold a standard field: %v", u.Attributes)
	}
	for _, r := range f.served() {
		if r.URL.Query().Get("limit") != "200" {
			t.Errorf("request %s asked limit %q, want 200", r.URL, r.URL.Query().Get("limit"))
		}
	}

	// The DEPROVISIONED listing passes its filter through.
	n := 0
	if err := c.ListUsers(t.Context(), Query{Filter: FilterDeprovisioned}, func(us []directory.User) error { n += len(us); return nil }); err != nil {
		t.Fatal(err)
	}
	last := f.served()[len(f.served())-1]
	if n != 0 || last.URL.Query().Get("filter") != FilterDeprovisioned {
		t.Errorf("deprovisioned listing: n=%d filter=%q", n, last.URL.Query().Get("filter"))
	}

	// The callback's error stops the listing and comes back unchanged. The
	// second page may have been requested ahead (and cancelled); nothing
	// after it is.
	stop := errors.New("stop")
	before := len(f.served())
	calls := 0
	if err := c.ListUsers(t.Context(), Query{}, func([]directory.User) error { calls++; return stop }); !errors.Is(err, stop) {
		t.Fatalf("callback error = %v, want stop", err)
	}
	if n := len(f.served()) - before; calls != 1 || n > 2 {
		t.Errorf("listing went on after the callback failed: %d more calls, %d requests", calls-1, n)
	}
	if err := c.ListUsers(t.Context(), Query{Limit: 500}, nil); err == nil {
		t.Error("limit 500 for users accepted")
	}
}

func TestJournalTemplatesAndNoSecrets(t *testing.T) {
	t.Parallel()
	f := newFakeOkta(t)
	f.addUsers(3)
	f.groups["00gSecretGroup"] = []string{"00u00001", "00u00002"}
	f.limit = 1000
	srv := f.start()
	j := NewJournal()
	c := newTestClient(t, srv.URL, f.token, Options{Journal: j})

	if err := c.ListUsers(t.Context(), Query{Search: `profile.email eq "private@example.com"`}, func([]directory.User) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var members []string
	if err := c.ListGroupMembers(t.Context(), "00gSecretGroup", func(ids []string) error { members = append(members, ids...); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(members, []string{"00u00001", "00u00002"}) {
		t.Fatalf("members %v", members)
	}
	if q := f.served()[len(f.served())-1].URL.Query().Get("limit"); q != "1000" {
		t.Errorf("group members limit %q, want 1000", q)
	}
	err := c.ListGroupMembers(t.Context(), "00gGone", func([]string) error { return nil })
	if !IsNotFound(err) {
		t.Fatalf("missing group: %v, want IsNotFound", err)
	}

	entries := c.Journal()
	if len(entries) != 3 {
		t.Fatalf("journal has %d entries, want 3: %+v", len(entries), entries)
	}
	want := []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/users", 200, ""},
		{"/api/v1/groups/{groupId}/users", 200, ""},
		{"/api/v1/groups/{groupId}/users", 404, "E0000007"},
	}
	for i, w := range want {
		e := entries[i]
		if e.Path != w.path || e.Status != w.status || e.ErrorCode != w.code || e.Method != "GET" || e.Attempt != 1 {
			t.Errorf("entry %d = %+v, want %+v", i, e, w)
		}
		if e.RateLimit != 1000 || e.RateReset == 0 {
			t.Errorf("entry %d lacks rate-limit headers: %+v", i, e)
		}
	}
	if entries[2].ErrorID != "oaeE0000007" {
		t.Errorf("errorId not journaled: %+v", entries[2])
	}
	raw, _ := json.Marshal(entries)
	for _, secret := range []string{f.token, "00gSecretGroup", "private@example.com", "poison"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("journal contains %q: %s", secret, raw)
		}
	}
	for _, r := range f.served() {
		if got := r.Header.Get("Authorization"); got != "SSWS "+f.token {
			t.Errorf("request sent Authorization %q: the SDK picked up outside configuration", got)
		}
	}

	// A new journal per run.
	j2 := NewJournal()
	c.SetJournal(j2)
	if err := c.ListUsers(t.Context(), Query{}, func([]directory.User) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if j.Len() != 3 || j2.Len() != 1 {
		t.Errorf("journals after SetJournal: old %d, new %d; want 3 and 1", j.Len(), j2.Len())
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fault    func(w http.ResponseWriter, r *http.Request, n int) bool
		token    string
		list     func(c *Client) error
		check    func(error) bool
		wantText []string
		attempts int
	}{
		{
			name: "403 on apps",
			fault: func(w http.ResponseWriter, r *http.Request, n int) bool {
				if strings.HasPrefix(r.URL.Path, "/api/v1/apps") {
					oktaError(w, http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action")
					return true
				}
				return false
			},
			list: func(c *Client) error {
				return c.ListApps(context.Background(), Query{}, func([]directory.App) error { return nil })
			},
			check:    IsForbidden,
			wantText: []string{"list apps page 1: 403 E0000006 You do not have permission", "errorId oaeE0000006", "okta.apps.read"},
			attempts: 1,
		},
		{
			name:  "401 bad token",
			token: "00wrongToken",
			list: func(c *Client) error {
				return c.ListUsers(context.Background(), Query{}, func([]directory.User) error { return nil })
			},
			check:    IsUnauthorized,
			wantText: []string{"401 E0000011 Invalid token provided", "dirdeck profile set-token"},
			attempts: 1,
		},
		{
			name: "truncated JSON",
			fault: func(w http.ResponseWriter, r *http.Request, n int) bool {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`[{"id":"00u1","status":"ACT`))
				return true
			},
			list: func(c *Client) error {
				return c.ListUsers(context.Background(), Query{}, func([]directory.User) error { return nil })
			},
			check:    func(err error) bool { return errors.Is(err, ErrMalformedResponse) },
			wantText: []string{"list users page 1: malformed response body"},
			attempts: 3, // cut short: retried like a dropped connection, MaxRetries times
		},
		{
			name: "malformed JSON",
			fault: func(w http.ResponseWriter, r *http.Request, n int) bool {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`[{"id":"00u1","status":}]`))
				return true
			},
			list: func(c *Client) error {
				return c.ListUsers(context.Background(), Query{}, func([]directory.User) error { return nil })
			},
			check:    func(err error) bool { return errors.Is(err, ErrMalformedResponse) },
			wantText: []string{"list users page 1: malformed response body"},
			attempts: 2, // wrong, not cut: retried once
		},
		{
			name: "wrong JSON shape",
			fault: func(w http.ResponseWriter, r *http.Request, n int) bool {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"not":"a list"}`))
				return true
			},
			list: func(c *Client) error {
				return c.ListApps(context.Background(), Query{}, func([]directory.App) error { return nil })
			},
			check:    func(err error) bool { return errors.Is(err, ErrMalformedResponse) },
			wantText: []string{"list apps page 1: malformed response body"},
			attempts: 1,
		},
		{
			name: "persistent 503",
			fault: func(w http.ResponseWriter, r *http.Request, n int) bool {
				oktaError(w, http.StatusServiceUnavailable, "E0000009", "Internal Server Error")
				return true
			},
			list: func(c *Client) error {
				return c.ListUsers(context.Background(), Query{}, func([]directory.User) error { return nil })
			},
			check:    func(err error) bool { var e *APIError; return errors.As(err, &e) && e.Status == 503 },
			wantText: []string{"503 E0000009", "Okta's side"},
			attempts: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOkta(t)
			f.addUsers(2)
			f.fault = tt.fault
			srv := f.start()
			token := f.token
			if tt.token != "" {
				token = tt.token
			}
			c := newTestClient(t, srv.URL, token, Options{MaxRetries: 2})
			err := tt.list(c)
			if err == nil || !tt.check(err) {
				t.Fatalf("err = %v (%T)", err, err)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error contains the token: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if len(f.served()) != tt.attempts {
				t.Errorf("%d attempts, want %d", len(f.served()), tt.attempts)
			}
		})
	}
}

func TestRetriesRecoverExactly(t *testing.T) {
	t.Parallel()
	f := newFakeOkta(t)
	f.addUsers(1000)
	// Every third request fails in a different way; retries must still
	// deliver every user exactly once.
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		switch n % 9 {
		case 1:
			oktaError(w, http.StatusServiceUnavailable, "E0000009", "Service unavailable")
		case 4:
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close() // connection reset before any answer
		case 7:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "100000")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(`[{"id":"00u`)) // body cut short
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
		default:
			return false
		}
		return true
	}
	srv := f.start()
	c := newTestClient(t, srv.URL, f.token, Options{})
	seen := map[string]int{}
	err := c.ListUsers(t.Context(), Query{Limit: 50}, func(us []directory.User) error {
		for _, u := range us {
			seen[u.ID]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1000 {
		t.Fatalf("got %d distinct users, want 1000", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("user %s delivered %d times", id, n)
		}
	}
	st := c.Stats()
	// net/http itself resends a GET once when a reused connection dies
	// before answering, so the server may see more attempts than we sent.
	if st.Retries == 0 || st.Requests < 20 || st.Requests > int64(len(f.served())) {
		t.Errorf("stats %+v, server saw %d requests", st, len(f.served()))
	}
	var network, status int
	for _, e := range c.Journal() {
		if e.Network != "" {
			network++
		}
		if e.Status == 503 {
			status++
		}
	}
	if network == 0 || status == 0 {
		t.Errorf("journal lacks the faults: %d network, %d 503", network, status)
	}
}

func TestNoRetryOfNonIdempotentWriteAfterNetworkError(t *testing.T) {
	t.Parallel()
	f := newFakeOkta(t)
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
		return true
	}
	srv := f.start()
	c := newTestClient(t, srv.URL, f.token, Options{})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v1/groups", strings.NewReader(`{}`))
	if _, err := c.tr.RoundTrip(req); err == nil {
		t.Fatal("POST after a connection reset succeeded")
	}
	if len(f.served()) != 1 {
		t.Errorf("POST sent %d times, want 1", len(f.served()))
	}
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPut, srv.URL+"/api/v1/groups/00g1/users/00u1", nil)
	before := len(f.served())
	if _, err := c.tr.RoundTrip(req); err == nil {
		t.Fatal("PUT that always resets succeeded")
	}
	if got := len(f.served()) - before; got != 7 {
		t.Errorf("PUT sent %d times, want 7 (1 + 6 retries)", got)
	}
}

func TestContextCancelStopsWaiting(t *testing.T) {
	t.Parallel()
	f := newFakeOkta(t)
	answered := make(chan struct{})
	var once sync.Once
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		oktaError(w, http.StatusServiceUnavailable, "E0000009", "down")
		once.Do(func() { close(answered) })
		return true
	}
	srv := f.start()
	c := newTestClient(t, srv.URL, f.token, Options{BaseBackoff: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.ListUsers(ctx, Query{}, func([]directory.User) error { return nil }) }()
	<-answered
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancel did not stop the backoff")
	}
}

func TestAppsAndAssignments(t *testing.T) {
	t.Parallel()
	f := newFakeOkta(t)
	for i, mode := range []string{"SAML_2_0", "BOOKMARK", "OPENID_CONNECT", "A_MODE_FROM_THE_FUTURE", "AUTO_LOGIN"} {
		f.apps = append(f.apps, map[string]any{
			"id": fmt.Sprintf("0oa%d", i), "name": "app" + mode, "label": "App " + mode, "status": "ACTIVE",
			"signOnMode": mode, "created": "2024-01-01T00:00:00.000Z", "lastUpdated": "2026-01-01T10:00:00.000+02:00",
		})
	}
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/apps/0oa1/users":
			json.NewEncoder(w).Encode([]map[string]any{
				{"id": "00u1", "scope": "USER", "status": "PROVISIONED", "lastUpdated": "2026-01-01T00:00:00.000Z"},
				{"id": "00u2", "scope": "GROUP", "status": "ACTIVE", "lastUpdated": "2026-01-01T00:00:00.000Z"},
			})
		case "/api/v1/apps/0oa1/groups":
			json.NewEncoder(w).Encode([]map[string]any{{"id": "00g1", "priority": 2, "lastUpdated": "2026-01-01T00:00:00.000Z"}})
		default:
			return false
		}
		if r.URL.Query().Get("limit") == "" {
			t.Errorf("%s without limit", r.URL.Path)
		}
		return true
	}
	srv := f.start()
	c := newTestClient(t, srv.URL, f.token, Options{})
	var apps []directory.App
	if err := c.ListApps(t.Context(), Query{}, func(a []directory.App) error { apps = append(apps, a...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(apps) != 5 || apps[3].SignOnMode != "A_MODE_FROM_THE_FUTURE" || apps[0].Label != "App SAML_2_0" {
		t.Fatalf("apps %+v", apps)
	}
	if got := apps[0].LastUpdated; got.Location() != time.UTC || got.Hour() != 8 {
		t.Errorf("app lastUpdated %v, want 08:00 UTC", got)
	}
	var users []directory.AppUser
	if err := c.ListAppUsers(t.Context(), "0oa1", func(u []directory.AppUser) error { users = append(users, u...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0] != (directory.AppUser{AppID: "0oa1", UserID: "00u1", Scope: "USER", Status: "PROVISIONED", LastUpdated: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}) || users[1].Scope != directory.ScopeGroup {
		t.Errorf("app users %+v", users)
	}
	var groups []directory.AppGroup
	if err := c.ListAppGroups(t.Context(), "0oa1", func(g []directory.AppGroup) error { groups = append(groups, g...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].GroupID != "00g1" || groups[0].Priority != 2 || groups[0].AppID != "0oa1" {
		t.Errorf("app groups %+v", groups)
	}
	limits := map[string]string{}
	for _, r := range f.served() {
		limits[pathTemplate(r.URL.Path)] = r.URL.Query().Get("limit")
	}
	wantLimits := map[string]string{"/api/v1/apps": "200", "/api/v1/apps/{appId}/users": "500", "/api/v1/apps/{appId}/groups": "200"}
	for p, l := range wantLimits {
		if limits[p] != l {
			t.Errorf("%s limit %q, want %q", p, limits[p], l)
		}
	}
}

func TestListLogsPolling(t *testing.T) {
	t.Parallel()
	f := newFakeOkta(t)
	base := time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC)
	for i := range 2500 {
		f.logs = append(f.logs, map[string]any{
			"uuid": fmt.Sprintf("ev%04d", i), "published": base.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000Z"),
			"eventType": "group.user_membership.add", "outcome": map[string]any{"result": "SUCCESS"},
			"actor":  map[string]any{"id": "00uAdmin", "type": "User", "alternateId": "admin@example.com"},
			"target": []any{map[string]any{"id": "00u1", "type": "User"}, map[string]any{"id": "00g1", "type": "UserGroup", "displayName": "Sales"}},
		})
	}
	srv := f.start()
	c := newTestClient(t, srv.URL, f.token, Options{})
	var events []LogEvent
	last, err := c.ListLogs(t.Context(), base, "", func(es []LogEvent) error { events = append(events, es...); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2500 {
		t.Fatalf("%d events, want 2500", len(events))
	}
	if want := base.Add(2499 * time.Second); !last.Equal(want) {
		t.Errorf("last published %v, want %v", last, want)
	}
	e := events[1]
	if e.UUID != "ev0001" || e.EventType != "group.user_membership.add" || e.Outcome != "SUCCESS" || len(e.Targets) != 2 || e.Targets[1].DisplayName != "Sales" || e.Actor.AlternateID != "admin@example.com" {
		t.Errorf("event %+v", e)
	}
	// 3 full-or-partial pages, then the empty page that ends the poll.
	if len(f.served()) != 4 {
		t.Errorf("%d requests, want 4", len(f.served()))
	}
	first := f.served()[0].URL.Query()
	if first.Get("limit") != "1000" || first.Get("since") != "2026-11-26T04:00:00Z" || first.Get("sortOrder") != "ASCENDING" {
		t.Errorf("first log request %v", first)
	}
}

func testKeyPEM(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestOAuthPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	f := newFakeOkta(t)
	f.addUsers(3)
	const access = "eyAccessTokenSecret"
	var mu sync.Mutex
	tokenCalls := 0
	refuse := false
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.URL.Path == "/oauth2/v1/token" {
			mu.Lock()
			tokenCalls++
			deny := refuse
			mu.Unlock()
			q := r.URL.Query()
			w.Header().Set("Content-Type", "application/json")
			if deny {
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"error":"invalid_client","error_description":"The client_assertion signature is invalid."}`))
				return true
			}
			if r.Method != http.MethodPost || q.Get("grant_type") != "client_credentials" || q.Get("client_assertion") == "" {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"error":"invalid_request"}`))
				return true
			}
			json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "access_token": access, "expires_in": 3600, "scope": q.Get("scope")})
			return true
		}
		if r.Header.Get("Authorization") != "Bearer "+access {
			oktaError(w, http.StatusUnauthorized, "E0000011", "Invalid token provided")
			return true
		}
		r.Header.Set("Authorization", "SSWS "+f.token) // let the fake's routing accept it
		return false
	}
	srv := f.start()
	creds := Credentials{OrgURL: srv.URL, ClientID: "0oaClient", PrivateKeyPEM: testKeyPEM(t), KeyID: "kid1", Scopes: []string{"okta.users.read", "okta.groups.read"}}
	c, err := New(t.Context(), creds, Options{BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		n := 0
		if err := c.ListUsers(t.Context(), Query{}, func(us []directory.User) error { n += len(us); return nil }); err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Fatalf("%d users, want 3", n)
		}
	}
	if tokenCalls != 1 {
		t.Errorf("%d token requests, want 1 (the SDK caches the access token)", tokenCalls)
	}
	if got := c.GrantedScopes(); !slices.Equal(got, []string{"okta.users.read", "okta.groups.read"}) {
		t.Errorf("granted scopes %v", got)
	}
	raw, _ := json.Marshal(c.Journal())
	if strings.Contains(string(raw), access) || strings.Contains(string(raw), "client_assertion") {
		t.Errorf("journal leaks OAuth material: %s", raw)
	}
	if !strings.Contains(string(raw), `"path":"/oauth2/v1/token"`) {
		t.Errorf("journal lacks the token request: %s", raw)
	}

	// A refused client: one clear error naming the OAuth problem.
	mu.Lock()
	refuse = true
	mu.Unlock()
	c2, err := New(t.Context(), creds, Options{BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = c2.ListUsers(t.Context(), Query{}, func([]directory.User) error { return nil })
	var ae *APIError
	if !errors.As(err, &ae) || ae.ErrorCode != "invalid_client" || !strings.Contains(err.Error(), "private key does not match") {
		t.Fatalf("refused token: %v", err)
	}
	if !IsUnauthorized(err) {
		t.Errorf("refused token is not IsUnauthorized: %v", err)
	}
}

func TestStalledAttemptIsRetried(t *testing.T) {
	t.Parallel()
	f := newFakeOkta(t)
	f.addUsers(3)
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte("[")) // then stall mid-body until the client gives up
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return true
		}
		return false
	}
	srv := f.start()
	c := newTestClient(t, srv.URL, f.token, Options{AttemptTimeout: time.Second})
	n := 0
	if err := c.ListUsers(t.Context(), Query{}, func(us []directory.User) error { n += len(us); return nil }); err != nil {
		t.Fatal(err)
	}
	j := c.Journal()
	if n != 3 || len(j) < 2 || !strings.Contains(j[0].Network, "deadline") || j[len(j)-1].Status != 200 || j[len(j)-1].Attempt < 2 {
		t.Errorf("n=%d journal %+v", n, j)
	}
}

// TestTLSMinimum: an org that only speaks TLS 1.1 is refused even when the
// caller's HTTP client would accept it; TLS 1.2 works.
func TestTLSMinimum(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		max     uint16
		wantErr bool
	}{
		{"TLS 1.1", tls.VersionTLS11, true},
		{"TLS 1.2", tls.VersionTLS12, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOkta(t)
			f.addUsers(1)
			srv := httptest.NewUnstartedServer(f)
			srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tt.max}
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
			srv.StartTLS()
			defer srv.Close()
			hc := srv.Client()
			hc.Transport.(*http.Transport).TLSClientConfig.MinVersion = tls.VersionTLS10
			c, err := New(t.Context(), Credentials{OrgURL: srv.URL, Token: f.token}, Options{HTTPClient: hc, MaxRetries: 1, BaseBackoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			err = c.ListUsers(t.Context(), Query{}, func([]directory.User) error { return nil })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "protocol version") {
				t.Errorf("error does not name the TLS problem: %v", err)
			}
		})
	}
}

func TestNextLink(t *testing.T) {
	t.Parallel()
	const self = `<https://a.okta.com/api/v1/users?limit=200>; rel="self"`
	tests := []struct {
		links   []string
		want    string // the URL to fetch next, byte for byte
		wantErr bool
	}{
		{nil, "", false},
		{[]string{self}, "", false},
		{[]string{self, `<https://a.okta.com/api/v1/users?after=00u9&limit=200>; rel="next"`}, "https://a.okta.com/api/v1/users?after=00u9&limit=200", false},
		// Okta's encoding is kept as it is: no decoding and re-encoding.
		{[]string{self + `, <https://a.okta.com/api/v1/users?after=x%2Cy&limit=200&search=profile.lastName+sw+%22O%27%22>; rel="next"`},
			"https://a.okta.com/api/v1/users?after=x%2Cy&limit=200&search=profile.lastName+sw+%22O%27%22", false},
		{[]string{`<https://a.okta.com/api/v1/users?filter=a,b&after=c1>; rel=next`}, "https://a.okta.com/api/v1/users?filter=a,b&after=c1", false},
		// A link without an after parameter is still the next page: the
		// cursor is Okta's business.
		{[]string{`<https://a.okta.com/api/v1/users?limit=200&page=2>; rel="next"`}, "https://a.okta.com/api/v1/users?limit=200&page=2", false},
		{[]string{`</api/v1/users?after=r1>; rel="next"`}, "https://a.okta.com/api/v1/users?after=r1", false},
		{[]string{`<https://evil.example/api/v1/users?after=x>; rel="next"`}, "", true},
		{[]string{`<http://a.okta.com/api/v1/users?after=x>; rel="next"`}, "", true},
		{[]string{`<https://a.okta.com/api/v1/groups?after=x>; rel="next"`}, "", true},
		{[]string{`<https://a.okta.com/api/v1/users?after=z>; rel="nextish"`}, "", false},
	}
	reqURL, _ := url.Parse("https://a.okta.com/api/v1/users?limit=200")
	for _, tt := range tests {
		resp := &oktasdk.APIResponse{Response: &http.Response{Header: http.Header{"Link": tt.links}, Request: &http.Request{URL: reqURL}}}
		got, err := nextLink(resp)
		gotS := ""
		if got != nil {
			gotS = got.String()
		}
		if gotS != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("nextLink(%q) = %q, %v; want %q (error %v)", tt.links, gotS, err, tt.want, tt.wantErr)
		}
	}
	c := newTestClient(t, "http://127.0.0.1:1", "00x", Options{})
	if err := c.ListGroups(t.Context(), Query{}, nil); err == nil || !strings.Contains(err.Error(), "no page callback") {
		t.Errorf("nil callback: %v", err)
	}
}
