package plan

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// lastAudit is the action of the newest audit entry.
func (f *fixture) lastAudit(t *testing.T) string {
	t.Helper()
	entries, err := Audit(f.Store)
	if err != nil || len(entries) == 0 {
		t.Fatalf("audit: %d entries, %v", len(entries), err)
	}
	return entries[len(entries)-1].Action
}

// load starts an apply of plan id without running any phase.
func (f *fixture) load(t *testing.T, id string, opts ApplyOptions) *applyRun {
	t.Helper()
	a, err := loadApply(f.Store, id, opts)
	if err != nil {
		t.Fatalf("load plan %s: %v", id, err)
	}
	return a
}

// TestRefusalsPhase runs the refusals phase alone: a plan's state, its
// approvals and the profile's write switch refuse without a request to
// the org; the org and the credential's rights are checked with reads;
// every refusal is audited; a plan that passes leaves the writing client
// and the approvals required for the later phases.
func TestRefusalsPhase(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	change := []Change{{Group: tg.group.Name, Add: tg.outsiders[:1]}}
	approved := f.approved(t, Request{Title: "approved", Changes: change})
	otherOrg := f.approved(t, Request{Title: "other org", OrgURL: "https://other.okta.com", Changes: change})
	p, err := f.build(t, Request{Title: "pending", Changes: change})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := Submit(f.Store, p, Keys{})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		id        string
		token     string // "" applies without a client
		writes    bool
		approvals int
		want      string // "" passes
		requests  bool   // the phase may read from the org
	}{
		{"passes", approved.ID, "superadmin", true, 1, "", true},
		{"not approved", pending.ID, "superadmin", true, 0, "is not approved", false},
		{"too few approvals", approved.ID, "superadmin", true, 2, "1 of the 2 approvals", false},
		{"writes off", approved.ID, "superadmin", false, 0, "allow_writes", false},
		{"no client", approved.ID, "", true, 0, "no Okta client", false},
		{"another org", otherOrg.ID, "superadmin", true, 0, "staged for https://other.okta.com", false},
		{"read-only admin", approved.ID, "readonly", true, 0, "okta.groups.manage", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := ApplyOptions{AllowWrites: tt.writes, ApprovalsRequired: tt.approvals}
			if tt.token != "" {
				opts.Client = f.client(t, tt.token)
			}
			a := f.load(t, tt.id, opts)
			before := f.lastAudit(t)
			f.Server.Sim.ResetStats()
			err := a.refusals(context.Background())
			stats := f.Server.Sim.Stats()
			if w := writes(stats); w != 0 {
				t.Fatalf("%d write requests: %v", w, stats.ByEndpoint)
			}
			if !tt.requests && stats.Requests != 0 {
				t.Errorf("%d requests for a refusal that needs none: %v", stats.Requests, stats.ByEndpoint)
			}
			if tt.want == "" {
				if err != nil || a.c != opts.Client || a.need != 1 {
					t.Fatalf("refusals: %v (client set %v, need %d)", err, a.c != nil, a.need)
				}
				if got := f.lastAudit(t); got != before {
					t.Errorf("a passing phase audited %s", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if tt.token == "" {
				return // a programming error, not a refusal
			}
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("err = %v, want it to wrap ErrRefused", err)
			}
			if got := f.lastAudit(t); got != ActionRefused {
				t.Errorf("newest audit entry %s, want %s", got, ActionRefused)
			}
		})
	}
}

// TestDriftVerdict: drift stops an apply unless all of it is harmless
// and rebase accepts it, with the way out in the error.
func TestDriftVerdict(t *testing.T) {
	harmless := Drift{Group: "00g1", What: "ana was added to the group"}
	blocking := Drift{Group: "00g2", What: "the group was deleted in Okta", Blocking: true}
	tests := []struct {
		name   string
		drift  []Drift
		rebase bool
		want   string // "" goes on
	}{
		{"none", nil, false, ""},
		{"none, rebase", []Drift{}, true, ""},
		{"harmless", []Drift{harmless}, false, "1 difference; apply with rebase"},
		{"harmless, rebase", []Drift{harmless, harmless}, true, ""},
		{"blocking", []Drift{blocking}, false, "1 difference; stage a new plan"},
		{"blocking, rebase", []Drift{harmless, blocking}, true, "2 differences; stage a new plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := driftVerdict(tt.drift, tt.rebase)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			if !errors.Is(err, ErrDrift) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrDrift with %q", err, tt.want)
			}
		})
	}
}

