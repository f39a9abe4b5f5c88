package oktasim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// capturedEvent is the part of a captured System Log event whose shape the
// simulator must reproduce.
type capturedEvent struct {
	EventType       string      `json:"eventType"`
	LegacyEventType *string     `json:"legacyEventType"`
	DisplayMessage  string      `json:"displayMessage"`
	Target          []LogTarget `json:"target"`
}

// readCapturedEvents reads testdata/logs/file: events real Okta orgs
// wrote (see the README there for where each comes from).
func readCapturedEvents(t *testing.T, file string) []capturedEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "logs", file))
	if err != nil {
		t.Fatal(err)
	}
	var evs []capturedEvent
	if err := json.Unmarshal(b, &evs); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return evs
}

// TestEventsMatchCapturedShapes churns an org and compares the events the
// simulator writes with events captured from real orgs: same message,
// legacy type, target types in the same order, and ids with the same
// Okta prefixes (00u users, 00g groups, 0oa apps, 0ua app-user records).
func TestEventsMatchCapturedShapes(t *testing.T) {
	s := churned(t, 400)
	logged := map[string][]LogEvent{}
	for _, ev := range s.ext.logs.all() {
		logged[ev.EventType] = append(logged[ev.EventType], ev)
	}
	// The remove events have no capture of their own: Okta writes them
	// with the targets of the matching add.
	counterpart := map[string]string{
		EventAppUserAdd:        EventAppUserRemove,
		EventGroupMemberAdd:    EventGroupMemberRemove,
		EventGroupAppAssignAdd: EventGroupAppAssignRemove,
	}
	for _, file := range []string{"application.user_membership.add.json", "group.user_membership.add.json", "group.application_assignment.add.json"} {
		want := readCapturedEvents(t, file)[0]
		for _, typ := range []string{want.EventType, counterpart[want.EventType]} {
			t.Run(typ, func(t *testing.T) {
				evs := logged[typ]
				if len(evs) == 0 {
					t.Fatalf("churn wrote no %s event", typ)
				}
				for _, ev := range evs {
					if typ == want.EventType {
						if ev.DisplayMessage != want.DisplayMessage {
							t.Errorf("displayMessage %q, captured %q", ev.DisplayMessage, want.DisplayMessage)
						}
						if want.LegacyEventType != nil && ev.LegacyEventType != *want.LegacyEventType {
							t.Errorf("legacyEventType %q, captured %q", ev.LegacyEventType, *want.LegacyEventType)
						}
					}
					if len(ev.Target) != len(want.Target) {
						t.Fatalf("%d targets %+v, captured %d %+v", len(ev.Target), ev.Target, len(want.Target), want.Target)
					}
					for i, got := range ev.Target {
						w := want.Target[i]
						if got.Type != w.Type {
							t.Fatalf("target %d type %q, captured %q (%+v)", i, got.Type, w.Type, ev.Target)
						}
						if !strings.HasPrefix(w.ID, "test_") && got.ID[:3] != w.ID[:3] {
							t.Errorf("target %d (%s) id %q, captured prefix %q", i, got.Type, got.ID, w.ID[:3])
						}
						if len(got.ID) != 20 {
							t.Errorf("target %d (%s) id %q: not 20 characters like Okta's", i, got.Type, got.ID)
						}
					}
				}
			})
		}
	}
}

// TestAppUserRecordIDs checks that the AppUser target is a record of its
// own: its id is not the user's, it is the same in the add and the remove
// of one assignment, and it differs between apps.
func TestAppUserRecordIDs(t *testing.T) {
	s := churned(t, 400)
	records := map[[2]string]string{} // (app, user) → record id
	seen := map[string][2]string{}
	for _, ev := range s.ext.logs.all() {
		if ev.EventType != EventAppUserAdd && ev.EventType != EventAppUserRemove {
			continue
		}
		rec, app, person := ev.Target[0].ID, ev.Target[1].ID, ev.Target[2].ID
		if rec == person || !strings.HasPrefix(rec, prefixAppUser) || !strings.HasPrefix(person, prefixUser) {
			t.Fatalf("record %q user %q", rec, person)
		}
		pair := [2]string{app, person}
		if old, ok := records[pair]; ok && old != rec {
			t.Fatalf("%v: record %q, earlier %q", pair, rec, old)
		}
		if other, ok := seen[rec]; ok && other != pair {
			t.Fatalf("record %q names %v and %v", rec, pair, other)
		}
		records[pair], seen[rec] = rec, pair
	}
	if len(records) == 0 {
		t.Fatal("no application.user_membership events")
	}
}

// churned is a small org (scenario S) after n changes.
func churned(t *testing.T, n int) *Sim {
	t.Helper()
	s, err := New(Options{Scenario: "S", Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Churn(n); err != nil {
		t.Fatal(err)
	}
	return s
}
