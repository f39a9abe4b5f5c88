package groups

import (
	"strconv"
	"testing"

	"github.com/dirdeck/dirdeck/tui/internal/fixture"
)

func TestLoadRowsAndDetail(t *testing.T) {
	s, org, err := fixture.Build(t.TempDir(), fixture.Options{Users: 90, Seed: 6, Hostile: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
