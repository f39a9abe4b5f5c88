package access

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
)

func tokenByName(t *testing.T, r *TokenReport, name string) TokenCheck {
	t.Helper()
	for _, tc := range r.Tokens {
		if tc.Name == name {
			return tc
		}
	}
	t.Fatalf("no token %q in %+v", name, r.Tokens)
	return TokenCheck{}
}

// TestTokenThresholdsOnTheOrgClock moves the sim's clock so that seeded
// integration tokens cross the warning (7 days left), critical (2 days)
// and expired thresholds, one minute either side of each.
func TestTokenThresholdsOnTheOrgClock(t *testing.T) {
	srv := newSim(t)
	c := tokenClient(t, srv, "readonly")
	ctx := t.Context()
	steps := []struct {
		at          time.Duration // since the org was generated
		token       string
		status      string
		daysLeft    int
		exit        int
		reasonMatch string
	}{
		// "Legacy SCIM connector" was last used 25 days before: 5 days left.
		{0, "Legacy SCIM connector", LevelWarning, 5, ExitWarnings, "idles out in 5 days"},
		{3*day - time.Minute, "Legacy SCIM connector", LevelWarning, 3, ExitWarnings, "idles out in 3 days"},
		{3*day + time.Minute, "Legacy SCIM connector", LevelCritical, 2, ExitFailed, "idles out in 2 days"},
		{5*day - time.Minute, "Legacy SCIM connector", LevelCritical, 1, ExitFailed, "idles out in 1 day"},
		{5*day + time.Minute, "Legacy SCIM connector", LevelExpired, 0, ExitFailed, "expired"},
		// dirdeck-superadmin was last used when the org was generated.
		{23*day - time.Minute, "dirdeck-superadmin", LevelOK, 8, ExitFailed, ""},
		{23*day + time.Minute, "dirdeck-superadmin", LevelWarning, 7, ExitFailed, "idles out in 7 days"},
		{28*day - time.Minute, "dirdeck-superadmin", LevelWarning, 3, ExitFailed, "idles out in 3 days"},
		{28*day + time.Minute, "dirdeck-superadmin", LevelCritical, 2, ExitFailed, "idles out in 2 days"},
		{30*day + time.Minute, "dirdeck-superadmin", LevelExpired, 0, ExitFailed, "expired"},
	}
	var at time.Duration
	for _, st := range steps {
		srv.Sim.Advance(st.at - at)
		at = st.at
		r, err := CheckTokens(ctx, c, TokenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tc := tokenByName(t, r, st.token)
		if tc.Status != st.status || tc.DaysLeft != st.daysLeft || r.ExitCode() != st.exit {
			t.Fatalf("at %v: %s is %s with %d days left (exit %d), want %s, %d (exit %d): %v",
				st.at, st.token, tc.Status, tc.DaysLeft, r.ExitCode(), st.status, st.daysLeft, st.exit, tc.Reasons)
		}
		if st.reasonMatch != "" && (!strings.Contains(strings.Join(tc.Reasons, "; "), st.reasonMatch) || tc.Fix == "") {
			t.Errorf("at %v: %s reasons %v fix %q, want %q", st.at, st.token, tc.Reasons, tc.Fix, st.reasonMatch)
		}
		// dirdeck's own token is renewed by the check itself.
		self := tokenByName(t, r, "dirdeck-readonly")
		if !self.Self || r.Self.Status != LevelOK || r.Self.DaysLeft == nil || *r.Self.DaysLeft != 30 || r.Self.Owner == "" || r.Self.OwnerStatus != "ACTIVE" {
			t.Fatalf("at %v: self = %+v / %+v", st.at, r.Self, self)
		}
		// The nightly HR import keeps its token alive but is past rotation.
		hr := tokenByName(t, r, "HR import (nightly)")
		if hr.Status != LevelWarning || hr.DaysLeft < 29 || !strings.Contains(strings.Join(hr.Reasons, ";"), "rotation policy") {
			t.Fatalf("at %v: HR import = %+v", st.at, hr)
		}
		if at > time.Hour && r.SkewNote == "" {
			t.Errorf("at %v: no skew note with the org's clock %d s ahead", st.at, r.SkewSeconds)
		}
		for i := 1; i < len(r.Tokens); i++ {
			if r.Tokens[i-1].DaysLeft > r.Tokens[i].DaysLeft {
				t.Fatalf("tokens not sorted by days left: %+v", r.Tokens)
			}
		}
	}
}

func TestSelfTokenRefused(t *testing.T) {
	srv := newSim(t)
	ctx := t.Context()

	// A revoked token (Okta no longer knows it): 401 E0000011, critical.
	r, err := CheckTokens(ctx, tokenClient(t, srv, "00revokedTokenThatOktaNoLongerKnows"), TokenOptions{LastUsed: srv.Sim.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Self.Status != LevelCritical || r.Self.Rejected == nil || r.Self.Rejected.Status != 401 || !strings.Contains(strings.Join(r.Self.Reasons, ";"), okta.CodeInvalidToken) ||
		!strings.Contains(r.Self.Fix, "set-token") || r.ExitCode() != ExitFailed {
		t.Fatalf("revoked: %+v exit %d", r.Self, r.ExitCode())
	}

	// A token last used by dirdeck 25 days ago is renewed by the check,
	// which says how close it came.
	r, err = CheckTokens(ctx, tokenClient(t, srv, "readonly"), TokenOptions{LastUsed: srv.Sim.Now().Add(-25 * day)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Self.Status != LevelOK || len(r.Self.Notes) != 1 || !strings.Contains(r.Self.Notes[0], "5 days from idling out") {
		t.Fatalf("renewed: %+v", r.Self)
	}

	// The readonly token left unused for 31 days idles out.
	c := tokenClient(t, srv, "readonly")
	lastUsed := srv.Sim.Now()
	srv.Sim.Advance(31 * day)
	r, err = CheckTokens(ctx, c, TokenOptions{Added: lastUsed.Add(-10 * day), LastUsed: lastUsed})
	if err != nil {
		t.Fatal(err)
	}
	if r.Self.Status != LevelExpired || !strings.Contains(r.Self.Fix, "set-token") || r.ExitCode() != ExitFailed {
		t.Fatalf("idled out: %+v", r.Self)
	}
	if r.Self.LastUsed == nil || !r.Self.LastUsed.Equal(lastUsed.UTC()) || r.Self.Added == nil {
		t.Fatalf("local record not reported: %+v", r.Self)
	}
}

func TestOAuthSelfAndInventoryWithoutScope(t *testing.T) {
	srv := newSim(t)
	c, id := oauthClient(t, srv, "usersonly", nil)
	added := srv.Sim.Now().Add(-100 * day)
	r, err := CheckTokens(t.Context(), c, TokenOptions{Added: added, ClientID: id, Rotation: 90 * day})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Self
	if s.Auth != AuthOAuth || s.Name != id || s.AccessTokenSeconds <= 0 || s.KeyAgeDays == nil || *s.KeyAgeDays != 100 ||
		s.Status != LevelWarning || s.Fix == "" || s.RotationDays != 90 {
		t.Fatalf("self = %+v", s)
	}
	if len(r.Tokens) != 0 || !strings.Contains(r.Inventory, "okta.apiTokens.read") || r.ExitCode() != ExitWarnings {
		t.Fatalf("inventory %q tokens %d exit %d", r.Inventory, len(r.Tokens), r.ExitCode())
	}

	c2, id2 := oauthClient(t, srv, "readonly", nil)
	r, err = CheckTokens(t.Context(), c2, TokenOptions{ClientID: id2})
	if err != nil {
		t.Fatal(err)
	}
	if r.Inventory != "ok" || len(r.Tokens) != 7 || r.Self.Status != LevelOK || len(r.Self.Notes) != 1 || !strings.Contains(r.Self.Notes[0], "no API token") {
		t.Fatalf("readonly app: inventory %q, %d tokens, self %+v", r.Inventory, len(r.Tokens), r.Self)
	}
	for _, tc := range r.Tokens {
		if tc.Self || !strings.Contains(tc.Owner, "@") || tc.OwnerStatus != "ACTIVE" || tc.TokenWindow == "" {
			t.Errorf("token %+v", tc)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := CheckTokens(ctx, c2, TokenOptions{}); err == nil {
		t.Fatal("cancelled check returned no error")
	}
}

func TestClassify(t *testing.T) {
	now := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	rot := 90 * day
	tests := []struct {
		name          string
		created, exp  time.Time
		window        string
		lastUpdated   time.Time // with no expiresAt: expiry = lastUpdated + window
		owner, status string
		daysLeft      int
		reason        string // in the reasons ("" = none)
	}{
		{"fresh", now.Add(-10 * day), now.Add(30 * day), "P30D", time.Time{}, "ACTIVE", LevelOK, 30, ""},
		{"7 days exactly", now.Add(-10 * day), now.Add(7 * day), "P30D", time.Time{}, "ACTIVE", LevelWarning, 7, "idles out in 7 days (30 days without use)"},
		{"7 days and a minute", now.Add(-10 * day), now.Add(7*day + time.Minute), "P30D", time.Time{}, "ACTIVE", LevelOK, 8, ""},
		{"2 days exactly", now.Add(-10 * day), now.Add(2 * day), "P30D", time.Time{}, "", LevelCritical, 2, "idles out in 2 days"},
		{"expires now", now.Add(-10 * day), now, "P30D", time.Time{}, "", LevelExpired, 0, "after 30 days without use"},
		{"expired 3 days ago", now.Add(-10 * day), now.Add(-3 * day), "P30D", time.Time{}, "", LevelExpired, -3, "expired"},
		{"owner deactivated", now.Add(-10 * day), now.Add(20 * day), "P30D", time.Time{}, "DEPROVISIONED", LevelCritical, 20, "owner is deactivated"},
		{"owner suspended and old", now.Add(-100 * day), now.Add(20 * day), "P30D", time.Time{}, "SUSPENDED", LevelCritical, 20, "rotation policy"},
		{"past rotation", now.Add(-90 * day), now.Add(29 * day), "P30D", time.Time{}, "ACTIVE", LevelWarning, 29, "rotation policy"},
		{"no expiry known", now.Add(-1 * day), time.Time{}, "P30D", time.Time{}, "", LevelOK, 0, ""},
		// The token's own window, not a fixed 30 days.
		{"7-day window, 5 days left", now.Add(-20 * day), now.Add(5 * day), "P7D", time.Time{}, "ACTIVE", LevelOK, 5, ""},
		{"7-day window, 1 day left", now.Add(-20 * day), now.Add(day), "P7D", time.Time{}, "ACTIVE", LevelWarning, 1, "idles out in 1 day (7 days without use)"},
		{"5-minute window, 4 minutes left", now.Add(-day), now.Add(4 * time.Minute), "PT5M", time.Time{}, "ACTIVE", LevelOK, 1, ""},
		{"5-minute window, 1 minute left", now.Add(-day), now.Add(time.Minute), "PT5M", time.Time{}, "ACTIVE", LevelWarning, 1, "idles out in 1 minute (5 minutes without use)"},
		{"90-day window, 20 days left", now.Add(-10 * day), now.Add(20 * day), "P90D", time.Time{}, "ACTIVE", LevelOK, 20, ""},
		{"no expiresAt: lastUpdated + window", now.Add(-10 * day), time.Time{}, "P30D", now.Add(-25 * day), "ACTIVE", LevelWarning, 5, "idles out in 5 days"},
		{"no window: Okta's default", now.Add(-10 * day), now.Add(5 * day), "", time.Time{}, "ACTIVE", LevelWarning, 5, "30 days without use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := classify(now, okta.APIToken{ID: "id", Name: "n", Created: tt.created, ExpiresAt: tt.exp, LastUpdated: tt.lastUpdated, TokenWindow: tt.window}, rot, tt.owner)
			reasons := strings.Join(tc.Reasons, "; ")
			if tc.Status != tt.status || tc.DaysLeft != tt.daysLeft || (tt.reason == "") != (reasons == "") || !strings.Contains(reasons, tt.reason) {
				t.Fatalf("= %s, %d days, %q; want %s, %d, %q", tc.Status, tc.DaysLeft, reasons, tt.status, tt.daysLeft, tt.reason)
			}
			tc.OwnerStatus = tt.owner
			if tc.Status != LevelOK && (inventoryFix(tc) == "" || selfFix(tc) == "") {
				t.Fatal("no fix")
			}
		})
	}
}

func TestWindowEnd(t *testing.T) {
	from := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		window string
		want   time.Time // zero: not a window
	}{
		{"P30D", from.AddDate(0, 0, 30)},
		{"PT5M", from.Add(5 * time.Minute)},
		{"P1W", from.AddDate(0, 0, 7)},
		{"P1M", from.AddDate(0, 1, 0)},
		{"P1Y2M3DT4H5M6S", from.AddDate(1, 2, 3).Add(4*time.Hour + 5*time.Minute + 6*time.Second)},
		{"P0D", time.Time{}},
		{"P", time.Time{}},
		{"PT", time.Time{}},
		{"30 days", time.Time{}},
		{"", time.Time{}},
		{"P-1D", time.Time{}},
	}
	for _, tt := range tests {
		got, ok := windowEnd(from, tt.window)
		if ok != !tt.want.IsZero() || ok && !got.Equal(tt.want) {
			t.Errorf("windowEnd(%q) = %v, %v; want %v", tt.window, got, ok, tt.want)
		}
	}
}

func TestIdleNotice(t *testing.T) {
	now := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		lastUsed time.Time
		level    string
		text     string
	}{
		{time.Time{}, "", ""},
		{now.Add(-20 * day), "", ""},
		{now.Add(-23 * day), LevelWarning, "token idles out in 7 days; a sync renews it"},
		{now.Add(-28 * day), LevelCritical, "token idles out in 2 days; a sync renews it"},
		{now.Add(-29*day - time.Hour), LevelCritical, "token idles out in 1 day; a sync renews it"},
		{now.Add(-45 * day), LevelExpired, "last used 45 days ago"},
	}
	for _, tt := range tests {
		level, text := IdleNotice(tt.lastUsed, now)
		if level != tt.level || !strings.Contains(text, tt.text) || (tt.text == "" && text != "") {
			t.Errorf("IdleNotice(%v) = %s %q, want %s %q", now.Sub(tt.lastUsed), level, text, tt.level, tt.text)
		}
	}
}

func TestTokenCheckWhenOktaFails(t *testing.T) {
	srv := newSim(t)
	c := tokenClient(t, srv, "readonly")
	// Okta down: no verdict on the token, an error instead.
	srv.Sim.SetFaults([]oktasim.FaultRule{{Method: "GET", Path: "/api/v1/users/me", Probability: 1, Status: 503}})
	if r, err := CheckTokens(t.Context(), c, TokenOptions{}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("report %+v, err %v", r, err)
	}
	// The list failing: the token works, but its own expiry is unknown
	// (dirdeck finds it in that list), which is a warning.
	srv.Sim.SetFaults([]oktasim.FaultRule{{Method: "GET", Path: "/api/v1/api-tokens", Probability: 1, Status: 503}})
	r, err := CheckTokens(t.Context(), c, TokenOptions{})
	if err != nil || r.Self.Status != LevelWarning || r.Self.DaysLeft != nil || !strings.HasPrefix(r.Inventory, "unavailable: 503 ") || r.ExitCode() != ExitWarnings {
		t.Fatalf("report %+v, err %v", r, err)
	}
}

// TestSelfTokenByOwner finds the credential's own token the way a real org
// allows — the owner from /users/me, the token from the org's list — for
// every token kind the sim publishes, through the real SDK.
func TestSelfTokenByOwner(t *testing.T) {
	srv := newSim(t)
	for _, tt := range []struct {
		token, self string
		candidates  []string
		status      string
		daysLeft    int
	}{
		{"readonly", "dirdeck-readonly", nil, LevelOK, 30},
		{"noapps", "dirdeck-noapps", nil, LevelOK, 30},
		{"reviewer", "dirdeck-reviewer", nil, LevelOK, 30},
		// The superadmin's owner has four tokens: all are candidates, the
		// verdict is the worst of theirs (Legacy SCIM: 5 days left, and
		// past rotation), the expiry the soonest. CI deploy's 5 days of a
		// 7-day window are no warning.
		{"superadmin", "", []string{"CI deploy", "HR import (nightly)", "Legacy SCIM connector", "dirdeck-superadmin"}, LevelWarning, 5},
	} {
		t.Run(tt.token, func(t *testing.T) {
			r, err := CheckTokens(t.Context(), tokenClient(t, srv, tt.token), TokenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s := r.Self
			if s.Name != tt.self || !slices.Equal(slices.Sorted(slices.Values(s.Candidates)), tt.candidates) || s.Status != tt.status ||
				s.DaysLeft == nil || *s.DaysLeft != tt.daysLeft || s.OwnerStatus != "ACTIVE" || r.Inventory != "ok" {
				t.Fatalf("self = %+v", s)
			}
			var self, maybe []string
			for _, tc := range r.Tokens {
				if tc.Self {
					self = append(self, tc.Name)
				}
				if tc.MaybeSelf {
					maybe = append(maybe, tc.Name)
				}
			}
			slices.Sort(maybe)
			if tt.self != "" && (len(self) != 1 || self[0] != tt.self || len(maybe) != 0) || tt.self == "" && (len(self) != 0 || !slices.Equal(maybe, tt.candidates)) {
				t.Fatalf("marked self %v, maybe %v", self, maybe)
			}
			if tt.self == "" {
				reasons := strings.Join(s.Reasons, "; ")
				if !strings.Contains(reasons, "owns 4 API tokens") || !strings.Contains(reasons, `"Legacy SCIM connector": idles out in 5 days`) || s.Fix == "" {
					t.Fatalf("reasons %q fix %q", reasons, s.Fix)
				}
			}
			if ci := tokenByName(t, r, "CI deploy"); ci.Status != LevelOK || ci.TokenWindow != "P7D" || ci.DaysLeft != 5 {
				t.Fatalf("CI deploy = %+v", ci)
			}
		})
	}
}

// TestInventoryUnavailable: the API token list forbidden (403) or missing
// (404, 405) degrades to one line naming Okta's answer, and exit 1.
func TestInventoryUnavailable(t *testing.T) {
	srv := newSim(t)
	c := tokenClient(t, srv, "readonly")
	for _, tt := range []struct {
		status int
		code   string
		line   string
	}{
		{403, "E0000006", "unavailable: the credential may not list API tokens (okta.apiTokens.read): 403 E0000006"},
		{404, "E0000007", "unavailable here: this org does not offer the API token list: 404 E0000007"},
		{405, "E0000022", "unavailable here: this org does not offer the API token list: 405 E0000022"},
	} {
		srv.Sim.SetFaults([]oktasim.FaultRule{{Method: "GET", Path: "/api/v1/api-tokens", Probability: 1, Status: tt.status}})
		r, err := CheckTokens(t.Context(), c, TokenOptions{})
		if err != nil {
			t.Fatalf("%d: %v", tt.status, err)
		}
		if !strings.HasPrefix(r.Inventory, tt.line) || !strings.Contains(r.Inventory, "errorId oae") || strings.Contains(r.Inventory, "\n") ||
			r.ExitCode() != ExitWarnings || r.Self.Status != LevelWarning || len(r.Tokens) != 0 || r.Self.Owner == "" {
			t.Fatalf("%d: inventory %q, exit %d, self %+v", tt.status, r.Inventory, r.ExitCode(), r.Self)
		}
	}
	srv.Sim.SetFaults(nil)
	// A service app without okta.apiTokens.read: no API token of its own,
	// the inventory line, exit 1.
	oc, id := oauthClient(t, srv, "usersonly", nil)
	r, err := CheckTokens(t.Context(), oc, TokenOptions{ClientID: id})
	if err != nil || !strings.HasPrefix(r.Inventory, "unavailable: the credential may not list API tokens") || r.ExitCode() != ExitWarnings || r.Self.Status != LevelOK {
		t.Fatalf("oauth: %+v, %v", r, err)
	}
}

func TestSortTokens(t *testing.T) {
	exp := time.Now()
	ts := []TokenCheck{
		{Name: "no expiry"},
		{Name: "b", DaysLeft: 5, ExpiresAt: &exp},
		{Name: "a", DaysLeft: 5, ExpiresAt: &exp},
		{Name: "expired", DaysLeft: -2, ExpiresAt: &exp},
		{Name: "fresh", DaysLeft: 30, ExpiresAt: &exp},
	}
	SortTokens(ts)
	var got []string
	for _, tc := range ts {
		got = append(got, tc.Name)
	}
	if want := "expired a b fresh no expiry"; strings.Join(got, " ") != want {
		t.Fatalf("order %q, want %q", strings.Join(got, " "), want)
	}
}

// TestTokensOfDeactivatedOwnersAgainstSim: an org served from a snapshot
// whose token owners include a suspended and a deprovisioned user. The
// inventory read through the real SDK marks their tokens critical, naming
// the owner's status, and leaves the active owners' tokens alone.
func TestTokensOfDeactivatedOwnersAgainstSim(t *testing.T) {
	t0 := time.Now().Add(-48 * time.Hour).UTC()
	user := func(id, status string) directory.User {
		return directory.User{ID: id, Status: status, Created: t0, LastUpdated: t0,
			Login: id + "@example.com", Email: id + "@example.com", FirstName: "Token", LastName: "Owner"}
	}
	// The first four users in id order own the superadmin, readonly,
	// noapps and reviewer tokens.
	sim, err := oktasim.FromSnapshot(oktasim.Snapshot{Users: []directory.User{
		user("00uAAAAA000000000001", directory.StatusActive),
		user("00uAAAAA000000000002", directory.StatusSuspended),
		user("00uAAAAA000000000003", directory.StatusActive),
		user("00uAAAAA000000000004", directory.StatusDeprovisioned),
	}}, oktasim.Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := okta.New(t.Context(), okta.Credentials{OrgURL: srv.URL, Token: sim.Token("superadmin")}, okta.Options{MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	r, err := CheckTokens(t.Context(), c, TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ token, status, ownerStatus, reason string }{
		{"dirdeck-readonly", LevelCritical, directory.StatusSuspended, "owner is suspended"},
		{"dirdeck-reviewer", LevelCritical, directory.StatusDeprovisioned, "owner is deactivated"},
		{"dirdeck-noapps", LevelOK, directory.StatusActive, ""},
	} {
		tc := tokenByName(t, r, tt.token)
		if tc.Status != tt.status || tc.OwnerStatus != tt.ownerStatus {
			t.Errorf("%s: status %s, owner %s (%s), want %s with owner %s; reasons %q", tt.token, tc.Status, tc.Owner, tc.OwnerStatus, tt.status, tt.ownerStatus, tc.Reasons)
		}
		if reasons := strings.Join(tc.Reasons, "; "); !strings.Contains(reasons, tt.reason) || (tt.reason == "" && strings.Contains(reasons, "owner")) {
			t.Errorf("%s: reasons %q, want %q", tt.token, tc.Reasons, tt.reason)
		}
	}
	if r.ExitCode() != ExitFailed {
		t.Errorf("exit code %d with critical tokens, want %d", r.ExitCode(), ExitFailed)
	}
}

// TestSelfOwnerUnknown: with /users/me refused the token's owner, and so
// its own token in the list, are unknown: a warning saying so, the rest of
// the inventory still checked.
func TestSelfOwnerUnknown(t *testing.T) {
	srv := newSim(t)
	srv.Sim.SetFaults([]oktasim.FaultRule{{Method: "GET", Path: "/api/v1/users/me", Probability: 1, Status: 403}})
	r, err := CheckTokens(t.Context(), tokenClient(t, srv, "readonly"), TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Self.Status != LevelWarning || r.Inventory != "ok" || len(r.Tokens) != 7 || r.ExitCode() == ExitOK ||
		!strings.Contains(strings.Join(r.Self.Reasons, ";"), "owner is unknown") {
		t.Fatalf("self %+v, inventory %q, %d tokens", r.Self, r.Inventory, len(r.Tokens))
	}
	for _, tc := range r.Tokens {
		if tc.Self || tc.MaybeSelf {
			t.Fatalf("%s marked as this profile's", tc.Name)
		}
	}
}
