package okta

import (
	"errors"
	"testing"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

func TestListGroupRules(t *testing.T) {
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 1})
	ro, err := New(t.Context(), Credentials{OrgURL: srv.URL, Token: srv.Token("readonly")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	groupType := map[string]string{}
	err = ro.ListGroups(t.Context(), Query{}, func(gs []directory.Group) error {
		for _, g := range gs {
			groupType[g.ID] = g.Type
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		token     string
		faults    []oktasim.FaultRule
		forbidden bool
	}{
		{name: "readonly", token: "readonly"},
		{name: "superadmin", token: "superadmin"},
		{name: "noapps", token: "noapps"},
		{name: "forbidden by the org", token: "readonly", faults: []oktasim.FaultRule{{Path: "/api/v1/groups/rules*", Probability: 1, Status: 403}}, forbidden: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Sim.SetFaults(tt.faults)
			defer srv.Sim.SetFaults(nil)
			c, err := New(t.Context(), Credentials{OrgURL: srv.URL, Token: srv.Token(tt.token)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var rules []GroupRule
			err = c.ListGroupRules(t.Context(), func(rs []GroupRule) error {
				rules = append(rules, rs...)
				return nil
			})
			if tt.forbidden {
				if !IsForbidden(err) {
					t.Fatalf("err = %v, want forbidden", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			status := map[string]int{}
			for _, r := range rules {
				status[r.Status]++
				if r.ID == "" || r.Name == "" || len(r.GroupIDs) == 0 {
					t.Errorf("incomplete rule %+v", r)
				}
				for _, id := range r.GroupIDs {
					if groupType[id] != "OKTA_GROUP" {
						t.Errorf("rule %s targets %s of type %q, want an OKTA_GROUP", r.Name, id, groupType[id])
					}
				}
			}
			if status["ACTIVE"] == 0 || status["INACTIVE"] == 0 {
				t.Fatalf("rules by status %v; want ACTIVE and INACTIVE ones", status)
			}
		})
	}
}

func TestListGroupRulesCallbackError(t *testing.T) {
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 1})
	c, err := New(t.Context(), Credentials{OrgURL: srv.URL, Token: srv.Token("readonly")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	if err := c.ListGroupRules(t.Context(), func([]GroupRule) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the callback's error", err)
	}
	if err := c.ListGroupRules(t.Context(), nil); err == nil {
		t.Fatal("nil callback accepted")
	}
}
