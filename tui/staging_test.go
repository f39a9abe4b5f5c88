package tui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/plan"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/internal/fixture"
	"github.com/dirdeck/dirdeck/tui/review"
	"github.com/dirdeck/dirdeck/tui/staging"
)

// author is the admin the tests submit plans as.
var author = plan.Identity{AdminID: "00uauthor", Login: "author@example.com", Name: "Ada Author"}

// stagingOrg is a private cache for tests that submit plans (the shared
// fixture is read-only).
func stagingOrg(t *testing.T) (*store.Store, *fixture.Org) {
	t.Helper()
	s, org, err := fixture.Build(t.TempDir(), fixture.Options{Users: 120, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, org
}

func groupNamed(t *testing.T, org *fixture.Org, name string) directory.Group {
	t.Helper()
	for _, g := range org.Groups {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("fixture has no group %q", name)
	return directory.Group{}
}

// outsider returns a user with an ASCII login who is not in group gid.
func outsider(t *testing.T, org *fixture.Org, gid string) directory.User {
	t.Helper()
	for _, u := range org.Users {
		if !slices.Contains(org.Members[gid], u.ID) && strings.HasPrefix(u.Login, "user") && u.Status == directory.StatusActive {
			return u
		}
	}
	t.Fatal("no user outside the group")
	return directory.User{}
}

// openUser opens the detail of the user with login from the Users pane.
func (h *harness) openUser(login string) {
	h.t.Helper()
	h.keys("2", "/")
	h.typeText(login)
	h.keys("enter", "enter")
	h.waitUntil("user detail", func(m *Model) bool { return len(m.panes[m.active].Crumbs()) == 1 })
	h.settle()
}

// openGroup opens group name's detail from the Groups pane.
func (h *harness) openGroup(name string) {
	h.t.Helper()
	h.keys("3", "/")
	h.typeText(`name:"` + strings.ToLower(name) + `"`)
	h.keys("enter", "enter")
	h.waitUntil("group detail "+name, func(m *Model) bool {
		c := m.panes[m.active].Crumbs()
		return len(c) == 1 && c[0] == name
	})
	h.settle()
}

func TestStageAndSubmitFromTheUI(t *testing.T) {
	st, org := stagingOrg(t)
	sales := groupNamed(t, org, "Dept - Sales")
	newcomer := outsider(t, org, sales.ID)
	h := start(t, 120, 40, Options{Store: st, Theme: "no-color", ReadOnly: true, Demo: true,
		Staging: staging.Options{Who: func() (plan.Identity, error) { return author, nil }, ApprovalsRequired: 1,
			FlagAdmins: func(p *plan.Plan) error {
				p.Warnings = append(p.Warnings, "admin check ran")
				return nil
			}}})
	h.openGroup(sales.Name)

	// The first two members, marked and removed.
	h.keys("space", "space", "d")
	f := ansi.Strip(h.frame())
	if !strings.Contains(f, "2 staged changes (-2)") {
		t.Fatalf("staging line lacks the count:\n%s", f)
	}
	if strings.Count(f, "\n- ") < 2 && strings.Count(f, "  - ") < 2 {
		t.Errorf("staged removals not shown inline:\n%s", f)
	}

	// Add through the picker, by login.
	h.keys("a")
	h.typeText(newcomer.Login)
	h.keys("enter")
	f = ansi.Strip(h.frame())
	if !strings.Contains(f, "+ "+newcomer.Name()+" <"+newcomer.Login+">") {
		t.Errorf("staged add not shown:\n%s", f)
	}

	// Rename and describe.
	h.keys("e")
	h.typeText(" EMEA")
	h.keys("enter")
	h.waitFrame("┃ Description")                            // huh moves the focus on a message of its own
	h.tm.Send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}) // clear the description
	h.typeText("Sales in Europe")
	h.keys("enter")
	// huh finishes a form on a message of its own after the last enter
	h.waitUntil("the edit staged", func(m *Model) bool { return m.area.Count() == 4 })
	f = ansi.Strip(h.frame())
	for _, want := range []string{"~ name: Dept - Sales → Dept - Sales EMEA", "~ description: Sales in Europe", "4 staged changes (+1 -2 ~1)"} {
		if !strings.Contains(f, want) {
			t.Errorf("frame lacks %q:\n%s", want, f)
		}
	}

	// S: title, then "Submit for review".
	h.keys("S")
	h.typeText(" (test)")
	h.keys("enter", "enter")
	h.waitUntil("review pane", func(m *Model) bool { return m.activeName() == review.Name })
	h.settle()
	if n := h.stagedCount(); n != 0 {
		t.Errorf("staging area holds %d changes after submit", n)
	}
	f = ansi.Strip(h.frame())
	if !strings.Contains(f, "Change Dept - Sales (test)") {
		t.Errorf("review pane does not list the new plan:\n%s", f)
	}
	h.final()

	recs, bad, err := plan.List(st)
	if err != nil || len(bad) > 0 || len(recs) != 1 {
		t.Fatalf("plans in the store: %d (bad %v, err %v)", len(recs), bad, err)
	}
	rec := recs[0]
	if rec.State != plan.StatePending || rec.Plan.Author.AdminID != author.AdminID || rec.Plan.Title != "Change Dept - Sales (test)" {
		t.Errorf("record: state %s, author %+v, title %q", rec.State, rec.Plan.Author, rec.Plan.Title)
	}
	if !slices.Contains(rec.Plan.Warnings, "admin check ran") {
		t.Errorf("FlagAdmins did not run before submit: warnings %q", rec.Plan.Warnings)
	}
	var adds, removes []string
	var update *plan.Op
	for i, op := range rec.Plan.Ops {
		if op.Group != sales.ID {
			t.Errorf("op %d targets %s, want %s", i, op.Group, sales.ID)
		}
		switch op.Kind {
		case plan.OpAdd:
			adds = append(adds, op.UserID)
		case plan.OpRemove:
			removes = append(removes, op.UserID)
			if !op.BaseMember {
				t.Errorf("removed user %s was not a member at staging", op.Login)
			}
		case plan.OpUpdate:
			update = &rec.Plan.Ops[i]
		}
	}
	if !slices.Equal(adds, []string{newcomer.ID}) {
		t.Errorf("adds = %v, want [%s]", adds, newcomer.ID)
	}
	if len(removes) != 2 || removes[0] == removes[1] {
		t.Errorf("removes = %v, want two members", removes)
	}
	if update == nil || update.Name != "Dept - Sales EMEA" || update.Description != "Sales in Europe" {
		t.Errorf("update op = %+v", update)
	}
}

// waitFrame waits until the frame shows text (uncoloured).
func (h *harness) waitFrame(text string) {
	h.t.Helper()
	h.waitUntil("a frame with "+text, func(m *Model) bool { return strings.Contains(ansi.Strip(m.View().Content), text) })
}

// stagedCount reads the staging area's size on the event loop.
func (h *harness) stagedCount() int {
	h.t.Helper()
	var n int
	h.waitUntil("staged count", func(m *Model) bool { n = m.area.Count(); return true })
	return n
}

func TestStagingRefusals(t *testing.T) {
	tests := []struct {
		name string
		do   func(h *harness, org *fixture.Org)
		want string
	}{
		{"BUILT_IN remove", func(h *harness, org *fixture.Org) {
			h.openGroup("Everyone")
			h.keys("d")
		}, `refused: group "Everyone" is BUILT_IN: Okta manages its members`},
		{"BUILT_IN add", func(h *harness, org *fixture.Org) {
			h.openGroup("Everyone")
			h.keys("a")
		}, `refused: group "Everyone" is BUILT_IN`},
		{"APP_GROUP edit", func(h *harness, org *fixture.Org) {
			h.openGroup("Workday - Employees")
			h.keys("e")
		}, `refused: group "Workday - Employees" is an APP_GROUP: its members come from the source app`},
		{"APP_GROUP add from a user's detail", func(h *harness, org *fixture.Org) {
			wd := groupNamed(t, org, "Workday - Employees")
			u := outsider(t, org, wd.ID)
			h.openUser(u.Login)
			h.keys("g")
			h.typeText("workday")
			h.keys("enter")
		}, `refused: group "Workday - Employees" is an APP_GROUP`},
		{"rename to a taken name (plan.Build at submit)", func(h *harness, org *fixture.Org) {
			h.openGroup("Project Apollo")
			h.keys("e")
			h.tm.Send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}) // clear the name
			h.typeText("Admins")
			h.keys("enter")
			h.waitFrame("┃ Description")
			h.keys("enter")
			h.waitUntil("the edit staged", func(m *Model) bool { return m.area.Count() == 1 })
			h.keys("S", "enter", "enter")
			h.waitUntil("refusal", func(m *Model) bool { _, isErr := m.area.Note(); return isErr })
		}, `refused: cannot rename "Project Apollo" to "Admins": another group has that name`},
		{"no identity", func(h *harness, org *fixture.Org) {
			h.openGroup("Project Apollo")
			h.keys("d", "S", "enter", "enter")
			h.waitUntil("refusal", func(m *Model) bool { _, isErr := m.area.Note(); return isErr })
		}, "failed: identify the admin: offline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, org := stagingOrg(t)
			h := start(t, 120, 40, Options{Store: st, Theme: "no-color",
				Staging: staging.Options{Who: func() (plan.Identity, error) {
					if strings.HasPrefix(tt.name, "no identity") {
						return plan.Identity{}, errors.New("identify the admin: offline")
					}
					return author, nil
				}}})
			tt.do(h, org)
			f := ansi.Strip(h.frame())
			if !strings.Contains(f, tt.want) {
				t.Errorf("frame lacks %q:\n%s", tt.want, f)
			}
			h.final()
			recs, _, err := plan.List(st)
			if err != nil || len(recs) != 0 {
				t.Errorf("a refused staging stored %d plans (err %v)", len(recs), err)
			}
		})
	}
}

