package main

import (
	"os"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/access"
	"github.com/dirdeck/dirdeck/oktasim"
)

// TestDPoPSyncAgainstSim: `dirdeck sync` through a service app that
// requires DPoP, with 15% of the user and group pages answered 503 (the
// sim spends every proof it sees, so each retry needs a fresh one), ends
// with the cache equal to the org (digest = /__sim/truth); `dirdeck
// scopes` says the app is DPoP-bound.
func TestDPoPSyncAgainstSim(t *testing.T) {
	srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 4, DPoP: true}, "readonly")
	oauthEnv(t, srv, "readonly")
	srv.Sim.SetFaults([]oktasim.FaultRule{
		{Method: "GET", Path: "/api/v1/users*", Probability: 0.15, Status: 503},
		{Method: "GET", Path: "/api/v1/groups*", Probability: 0.15, Status: 503},
	})
	res := profRun(t, "", "sync", "--json")
	if res.code != exitOK {
		t.Fatalf("sync exit %d: %v\n%s", res.code, res.err, res.stderr)
	}
	if srv.Sim.Stats().ByEndpoint["GET /api/v1/users"] == 0 {
		t.Fatal("no user pages requested")
	}
	st := decode[statusReport](t, profRun(t, "", "status", "--json").stdout)
	if truth := srv.Sim.Truth(); st.Digest != truth.Digest {
		t.Fatalf("digest %s, truth %s", st.Digest, truth.Digest)
	}

	srv.Sim.SetFaults(nil)
	res = profRun(t, "", "scopes")
	if !strings.Contains(res.stdout, "(DPoP-bound tokens)") || !strings.Contains(res.stdout, "requires DPoP") {
		t.Fatalf("scopes (exit %d):\n%s%s", res.code, res.stdout, res.stderr)
	}
	if rep := decode[access.ScopeReport](t, profRun(t, "", "scopes", "--json").stdout); !rep.DPoP {
		t.Fatalf("scopes --json: %+v", rep)
	}
}

// TestProfileAddChecksServiceApp: `dirdeck profile add --client-id` asks
// Okta for a token once and says whether the app requires DPoP; a refused
// app is a warning (exit 1).
func TestProfileAddChecksServiceApp(t *testing.T) {
	for _, tt := range []struct {
		name string
		dpop bool
		app  string
		code int
		want string
	}{
		{"dpop", true, "readonly", exitOK, "DPoP-bound tokens: the app requires DPoP"},
		{"bearer", false, "readonly", exitOK, "the service app gets Bearer tokens"},
		{"no admin role", true, "norole", exitWarnings, "Reading users was refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 4, DPoP: tt.dpop}, "readonly")
			oauthEnv(t, srv, tt.app)
			key, id, scopes := os.Getenv("DIRDECK_PRIVATE_KEY_FILE"), os.Getenv("DIRDECK_CLIENT_ID"), os.Getenv("DIRDECK_SCOPES")
			for _, v := range []string{"DIRDECK_ORG_URL", "DIRDECK_API_TOKEN", "DIRDECK_CLIENT_ID", "DIRDECK_PRIVATE_KEY_FILE", "DIRDECK_SCOPES"} {
				t.Setenv(v, "")
				os.Unsetenv(v)
			}
			res := profRun(t, "", "profile", "add", "svc", "--org-url", srv.URL, "--client-id", id, "--private-key-file", key,
				"--scopes", strings.ReplaceAll(scopes, " ", ","))
			if res.code != tt.code || !strings.Contains(res.stdout, tt.want) || (tt.dpop != strings.Contains(res.stdout, "requires DPoP")) {
				t.Fatalf("exit %d: %v\n%s%s", res.code, res.err, res.stdout, res.stderr)
			}
		})
	}
}
