package plan

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/testorg"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// writes counts the write requests to the org's API the sim served.
var writes = testorg.Writes

// liveMembers lists a group's members through the API.
func liveMembers(t *testing.T, c *okta.Client, gid string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := c.ListGroupMembers(context.Background(), gid, func(ids []string) error {
		for _, id := range ids {
			out[id] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// approved stages req as the superadmin's admin and has the reviewer
// approve it; it checks that the author cannot approve.
func (f *fixture) approved(t *testing.T, req Request) *Record {
	t.Helper()
	ctx := context.Background()
	author, err := WhoAmI(ctx, f.client(t, "superadmin"), "")
	if err != nil {
		t.Fatal(err)
	}
	reviewer, err := WhoAmI(ctx, f.client(t, "reviewer"), "")
	if err != nil {
		t.Fatal(err)
	}
	if author.AdminID == reviewer.AdminID || author.AdminID == "" {
		t.Fatalf("identities: author %v, reviewer %v", author, reviewer)
	}
	req.Author = author
	p, err := f.build(t, req)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := Submit(f.Store, p, Keys{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Approve(f.Store, rec.ID, author, "lgtm", stamp, Keys{}); !errors.Is(err, ErrSelfApproval) || !errors.Is(err, ErrRefused) {
		t.Fatalf("self-approval: %v", err)
	}
	rec, err = Approve(f.Store, rec.ID, reviewer, "ok", stamp, Keys{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != StateApproved {
		t.Fatalf("state after approval = %s", rec.State)
	}
	f.Server.Sim.ResetStats()
	return rec
}

func TestApplyEndToEnd(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	rec := f.approved(t, Request{Title: "e2e", Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[:3], Remove: tg.members[:2]}}})
	c := f.client(t, "superadmin")
	ctx := context.Background()
	var progress []string
	rep, err := Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: c, Actor: rec.Plan.Author, AllowWrites: true,
		Progress: func(op Op, state string) { progress = append(progress, fmt.Sprint(op.Seq, state)) }})
	if err != nil {
		t.Fatalf("apply: %v (%+v)", err, rep)
	}
	if rep.State != StateApplied || rep.Done != 5 || len(progress) != 5 || rep.ResyncError != "" {
		t.Fatalf("report = %+v, progress %v", rep, progress)
	}
	st := f.Server.Sim.Stats().ByEndpoint
	if st["PUT /api/v1/groups/{id}/users/{uid}"] != 3 || st["DELETE /api/v1/groups/{id}/users/{uid}"] != 2 {
		t.Fatalf("write requests = %v", st)
	}
	members := liveMembers(t, c, tg.group.ID)
	for _, op := range rec.Plan.Ops {
		if members[op.UserID] != (op.Kind == OpAdd) {
			t.Errorf("%s %s: member = %v", op.Kind, op.Login, members[op.UserID])
		}
	}
	// The re-synced cache equals the org.
	_, digest := testorg.Cache(t, f.Store)
	if truth := f.Server.Sim.Truth().Digest; digest != truth {
		t.Errorf("cache digest %s != truth %s after re-sync", digest, truth)
	}
	// Applying again is a no-op.
	f.Server.Sim.ResetStats()
	rep, err = Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: c, AllowWrites: true})
	if err != nil || rep.State != StateApplied || f.Server.Sim.Stats().Requests != 0 {
		t.Fatalf("second apply: %v %+v, %d requests", err, rep, f.Server.Sim.Stats().Requests)
	}
	entries, err := Audit(f.Store)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	want := []string{ActionStaged, ActionRefused, ActionApproved, ActionApplyStarted, ActionApplied}
	if !slices.Equal(actions, want) {
		t.Fatalf("audit = %v, want %v", actions, want)
	}
}

func TestApplyResumesAfterFailure(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	rec := f.approved(t, Request{Title: "resume", Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[:5]}}})
	third := rec.Plan.Ops[2]
	f.Server.Sim.SetFaults([]oktasim.FaultRule{{Method: "PUT", Path: "/api/v1/groups/" + tg.group.ID + "/users/" + third.UserID, Probability: 1, Status: 500}})
	c := f.client(t, "superadmin")
	ctx := context.Background()
	rep, err := Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: c, AllowWrites: true})
	if !errors.Is(err, ErrApplyFailed) || !strings.Contains(err.Error(), third.Login) {
		t.Fatalf("apply with a fault: %v", err)
	}
	if rep.State != StateFailed || rep.Done != 2 || rep.Failed != 1 || rep.Pending != 2 {
		t.Fatalf("report = %+v", rep)
	}
	// 2 done + the 3rd tried twice (MaxRetries 1).
	if n := f.Server.Sim.Stats().ByEndpoint["PUT /api/v1/groups/{id}/users/{uid}"]; n != 4 {
		t.Fatalf("first run sent %d PUTs, want 4", n)
	}
	stored, _ := Load(f.Store, rec.ID)
	if stored.State != StateFailed || stored.Error == "" {
		t.Fatalf("stored = %s %q", stored.State, stored.Error)
	}

	f.Server.Sim.SetFaults(nil)
	f.Server.Sim.ResetStats()
	rep, err = Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: c, AllowWrites: true})
	if err != nil {
		t.Fatalf("resume: %v (%+v)", err, rep.Drift)
	}
	if rep.State != StateApplied || rep.Done != 5 {
		t.Fatalf("resume report = %+v", rep)
	}
	if n := f.Server.Sim.Stats().ByEndpoint["PUT /api/v1/groups/{id}/users/{uid}"]; n != 3 {
		t.Fatalf("resume sent %d PUTs, want 3 (no operation twice)", n)
	}
	for i, r := range rep.Results {
		if r.Earlier != (i < 2) {
			t.Errorf("op %d earlier = %v", r.Op.Seq, r.Earlier)
		}
	}
	members := liveMembers(t, c, tg.group.ID)
	for _, op := range rec.Plan.Ops {
		if !members[op.UserID] {
			t.Errorf("%s not added", op.Login)
		}
	}
	j, _ := loadJournal(f.Store, rec.ID)
	if j[1].Run != 1 || j[3].Run != 2 || j[3].State != OpDone {
		t.Fatalf("journal = %+v", j)
	}
}

