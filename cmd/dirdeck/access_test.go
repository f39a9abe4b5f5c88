package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/access"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

func TestScopesCommandAgainstSim(t *testing.T) {
	tests := []struct {
		name    string
		token   string // SSWS token; "" = the usersonly OAuth app, "norole" = the app without an admin role
		writes  string
		code    int
		feature string // a feature to look at
		status  string
		excess  bool
		human   string
	}{
		{"readonly", "readonly", "", exitOK, "push group changes", "missing", false, "missing (expected)"},
		{"noapps", "noapps", "", exitWarnings, "browse apps and assignments", "missing", false, "okta.apps.read"},
		{"superadmin read-only profile", "superadmin", "", exitWarnings, "push group changes", "ok", true, "Excess privilege"},
		{"superadmin with writes", "superadmin", "1", exitOK, "push group changes", "ok", false, "SUPER_ADMIN"},
		{"oauth users only", "", "", exitFailed, "browse groups and memberships", "missing", false, "okta.groups.read"},
		// Scopes granted, no admin role: Okta refuses everything (403).
		{"oauth no admin role", "norole", "", exitFailed, "browse users", "missing", false,
			"fix: assign an admin role to the service app (Admin Console › Applications › Applications › the app › Admin roles): Read-only Administrator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 1}, tt.token)
			switch tt.token {
			case "":
				oauthEnv(t, srv, "usersonly")
			case "norole":
				oauthEnv(t, srv, "norole")
			}
			t.Setenv("DIRDECK_ALLOW_WRITES", tt.writes)
			res := profRun(t, "", "scopes", "--json")
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d: %v\n%s%s", res.code, tt.code, res.err, res.stdout, res.stderr)
			}
			rep := decode[access.ScopeReport](t, res.stdout)
			var found bool
			for _, f := range rep.Features {
				if f.Feature == tt.feature {
					found = f.Status == tt.status
				}
			}
			if !found || (len(rep.Excess) > 0) != tt.excess {
				t.Fatalf("report %+v", rep)
			}
			res = profRun(t, "", "scopes")
			if res.code != tt.code || !strings.Contains(res.stdout, tt.human) {
				t.Fatalf("human output (exit %d) lacks %q:\n%s", res.code, tt.human, res.stdout)
			}
		})
	}
}

// oauthEnv switches the environment configuration to a service app of
// the sim.
func oauthEnv(t *testing.T, srv *simtest.Server, app string) {
	t.Helper()
	clients, err := srv.Sim.Clients()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		if c.Name != app {
			continue
		}
		key := filepath.Join(t.TempDir(), "key.pem")
		if err := os.WriteFile(key, []byte(c.PrivateKeyPEM), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("DIRDECK_API_TOKEN", "")
		os.Unsetenv("DIRDECK_API_TOKEN")
		t.Setenv("DIRDECK_CLIENT_ID", c.ClientID)
		t.Setenv("DIRDECK_PRIVATE_KEY_FILE", key)
		t.Setenv("DIRDECK_SCOPES", strings.Join(c.Scopes, " "))
		return
	}
	t.Fatalf("no service app %s", app)
}

func TestTokensCommandAgainstSim(t *testing.T) {
	srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 1}, "readonly")

	// The seeded "Legacy SCIM connector" has 5 days left: a warning.
	res := profRun(t, "", "tokens", "--json")
	if res.code != exitWarnings {
		t.Fatalf("exit %d: %v\n%s", res.code, res.err, res.stderr)
	}
	rep := decode[access.TokenReport](t, res.stdout)
	if len(rep.Tokens) != 7 || rep.Tokens[1].Name != "Legacy SCIM connector" || rep.Tokens[1].DaysLeft != 5 ||
		rep.Self.Status != access.LevelOK || rep.Self.Added != nil || rep.Self.Owner == "" {
		t.Fatalf("report %+v", rep)
	}
	// The first check recorded the token's use.
	rep = decode[access.TokenReport](t, profRun(t, "", "tokens", "--json").stdout)
	if rep.Self.Added == nil || rep.Self.LastUsed == nil || rep.Self.LastUsed.Sub(srv.Sim.Now()).Abs() > time.Minute {
		t.Fatalf("token use not recorded: %+v", rep.Self)
	}
	// Three days later (the sim's clock control plane) it is critical.
	resp, err := http.Post(srv.URL+"/__sim/clock?advance=3d1m", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("advance the sim clock: %s", resp.Status)
	}
	res = profRun(t, "", "tokens")
	if res.code != exitFailed || !strings.Contains(res.stdout, "Legacy SCIM connector: critical") || !strings.Contains(res.stdout, "fix:") {
		t.Fatalf("exit %d:\n%s", res.code, res.stdout)
	}

	// A revoked token: 401 E0000011, critical, with the fix.
	t.Setenv("DIRDECK_API_TOKEN", "00thisTokenWasRevokedLongAgo0000000000000x")
	res = profRun(t, "", "tokens", "--json")
	rep = decode[access.TokenReport](t, res.stdout)
	if res.code != exitFailed || rep.Self.Status != access.LevelCritical || rep.Self.Rejected == nil ||
		rep.Self.Rejected.Code != "E0000011" || !strings.Contains(rep.Self.Fix, "set-token") {
		t.Fatalf("revoked: exit %d, %+v", res.code, rep.Self)
	}
	res = profRun(t, "", "scopes")
	if res.code != exitFailed || !strings.Contains(res.stdout, "Okta refuses the credential") {
		t.Fatalf("scopes with a revoked token: exit %d\n%s", res.code, res.stdout)
	}
}

