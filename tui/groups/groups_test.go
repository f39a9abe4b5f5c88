package groups

import (
	"strconv"
	"testing"

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

func TestPickerRows(t *testing.T) {
	s, org := panetest.Fixture(t, fixture.Options{Users: 60, Seed: 2})
	skip := map[string]bool{}
	for _, uid := range org.Members[org.Groups[1].ID] {
		skip[uid] = true
	}
	for _, per := range []int{1, 7, 1000} {
		rows, err := pickerRows(s, skip, per)
		if err != nil {
			t.Fatal(err)
		}
		if want := len(org.Users) - len(skip); len(rows) != want {
			t.Errorf("per %d: %d rows, want %d (every user not in the group)", per, len(rows), want)
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if skip[r.Key] || seen[r.Key] {
				t.Errorf("per %d: row %s is a member or a duplicate", per, r.Key)
			}
			seen[r.Key] = true
		}
	}
}