// TestApplyResumesAfterKill: an apply killed after some writes (before it
// could record the groups' stamps) resumes without rebase when the only
// change to the group is its own journaled writes; anyone else's change
// still stops it.
func TestApplyResumesAfterKill(t *testing.T) {
	for _, other := range []bool{false, true} {
		t.Run(fmt.Sprintf("someone else changed the group: %v", other), func(t *testing.T) {
			f := newFixture(t)
			tg := f.targets(t, 4)
			rec := f.approved(t, Request{Title: "killed", Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[:3], Remove: tg.members[:1]}}})
			c := f.client(t, "superadmin")
			ctx := context.Background()
			// The process dies right after journaling its second operation.
			killed := errors.New("killed")
			func() {
				defer func() {
					if v := recover(); v != killed {
						t.Fatalf("apply did not die: %v", v)
					}
				}()
				Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: c, AllowWrites: true, Progress: func(op Op, _ string) {
					if op.Seq == 2 {
						panic(killed)
					}
				}})
			}()
			if stored, _ := Load(f.Store, rec.ID); stored.State != StateApplying || len(stored.Stamps) != 0 {
				t.Fatalf("after the kill: %s, stamps %v", stored.State, stored.Stamps)
			}
			if other {
				if err := c.AddGroupMember(ctx, tg.group.ID, f.userID(t, tg.outsiders[5])); err != nil {
					t.Fatal(err)
				}
			}
			f.Server.Sim.ResetStats()
			rep, err := Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: c, AllowWrites: true})
			if other {
				if !errors.Is(err, ErrDrift) || writes(f.Server.Sim.Stats()) != 0 {
					t.Fatalf("another admin's change went unnoticed: %v %+v", err, rep.Drift)
				}
				return
			}
			if err != nil || rep.State != StateApplied || rep.Done != 4 {
				t.Fatalf("resume after kill: %v %+v", err, rep)
			}
			if n := writes(f.Server.Sim.Stats()); n != 2 {
				t.Fatalf("resume sent %d writes, want the 2 not done", n)
			}
		})
	}
}