// submitOne submits what is staged with the form's defaults, waits for
// the Review pane to show the plan, quits and returns the one plan stored.
func (h *harness) submitOne(st *store.Store) *plan.Record {
	h.t.Helper()
	h.keys("S", "enter", "enter")
	h.waitUntil("review pane", func(m *Model) bool { return m.activeName() == review.Name })
	h.final()
	recs, _, err := plan.List(st)
	if err != nil || len(recs) != 1 {
		h.t.Fatalf("%d plans (err %v)", len(recs), err)
	}
	return recs[0]
}

func TestCreateGroupFromTheUI(t *testing.T) {
	st, _ := stagingOrg(t)
	h := start(t, 100, 30, Options{Store: st, Theme: "no-color",
		Staging: staging.Options{Who: func() (plan.Identity, error) { return author, nil }}})
	h.keys("3", "n")
	h.typeText("Project Zeus")
	h.keys("enter")
	h.waitFrame("┃ Description")
	h.typeText("Zeus launch team")
	h.keys("enter")
	h.waitUntil("the group staged", func(m *Model) bool { return m.area.Count() == 1 })
	if f := ansi.Strip(h.frame()); !strings.Contains(f, "+ create group Project Zeus — Zeus launch team") {
		t.Errorf("the staged group is not shown above the list:\n%s", f)
	}
	// A name the cache already holds is refused at once.
	h.keys("n")
	h.typeText("Admins")
	h.keys("enter", "enter")
	h.waitUntil("the refusal", func(m *Model) bool { _, isErr := m.area.Note(); return isErr })
	if f := ansi.Strip(h.frame()); !strings.Contains(f, `refused: cannot create group "Admins": a group with that name exists`) {
		t.Errorf("taken name not refused:\n%s", f)
	}
	rec := h.submitOne(st)
	ops := rec.Plan.Ops
	if len(ops) != 1 || ops[0].Kind != plan.OpCreate || ops[0].Name != "Project Zeus" || ops[0].Description != "Zeus launch team" {
		t.Errorf("ops = %+v", ops)
	}
}

