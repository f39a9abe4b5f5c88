package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dirdeck/dirdeck/plan"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/internal/fixture"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/review"
)

// planOrg is a private cache with one pending plan that adds a user to
// two groups, so the Review pane has a plan to open with two groups.
func planOrg(t *testing.T) *store.Store {
	t.Helper()
	st, org := stagingOrg(t)
	var changes []plan.Change
	for _, name := range []string{"Dept - Sales", "Dept - Engineering"} {
		g := groupNamed(t, org, name)
		changes = append(changes, plan.Change{Group: name, Add: []string{outsider(t, org, g.ID).Login}})
	}
	var p plan.Plan
	err := st.View(func(r *store.Reader) error {
		var err error
		p, err = plan.Build(r, plan.Request{Title: "Two groups", OrgURL: "https://acme.okta.com", Author: author,
			Now: fixture.Now, ApprovalsRequired: 1, Changes: changes})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Submit(st, p, plan.Keys{}); err != nil {
		t.Fatal(err)
	}
	return st
}

// activeName is the name of the pane that has focus: tests address
// panes by name, never by position.
func (m *Model) activeName() string { return m.panes[m.active].Name() }

// pane returns the pane named name.
func (m *Model) pane(name string) pane.Pane { return m.paneAt(m.paneIndex(name)) }

// TestPaneKeysReachPanes presses, in every pane and in its list and
// detail states, every key the pane advertises, and checks that the
// dashboard did not take it for itself: the same pane keeps focus (or
// the pane itself asked to open an object elsewhere), and no
// palette, help, submit form, sync or root message appeared. esc is the
// root's but asks the pane first (Back), so it passes too.
func TestPaneKeysReachPanes(t *testing.T) {
	st := planOrg(t)
	states := []struct {
		pane  string
		steps []string
	}{
		{"overview", nil},
		{"users", nil}, {"users", []string{"enter"}},
		{"groups", nil}, {"groups", []string{"down", "enter"}},
		{"apps", nil}, {"apps", []string{"enter"}},
		{"sync", nil}, {"sync", []string{"enter"}},
		{"access", nil},
		{review.Name, nil}, {review.Name, []string{"enter"}}, {review.Name, []string{"v"}},
		{"signatures", nil}, {"signatures", []string{"enter"}}, {"signatures", []string{"c"}},
	}
	opts := func(startPane string, syncs *int) Options {
		return Options{Store: st, Theme: "no-color", StartPane: startPane, SyncNow: func() tea.Cmd { *syncs++; return nil }}
	}
	for _, s := range states {
		var advertised []string
		var n int
		h := start(t, 120, 40, opts(s.pane, &n))
		h.keys(s.steps...)
		h.waitUntil("the advertised keys", func(m *Model) bool {
			for _, b := range m.panes[m.active].Keys() {
				advertised = append(advertised, b.Keys()...)
			}
			return true
		})
		h.final()
		if len(advertised) == 0 {
			t.Errorf("%s after %q advertises no keys", s.pane, s.steps)
		}
		for _, k := range advertised {
			t.Run(s.pane+"_"+strings.Join(s.steps, "_")+"/"+k, func(t *testing.T) {
				syncs := 0
				h := start(t, 120, 40, opts(s.pane, &syncs))
				h.keys(s.steps...)
				h.keys(k)
				m, view := h.final()
				// A pane may ask to show an object elsewhere (pane.OpenMsg:
				// "enter open user"); esc then comes back, so back is set.
				if got := m.activeName(); got != s.pane && len(m.back) == 0 {
					t.Errorf("%s switched to the %s pane", k, got)
				}
				if m.inPalette || m.fullHelp || m.submit != nil || syncs > 0 || m.message != "" {
					t.Errorf("the dashboard took %s (palette %v, help %v, submit %v, syncs %d, message %q):\n%s",
						k, m.inPalette, m.fullHelp, m.submit != nil, syncs, m.message, ansi.Strip(view))
				}
			})
		}
	}
}

// TestReviewTabNextGroup is issue 19's bug: in an open plan, tab (shown as
// "next group") moves to the next group instead of the next pane; from
// the plan list, tab still switches panes.
func TestReviewTabNextGroup(t *testing.T) {
	h := start(t, 120, 40, Options{Store: planOrg(t), Theme: "no-color", StartPane: review.Name})
	h.keys("enter")
	if f := ansi.Strip(h.frame()); !strings.Contains(f, "group 1/2") {
		t.Fatalf("the plan does not open on its first group:\n%s", f)
	}
	h.keys("tab")
	if f := ansi.Strip(h.frame()); !strings.Contains(f, "group 2/2") {
		t.Errorf("tab did not move to the next group:\n%s", f)
	}
	h.keys("esc", "tab")
	m, _ := h.final()
	if m.activeName() != "signatures" {
		t.Errorf("tab from the plan list: pane %s, want signatures", m.activeName())
	}
}

// claiming is a real pane that claims keys of the test's choice.
type claiming struct {
	*review.Model
	claims []key.Binding
}

func (c claiming) Claims() []key.Binding { return c.claims }

// TestClaimsOnlyYieldableKeys: a pane may claim tab, s or S, but never a
// key the dashboard always keeps (quit, help, the palette, 1-9), nor a
// key that is not global.
func TestClaimsOnlyYieldableKeys(t *testing.T) {
	keys := defaultKeys()
	ctx := &pane.Context{Store: shared, Now: func() time.Time { return fixture.Now }}
	for _, tc := range []struct {
		key, wantErr string
	}{
		{"tab", ""}, {"s", ""}, {"S", ""}, {"shift+tab", ""},
		{"q", "never yields"}, {"?", "never yields"}, {":", "never yields"}, {"3", "never yields"}, {"esc", "never yields"},
		{"z", "not a global key"},
	} {
		p := claiming{review.New(ctx, review.Actions{}), []key.Binding{key.NewBinding(key.WithKeys(tc.key))}}
		err := keys.checkClaims(p)
		if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("claim %q: err %v, want %q", tc.key, err, tc.wantErr)
		}
	}
}

// TestKeyPressNames: the presses tests and the action menu send are the
// keys the bindings name.
func TestKeyPressNames(t *testing.T) {
	for _, name := range []string{"enter", "esc", "tab", "shift+tab", "space", "up", "down", "pgup", "pgdown", "home", "end", "ctrl+b", "ctrl+f", "a", "A", "?", "/"} {
		if got := pane.KeyPress(name).String(); got != name {
			t.Errorf("KeyPress(%q).String() = %q", name, got)
		}
	}
}

// TestHelpInSight: at widths from 80 to 140 columns, on every pane, the
// hint line ends with ": command • ? help • q quit", and the pane bar names
// every pane, abbreviated where the full titles do not fit.
func TestHelpInSight(t *testing.T) {
	for _, w := range []int{80, 91, 100, 107, 120, 140} {
		for _, name := range []string{"overview", "users", "groups", "apps", "sync", "access", review.Name, "signatures"} {
			t.Run(fmt.Sprintf("%d/%s", w, name), func(t *testing.T) {
				h := start(t, w, 24, Options{Theme: "no-color", StartPane: name})
				_, view := h.final()
				lines := strings.Split(ansi.Strip(view), "\n")
				if hint := strings.TrimRight(lines[len(lines)-1], " "); !strings.HasSuffix(hint, ": command • ? help • q quit") {
					t.Errorf("hint line %q does not end with the global keys", hint)
				}
				bar := lines[1]
				for _, short := range []string{"1 Ove", "2 Use", "3 Gro", "4 App", "5 Syn", "6 Acc", "7 Rev", "8 Sig"} {
					if !strings.Contains(bar, short) {
						t.Errorf("pane bar %q lacks %q", bar, short)
					}
				}
			})
		}
	}
}

// TestSessionWithoutStagingOrSync is what `bundle open` runs: no staging
// and no syncing, so neither is offered (help, hints, the Sync pane) nor
// taken, and the header shows the snapshot's age instead of a sync's.
func TestSessionWithoutStagingOrSync(t *testing.T) {
	taken := fixture.Now.Add(-72 * time.Hour)
	h := start(t, 120, 40, Options{Theme: "no-color", ReadOnly: true, Bundle: true, NoStaging: true, SnapshotAt: taken})
	if f := ansi.Strip(h.frame()); !strings.Contains(f, "snapshot taken 3d ago") || strings.Contains(f, "synced") {
		t.Errorf("header:\n%s", strings.Split(f, "\n")[0])
	}
	// A group's detail: no staging keys in the hint, and d stages nothing.
	h.keys("3", "down", "down", "enter")
	h.keys("space", "d", "S")
	f := ansi.Strip(h.frame())
	for _, bad := range []string{"stage", "mark", "S to submit"} {
		if strings.Contains(f, bad) {
			t.Errorf("the frame offers %q:\n%s", bad, f)
		}
	}
	if !strings.Contains(f, "staging is not available in this session") {
		t.Errorf("S does not say staging is unavailable:\n%s", f)
	}
	h.keys("esc", "esc", "5")
	if f := ansi.Strip(h.frame()); strings.Contains(f, "press s") {
		t.Errorf("the Sync pane offers s:\n%s", f)
	}
	h.keys("?")
	if f := ansi.Strip(h.frame()); strings.Contains(f, "sync now") || strings.Contains(f, "submit staged") {
		t.Errorf("the help offers s or S:\n%s", f)
	}
	m, _ := h.final()
	if m.area != nil {
		t.Errorf("a session that cannot submit plans has a staging area (%d changes staged)", m.area.Count())
	}
}

// TestActionMenu: ? lists the focused pane's actions with their keys;
// enter runs the chosen one, even one whose key the dashboard also has
// (Review's tab, next group), and esc closes the menu.
func TestActionMenu(t *testing.T) {
	h := start(t, 120, 40, Options{Store: planOrg(t), Theme: "no-color", StartPane: review.Name})
	h.keys("enter", "?")
	f := ansi.Strip(h.frame())
	for _, want := range []string{"Review actions", "› ↑/↓   move", "tab   next group", "a     approve", "q quit"} {
		if !strings.Contains(f, want) {
			t.Fatalf("the menu lacks %q:\n%s", want, f)
		}
	}
	h.keys("down")
	if f := ansi.Strip(h.frame()); !strings.Contains(f, "› tab   next group") {
		t.Fatalf("down did not choose the next action:\n%s", f)
	}
	h.keys("enter")
	if f := ansi.Strip(h.frame()); !strings.Contains(f, "group 2/2") || strings.Contains(f, "Review actions") {
		t.Errorf("enter did not run next group and close the menu:\n%s", f)
	}
	h.keys("?", "esc")
	m, _ := h.final()
	if m.fullHelp || m.activeName() != review.Name || len(m.pane(review.Name).Crumbs()) != 1 {
		t.Errorf("esc: menu %v, pane %s, crumbs %v", m.fullHelp, m.activeName(), m.pane(review.Name).Crumbs())
	}

	// In a list, the menu's filter action opens the prompt; a session
	// that switches profiles in place (the demo) lists :profile.
	h = start(t, 100, 30, Options{Theme: "no-color", StartPane: "users", Profiles: []string{"admin", "reviewer"},
		SwitchProfile: func(string) tea.Cmd { return nil }})
	h.keys("?")
	if f := ansi.Strip(h.frame()); !strings.Contains(f, ":profile  admin|reviewer") {
		t.Errorf("the menu does not offer :profile:\n%s", f)
	}
	h.keys("enter")
	m, _ = h.final()
	if !m.pane("users").Capturing() {
		t.Error("the menu's / filter did not open the filter prompt")
	}
}
