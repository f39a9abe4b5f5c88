package okta

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

func TestProbeByRole(t *testing.T) {
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 1})
	tests := []struct {
		token     string
		forbidden []ProbeTarget
	}{
		{"readonly", nil},
		{"superadmin", nil},
		{"noapps", []ProbeTarget{ProbeApps}},
	}
	targets := []ProbeTarget{ProbeUsers, ProbeGroups, ProbeApps, ProbeLogs, ProbeAPITokens}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			c, err := New(t.Context(), Credentials{OrgURL: srv.URL, Token: srv.Token(tt.token)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, target := range targets {
				err := c.Probe(t.Context(), target)
				want := slices.Contains(tt.forbidden, target)
				if want != IsForbidden(err) || (!want && err != nil) {
					t.Errorf("probe %s: %v (want forbidden %v)", target, err, want)
				}
			}
		})
	}
	c, _ := New(t.Context(), Credentials{OrgURL: srv.URL, Token: srv.Token("readonly")}, Options{})
	if err := c.Probe(t.Context(), "nope"); err == nil {
		t.Fatal("unknown probe target accepted")
	}
	// A probe is one limit=1 request.
	srv.Sim.ResetStats()
	if err := c.Probe(t.Context(), ProbeUsers); err != nil {
		t.Fatal(err)
	}
	if n := srv.Sim.Stats().Requests; n != 1 {
		t.Fatalf("probe took %d requests", n)
	}
}

func TestCurrentUserTokensAndOwner(t *testing.T) {
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 1})
	ctx := t.Context()
	c, err := New(ctx, Credentials{OrgURL: srv.URL, Token: srv.Token("readonly")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.CurrentUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var owner oktasim.TokenInfo
	for _, ti := range srv.Sim.Tokens() {
		if ti.Name == "readonly" {
			owner = ti
		}
	}
	if me.ID != owner.Owner || me.Login != owner.Login || me.Status != "ACTIVE" {
		t.Fatalf("me = %s %s %s, want %s %s", me.ID, me.Login, me.Status, owner.Owner, owner.Login)
	}
	byID, err := c.GetUser(ctx, me.ID)
	if err != nil || byID.Login != me.Login {
		t.Fatalf("GetUser = %+v, %v", byID, err)
	}
	if _, err := c.GetUser(ctx, "00unothere"); !IsNotFound(err) {
		t.Fatalf("GetUser of unknown id: %v", err)
	}
	toks, err := c.ListAPITokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]APIToken{}
	for _, tk := range toks {
		names[tk.Name] = tk
	}
	legacy, ok := names["Legacy SCIM connector"]
	if len(toks) != 7 || !ok || names["dirdeck-readonly"].UserID != me.ID || names["CI deploy"].TokenWindow != "P7D" {
		t.Fatalf("tokens = %+v", toks)
	}
	// The seeded legacy token was last used 25 days before the org's now.
	if left := legacy.ExpiresAt.Sub(c.ServerTime()); left < 5*24*time.Hour-time.Minute || left > 5*24*time.Hour+time.Minute {
		t.Fatalf("legacy token expires in %v", left)
	}
	if skew, ok := c.ClockSkew(); !ok || skew > 2*time.Second || skew < -2*time.Second {
		t.Fatalf("skew = %v, %v", skew, ok)
	}
	srv.Sim.Advance(time.Hour)
	if _, err := c.CurrentUser(ctx); err != nil {
		t.Fatal(err)
	}
	if skew, _ := c.ClockSkew(); skew < time.Hour-2*time.Second || skew > time.Hour+2*time.Second {
		t.Fatalf("skew after advancing the org's clock an hour = %v", skew)
	}
}

func TestOAuthAccessCalls(t *testing.T) {
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 1})
	clients, err := srv.Sim.Clients()
	if err != nil {
		t.Fatal(err)
	}
	var sc oktasim.ServiceClient
	for _, c := range clients {
		if c.Name == "usersonly" {
			sc = c
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c, err := New(ctx, Credentials{OrgURL: srv.URL, ClientID: sc.ClientID, PrivateKeyPEM: []byte(sc.PrivateKeyPEM), Scopes: sc.Scopes}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsOAuth() || c.AccessTokenLifetime() != 0 {
		t.Fatal("OAuth client state before the first token")
	}
	if err := c.Probe(ctx, ProbeUsers); err != nil {
		t.Fatal(err)
	}
	if err := c.Probe(ctx, ProbeGroups); !IsForbidden(err) {
		t.Fatalf("groups probe with okta.users.read only: %v", err)
	}
	if c.AccessTokenLifetime() <= 0 || !slices.Equal(c.GrantedScopes(), []string{"okta.users.read"}) {
		t.Fatalf("lifetime %v, scopes %v", c.AccessTokenLifetime(), c.GrantedScopes())
	}
	if _, err := c.CurrentUser(ctx); err == nil {
		t.Fatal("CurrentUser with OAuth succeeded")
	}
}

// TestUnavailableEndpoint: 404 E0000007 and 405 E0000022 say the endpoint
// is not there (unavailable here), a 403 does not; every error names
// Okta's errorCode, errorSummary and errorId.
func TestUnavailableEndpoint(t *testing.T) {
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 1})
	c, err := New(t.Context(), Credentials{OrgURL: srv.URL, Token: srv.Token("readonly")}, Options{MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		status      int
		unavailable bool
		code        string
	}{
		{404, true, "E0000007"},
		{405, true, "E0000022"},
		{403, false, "E0000006"},
	} {
		srv.Sim.SetFaults([]oktasim.FaultRule{{Method: "GET", Path: "/api/v1/api-tokens", Probability: 1, Status: tt.status}})
		_, err := c.ListAPITokens(t.Context())
		var ae *APIError
		if IsUnavailable(err) != tt.unavailable || !errors.As(err, &ae) || ae.ErrorCode != tt.code || ae.Summary == "" || ae.ErrorID == "" {
			t.Fatalf("%d: %v (unavailable %v)", tt.status, err, IsUnavailable(err))
		}
		if msg := err.Error(); !strings.Contains(msg, tt.code) || !strings.Contains(msg, ae.Summary) || !strings.Contains(msg, "errorId "+ae.ErrorID) {
			t.Fatalf("%d: message %q lacks code, summary or errorId", tt.status, msg)
		}
	}
}
