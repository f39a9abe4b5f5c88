package oktasim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
)

func testSnapshot() Snapshot {
	t0 := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	u := func(id, status string) directory.User {
		return directory.User{ID: id, Status: status, Created: t0, LastUpdated: t0.Add(time.Hour),
			Login: id + "@redacted.invalid", Email: id + "@redacted.invalid", FirstName: "Person", LastName: id[len(id)-4:],
			Attributes: map[string]any{"hireDate": "2020-01-02", "nickName": "Nick", "level": 3.0}}
	}
	return Snapshot{
		Users: []directory.User{u("00uAAAAA000000000003", "ACTIVE"), u("00uAAAAA000000000001", "ACTIVE"),
			u("00uAAAAA000000000002", "SUSPENDED"), u("00uAAAAA000000000004", "DEPROVISIONED"), u("00uAAAAA000000000005", "ACTIVE")},
		Groups: []directory.Group{
			{ID: "00gAAAAA000000000001", Type: "BUILT_IN", Name: "Everyone", LastUpdated: t0},
			{ID: "00gAAAAA000000000002", Type: "OKTA_GROUP", Name: "Xxxxx", LastUpdated: t0},
			{ID: "00gAAAAA000000000003", Type: "APP_GROUP", Name: "Yyyy", LastUpdated: t0},
		},
		Apps: []directory.App{{ID: "0oaAAAAA000000000001", Name: "bookmark", Label: "Zzz", Status: "ACTIVE", SignOnMode: "BOOKMARK", LastUpdated: t0}},
		Memberships: []directory.Membership{
			{GroupID: "00gAAAAA000000000001", UserID: "00uAAAAA000000000001"}, {GroupID: "00gAAAAA000000000001", UserID: "00uAAAAA000000000002"},
			{GroupID: "00gAAAAA000000000001", UserID: "00uAAAAA000000000003"}, {GroupID: "00gAAAAA000000000001", UserID: "00uAAAAA000000000004"},
			{GroupID: "00gAAAAA000000000001", UserID: "00uAAAAA000000000005"},
			{GroupID: "00gAAAAA000000000002", UserID: "00uAAAAA000000000002"}, {GroupID: "00gAAAAA000000000002", UserID: "00uAAAAA000000000003"},
		},
		AppGroups: []directory.AppGroup{{AppID: "0oaAAAAA000000000001", GroupID: "00gAAAAA000000000002", LastUpdated: t0}},
		AppUsers: []directory.AppUser{
			{AppID: "0oaAAAAA000000000001", UserID: "00uAAAAA000000000002", Scope: "GROUP"},
			{AppID: "0oaAAAAA000000000001", UserID: "00uAAAAA000000000003", Scope: "USER"},
			{AppID: "0oaAAAAA000000000001", UserID: "00uAAAAA000000000005", Scope: "USER"},
		},
	}
}

func TestFromSnapshotServesTheSnapshot(t *testing.T) {
	snap := testSnapshot()
	sim, err := FromSnapshot(snap, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var d directory.Digester
	for _, u := range snap.Users {
		d.AddUser(u)
	}
	for _, g := range snap.Groups {
		d.AddGroup(g)
	}
	for _, a := range snap.Apps {
		d.AddApp(a)
	}
	for _, m := range snap.Memberships {
		d.AddMember(m.GroupID, m.UserID)
	}
	for _, au := range snap.AppUsers {
		d.AddAppUser(au.AppID, au.UserID)
	}
	for _, ag := range snap.AppGroups {
		d.AddAppGroup(ag.AppID, ag.GroupID)
	}
	truth := sim.Truth()
	if truth.Digest != d.Sum() {
		t.Fatalf("truth %v %s, snapshot digest %s (%+v)", truth.Counts, truth.Digest, d.Sum(), d.Counts())
	}

	srv := httptest.NewServer(sim)
	defer srv.Close()
	tok := sim.Token("readonly")
	if tok == "" {
		t.Fatal("no readonly token")
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/users/00uAAAAA000000000003", nil)
	req.Header.Set("Authorization", "SSWS "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Profile map[string]any `json:"profile"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Profile["login"] != "00uAAAAA000000000003@redacted.invalid" || got.Profile["nickName"] != "Nick" ||
		got.Profile["hireDate"] != "2020-01-02" || got.Profile["level"] != "3" {
		t.Fatalf("profile %v", got.Profile)
	}
}

func TestFromSnapshotRejectsBrokenSnapshots(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Snapshot)
	}{
		{"duplicate user", func(s *Snapshot) { s.Users = append(s.Users, s.Users[0]) }},
		{"empty group id", func(s *Snapshot) { s.Groups[1].ID = "" }},
		{"membership of unknown user", func(s *Snapshot) {
			s.Memberships = append(s.Memberships, directory.Membership{GroupID: s.Groups[0].ID, UserID: "00unknown"})
		}},
		{"app group of unknown group", func(s *Snapshot) { s.AppGroups[0].GroupID = "00gnope" }},
		{"app user of unknown app", func(s *Snapshot) { s.AppUsers[1].AppID = "0oanope" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := testSnapshot()
			tt.modify(&snap)
			if _, err := FromSnapshot(snap, Options{}); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestFaultScriptHitsPerEndpointPositions(t *testing.T) {
	sim, err := FromSnapshot(testSnapshot(), Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	err = sim.SetFaultScript([]ScriptedFault{
		{Seq: 2, Method: "GET", PathTemplate: "/api/v1/groups/{groupId}/users", Status: 429},
		{Seq: 1, Method: "GET", PathTemplate: "/api/v1/apps", Status: 403},
		{Seq: 3, Method: "GET", PathTemplate: "/api/v1/groups/{groupId}/users", Status: 401},
	})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) int {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "SSWS "+sim.Token("superadmin"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	steps := []struct {
		path string
		want int
	}{
		{"/api/v1/groups/00gAAAAA000000000001/users", 200},
		{"/api/v1/groups/00gAAAAA000000000002", 200}, // another endpoint: not counted
		{"/api/v1/apps", 403},
		{"/api/v1/groups/00gAAAAA000000000002/users", 429},
		{"/api/v1/apps", 200},
		{"/api/v1/groups/00gAAAAA000000000002/users", 401},
		{"/api/v1/groups/00gAAAAA000000000002/users", 200},
	}
	for i, s := range steps {
		if got := get(s.path); got != s.want {
			t.Fatalf("step %d %s: status %d, want %d", i, s.path, got, s.want)
		}
	}
	if err := sim.SetFaultScript([]ScriptedFault{{Seq: 0, Method: "GET", PathTemplate: "/x"}}); err == nil {
		t.Fatal("seq 0 accepted")
	}
	if err := sim.SetRateLimits(map[string]int{"/api/v1/nope": 3}); err == nil {
		t.Fatal("unknown bucket accepted")
	}
}

// TestResetGoesBackToTheSnapshot: /__sim/reset on an org built from a
// snapshot restores the snapshot, not a generated scenario.
func TestResetGoesBackToTheSnapshot(t *testing.T) {
	sim, err := FromSnapshot(testSnapshot(), Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	start := sim.Truth()
	if _, err := sim.Churn(4); err != nil {
		t.Fatal(err)
	}
	if sim.Truth().Digest == start.Digest {
		t.Fatal("churn changed nothing; the test would prove nothing")
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/__sim/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("reset: %s", resp.Status)
	}
	if got := sim.Truth(); got.Digest != start.Digest || got.Counts["users"] != len(testSnapshot().Users) {
		t.Errorf("after reset: %v %s, want the snapshot's %v %s", got.Counts, got.Digest, start.Counts, start.Digest)
	}
}
