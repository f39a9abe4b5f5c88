package users

import (
	"slices"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/tui/internal/fixture"
	"github.com/dirdeck/dirdeck/tui/pane/panetest"
)

func TestLoadDetailAssignments(t *testing.T) {
	s, org := panetest.Fixture(t, fixture.Options{Users: 100, Seed: 4})
	// User 0 is in Everyone (Slack, Zoom via group) and gets Box and AWS
	// directly (every 7th and 11th user).
	d, err := LoadDetail(s, org.Users[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	how := map[string]Assignment{}
	for _, a := range d.Apps {
		how[a.App.Label] = a
	}
	if a := how["Slack"]; a.Direct || !slices.Contains(a.Via, "Everyone") {
		t.Errorf("Slack = %+v, want via Everyone", a)
	}
	if a := how["Box"]; !a.Direct {
		t.Errorf("Box = %+v, want direct", a)
	}
	if !slices.ContainsFunc(d.Groups, func(g directory.Group) bool { return g.Name == "Everyone" }) {
		t.Errorf("groups %v lack Everyone", d.Groups)
	}
	if _, err := LoadDetail(s, "00unosuchuser"); err == nil || !strings.Contains(err.Error(), "no longer in the cache") {
		t.Errorf("missing user: err = %v", err)
	}
}