func TestApplyRefusesDrift(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	rec := f.approved(t, Request{Title: "drift", Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[:2], Remove: tg.members[:2]}}})
	c := f.client(t, "superadmin")
	ctx := context.Background()
	before, err := c.GetGroup(ctx, tg.group.ID)
	if err != nil {
		t.Fatal(err)
	}
	churned := false
	for i := 0; i < 3000 && !churned; i++ {
		if _, err := f.Server.Sim.Churn(1); err != nil {
			t.Fatal(err)
		}
		g, err := c.GetGroup(ctx, tg.group.ID)
		if okta.IsNotFound(err) {
			// The sim's churn is seeded, so this is no accident of a run:
			// a skip here would hide that the test checks nothing.
			t.Fatal("churn deleted the target group before changing its members: the drift check went untested (change the fixture's seed or target)")
		}
		if err != nil {
			t.Fatal(err)
		}
		churned = !g.LastMembershipUpdated.Equal(before.LastMembershipUpdated)
	}
	if !churned {
		t.Fatal("churn never touched the target group")
	}
	f.Server.Sim.ResetStats()
	rep, err := Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: c, AllowWrites: true})
	if !errors.Is(err, ErrDrift) || len(rep.Drift) == 0 {
		t.Fatalf("apply after churn: %v, drift %+v", err, rep.Drift)
	}
	if w := writes(f.Server.Sim.Stats()); w != 0 {
		t.Fatalf("%d write requests despite drift", w)
	}
	for _, d := range rep.Drift {
		if d.Blocking || d.Group != tg.group.ID {
			t.Fatalf("drift = %+v", d)
		}
	}
	rep, err = Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: c, AllowWrites: true, Rebase: true})
	if err != nil || rep.State != StateApplied {
		t.Fatalf("rebased apply: %v %+v", err, rep)
	}
	members := liveMembers(t, c, tg.group.ID)
	for _, op := range rec.Plan.Ops {
		if members[op.UserID] != (op.Kind == OpAdd) {
			t.Errorf("%s %s: member = %v", op.Kind, op.Login, members[op.UserID])
		}
	}
}

func TestApplyRefusals(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	ctx := context.Background()
	req := func(title string) Request {
		return Request{Title: title, Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[:1], Remove: tg.members[:1]}}}
	}
	approved := f.approved(t, req("approved"))
	create := f.approved(t, Request{Title: "create", Changes: []Change{{Group: "Falcon", Create: true}}})
	otherOrg := f.approved(t, Request{Title: "other org", OrgURL: "https://other.okta.com", Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[:1]}}})
	p, err := f.build(t, req("pending"))
	if err != nil {
		t.Fatal(err)
	}
	pending, err := Submit(f.Store, p, Keys{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ = f.build(t, req("rejected"))
	rejected, _ := Submit(f.Store, p, Keys{})
	if _, err := Reject(f.Store, rejected.ID, priya, "no", stamp, Keys{}); err != nil {
		t.Fatal(err)
	}
	// A record edited in the cache behind dirdeck's back.
	tampered := f.approved(t, Request{Title: "tampered", Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[1:2]}}})
	raw, _ := f.Store.Plan(tampered.ID)
	raw = []byte(strings.Replace(string(raw), tg.outsiders[1], "mallory@example.com", 1))
	if err := f.Store.PutPlan(tampered.ID, raw); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		id     string
		token  string
		writes bool
		want   string
	}{
		{"not approved", pending.ID, "superadmin", true, "not approved"},
		{"rejected", rejected.ID, "superadmin", true, "rejected"},
		{"writes off", approved.ID, "superadmin", false, "DIRDECK_ALLOW_WRITES"},
		{"read-only admin", approved.ID, "readonly", true, "okta.groups.manage"},
		{"no apps custom role", create.ID, "noapps", true, "okta.groups.manage"},
		{"tampered", tampered.ID, "superadmin", true, "does not match its hash"},
		{"another org", otherOrg.ID, "superadmin", true, "staged for https://other.okta.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Server.Sim.ResetStats()
			_, err := Apply(ctx, f.Store, tt.id, ApplyOptions{Client: f.client(t, tt.token), AllowWrites: tt.writes})
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want refused with %q", err, tt.want)
			}
			if w := writes(f.Server.Sim.Stats()); w != 0 {
				t.Fatalf("%d write requests: %v", w, f.Server.Sim.Stats().ByEndpoint)
			}
		})
	}
}