// TestTokensCommandEveryCredential runs `dirdeck tokens` with every token
// kind the sim publishes, a service app, and the API token list forbidden
// or missing: the own token is found by its owner (several tokens of one
// owner are named as candidates), and an unavailable list is one clear
// line with exit 1, never exit 2.
func TestTokensCommandEveryCredential(t *testing.T) {
	tests := []struct {
		name  string
		token string // SSWS token; "" = the readonly service app
		fault int    // status of GET /api/v1/api-tokens; 0 = none
		code  int
		human []string
	}{
		{"readonly", "readonly", 0, exitWarnings, []string{"(ssws dirdeck-readonly): OK", "dirdeck-readonly (this profile)"}},
		{"noapps", "noapps", 0, exitWarnings, []string{"(ssws dirdeck-noapps): OK", "dirdeck-noapps (this profile)"}},
		{"reviewer", "reviewer", 0, exitWarnings, []string{"(ssws dirdeck-reviewer): OK", "dirdeck-reviewer (this profile)"}},
		{"superadmin: several tokens of one owner", "superadmin", 0, exitWarnings, []string{
			"(ssws): WARNING", "candidates   dirdeck-superadmin, Legacy SCIM connector, HR import (nightly), CI deploy",
			"owns 4 API tokens", "the soonest candidate", "Legacy SCIM connector (maybe this profile)", "dirdeck-superadmin (maybe this profile)"}},
		{"inventory forbidden", "readonly", 403, exitWarnings, []string{"idle expiry unknown", "API tokens: unavailable: the credential may not list API tokens (okta.apiTokens.read): 403 E0000006"}},
		{"inventory missing", "readonly", 404, exitWarnings, []string{"API tokens: unavailable here: this org does not offer the API token list: 404 E0000007"}},
		{"inventory method not allowed", "readonly", 405, exitWarnings, []string{"API tokens: unavailable here: this org does not offer the API token list: 405 E0000022"}},
		{"service app", "", 0, exitWarnings, []string{"(oauth ", "an OAuth service app has no API token", "API tokens of the org (7)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 1}, tt.token)
			if tt.token == "" {
				oauthEnv(t, srv, "readonly")
			}
			if tt.fault != 0 {
				srv.Sim.SetFaults([]oktasim.FaultRule{{Method: "GET", Path: "/api/v1/api-tokens", Probability: 1, Status: tt.fault}})
			}
			res := profRun(t, "", "tokens")
			if res.code != tt.code || res.stderr != "" {
				t.Fatalf("exit %d, want %d: %v\n%s%s", res.code, tt.code, res.err, res.stdout, res.stderr)
			}
			for _, h := range tt.human {
				if !strings.Contains(res.stdout, h) {
					t.Errorf("output lacks %q:\n%s", h, res.stdout)
				}
			}
			if tt.fault != 0 && strings.Count(res.stdout, "\nAPI tokens") != 1 {
				t.Errorf("the unavailable list is not one line:\n%s", res.stdout)
			}
			rep := decode[access.TokenReport](t, profRun(t, "", "tokens", "--json").stdout)
			if (tt.fault != 0) != (rep.Inventory != "ok") {
				t.Errorf("inventory %q", rep.Inventory)
			}
		})
	}
}
