package apps

import (
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/tui/internal/fixture"
	"github.com/dirdeck/dirdeck/tui/pane/panetest"
)

func TestLoadDetailSaysHowUsersHoldTheApp(t *testing.T) {
	s, org := panetest.Fixture(t, fixture.Options{Users: 100, Seed: 6})
	rows, err := LoadRows(s)
	if err != nil || len(rows) != len(org.Apps) {
		t.Fatalf("LoadRows: %d rows, err %v", len(rows), err)
	}
	// GitHub (app 2) is assigned to Dept - Engineering and Admins.
	gh := org.Apps[2]
	info, users, err := LoadDetail(s, gh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Groups) != 2 || info.Groups[0].Group.Name != "Dept - Engineering" || info.Groups[1].Group.Name != "Admins" {
		t.Errorf("groups by priority = %+v", info.Groups)
	}
	if len(users) != len(org.AppUsers[gh.ID]) {
		t.Errorf("%d assigned users, want %d", len(users), len(org.AppUsers[gh.ID]))
	}
	for _, u := range users {
		how := u.Cells[2]
		if !strings.HasPrefix(how, "via ") || !(strings.Contains(how, "Admins") || strings.Contains(how, "Dept - Engineering")) {
			t.Errorf("user %s holds GitHub %q", u.Key, how)
		}
	}
	// Box (app 10) is only assigned directly.
	_, users, err = LoadDetail(s, org.Apps[10].ID)
	if err != nil || len(users) == 0 {
		t.Fatalf("Box: %d users, err %v", len(users), err)
	}
	for _, u := range users {
		if u.Cells[2] != "direct" {
			t.Errorf("Box user %s: %q, want direct", u.Key, u.Cells[2])
		}
	}
}
