package main

import (
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
