package okta

import (
	"fmt"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

// TestDPoPListAllWithFaults reads a whole org through a service app that
// requires DPoP, with 15% of the user and group pages answered 503. The
// sim spends every proof it sees, so each retry needs a fresh proof; the
// listing must still end exact (digest = truth). Then the org's nonce
// rotates and the client follows the challenge.
func TestDPoPListAllWithFaults(t *testing.T) {
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 5, DPoP: true})
	srv.Sim.SetFaults([]oktasim.FaultRule{
		{Method: "GET", Path: "/api/v1/users*", Probability: 0.15, Status: 503},
		{Method: "GET", Path: "/api/v1/groups*", Probability: 0.15, Status: 503},
	})
	clients, err := srv.Sim.Clients()
	if err != nil {
		t.Fatal(err)
	}
	var sc oktasim.ServiceClient
	for _, c := range clients {
		if c.Name == "readonly" {
			sc = c
		}
	}
	c, err := New(t.Context(), Credentials{OrgURL: srv.URL, ClientID: sc.ClientID, PrivateKeyPEM: []byte(sc.PrivateKeyPEM), Scopes: sc.Scopes},
		Options{BaseBackoff: time.Millisecond, MaxRetries: 8})
	if err != nil {
		t.Fatal(err)
	}
	s, err := listAll(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	checkTruth(t, srv, s)
	if !c.DPoPBound() {
		t.Fatal("the client did not notice that the app requires DPoP")
	}
	statuses := map[int]int{}
	tokenAnswers := []int{}
	for _, e := range c.Journal() {
		statuses[e.Status]++
		if e.Path == "/oauth2/v1/token" {
			tokenAnswers = append(tokenAnswers, e.Status)
		}
	}
	// No proof → invalid_dpop_proof, no nonce → use_dpop_nonce, then the
	// token; the 503s were retried, and no proof was refused.
	if len(tokenAnswers) != 3 || tokenAnswers[0] != 400 || tokenAnswers[1] != 400 || tokenAnswers[2] != 200 {
		t.Fatalf("token endpoint answers %v", tokenAnswers)
	}
	if statuses[503] == 0 || statuses[400] != 2 || statuses[401] != 0 {
		t.Fatalf("answers %v", statuses)
	}

	// Two nonce periods later the org challenges for a new nonce (401
	// use_dpop_nonce); the client answers with a new proof at once.
	srv.Sim.SetFaults(nil)
	srv.Sim.Advance(25 * time.Minute)
	before := len(c.Journal())
	n := 0
	if err := c.ListUsers(t.Context(), Query{}, func(us []directory.User) error { n += len(us); return nil }); err != nil {
		t.Fatal(err)
	}
	after := c.Journal()[before:]
	if n == 0 || len(after) < 2 || after[0].Status != 401 || after[1].Status != 200 {
		t.Fatalf("after the nonce rotated: %d users, answers %+v", n, after)
	}
}

// TestDPoPTokenRequestRetries: 503s from the token endpoint are retried
// with a fresh proof each time (the sim spends every proof it sees).
func TestDPoPTokenRequestRetries(t *testing.T) {
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 5, DPoP: true})
	// The first proof and its retry are answered 503.
	if err := srv.Sim.SetFaultScript([]oktasim.ScriptedFault{
		{Seq: 2, Method: "POST", PathTemplate: "/oauth2/v1/token", Status: 503},
		{Seq: 3, Method: "POST", PathTemplate: "/oauth2/v1/token", Status: 503},
	}); err != nil {
		t.Fatal(err)
	}
	clients, err := srv.Sim.Clients()
	if err != nil {
		t.Fatal(err)
	}
	sc := clients[0]
	c, err := New(t.Context(), Credentials{OrgURL: srv.URL, ClientID: sc.ClientID, PrivateKeyPEM: []byte(sc.PrivateKeyPEM), Scopes: sc.Scopes},
		Options{BaseBackoff: time.Millisecond, MaxRetries: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Probe(t.Context(), ProbeUsers); err != nil {
		t.Fatal(err)
	}
	var answers []int
	for _, e := range c.Journal() {
		if e.Path == "/oauth2/v1/token" {
			answers = append(answers, e.Status)
		}
	}
	if fmt.Sprint(answers) != "[400 503 503 400 200]" || !c.DPoPBound() {
		t.Fatalf("token endpoint answers %v", answers)
	}
}