// TestDriftPhase runs the drift phase alone, after refusals, against an
// org changed in each case's way since staging: it reads the live groups
// without writing, lists the drift in the report, and stops (audited)
// unless the drift is none or harmless and rebased.
func TestDriftPhase(t *testing.T) {
	tests := []struct {
		name     string
		rename   bool
		change   func(t *testing.T, f *fixture, tg targets, rec *Record)
		rebase   bool
		drift    int
		blocking bool
		stops    bool
	}{
		{"unchanged", false, nil, false, 0, false, false},
		{"a planned member moved", false, addFirst, false, 1, false, true},
		{"a planned member moved, rebase", false, addFirst, true, 1, false, false},
		{"an unplanned member moved, rebase", false, addOutsider, true, 1, false, false},
		{"profile edited under a rename, rebase", true, editProfile, true, 1, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tg := f.targets(t, 4)
			ch := Change{Group: tg.group.Name, Add: tg.outsiders[:1], Remove: tg.members[:1]}
			if tt.rename {
				ch.Rename = tg.group.Name + " EU"
			}
			rec := f.approved(t, Request{Title: tt.name, Changes: []Change{ch}})
			if tt.change != nil {
				tt.change(t, f, tg, rec)
			}
			ctx := context.Background()
			a := f.load(t, rec.ID, ApplyOptions{Client: f.client(t, "superadmin"), AllowWrites: true, Rebase: tt.rebase})
			if err := a.refusals(ctx); err != nil {
				t.Fatal(err)
			}
			f.Server.Sim.ResetStats()
			live, err := a.drift(ctx)
			if w := writes(f.Server.Sim.Stats()); w != 0 {
				t.Fatalf("%d write requests in the drift phase", w)
			}
			blocking := false
			for _, d := range a.rep.Drift {
				blocking = blocking || d.Blocking
			}
			if len(a.rep.Drift) != tt.drift || blocking != tt.blocking {
				t.Fatalf("drift %+v, want %d (blocking %v)", a.rep.Drift, tt.drift, tt.blocking)
			}
			if tt.stops {
				if !errors.Is(err, ErrDrift) || live != nil {
					t.Fatalf("err = %v, live %v: want ErrDrift and nothing to write with", err, live)
				}
				if got := f.lastAudit(t); got != ActionRefused {
					t.Errorf("newest audit entry %s, want %s", got, ActionRefused)
				}
				return
			}
			if err != nil {
				t.Fatalf("drift: %v", err)
			}
			g := live[tg.group.ID]
			if g == nil || g.id != tg.group.ID || !g.members[f.userID(t, tg.members[0])] {
				t.Fatalf("live group %+v, want %s with its members read", g, tg.group.ID)
			}
		})
	}
}

// addFirst has another admin make the plan's add first.
func addFirst(t *testing.T, f *fixture, tg targets, rec *Record) {
	t.Helper()
	if err := f.client(t, "reviewer").AddGroupMember(context.Background(), tg.group.ID, rec.Plan.Ops[0].UserID); err != nil {
		t.Fatal(err)
	}
}

// addOutsider has another admin add a user the plan does not touch.
func addOutsider(t *testing.T, f *fixture, tg targets, _ *Record) {
	t.Helper()
	if err := f.client(t, "reviewer").AddGroupMember(context.Background(), tg.group.ID, f.userID(t, tg.outsiders[1])); err != nil {
		t.Fatal(err)
	}
}

// editProfile has another admin edit the group's description.
func editProfile(t *testing.T, f *fixture, tg targets, _ *Record) {
	t.Helper()
	if _, err := f.client(t, "reviewer").UpdateGroup(context.Background(), tg.group.ID, tg.group.Name, "edited meanwhile"); err != nil {
		t.Fatal(err)
	}
}
