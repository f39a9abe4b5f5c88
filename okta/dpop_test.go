package okta

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
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

// TestDPoPProofSignedAfterGovernorWait: the governor holds a request back
// until the next rate-limit window, and its proof is signed after the
// wait, not before (a proof signed before a long wait carries a stale
// iat). The users bucket allows one request a window at the default 50%
// share, and the sim clock is set three seconds before a window ends, so
// the second page waits about three seconds.
func TestDPoPProofSignedAfterGovernorWait(t *testing.T) {
	sim := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 5, DPoP: true}).Sim
	if err := sim.SetRateLimits(map[string]int{"/api/v1/users": 2}); err != nil {
		t.Fatal(err)
	}
	simtest.AlignToWindowEnd(sim, 3*time.Second)

	// The front records, for each users page, when it arrived and the
	// iat of its proof.
	type arrival struct {
		at  time.Time
		iat int64
	}
	var mu gosync.Mutex
	var pages []arrival
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/users" {
			a := arrival{at: time.Now()}
			if parts := strings.Split(r.Header.Get("DPoP"), "."); len(parts) == 3 {
				var claims struct {
					IAT int64 `json:"iat"`
				}
				if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil && json.Unmarshal(b, &claims) == nil {
					a.iat = claims.IAT
				}
			}
			mu.Lock()
			pages = append(pages, a)
			mu.Unlock()
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	clients, err := sim.Clients()
	if err != nil {
		t.Fatal(err)
	}
	sc := clients[0]
	c, err := New(t.Context(), Credentials{OrgURL: front.URL, ClientID: sc.ClientID, PrivateKeyPEM: []byte(sc.PrivateKeyPEM), Scopes: sc.Scopes},
		Options{BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := c.ListUsers(t.Context(), Query{}, func(us []directory.User) error { n += len(us); return nil }); err != nil {
		t.Fatal(err)
	}
	var waited int64
	for _, e := range c.Journal() {
		if e.Path == "/api/v1/users" {
			waited = max(waited, e.WaitedMS)
			if e.Status != http.StatusOK {
				t.Errorf("users page answered %d %s", e.Status, e.ErrorCode)
			}
		}
	}
	if n == 0 || len(pages) < 2 || waited < 1500 {
		t.Fatalf("%d users in %d pages, longest governor wait %d ms: the test did not make the governor wait", n, len(pages), waited)
	}
	for i, p := range pages {
		if p.iat < p.at.Unix()-1 {
			t.Errorf("page %d arrived at %d with a proof issued at %d: signed before the governor's wait", i+1, p.at.Unix(), p.iat)
		}
	}
}