func TestApplyDriftOnPlannedMembers(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	rec := f.approved(t, Request{Title: "same member", Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[:1], Remove: tg.members[:1]}}})
	ctx := context.Background()
	// Another admin makes one of the plan's changes first.
	other := f.client(t, "reviewer")
	if err := other.AddGroupMember(ctx, tg.group.ID, rec.Plan.Ops[0].UserID); err != nil {
		t.Fatal(err)
	}
	f.Server.Sim.ResetStats()
	c := f.client(t, "superadmin")
	rep, err := Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: c, AllowWrites: true})
	if !errors.Is(err, ErrDrift) || len(rep.Drift) != 1 || rep.Drift[0].Blocking || !strings.Contains(rep.Drift[0].What, tg.outsiders[0]) {
		t.Fatalf("apply: %v, drift %+v", err, rep.Drift)
	}
	if w := writes(f.Server.Sim.Stats()); w != 0 {
		t.Fatalf("%d writes despite drift", w)
	}
	rep, err = Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: c, AllowWrites: true, Rebase: true})
	if err != nil || rep.Noop != 1 || rep.Done != 1 {
		t.Fatalf("rebased apply: %v %+v", err, rep)
	}
	st := f.Server.Sim.Stats().ByEndpoint
	if st["PUT /api/v1/groups/{id}/users/{uid}"] != 0 || st["DELETE /api/v1/groups/{id}/users/{uid}"] != 1 {
		t.Fatalf("rebased apply wrote %v (the add is a no-op)", st)
	}
}

func TestApplyBlockingDrift(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	rec := f.approved(t, Request{Title: "rename", Changes: []Change{{Group: tg.group.Name, Rename: tg.group.Name + " EU", Add: tg.outsiders[:1]}}})
	ctx := context.Background()
	if _, err := f.client(t, "reviewer").UpdateGroup(ctx, tg.group.ID, tg.group.Name, "edited meanwhile"); err != nil {
		t.Fatal(err)
	}
	f.Server.Sim.ResetStats()
	rep, err := Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: f.client(t, "superadmin"), AllowWrites: true, Rebase: true})
	if !errors.Is(err, ErrDrift) || !strings.Contains(err.Error(), "stage a new plan") {
		t.Fatalf("apply over an edited profile: %v", err)
	}
	if len(rep.Drift) != 1 || !rep.Drift[0].Blocking {
		t.Fatalf("drift = %+v", rep.Drift)
	}
	if w := writes(f.Server.Sim.Stats()); w != 0 {
		t.Fatalf("%d writes despite blocking drift", w)
	}
}

func TestApplyCreatesGroupAndAddsMembers(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	rec := f.approved(t, Request{Title: "falcon", Changes: []Change{{Group: "Project Falcon", Create: true, Description: "Launch team", Add: tg.outsiders[:2]}}})
	ctx := context.Background()
	rep, err := Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: f.client(t, "superadmin"), AllowWrites: true})
	if err != nil || rep.Done != 3 || len(rep.Resynced) != 1 {
		t.Fatalf("apply: %v %+v", err, rep)
	}
	err = f.Store.View(func(r *store.Reader) error {
		g, ok := r.GroupByName("Project Falcon")
		if !ok || g.ID != rep.Resynced[0] || g.Description != "Launch team" {
			t.Fatalf("cached group = %+v, %v", g, ok)
		}
		n := 0
		for range r.MembersOf(g.ID) {
			n++
		}
		if n != 2 {
			t.Fatalf("cached members = %d", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, digest := testorg.Cache(t, f.Store)
	if truth := f.Server.Sim.Truth().Digest; digest != truth {
		t.Fatalf("cache %s != truth %s", digest, truth)
	}
	// A second plan creating the same name is refused at staging now...
	if _, err := f.build(t, Request{Changes: []Change{{Group: "Project Falcon", Create: true}}}); !errors.Is(err, ErrRefused) {
		t.Fatalf("stage a taken name: %v", err)
	}
}

func TestApplyWithOAuth(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	clients, err := f.Server.Sim.Clients()
	if err != nil {
		t.Fatal(err)
	}
	oauth := func(name string) (*okta.Client, string) {
		for _, sc := range clients {
			if sc.Name == name {
				c, err := okta.New(context.Background(), okta.Credentials{OrgURL: f.Server.URL, ClientID: sc.ClientID,
					PrivateKeyPEM: []byte(sc.PrivateKeyPEM), Scopes: sc.Scopes}, okta.Options{MaxRetries: 1})
				if err != nil {
					t.Fatal(err)
				}
				return c, sc.ClientID
			}
		}
		t.Fatalf("no service app %q", name)
		return nil, ""
	}
	ctx := context.Background()
	rec := f.approved(t, Request{Title: "oauth", Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[:1]}}})
	ro, roID := oauth("readonly")
	who, err := WhoAmI(ctx, ro, roID)
	if err != nil || who.AdminID != "client:"+roID {
		t.Fatalf("identity of a service app: %+v %v", who, err)
	}
	_, err = Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: ro, AllowWrites: true})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "okta.groups.manage") {
		t.Fatalf("service app without okta.groups.manage: %v", err)
	}
	if w := writes(f.Server.Sim.Stats()); w != 0 {
		t.Fatalf("%d writes", w)
	}
	// A service app that may manage groups but not read roles cannot
	// confirm that the approver may approve: refused, nothing written.
	mgr, _ := oauth("manager")
	_, err = Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: mgr, AllowWrites: true})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "okta.roles.read") {
		t.Fatalf("service app without okta.roles.read: %v", err)
	}
	if w := writes(f.Server.Sim.Stats()); w != 0 {
		t.Fatalf("%d writes", w)
	}
}