func TestStageFromAUsersDetail(t *testing.T) {
	st, org := stagingOrg(t)
	vpn := groupNamed(t, org, "VPN Users")
	u := outsider(t, org, vpn.ID)
	var first directory.Group // the user's first group by name: the detail selects it
	for _, g := range org.Groups {
		if slices.Contains(org.Members[g.ID], u.ID) && (first.ID == "" || strings.ToLower(g.Name) < strings.ToLower(first.Name)) {
			first = g
		}
	}
	if first.Type != directory.GroupTypeOkta {
		t.Fatalf("the user's first group %q is %s; pick another user", first.Name, first.Type)
	}
	h := start(t, 120, 40, Options{Store: st, Theme: "no-color",
		Staging: staging.Options{Who: func() (plan.Identity, error) { return author, nil }}})
	h.openUser(u.Login)

	h.keys("d")
	if n := h.stagedCount(); n != 1 {
		t.Fatalf("d staged %d changes, want 1", n)
	}
	if f := ansi.Strip(h.frame()); !strings.Contains(f, "- "+first.Name) {
		t.Errorf("staged removal not marked in the Groups section:\n%s", f)
	}
	h.keys("d") // again: unstage
	if n := h.stagedCount(); n != 0 {
		t.Fatalf("second d left %d changes staged, want 0", n)
	}
	h.keys("d", "g")
	h.typeText("vpn")
	h.keys("enter")
	if f := ansi.Strip(h.frame()); !strings.Contains(f, "+ VPN Users  OKTA_GROUP  (staged)") {
		t.Errorf("staged add not shown in the Groups section:\n%s", f)
	}
	rec := h.submitOne(st)
	var got []string
	for _, op := range rec.Plan.Ops {
		got = append(got, op.Kind+" "+op.Group+" "+op.UserID)
	}
	want := []string{"remove " + first.ID + " " + u.ID, "add " + vpn.ID + " " + u.ID}
	if !slices.Equal(got, want) {
		t.Errorf("ops = %q, want %q", got, want)
	}
}
