package access

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
)

// newSim serves the seeded demo org.
func newSim(t *testing.T) *simtest.Server {
	t.Helper()
	return simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 1})
}

// tokenClient is a client with one of the sim's published SSWS tokens
// (or, for a name the sim does not publish, that literal string).
func tokenClient(t *testing.T, srv *simtest.Server, name string) *okta.Client {
	t.Helper()
	tok := srv.Token(name)
	if tok == "" {
		tok = name
	}
	c, err := okta.New(t.Context(), okta.Credentials{OrgURL: srv.URL, Token: tok}, okta.Options{MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// oauthClient is a client of one of the sim's service apps, asking for
// scopes (nil: everything the app was granted).
func oauthClient(t *testing.T, srv *simtest.Server, app string, scopes []string) (*okta.Client, string) {
	t.Helper()
	clients, err := srv.Sim.Clients()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range clients {
		if sc.Name != app {
			continue
		}
		if scopes == nil {
			scopes = sc.Scopes
		}
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		c, err := okta.New(ctx, okta.Credentials{OrgURL: srv.URL, ClientID: sc.ClientID, PrivateKeyPEM: []byte(sc.PrivateKeyPEM), Scopes: scopes}, okta.Options{MaxRetries: 1})
		if err != nil {
			t.Fatal(err)
		}
		return c, sc.ClientID
	}
	t.Fatalf("no service app %q", app)
	return nil, ""
}

func TestCheckScopesAgainstSim(t *testing.T) {
	srv := newSim(t)
	tests := []struct {
		name     string
		client   func(t *testing.T) (*okta.Client, string)
		writes   bool
		exit     int
		roles    []string
		status   map[string]string // feature → status
		missing  map[string]string // feature → a scope named as missing
		probes   map[string]string
		excess   []string
		expected bool // push is missing but expected
	}{
		{name: "readonly token", client: func(t *testing.T) (*okta.Client, string) { return tokenClient(t, srv, "readonly"), "" },
			exit: ExitOK, roles: []string{"READ_ONLY_ADMIN"},
			status: map[string]string{"browse users": "ok", "browse groups and memberships": "ok", "browse apps and assignments": "ok",
				"incremental sync (System Log)": "ok", "token inventory": "ok", "push group changes": "missing"},
			missing:  map[string]string{"push group changes": "okta.groups.manage"},
			probes:   map[string]string{"browse users": "200", "push group changes": "skipped"},
			expected: true},
		{name: "noapps custom role", client: func(t *testing.T) (*okta.Client, string) { return tokenClient(t, srv, "noapps"), "" },
			exit: ExitWarnings, roles: []string{"CUSTOM"},
			status:   map[string]string{"browse users": "ok", "browse groups and memberships": "ok", "browse apps and assignments": "missing"},
			missing:  map[string]string{"browse apps and assignments": "okta.apps.read"},
			probes:   map[string]string{"browse apps and assignments": "403", "browse users": "200"},
			expected: true},
		{name: "superadmin on a read-only profile", client: func(t *testing.T) (*okta.Client, string) { return tokenClient(t, srv, "superadmin"), "" },
			exit: ExitWarnings, roles: []string{"SUPER_ADMIN"},
			status: map[string]string{"browse users": "ok", "push group changes": "ok"},
			excess: []string{"Super Administrator"}},
		{name: "superadmin with writes", client: func(t *testing.T) (*okta.Client, string) { return tokenClient(t, srv, "superadmin"), "" },
			writes: true, exit: ExitOK, roles: []string{"SUPER_ADMIN"},
			status: map[string]string{"push group changes": "ok"}},
		{name: "OAuth users only", client: func(t *testing.T) (*okta.Client, string) { return oauthClient(t, srv, "usersonly", nil) },
			exit:    ExitFailed,
			status:  map[string]string{"browse users": "ok", "browse groups and memberships": "missing", "incremental sync (System Log)": "degraded", "token inventory": "degraded"},
			missing: map[string]string{"browse groups and memberships": "okta.groups.read", "incremental sync (System Log)": "okta.logs.read"},
			probes:  map[string]string{"browse groups and memberships": "403", "browse users": "200"}, expected: true},
		{name: "OAuth least privilege", client: func(t *testing.T) (*okta.Client, string) { return oauthClient(t, srv, "readonly", nil) },
			exit:   ExitOK,
			status: map[string]string{"browse users": "ok", "browse apps and assignments": "ok", "push group changes": "missing"}, expected: true},
		{name: "OAuth manager on a read-only profile", client: func(t *testing.T) (*okta.Client, string) { return oauthClient(t, srv, "manager", nil) },
			exit: ExitWarnings, status: map[string]string{"push group changes": "ok"}, excess: []string{"okta.groups.manage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, clientID := tt.client(t)
			r, err := CheckScopes(t.Context(), c, CheckOptions{AllowWrites: tt.writes, ClientID: clientID})
			if err != nil {
				t.Fatal(err)
			}
			js, _ := json.MarshalIndent(r, "", "  ")
			if r.Roles == nil || r.Granted == nil || r.Excess == nil {
				t.Errorf("null list in the JSON contract:\n%s", js)
			}
			if got := r.ExitCode(); got != tt.exit {
				t.Errorf("exit %d, want %d\n%s", got, tt.exit, js)
			}
			if tt.roles != nil && !slices.Equal(r.Roles, tt.roles) {
				t.Errorf("roles %v, want %v", r.Roles, tt.roles)
			}
			if clientID != "" && (r.Auth != AuthOAuth || r.Principal != clientID || len(r.Granted) == 0) {
				t.Errorf("oauth identity: %s %s %v", r.Auth, r.Principal, r.Granted)
			}
			if clientID == "" && (r.Auth != AuthSSWS || !strings.Contains(r.Principal, "@")) {
				t.Errorf("ssws identity: %s %q", r.Auth, r.Principal)
			}
			byName := map[string]FeatureResult{}
			for _, f := range r.Features {
				byName[f.Feature] = f
				if f.Status != StatusOK && f.Fix == "" {
					t.Errorf("%s is %s without a fix", f.Feature, f.Status)
				}
			}
			for f, want := range tt.status {
				if byName[f].Status != want {
					t.Errorf("%s: %s, want %s\n%s", f, byName[f].Status, want, js)
				}
			}
			for f, want := range tt.missing {
				if !slices.Contains(byName[f].Missing, want) || !strings.Contains(byName[f].Fix, want) {
					t.Errorf("%s: missing %v, fix %q; want %s named", f, byName[f].Missing, byName[f].Fix, want)
				}
			}
			for f, want := range tt.probes {
				if byName[f].Probe != want {
					t.Errorf("%s: probe %s, want %s", f, byName[f].Probe, want)
				}
			}
			if got := byName["push group changes"].Expected; got != tt.expected {
				t.Errorf("push expected = %v, want %v", got, tt.expected)
			}
			if len(r.Excess) != len(tt.excess) {
				t.Fatalf("excess %+v, want %v", r.Excess, tt.excess)
			}
			for i, e := range tt.excess {
				if !strings.Contains(r.Excess[i].Privilege, e) || !strings.Contains(r.Excess[i].Fix, "okta.users.read") {
					t.Errorf("excess %+v, want %s with the least-privilege alternative", r.Excess[i], e)
				}
			}
		})
	}
}

func TestCheckScopesRejectedCredential(t *testing.T) {
	srv := newSim(t)
	tests := []struct {
		name   string
		client func(t *testing.T) *okta.Client
		code   string
	}{
		{"revoked token", func(t *testing.T) *okta.Client { return tokenClient(t, srv, "00revokedTokenThatOktaNoLongerKnows") }, okta.CodeInvalidToken},
		{"scope not granted to the app", func(t *testing.T) *okta.Client {
			c, _ := oauthClient(t, srv, "usersonly", []string{"okta.users.read", "okta.groups.manage"})
			return c
		}, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := CheckScopes(t.Context(), tt.client(t), CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Rejected == nil || r.Rejected.Code != tt.code || r.Rejected.Fix == "" || r.ExitCode() != ExitFailed {
				t.Fatalf("rejected = %+v, exit %d", r.Rejected, r.ExitCode())
			}
			for _, f := range r.Features {
				if f.Status != StatusMissing {
					t.Errorf("%s is %s with a refused credential", f.Feature, f.Status)
				}
			}
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := CheckScopes(ctx, tokenClient(t, srv, "readonly"), CheckOptions{}); err == nil {
		t.Fatal("cancelled check returned no error")
	}
}

// TestProbeBeatsInference injects Okta answers the role does not predict:
// a 403 on the System Log for a Read-only Administrator wins over the
// role, and a 503 leaves the inference standing with a note.
func TestProbeBeatsInference(t *testing.T) {
	srv := newSim(t)
	srv.Sim.SetFaults([]oktasim.FaultRule{
		{Method: "GET", Path: "/api/v1/logs", Probability: 1, Status: 403},
		{Method: "GET", Path: "/api/v1/apps", Probability: 1, Status: 503},
	})
	r, err := CheckScopes(t.Context(), tokenClient(t, srv, "readonly"), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]FeatureResult{}
	for _, f := range r.Features {
		byName[f.Feature] = f
	}
	logs, apps := byName["incremental sync (System Log)"], byName["browse apps and assignments"]
	if logs.Status != StatusDegraded || logs.Probe != "403" || logs.Inferred != StatusOK || !slices.Equal(logs.Missing, []string{"okta.logs.read"}) ||
		!strings.Contains(logs.Note, "refused the probe") || !strings.Contains(logs.Fix, "full membership refresh") {
		t.Errorf("logs: %+v", logs)
	}
	if apps.Status != StatusOK || apps.Probe != "503" || !strings.Contains(apps.Note, "probe failed") {
		t.Errorf("apps: %+v", apps)
	}
	if r.ExitCode() != ExitWarnings {
		t.Errorf("exit %d", r.ExitCode())
	}
}

// TestServiceAppWithoutAdminRole: a service app granted the read scopes
// but no admin role gets 403 on every call, as on Okta. The check tells a
// missing role from a missing scope (no insufficient_scope challenge) and
// says to assign an admin role to the app, naming the refused features.
func TestServiceAppWithoutAdminRole(t *testing.T) {
	srv := newSim(t)
	c, id := oauthClient(t, srv, "norole", nil)
	r, err := CheckScopes(t.Context(), c, CheckOptions{ClientID: id})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Features {
		if f.Probe == ProbeSkipped {
			if f.RoleMissing {
				t.Errorf("%s: role missing claimed for a write that was not probed", f.Feature)
			}
			continue
		}
		if f.Probe != "403" || !f.RoleMissing || f.Inferred != StatusOK || !strings.Contains(f.Fix, "assign an admin role to the service app") ||
			!strings.Contains(f.Fix, "Read-only Administrator") || !strings.Contains(f.Note, "admin role") {
			t.Errorf("%s: %+v", f.Feature, f)
		}
	}
	notes := strings.Join(r.Notes, "\n")
	if !strings.Contains(notes, "browse users, browse groups and memberships") || !strings.Contains(notes, "Read-only Administrator") || r.ExitCode() != ExitFailed {
		t.Errorf("notes %q, exit %d", notes, r.ExitCode())
	}
	// A missing scope stays a missing scope: grant it, no role advice.
	c2, id2 := oauthClient(t, srv, "usersonly", nil)
	r, err = CheckScopes(t.Context(), c2, CheckOptions{ClientID: id2})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Features {
		if f.RoleMissing || strings.Contains(f.Fix, "to the service app (Admin Console › Applications › Applications") {
			t.Errorf("usersonly %s: %+v", f.Feature, f)
		}
	}
}

// TestProbeUnavailableHere: an optional endpoint the org does not offer
// (405 E0000022) is "unavailable here" — degraded, no permission fix, exit
// 1 — not a failure.
func TestProbeUnavailableHere(t *testing.T) {
	srv := newSim(t)
	srv.Sim.SetFaults([]oktasim.FaultRule{{Method: "GET", Path: "/api/v1/api-tokens", Probability: 1, Status: 405}})
	r, err := CheckScopes(t.Context(), tokenClient(t, srv, "readonly"), CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Features {
		if f.Feature != "token inventory" {
			continue
		}
		if f.Status != StatusDegraded || f.Probe != "405" || f.Fix != "" || !strings.HasPrefix(f.Note, "unavailable here: ") || !strings.Contains(f.Note, "E0000022") {
			t.Fatalf("token inventory: %+v", f)
		}
	}
	if r.ExitCode() != ExitWarnings {
		t.Fatalf("exit %d", r.ExitCode())
	}
}
