package okta

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

// TestSimStrictExpressions: through the SDK, an expression Okta does not
// document for the listing comes back as one readable line with Okta's
// E0000031, and the expressions dirdeck itself sends pass.
func TestSimStrictExpressions(t *testing.T) {
	t.Parallel()
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 4})
	c := simClient(t, srv, srv.ReadOnlyToken(), Options{})
	since := directory.DigestTime(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name string
		list func() error
		ok   bool
	}{
		{"deprovisioned users", func() error { return c.ListUsers(t.Context(), Query{Filter: FilterDeprovisioned}, discard) }, true},
		{"users since", func() error {
			return c.ListUsers(t.Context(), Query{Filter: fmt.Sprintf("lastUpdated gt %q", since)}, discard)
		}, true},
		{"groups since", func() error {
			return c.ListGroups(t.Context(), Query{Filter: fmt.Sprintf("lastUpdated gt %q or lastMembershipUpdated gt %q", since, since)}, discard)
		}, true},
		{"users created", func() error {
			return c.ListUsers(t.Context(), Query{Filter: fmt.Sprintf("created gt %q", since)}, discard)
		}, false},
		{"users without milliseconds", func() error {
			return c.ListUsers(t.Context(), Query{Filter: `lastUpdated gt "2020-01-01T00:00:00Z"`}, discard)
		}, false},
		{"apps by label", func() error { return c.ListApps(t.Context(), Query{Filter: `label eq "Slack"`}, discard) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.list()
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != 400 || ae.ErrorCode != "E0000031" || ae.ErrorID == "" ||
				!strings.Contains(err.Error(), "E0000031") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line with 400 E0000031", err)
			}
		})
	}
}

func discard[T any]([]T) error { return nil }
