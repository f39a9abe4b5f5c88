package sync

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/okta"
)

// capturedLogDir holds System Log events captured from real Okta orgs;
// its README says where each comes from.
const capturedLogDir = "../oktasim/testdata/logs"

// readCaptured serves a captured GET /api/v1/logs body over HTTP and reads
// it back with the real client, so that the events reach the sync exactly
// as the SDK parses Okta's JSON.
func readCaptured(t *testing.T, file string) []okta.LogEvent {
	t.Helper()
	t.Setenv("HOME", t.TempDir()) // keep a real ~/.okta out of the SDK
	body, err := os.ReadFile(filepath.Join(capturedLogDir, file))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/logs" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := okta.New(t.Context(), okta.Credentials{OrgURL: srv.URL, Token: "00capturedFixtureToken0123456789"}, okta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var evs []okta.LogEvent
	if _, err := c.ListLogs(t.Context(), time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC), "", func(page []okta.LogEvent) error {
		evs = append(evs, page...)
		return nil
	}); err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	if len(evs) == 0 {
		t.Fatalf("%s: no events", file)
	}
	return evs
}

// TestCapturedEventTargets reads the users, groups and apps the sync
// takes from real captured events: the user of an app membership is the
// User target (00u…), never the AppUser record (0ua…).
func TestCapturedEventTargets(t *testing.T) {
	tests := []struct {
		file               string
		of                 func(okta.LogEvent) (string, string)
		wantParent, wantID string
	}{
		{"application.user_membership.add.json", appUserOf, "0oabfkvxe1npBRdow0h7", "00ued6gq9jItNhAsN0h7"},
		{"group.user_membership.add.json", membershipOf, "00g8mo0l5wuTxmoIC0h7", "00ued6gq9jItNhAsN0h7"},
		{"group.application_assignment.add.json", func(ev okta.LogEvent) (string, string) {
			return target(ev, targetApp), target(ev, targetGroup)
		}, "test_app_instance_id", "test_user_group_id"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ev := readCaptured(t, tt.file)[0]
			if !succeeded(ev) {
				t.Errorf("outcome %q: not a success", ev.Outcome)
			}
			parent, id := tt.of(ev)
			if parent != tt.wantParent || id != tt.wantID {
				t.Errorf("got (%s, %s), want (%s, %s); targets %+v", parent, id, tt.wantParent, tt.wantID, ev.Targets)
			}
		})
	}
}