func TestRenameIgnoresMembershipChurn(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	rec := f.approved(t, Request{Title: "rename only", Changes: []Change{{Group: tg.group.Name, Rename: tg.group.Name + " (EU)"}}})
	ctx := context.Background()
	if err := f.client(t, "reviewer").AddGroupMember(ctx, tg.group.ID, f.outsiderID(t, tg)); err != nil {
		t.Fatal(err)
	}
	rep, err := Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: f.client(t, "superadmin"), AllowWrites: true})
	if err != nil || rep.Done != 1 {
		t.Fatalf("rename after unrelated membership change: %v %+v", err, rep)
	}
	g, err := f.client(t, "readonly").GetGroup(ctx, tg.group.ID)
	if err != nil || g.Name != tg.group.Name+" (EU)" {
		t.Fatalf("group = %+v, %v", g, err)
	}
}

// outsiderID is the id of an active user outside the target group.
func (f *fixture) outsiderID(t *testing.T, tg targets) string {
	t.Helper()
	var id string
	if err := f.Store.View(func(r *store.Reader) error {
		for u := range r.UsersByPrefix(tg.outsiders[0]) {
			id = u.ID
			break
		}
		return nil
	}); err != nil || id == "" {
		t.Fatalf("user %s: %v", tg.outsiders[0], err)
	}
	return id
}

// TestApplyAdoptsItsOwnCreateWhoseAnswerWasLost: the create request lands
// but its answer is garbled (as after a dropped connection or a killed
// process). The resumed apply recognises the group it created — its name,
// description and creation time match the journal — instead of calling
// the name taken, and finishes without creating it twice. A same-named
// group that is not its own still blocks. Okta's search lags writes (an
// hour here, so that it cannot catch up during the test): the resumed
// apply must find its group with filter, which reads current data.
func TestApplyAdoptsItsOwnCreateWhoseAnswerWasLost(t *testing.T) {
	f := newFixtureSim(t, oktasim.Options{Scenario: "S", Seed: 1, SearchLag: time.Hour})
	tg := f.targets(t, 4)
	c := f.client(t, "superadmin")
	ctx := context.Background()
	rec := f.approved(t, Request{Title: "falcon", Changes: []Change{{Group: "Project Falcon", Create: true, Description: "Launch team", Add: tg.outsiders[:2]}}})
	f.Server.Sim.SetFaults([]oktasim.FaultRule{{Method: "POST", Path: "/api/v1/groups", Probability: 1, Truncate: true}})
	if _, err := Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: c, AllowWrites: true}); !errors.Is(err, ErrApplyFailed) {
		t.Fatalf("apply with a garbled create answer: %v", err)
	}
	f.Server.Sim.SetFaults(nil)
	if n := len(f.groupsNamed(t, c, "Project Falcon")); n != 1 {
		t.Fatalf("%d groups named Project Falcon after the lost answer, want 1 (the create landed)", n)
	}

	rep, err := Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: c, AllowWrites: true})
	if err != nil {
		t.Fatalf("resume: %v (drift %+v)", err, rep.Drift)
	}
	if rep.State != StateApplied || rep.Noop != 1 || rep.Done != 2 {
		t.Fatalf("resume report = %+v", rep)
	}
	named := f.groupsNamed(t, c, "Project Falcon")
	if len(named) != 1 {
		t.Fatalf("%d groups named Project Falcon, want 1", len(named))
	}
	if members := liveMembers(t, c, named[0].ID); len(members) != 2 {
		t.Fatalf("the adopted group has %d members, want 2", len(members))
	}

	// Someone else's group with the plan's name (another description)
	// is not adopted.
	other := f.approved(t, Request{Title: "osprey", Changes: []Change{{Group: "Project Osprey", Create: true, Description: "Ours"}}})
	f.Server.Sim.SetFaults([]oktasim.FaultRule{{Method: "POST", Path: "/api/v1/groups", Probability: 1, Truncate: true}})
	if _, err := Apply(ctx, f.Store, other.ID, ApplyOptions{Client: c, AllowWrites: true}); !errors.Is(err, ErrApplyFailed) {
		t.Fatalf("apply with a garbled create answer: %v", err)
	}
	f.Server.Sim.SetFaults(nil)
	osprey := f.groupsNamed(t, c, "Project Osprey")[0]
	if _, err := c.UpdateGroup(ctx, osprey.ID, "Project Osprey", "Theirs"); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, f.Store, other.ID, ApplyOptions{Client: c, AllowWrites: true}); !errors.Is(err, ErrDrift) {
		t.Fatalf("resume over someone else's group: %v, want drift", err)
	}
}

