package groups

import (
	"runtime"
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/themes"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/staging"
	"github.com/dirdeck/dirdeck/tui/table"
	"github.com/dirdeck/dirdeck/tui/userindex"
	"github.com/dirdeck/dirdeck/tui/userrows"

	"github.com/dirdeck/dirdeck/tui/internal/fixture"
	"github.com/dirdeck/dirdeck/tui/pane/panetest"
)

func TestLoadRowsAndDetail(t *testing.T) {
	s, org := panetest.Fixture(t, fixture.Options{Users: 90, Seed: 6, Hostile: true})
	rows, err := LoadRows(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(org.Groups) {
		t.Fatalf("%d rows for %d groups", len(rows), len(org.Groups))
	}
	apps := map[string]int{}
	for _, ags := range org.AppGroups {
		for _, ag := range ags {
			apps[ag.GroupID]++
		}
	}
	for _, r := range rows {
		if got, want := r.Cells[2], strconv.Itoa(len(org.Members[r.Key])); got != want {
			t.Errorf("group %s members = %s, want %s", r.Key, got, want)
		}
		if got, want := r.Cells[3], strconv.Itoa(apps[r.Key]); got != want {
			t.Errorf("group %s apps = %s, want %s", r.Key, got, want)
		}
	}
	everyone := org.Groups[0]
	info, members, err := LoadDetail(s, everyone.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != len(org.Users) || len(info.Apps) != 2 || info.Apps[0].Label != "Slack" {
		t.Errorf("Everyone: %d members (want %d), apps %+v", len(members), len(org.Users), info.Apps)
	}
	if _, _, err := LoadDetail(s, "00gmissing"); err == nil {
		t.Error("missing group should be an error")
	}
}

// TestPickerMapsTheUsersTable: the member picker picks from the users
// table mapped from its files (as the Users pane shows it), leaving the
// group's members out, so that opening it costs a few bytes a user, not
// every user decoded into the heap (about 1 KiB a user, 1 GiB at a
// million, before); and a row picked from it is a user to add.
func TestPickerMapsTheUsersTable(t *testing.T) {
	const users = 3000
	s, org := panetest.Fixture(t, fixture.Options{Users: users, Seed: 2})
	if err := userindex.WriteIndex(s); err != nil { // what dirdeck sync does
		t.Fatal(err)
	}
	for _, g := range org.Groups[1:4] {
		t.Run(g.Name, func(t *testing.T) {
			_, memberRows, err := LoadDetail(s, g.ID)
			if err != nil {
				t.Fatal(err)
			}
			members := table.NewRows(memberRows)
			isMember := map[string]bool{}
			for _, uid := range org.Members[g.ID] {
				isMember[uid] = true
			}
			if len(isMember) == 0 || len(isMember) == users {
				t.Fatalf("group %s has %d of %d users: the test would prove nothing", g.Name, len(isMember), users)
			}

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			msg := pickerRows(s, members)
			runtime.ReadMemStats(&after)
			if msg.Err != nil {
				t.Fatal(msg.Err)
			}
			// The rows kept (4 bytes a user), the members' ids sorted, and
			// the files opened; a decoded user alone is several hundred.
			if per := float64(after.TotalAlloc-before.TotalAlloc) / users; per > 48 {
				t.Errorf("opening the picker allocated %.0f bytes a user, want at most 48: are the users decoded into the heap?", per)
			}

			if msg.Rows.Len() != users || len(msg.Keep) != users-len(isMember) {
				t.Fatalf("%d rows, %d kept; want %d rows, %d kept (every user not in the group)", msg.Rows.Len(), len(msg.Keep), users, users-len(isMember))
			}
			for k, i := range msg.Keep {
				if id := msg.Rows.Key(int(i)); isMember[id] || (k > 0 && msg.Keep[k-1] >= i) {
					t.Fatalf("kept row %d (%s) is a member or out of order", i, id)
				}
			}

			// The picker shows the kept rows only, and picks one of them.
			th, _ := themes.ByName(themes.NoColor)
			p := staging.NewPicker("pick", userrows.Columns(), userrows.Fields, "users", th)
			p.SetSize(120, 20, th)
			drain(t, p, p.Update(msg))
			if view := ansi.Strip(p.View(th)); !strings.Contains(view, textsafe.Count(users-len(isMember))+" users") {
				t.Errorf("the picker does not count %d users:\n%s", users-len(isMember), view)
			}
			drain(t, p, p.Update(pane.KeyPress("enter")))
			if !p.Done || len(p.Picked) != 1 || isMember[p.Picked[0].Key] || p.Picked[0].Key != msg.Rows.Key(int(msg.Keep[0])) {
				t.Fatalf("picked %+v, want the first user not in the group", p.Picked)
			}
		})
	}
}

// drain runs cmd (a filter or sort pass) and hands its result to p.
func drain(t *testing.T, p *staging.Picker, cmd tea.Cmd) {
	t.Helper()
	for cmd != nil {
		cmd = p.Update(cmd())
	}
}
