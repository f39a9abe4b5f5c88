package syncs_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/internal/testorg"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
	"github.com/dirdeck/dirdeck/themes"
	"github.com/dirdeck/dirdeck/tui/msgs"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/syncs"
)

// syncedStore syncs a simulated org twice: once with apps forbidden and
// some 503s (a partial run with errors in its journal), then cleanly.
func syncedStore(t *testing.T) *store.Store {
	t.Helper()
	srv, c, st := simAndCache(t, 12)
	srv.Sim.SetFaults([]oktasim.FaultRule{
		{Path: "/api/v1/apps*", Probability: 1, Status: 403},
		{Path: "/api/v1/groups/*", Probability: 0.2, Status: 503},
	})
	if _, err := dsync.Run(context.Background(), c, st, dsync.Options{}); err != nil {
		t.Fatal(err)
	}
	srv.Sim.SetFaults(nil)
	if _, err := dsync.Run(context.Background(), c, st, dsync.Options{}); err != nil {
		t.Fatal(err)
	}
	return st
}

// simAndCache serves scenario S with seed, and returns an SDK client of
// its read-only admin and an empty cache.
func simAndCache(t *testing.T, seed int64) (*simtest.Server, *okta.Client, *store.Store) {
	o := testorg.Start(t, testorg.Options{Sim: oktasim.Options{Scenario: "S", Seed: seed}})
	return o.Server, o.Client, o.Store
}

// drive runs cmd and feeds its message back, like the program would.
func drive(p pane.Pane, cmd tea.Cmd) pane.Pane {
	for cmd != nil {
		p, cmd = p.Update(cmd())
	}
	return p
}

func press(p pane.Pane, k string) pane.Pane {
	msg := tea.KeyPressMsg{Code: rune(k[0]), Text: k}
	switch k {
	case "enter":
		msg = tea.KeyPressMsg{Code: tea.KeyEnter}
	case "down":
		msg = tea.KeyPressMsg{Code: tea.KeyDown}
	}
	p, cmd := p.Update(msg)
	return drive(p, cmd)
}

func view(p pane.Pane) string { return ansi.Strip(p.View()) }

func TestSyncPaneRunsJournalAndProgress(t *testing.T) {
	st := syncedStore(t)
	th, err := themes.ByName(themes.NoColor)
	if err != nil {
		t.Fatal(err)
	}
	ctx := &pane.Context{Store: st, Theme: th, Now: time.Now}
	var p pane.Pane = syncs.New(ctx)
	p.SetSize(120, 30)
	p = drive(p, p.Load())

	v := view(p)
	for _, want := range []string{"No sync running", "#2", "#1", "partial", "partial: apps E0000006"} {
		if !strings.Contains(v, want) {
			t.Fatalf("run list lacks %q:\n%s", want, v)
		}
	}

	// The newest run is first; open the older, partial one.
	p = press(p, "down")
	p = press(p, "enter")
	v = view(p)
	if !strings.Contains(v, "Run #1 journal") || !strings.Contains(v, "E0000006 (HTTP 403)") || !strings.Contains(v, "okta.apps.read") {
		t.Fatalf("journal lacks the run, the error code or its hint:\n%s", v)
	}
	if got := p.Crumbs(); len(got) != 2 || got[0] != "run #1" {
		t.Fatalf("crumbs %v", got)
	}
	// Cycle to the 403 filter: only forbidden requests are listed.
	for range 3 {
		p = press(p, "f")
	}
	v = view(p)
	if !strings.Contains(v, "filter: 403") {
		t.Fatalf("filter did not cycle to 403:\n%s", v)
	}
	for _, line := range strings.Split(v, "\n") {
		if strings.Contains(line, " GET ") && !strings.Contains(line, " 403 ") {
			t.Fatalf("403 filter shows another status: %q", line)
		}
	}
	if back, _ := p.Back(); !back || strings.Contains(view(p), "Run #1 journal") {
		t.Fatal("esc did not close the journal")
	}

	// Live progress of a running sync.
	p, _ = p.Update(msgs.SyncStateMsg{State: msgs.SyncRunning})
	p, _ = p.Update(msgs.SyncProgressMsg{Resource: "users", Pages: 3, Items: 512, Done: true})
	p, _ = p.Update(msgs.SyncProgressMsg{Resource: "memberships", Pages: 7, Items: 900, ThrottledWaits: 4})
	v = view(p)
	for _, want := range []string{"Running sync", "users", "512 items", "memberships", "4 requests held back"} {
		if !strings.Contains(v, want) {
			t.Fatalf("progress lacks %q:\n%s", want, v)
		}
	}
	p, _ = p.Update(msgs.SyncStateMsg{State: msgs.SyncFailed, Err: "list users: 401 E0000011 Invalid token provided"})
	if v = view(p); !strings.Contains(v, "Last sync failed") || !strings.Contains(v, "E0000011") {
		t.Fatalf("failure not shown:\n%s", v)
	}
}

// TestSyncPaneRunChanges opens the run that followed churn in the org: its
// changes name groups and logins and give old → new values.
func TestSyncPaneRunChanges(t *testing.T) {
	srv, c, st := simAndCache(t, 2)
	if _, err := dsync.Run(context.Background(), c, st, dsync.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Sim.Churn(20); err != nil {
		t.Fatal(err)
	}
	if _, err := dsync.Run(context.Background(), c, st, dsync.Options{}); err != nil {
		t.Fatal(err)
	}
	var changes []directory.Change
	if err := st.View(func(r *store.Reader) error { changes = r.Changes(2); return nil }); err != nil {
		t.Fatal(err)
	}
	th, err := themes.ByName(themes.NoColor)
	if err != nil {
		t.Fatal(err)
	}
	var p pane.Pane = syncs.New(&pane.Context{Store: st, Theme: th, Now: time.Now})
	p.SetSize(140, 400)
	p = drive(p, p.Load())
	p = press(p, "enter") // the newest run, #2
	v := view(p)
	if !strings.Contains(v, fmt.Sprintf("Changes (%d)", len(changes))) {
		t.Fatalf("run #2 lists no changes section:\n%s", v)
	}
	var sawMember, sawValue bool
	for _, c := range changes {
		if c.Kind == directory.KindMembership && !sawMember {
			sawMember = true
			if want := c.Parent + " ← " + c.Child; c.Parent == "" || c.Child == "" || !strings.Contains(v, want) {
				t.Errorf("membership %s not shown by name (%q):\n%s", c.ID, want, v)
			}
		}
		if c.Op == directory.OpUpdated && c.Kind == directory.KindUser && !sawValue {
			sawValue = true
			if want := c.Values[0].String(); !strings.Contains(v, want) {
				t.Errorf("update of %s lacks %q:\n%s", c.Label, want, v)
			}
		}
	}
	if !sawMember || !sawValue {
		t.Fatalf("churn gave no membership change or no user update: %+v", changes)
	}
	if ids := regexp.MustCompile(`00g\w+/00u\w+`).FindString(v); ids != "" {
		t.Errorf("pane shows a bare id pair %s", ids)
	}
}
