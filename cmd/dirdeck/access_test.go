package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/access"
	"github.com/dirdeck/dirdeck/oktasim"
)

func TestScopesCommandAgainstSim(t *testing.T) {
	tests := []struct {
		name    string
		token   string // SSWS token; "" = the usersonly OAuth app
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 1}, tt.token)
			if tt.token == "" {
				oauthEnv(t, srv, "usersonly")
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
func oauthEnv(t *testing.T, srv *oktasim.Server, app string) {
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
	if len(rep.Tokens) != 6 || rep.Tokens[0].Name != "Legacy SCIM connector" || rep.Tokens[0].DaysLeft != 5 ||
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
