package okta

import (
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

// TestJournalCarriesHint: an error answer is journaled with the hint its
// APIError gives, so the Syncs pane can explain it without importing okta;
// a success carries none.
func TestJournalCarriesHint(t *testing.T) {
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 3})
	c := simClient(t, srv, srv.Token("noapps"), Options{})
	if err := c.ListUsers(t.Context(), Query{}, func([]directory.User) error { return nil }); err != nil {
		t.Fatal(err)
	}
	// The noapps admin's role does not cover apps: Okta answers 403.
	if err := c.ListApps(t.Context(), Query{}, func([]directory.App) error { return nil }); !IsForbidden(err) {
		t.Fatalf("ListApps as noapps: %v, want forbidden", err)
	}
	var ok, forbidden *directory.Request
	for _, e := range c.Journal() {
		switch {
		case e.Status == 200 && ok == nil:
			ok = &e
		case e.Status == 403 && forbidden == nil:
			forbidden = &e
		}
	}
	if ok == nil || forbidden == nil {
		t.Fatalf("journal lacks a 200 and a 403: %+v", c.Journal())
	}
	if ok.Hint != "" {
		t.Errorf("success journaled with hint %q", ok.Hint)
	}
	want := (&APIError{Method: forbidden.Method, Path: forbidden.Path, Status: 403, ErrorCode: forbidden.ErrorCode}).Hint()
	if forbidden.Hint != want || !strings.Contains(forbidden.Hint, "okta.apps.read") {
		t.Errorf("403 journaled with hint %q, want %q (naming okta.apps.read)", forbidden.Hint, want)
	}
}
