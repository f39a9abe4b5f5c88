package plan

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
)

// ruleTarget is a group an ACTIVE rule of the sim fills, with the rule's
// name and the logins of the group's ACTIVE members.
type ruleTarget struct {
	group   directory.Group
	rule    string
	members []string
}

func (f *fixture) ruleTarget(t *testing.T, c *okta.Client) ruleTarget {
	t.Helper()
	var rt ruleTarget
	err := c.ListGroupRules(context.Background(), func(rules []okta.GroupRule) error {
		for _, r := range rules {
			if r.Status == "ACTIVE" && rt.rule == "" {
				rt.rule, rt.group.ID = r.Name, r.GroupIDs[0]
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = f.Store.View(func(r *store.Reader) error {
		g, ok := r.Group(rt.group.ID)
		if !ok {
			t.Fatalf("rule target %s is not in the cache", rt.group.ID)
		}
		rt.group = g
		for uid := range r.MembersOf(g.ID) {
			if u, _ := r.User(uid); u.Status == directory.StatusActive {
				rt.members = append(rt.members, u.Login)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rt.rule == "" || len(rt.members) == 0 {
		t.Fatalf("no ACTIVE rule on a group with active members: %+v", rt)
	}
	slices.Sort(rt.members)
	return rt
}

func TestFlagRules(t *testing.T) {
	f := newFixture(t)
	c := f.client(t, "readonly")
	rt := f.ruleTarget(t, c)
	tg := f.targets(t, 4)
	if tg.group.ID == rt.group.ID {
		t.Fatalf("the unmanaged target %s is rule-managed", tg.group.Name)
	}
	managed := rt.group.Name + ` is managed by group rule "` + rt.rule + `": removed users may be re-added by the rule.`
	tests := []struct {
		name    string
		changes []Change
		faults  []oktasim.FaultRule
		want    string // a warning FlagRules adds; "" for none
	}{
		{name: "removal from a rule-managed group", changes: []Change{{Group: rt.group.Name, Remove: rt.members[:1]}}, want: managed},
		{name: "addition to a rule-managed group", changes: []Change{{Group: rt.group.Name, Add: tg.outsiders[:1]}}},
		{name: "removal from an unmanaged group", changes: []Change{{Group: tg.group.Name, Remove: tg.members[:1]}}},
		{
			name:    "rules forbidden",
			changes: []Change{{Group: tg.group.Name, Remove: tg.members[:1]}},
			faults:  []oktasim.FaultRule{{Path: "/api/v1/groups/rules*", Probability: 1, Status: 403}},
			want:    "Group rules not checked",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Server.Sim.SetFaults(tt.faults)
			defer f.Server.Sim.SetFaults(nil)
			p, err := f.build(t, Request{Changes: tt.changes})
			if err != nil {
				t.Fatal(err)
			}
			before := len(p.Warnings)
			if err := FlagRules(context.Background(), c, &p); err != nil {
				t.Fatal(err)
			}
			added := p.Warnings[before:]
			switch {
			case tt.want == "" && len(added) != 0:
				t.Fatalf("unexpected warnings %q", added)
			case tt.want != "" && (len(added) != 1 || !strings.Contains(added[0], tt.want)):
				t.Fatalf("warnings %q, want one with %q", added, tt.want)
			}
		})
	}
}

func TestFlagRulesServerError(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	f.Server.Sim.SetFaults([]oktasim.FaultRule{{Path: "/api/v1/groups/rules*", Probability: 1, Status: 500}})
	p, err := f.build(t, Request{Changes: []Change{{Group: tg.group.Name, Remove: tg.members[:1]}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := FlagRules(context.Background(), f.client(t, "readonly"), &p); err == nil || !strings.Contains(err.Error(), "group rules") {
		t.Fatalf("err = %v, want a group rules error", err)
	}
}

// TestFlagRulesUnavailableHere: an org that does not offer the group rules
// list (404 E0000007, 405 E0000022) gets a warning naming Okta's answer,
// not a failed plan.
func TestFlagRulesUnavailableHere(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	for _, tt := range []struct {
		status int
		code   string
	}{{404, "E0000007"}, {405, "E0000022"}} {
		f.Server.Sim.SetFaults([]oktasim.FaultRule{{Path: "/api/v1/groups/rules*", Probability: 1, Status: tt.status}})
		p, err := f.build(t, Request{Changes: []Change{{Group: tg.group.Name, Remove: tg.members[:1]}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := FlagRules(context.Background(), f.client(t, "readonly"), &p); err != nil {
			t.Fatalf("%d: %v", tt.status, err)
		}
		w := strings.Join(p.Warnings, "\n")
		if !strings.Contains(w, "Group rules not checked: unavailable here") || !strings.Contains(w, tt.code) || !strings.Contains(w, "errorId") {
			t.Fatalf("%d: warnings %q", tt.status, w)
		}
	}
}