// groupsNamed lists the OKTA_GROUPs named name as they are now (filter,
// not the lagging search).
func (f *fixture) groupsNamed(t *testing.T, c *okta.Client, name string) []directory.Group {
	t.Helper()
	var named []directory.Group
	err := c.ListGroups(context.Background(), okta.Query{Filter: `type eq "OKTA_GROUP"`}, func(gs []directory.Group) error {
		for _, g := range gs {
			if g.Name == name {
				named = append(named, g)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return named
}

// TestApplyResyncForbiddenMembersIsPartial: when the read-back after the
// writes gets a 403 on a target group's members, the apply still stands
// and the cache is flagged partial on memberships — as a sync under the
// same 403 flags it — keeping the group's cached members, instead of the
// read-back failing or committing a run that claims a complete cache.
func TestApplyResyncForbiddenMembersIsPartial(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	rec := f.approved(t, Request{Title: "partial", Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[:2]}}})
	ctx := context.Background()
	kept := f.members(t, tg.group.ID)
	forbid := []oktasim.FaultRule{{Method: "GET", Path: "/api/v1/groups/" + tg.group.ID + "/users*", Probability: 1, Status: 403}}
	last := rec.Plan.Ops[len(rec.Plan.Ops)-1].Seq
	rep, err := Apply(ctx, f.Store, rec.ID, ApplyOptions{Client: f.client(t, "superadmin"), AllowWrites: true,
		Progress: func(op Op, _ string) {
			if op.Seq == last {
				f.Server.Sim.SetFaults(forbid) // after the drift check read the members
			}
		}})
	if err != nil || rep.State != StateApplied || rep.ResyncError != "" || !slices.Equal(rep.Resynced, []string{tg.group.ID}) {
		t.Fatalf("apply: %v %+v", err, rep)
	}
	if len(rep.ResyncPartial) != 1 || rep.ResyncPartial[0].Resource != "memberships" {
		t.Fatalf("report's read-back flags %+v, want memberships", rep.ResyncPartial)
	}
	var run directory.SyncRun
	if err := f.Store.View(func(r *store.Reader) error { run, _ = r.CommittedRun(); return nil }); err != nil {
		t.Fatal(err)
	}
	flagged := func(run directory.SyncRun) bool {
		return run.Status == directory.RunPartial && len(run.Partial) == 1 &&
			run.Partial[0].Resource == "memberships" && run.Partial[0].ErrorCode == "E0000006"
	}
	if run.Mode != dsync.ModeGroups || !flagged(run) {
		t.Fatalf("committed run %s/%s partial %+v, want %s flagged partial on memberships", run.Mode, run.Status, run.Partial, dsync.ModeGroups)
	}
	if got := f.members(t, tg.group.ID); !maps.Equal(got, kept) {
		t.Errorf("cached members of the forbidden group: %d, want the %d it had", len(got), len(kept))
	}
	if full := f.Sync(t, dsync.Options{Full: true}); !flagged(full) {
		t.Errorf("a full sync under the same 403: %s partial %+v", full.Status, full.Partial)
	}
}

// members returns a group's members in the cache.
func (f *fixture) members(t *testing.T, gid string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	if err := f.Store.View(func(r *store.Reader) error {
		for uid := range r.MembersOf(gid) {
			out[uid] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
