package review

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/plan"
	"github.com/dirdeck/dirdeck/signing"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
	"github.com/dirdeck/dirdeck/themes"
	"github.com/dirdeck/dirdeck/tui/msgs"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/pane/panetest"
)

// The golden frames use fixed identities and clock; the sim's port (part
// of every plan's content, hence of ids and hashes) is masked by mask.
var (
	clock = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	ada   = plan.Identity{AdminID: "00u-ada", Login: "ada@acme.com", Name: "Ada", OSUser: "ada", Host: "laptop"}
	// priya's id and login are the sim's reviewer (a second super admin,
	// set by newEnv): apply checks in the org that an approver is who
	// they say and may approve.
	priya = plan.Identity{Name: "Priya", OSUser: "priya", Host: "desk", Roles: []string{"SUPER_ADMIN"}}
)

type env struct {
	srv    *simtest.Server
	plans  []*plan.Record // as staged, newest first
	st     *store.Store
	client *okta.Client
	group  directory.Group
	adds   []string
	// keys sign the pane's reviews (none: unsigned).
	keys plan.Keys
}

// newEnv syncs a simulated org into a cache and stages three plans by
// Ada: one to review, one needing two approvals, one rejected.
func newEnv(t *testing.T) *env {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 1})
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := okta.New(context.Background(), okta.Credentials{OrgURL: srv.URL, Token: srv.SuperAdminToken()}, okta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dsync.Run(context.Background(), c, st, dsync.Options{}); err != nil {
		t.Fatal(err)
	}
	rc, err := okta.New(context.Background(), okta.Credentials{OrgURL: srv.URL, Token: srv.Token("reviewer")}, okta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reviewer, err := rc.CurrentUser(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	priya.AdminID, priya.Login = reviewer.ID, reviewer.Login
	e := &env{srv: srv, st: st, client: c}
	var removes, outsiders []string
	err = st.View(func(r *store.Reader) error {
		for g := range r.Groups() {
			if g.Type != directory.GroupTypeOkta || len(r.AppsOfGroup(g.ID)) == 0 || e.group.ID != "" {
				continue
			}
			in := map[string]bool{}
			for uid := range r.MembersOf(g.ID) {
				in[uid] = true
			}
			if len(in) < 5 || len(in) > 60 {
				continue
			}
			e.group = g
			for uid := range r.MembersOf(g.ID) {
				if u, _ := r.User(uid); u.Status == directory.StatusActive && len(removes) < 2 {
					removes = append(removes, u.Login)
				}
			}
			for u := range r.Users() {
				if !in[u.ID] && u.Status == directory.StatusActive && len(outsiders) < 4 {
					outsiders = append(outsiders, u.Login)
				}
			}
		}
		return nil
	})
	if err != nil || e.group.ID == "" {
		t.Fatalf("no target group: %v", err)
	}
	e.adds = outsiders[:2]
	stage := func(title string, at time.Time, approvals int, changes []plan.Change) *plan.Record {
		var p plan.Plan
		err := st.View(func(r *store.Reader) error {
			var err error
			p, err = plan.Build(r, plan.Request{Title: title, OrgURL: srv.URL, Author: ada, Now: at, ApprovalsRequired: approvals, Changes: changes})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := plan.Submit(st, p, plan.Keys{})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	e.plans = append(e.plans, stage("Contractors onboarding", clock.Add(-time.Hour), 1, []plan.Change{{Group: e.group.Name, Add: e.adds, Remove: removes[:1]}}))
	e.plans = append(e.plans, stage("Falcon launch team", clock.Add(-2*time.Hour), 2, []plan.Change{{Group: "Project Falcon", Create: true, Description: "Launch", Add: outsiders[2:3]}}))
	rej := stage("Remove everyone", clock.Add(-3*time.Hour), 1, []plan.Change{{Group: e.group.Name, Remove: removes}})
	e.plans = append(e.plans, rej)
	if _, err := plan.Reject(st, rej.ID, priya, "too broad", clock.Add(-150*time.Minute), plan.Keys{}); err != nil {
		t.Fatal(err)
	}
	return e
}

// mask replaces what depends on the sim's port with placeholders of the
// same width: the port, and the plans' hashes and ids.
func (e *env) mask(t *testing.T, view string) string {
	t.Helper()
	u, err := url.Parse(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	view = strings.ReplaceAll(view, ":"+u.Port(), ":"+strings.Repeat("P", len(u.Port())))
	for i, r := range e.plans {
		view = strings.ReplaceAll(view, r.Hash, "sha256:"+strings.Repeat(strconv.Itoa(i+1), 64))
		view = strings.ReplaceAll(view, r.ID, fmt.Sprintf("p-plan%d-------", i+1))
	}
	return view
}

// domain is what the typed confirmation wants: the sim's host.
func (e *env) domain(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Hostname()
}

func (e *env) pane(t *testing.T, theme string) *Model {
	t.Helper()
	return e.paneAs(t, theme, priya)
}

// paneAs is the pane of an admin who reviews and applies as who.
func (e *env) paneAs(t *testing.T, theme string, who plan.Identity) *Model {
	t.Helper()
	th, err := themes.ByName(theme)
	if err != nil {
		t.Fatal(err)
	}
	ctx := &pane.Context{Store: e.st, Theme: th, Profile: "acme", OrgURL: e.srv.URL, Now: func() time.Time { return clock }}
	return New(ctx, PlanActions(context.Background(), e.st, func() (plan.Identity, error) { return who, nil },
		plan.ApplyOptions{Client: e.client, AllowWrites: true, Now: func() time.Time { return clock }, Keys: e.keys}))
}

// TestApproveInTheTUISigns: with a signing key configured, an approval
// made in the Review pane is signed like one made on the command line,
// and the signature verifies over the review's statement.
func TestApproveInTheTUISigns(t *testing.T) {
	e := newEnv(t)
	signer, err := signing.LoadSigner(filepath.Join("..", "..", "signing", "testdata", "id_ed25519"))
	if err != nil {
		t.Fatal(err)
	}
	e.keys = plan.Keys{Signer: signer}
	h := &host{p: e.pane(t, "no-color"), steps: []step{{loaded, press("enter", "a")}, {inForm, press("signed in the TUI", "enter")}, {statusIs("approved"), nil}}}
	tm := teatest.NewTestModel(t, h, teatest.WithInitialTermSize(100, 30))
	tm.FinalModel(t, teatest.WithFinalTimeout(20*time.Second))
	rec, err := plan.Load(e.st, e.plans[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Reviews) != 1 || rec.Reviews[0].Key != signer.Fingerprint() || rec.State != plan.StateApproved {
		t.Fatalf("review = %+v, state %s", rec.Reviews, rec.State)
	}
	if n, err := plan.VerifyAudit(e.st); err != nil || n == 0 {
		t.Fatalf("audit verify after a TUI approval: %d, %v", n, err)
	}
}

// step sends msgs once when its condition holds on the pane.
type step struct {
	when func(*Model) bool
	send []tea.Msg
}

// host stands in for the root model and plays a script of steps: each
// step's messages are sent once its condition holds; it quits when the
// script is done.
type host struct {
	p         *Model
	w, h      int
	steps     []step
	committed []msgs.GenerationCommittedMsg
	// needCommit holds the quit until the pane announced a commit.
	needCommit bool
}

func (h *host) Init() tea.Cmd { return h.p.Load() }

func (h *host) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if c, ok := msg.(msgs.GenerationCommittedMsg); ok {
		h.committed = append(h.committed, c)
	}
	if ws, ok := msg.(tea.WindowSizeMsg); ok {
		h.w, h.h = ws.Width, ws.Height
		h.p.SetSize(h.w, h.h)
	}
	_, cmd := h.p.Update(msg)
	if len(h.steps) > 0 && h.steps[0].when(h.p) {
		s := h.steps[0]
		h.steps = h.steps[1:]
		var seq []tea.Cmd
		for _, m := range s.send {
			seq = append(seq, func() tea.Msg { return m })
		}
		cmd = tea.Batch(cmd, tea.Sequence(seq...))
	}
	if len(h.steps) == 0 && (!h.needCommit || len(h.committed) > 0) {
		return h, tea.Quit
	}
	return h, cmd
}

func (h *host) View() tea.View { return tea.NewView(fitLines(h.p.View(), h.h)) }

func fitLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	for len(lines) < n {
		lines = append(lines, "")
	}
	return strings.Join(lines[:n], "\n")
}

func press(s ...string) []tea.Msg {
	var out []tea.Msg
	for _, k := range s {
		switch k {
		case "enter":
			out = append(out, tea.KeyPressMsg{Code: tea.KeyEnter})
		case "tab":
			out = append(out, tea.KeyPressMsg{Code: tea.KeyTab})
		case "space":
			out = append(out, tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
		case "esc":
			out = append(out, tea.KeyPressMsg{Code: tea.KeyEscape})
		default:
			for _, r := range k {
				out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
			}
		}
	}
	return out
}

func loaded(m *Model) bool  { return !m.loading && m.plans != nil }
func settled(m *Model) bool { return !m.Busy() && m.plans != nil }
func inForm(m *Model) bool  { return m.mode == modeForm && m.form != nil }
func formShows(text string) func(*Model) bool {
	return func(m *Model) bool { return inForm(m) && strings.Contains(m.form.View(), text) }
}
func modeIs(md mode) func(*Model) bool { return func(m *Model) bool { return m.mode == md } }
func statusIs(p string) func(*Model) bool {
	return func(m *Model) bool { return settled(m) && strings.HasPrefix(m.status, p) }
}

func TestGoldenReviewFlow(t *testing.T) {
	e := newEnv(t)
	flows := []struct {
		name   string
		theme  string
		size   [2]int
		as     plan.Identity // the admin at the keyboard; priya when empty
		steps  []step
		verify func(t *testing.T, m *Model)
	}{
		// The author's a is refused at once, whole, before any comment.
		{"self_approval", "no-color", [2]int{80, 20}, ada, []step{{loaded, press("enter", "a")}, {statusIs("approve"), nil}}, func(t *testing.T, m *Model) {
			if m.mode != modeDetail || !m.statusErr || !strings.Contains(m.status, "four eyes") {
				t.Fatalf("mode %d, status %q", m.mode, m.status)
			}
		}},
		{"list", "no-color", [2]int{100, 20}, plan.Identity{}, []step{{loaded, nil}}, func(t *testing.T, m *Model) {
			if len(m.plans) != 3 || m.plans[0].Plan.Title != "Contractors onboarding" {
				t.Fatalf("plans = %d", len(m.plans))
			}
		}},
		{"list_dark", "dark", [2]int{80, 20}, plan.Identity{}, []step{{loaded, nil}}, nil},
		{"detail", "no-color", [2]int{100, 30}, plan.Identity{}, []step{{loaded, press("enter")}, {modeIs(modeDetail), nil}}, nil},
		{"detail_collapsed", "no-color", [2]int{100, 30}, plan.Identity{}, []step{{loaded, press("enter", "space")}, {func(m *Model) bool { return m.mode == modeDetail && !m.expanded[e.group.ID] }, nil}}, func(t *testing.T, m *Model) {
			if m.expanded[e.group.ID] {
				t.Fatal("space did not collapse the focused group")
			}
		}},
		{"approve_form", "no-color", [2]int{100, 24}, plan.Identity{}, []step{{loaded, press("enter", "a")}, {inForm, press("checked with the team lead")}, {formShows("lead"), nil}}, nil},
		{"approve_cancelled", "no-color", [2]int{100, 24}, plan.Identity{}, []step{{loaded, press("enter", "a")}, {inForm, press("esc")}, {statusIs("approve cancelled"), nil}}, func(t *testing.T, m *Model) {
			if m.mode != modeDetail || m.open.State != plan.StatePending {
				t.Fatalf("mode %d, state %s", m.mode, m.open.State)
			}
		}},
		{"approved", "no-color", [2]int{100, 30}, plan.Identity{}, []step{{loaded, press("enter", "a")}, {inForm, press("checked with the team lead", "enter")}, {statusIs("approved"), nil}}, func(t *testing.T, m *Model) {
			if m.open == nil || m.open.State != plan.StateApproved {
				t.Fatalf("open plan = %+v", m.open)
			}
		}},
		{"apply_wrong_domain", "no-color", [2]int{100, 24}, plan.Identity{}, []step{{loaded, press("A")}, {inForm, press("127.0.0.2", "enter")}, {formShows("exactly"), nil}}, func(t *testing.T, m *Model) {
			if m.mode != modeForm || m.working {
				t.Fatal("a wrong domain left the confirmation")
			}
		}},
		{"applied", "no-color", [2]int{100, 20}, plan.Identity{}, []step{{loaded, press("A")}, {inForm, press(e.domain(t), "enter")}, {statusIs("applied"), nil}}, func(t *testing.T, m *Model) {
			if m.plans[0].State != plan.StateApplied {
				t.Fatalf("state = %s (%s)", m.plans[0].State, m.status)
			}
		}},
		{"audit", "no-color", [2]int{120, 20}, plan.Identity{}, []step{{loaded, press("v")}, {modeIs(modeAudit), nil}}, nil},
	}
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			as := f.as
			if as.AdminID == "" {
				as = priya
			}
			h := &host{p: e.paneAs(t, f.theme, as), steps: f.steps, needCommit: f.name == "applied"}
			tm := teatest.NewTestModel(t, h, teatest.WithInitialTermSize(f.size[0], f.size[1]))
			fm := tm.FinalModel(t, teatest.WithFinalTimeout(20*time.Second)).(*host)
			view := fm.View().Content
			panetest.CheckFrame(t, view, f.size[0], f.size[1], true)
			if f.verify != nil {
				f.verify(t, fm.p)
			}
			if applied := f.name == "applied"; applied != (len(fm.committed) == 1) {
				t.Errorf("%d generation messages after %s", len(fm.committed), f.name)
			}
			golden.RequireEqual(t, e.mask(t, view))
		})
	}
	// The applied plan's intent holds in the org.
	members := map[string]bool{}
	if err := e.client.ListGroupMembers(context.Background(), e.group.ID, func(ids []string) error {
		for _, id := range ids {
			members[id] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rec, _, _ := plan.List(e.st)
	applied := rec[0]
	for _, op := range applied.Plan.Ops {
		if members[op.UserID] != (op.Kind == plan.OpAdd) {
			t.Errorf("%s %s not applied", op.Kind, op.Login)
		}
	}
	entries, _ := plan.Audit(e.st)
	got := fmt.Sprint(len(entries), " ", entries[len(entries)-1].Action, " by ", entries[len(entries)-1].Actor.AdminID)
	if got != "7 applied by "+priya.AdminID {
		t.Errorf("audit tail = %s", got)
	}
}

func TestUnavailableActions(t *testing.T) {
	e := newEnv(t)
	th, _ := themes.ByName("no-color")
	m := New(&pane.Context{Store: e.st, Theme: th, OrgURL: e.srv.URL, ReadOnly: true, Now: func() time.Time { return clock }},
		PlanActions(context.Background(), e.st, func() (plan.Identity, error) { return priya, nil }, plan.ApplyOptions{}))
	m.SetSize(80, 20)
	msg := m.Load()()
	m.Update(msg)
	for _, k := range press("A") {
		m.Update(k)
	}
	if m.mode == modeForm || !m.statusErr || !strings.Contains(m.status, "not available") {
		t.Fatalf("apply without a client: mode %d, status %q", m.mode, m.status)
	}
	if ok, _ := m.Back(); ok {
		t.Fatal("Back on the list reported something to go back from")
	}
}

func TestGoldenApplyDrift(t *testing.T) {
	e := newEnv(t)
	recs, _, err := plan.List(e.st)
	if err != nil {
		t.Fatal(err)
	}
	first := recs[0]
	if _, err := plan.Approve(e.st, first.ID, priya, "", clock, plan.Keys{}); err != nil {
		t.Fatal(err)
	}
	// Another admin adds one of the plan's users in Okta meanwhile.
	var add plan.Op
	for _, op := range first.Plan.Ops {
		if op.Kind == plan.OpAdd {
			add = op
			break
		}
	}
	if err := e.client.AddGroupMember(context.Background(), e.group.ID, add.UserID); err != nil {
		t.Fatal(err)
	}
	e.srv.Sim.ResetStats()
	t.Run("refused", func(t *testing.T) {
		h := &host{p: e.pane(t, "no-color"), steps: []step{
			{loaded, press("enter", "A")}, {inForm, press(e.domain(t), "enter")}, {statusIs("apply p-"), nil},
		}}
		tm := teatest.NewTestModel(t, h, teatest.WithInitialTermSize(100, 30))
		fm := tm.FinalModel(t, teatest.WithFinalTimeout(20*time.Second)).(*host)
		if !fm.p.statusErr || fm.p.open == nil || fm.p.open.State != plan.StateApproved {
			t.Fatalf("status %q", fm.p.status)
		}
		for k, n := range e.srv.Sim.Stats().ByEndpoint {
			if !strings.HasPrefix(k, "GET ") {
				t.Fatalf("drift refused but wrote %s × %d", k, n)
			}
		}
		view := fm.View().Content
		if !strings.Contains(ansi.Strip(view), add.Login+" was added to the group") {
			t.Errorf("the frame does not show the drift:\n%s", ansi.Strip(view))
		}
		golden.RequireEqual(t, e.mask(t, view))
	})
	t.Run("rebased", func(t *testing.T) {
		h := &host{p: e.pane(t, "no-color"), needCommit: true, steps: []step{
			{loaded, press("enter", "R")}, {inForm, press(e.domain(t), "enter")}, {statusIs("applied"), nil},
		}}
		tm := teatest.NewTestModel(t, h, teatest.WithInitialTermSize(100, 30))
		fm := tm.FinalModel(t, teatest.WithFinalTimeout(20*time.Second)).(*host)
		if fm.p.open == nil || fm.p.open.State != plan.StateApplied || !strings.Contains(fm.p.status, "1 no-op") {
			t.Fatalf("status %q", fm.p.status)
		}
		golden.RequireEqual(t, e.mask(t, fm.View().Content))
	})
}

// TestApplyShowsAPartialReadBack: when the read-back after an apply may
// not list the group's members (403), the pane shows the partial flag
// the cache now carries, as it shows a failed read-back.
func TestApplyShowsAPartialReadBack(t *testing.T) {
	e := newEnv(t)
	recs, _, err := plan.List(e.st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Approve(e.st, recs[0].ID, priya, "", clock, plan.Keys{}); err != nil {
		t.Fatal(err)
	}
	// The drift check lists the members first (one page); the read-back's
	// listing after the writes is refused.
	var script []oktasim.ScriptedFault
	for seq := 2; seq <= 4; seq++ {
		script = append(script, oktasim.ScriptedFault{Seq: seq, Method: "GET", PathTemplate: "/api/v1/groups/{groupId}/users", Status: 403})
	}
	if err := e.srv.Sim.SetFaultScript(script); err != nil {
		t.Fatal(err)
	}
	h := &host{p: e.pane(t, "no-color"), needCommit: true, steps: []step{
		{loaded, press("enter", "A")}, {inForm, press(e.domain(t), "enter")}, {statusIs("applied"), nil},
	}}
	tm := teatest.NewTestModel(t, h, teatest.WithInitialTermSize(100, 30))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(20*time.Second)).(*host)
	if view := ansi.Strip(fm.View().Content); !strings.Contains(view, "re-sync: partial: memberships not read completely") {
		t.Fatalf("the frame does not show the partial read-back:\n%s", view)
	}
}
