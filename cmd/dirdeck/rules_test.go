package main

import (
	"context"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
)

// ruleGroups reads the sim's group rules live and, from the synced cache,
// picks the group of the first ACTIVE rule and an OKTA_GROUP no rule
// fills, each with one active member's login.
func ruleGroups(t *testing.T, srv *simtest.Server) (rule, managed, managedMember, unmanaged, unmanagedMember string) {
	t.Helper()
	c, err := okta.New(context.Background(), okta.Credentials{OrgURL: srv.URL, Token: srv.Token("readonly")}, okta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ruled := map[string]bool{}
	var managedID string
	err = c.ListGroupRules(context.Background(), func(rules []okta.GroupRule) error {
		for _, r := range rules {
			for _, id := range r.GroupIDs {
				ruled[id] = true
			}
			if r.Status == "ACTIVE" && rule == "" {
				rule, managedID = r.Name, r.GroupIDs[0]
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(cacheFile(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	activeMember := func(r *store.Reader, gid string) string {
		for uid := range r.MembersOf(gid) {
			if u, _ := r.User(uid); u.Status == "ACTIVE" {
				return u.Login
			}
		}
		return ""
	}
	err = st.View(func(r *store.Reader) error {
		for g := range r.Groups() {
			switch {
			case g.ID == managedID:
				managed, managedMember = g.Name, activeMember(r, g.ID)
			case unmanaged == "" && g.Type == "OKTA_GROUP" && !ruled[g.ID]:
				if m := activeMember(r, g.ID); m != "" {
					unmanaged, unmanagedMember = g.Name, m
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if managedMember == "" || unmanagedMember == "" {
		t.Fatalf("no targets: rule %q managed %q (%q) unmanaged %q (%q)", rule, managed, managedMember, unmanaged, unmanagedMember)
	}
	return rule, managed, managedMember, unmanaged, unmanagedMember
}

func TestPlanRuleWarnings(t *testing.T) {
	srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 3}, "superadmin")
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("sync: %d %v", res.code, res.err)
	}
	rule, managed, managedMember, unmanaged, unmanagedMember := ruleGroups(t, srv)
	tests := []struct {
		name         string
		group, login string
		faults       []oktasim.FaultRule
		want, reject string
	}{
		{
			name: "rule-managed group", group: managed, login: managedMember,
			want: managed + ` is managed by group rule "` + rule + `": removed users may be re-added by the rule.`,
		},
		{name: "unmanaged group", group: unmanaged, login: unmanagedMember, reject: "group rule"},
		{
			name: "rules forbidden", group: managed, login: managedMember,
			faults: []oktasim.FaultRule{{Path: "/api/v1/groups/rules*", Probability: 1, Status: 403}},
			want:   "Group rules not checked", reject: "is managed by",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Sim.SetFaults(tt.faults)
			defer srv.Sim.SetFaults(nil)
			res := profRun(t, "", "plan", "new", "--group", tt.group, "--remove", tt.login, "--title", tt.name)
			if res.code != exitOK {
				t.Fatalf("plan new: %d %v\n%s", res.code, res.err, res.stderr)
			}
			id := strings.TrimSpace(res.stdout)
			res = profRun(t, "", "plan", "show", id)
			if res.code != exitOK {
				t.Fatalf("plan show: %d %v", res.code, res.err)
			}
			if tt.want != "" && !strings.Contains(res.stdout, tt.want) {
				t.Errorf("plan show lacks %q:\n%s", tt.want, res.stdout)
			}
			if tt.reject != "" && strings.Contains(res.stdout, tt.reject) {
				t.Errorf("plan show has %q:\n%s", tt.reject, res.stdout)
			}
		})
	}
}
