package access

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dirdeck/dirdeck/okta"
)

// Token levels.
const (
	LevelOK       = "ok"
	LevelWarning  = "warning"
	LevelCritical = "critical"
	LevelExpired  = "expired"
)

// Thresholds of the token levels.
const (
	// IdleWindow is how long Okta keeps an unused API token alive.
	IdleWindow = 30 * day
	// WarnBefore and CriticalBefore are how long before expiry a token
	// warns and turns critical.
	WarnBefore     = 7 * day
	CriticalBefore = 2 * day
	// DefaultRotation is the rotation policy when the profile sets none.
	DefaultRotation = 90 * day
	// LargeSkew is the clock difference worth reporting.
	LargeSkew = 5 * time.Minute
)

const day = 24 * time.Hour

// levelRank orders levels from harmless to dead.
func levelRank(l string) int {
	return map[string]int{LevelOK: 0, LevelWarning: 1, LevelCritical: 2, LevelExpired: 3}[l]
}

func worse(a, b string) string {
	if levelRank(b) > levelRank(a) {
		return b
	}
	return a
}

// span is t − now to the nearest minute. The org's clock comes from Date
// headers, which carry whole seconds, so it lags the org by up to a second
// (plus latency): without rounding, a token with exactly five days left
// would show six.
func span(now, t time.Time) time.Duration { return t.Sub(now).Round(time.Minute) }

// DaysLeft is the whole days until t, rounded up, so "≤ 7 days left" means
// at most seven days remain; it is ≤ 0 once t has passed.
func DaysLeft(now, t time.Time) int {
	return int(math.Ceil(span(now, t).Hours() / 24))
}

// ageDays is the whole days since t, rounded down.
func ageDays(now, t time.Time) int { return int(span(t, now) / day) }

// TokenCheck is one API token of the org, as `dirdeck tokens` lists it.
type TokenCheck struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Owner       string     `json:"owner"` // login when readable, else the user id
	OwnerStatus string     `json:"owner_status,omitempty"`
	ClientName  string     `json:"client_name,omitempty"`
	Created     time.Time  `json:"created"`
	ExpiresAt   *time.Time `json:"expires_at"`
	TokenWindow string     `json:"token_window,omitempty"`
	DaysLeft    int        `json:"days_left"`
	AgeDays     int        `json:"age_days"`
	Status      string     `json:"status"`
	Reasons     []string   `json:"reasons"`
	Fix         string     `json:"fix,omitempty"`
	Self        bool       `json:"self,omitempty"` // dirdeck's own token
}

// SelfCheck is the profile's own credential.
type SelfCheck struct {
	Auth string `json:"auth"`
	Name string `json:"name,omitempty"` // token name, or the OAuth client id
	// Added and LastUsed are dirdeck's local record (set-token, syncs).
	Added    *time.Time `json:"added,omitempty"`
	LastUsed *time.Time `json:"last_used,omitempty"`
	// Created and ExpiresAt come from Okta when it answers; ExpiresAt is
	// the idle expiry (last use + 30 days), renewed by every use.
	Created      *time.Time `json:"created,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	DaysLeft     *int       `json:"days_left,omitempty"`
	AgeDays      *int       `json:"age_days,omitempty"`
	RotationDays int        `json:"rotation_days"`
	Owner        string     `json:"owner,omitempty"`
	OwnerStatus  string     `json:"owner_status,omitempty"`
	// KeyAgeDays and AccessTokenSeconds are for OAuth service apps.
	KeyAgeDays         *int     `json:"key_age_days,omitempty"`
	AccessTokenSeconds int64    `json:"access_token_lifetime_seconds,omitempty"`
	Status             string   `json:"status"`
	Reasons            []string `json:"reasons"`
	Fix                string   `json:"fix,omitempty"`
	// Rejected is Okta's refusal of the credential (401, or the OAuth
	// token endpoint's), when it refused.
	Rejected *Problem `json:"rejected,omitempty"`
	// Notes are things worth knowing that are no problem now.
	Notes []string `json:"notes,omitempty"`
}

// TokenReport is the result of a token check; its JSON is the
// `dirdeck tokens --json` document.
type TokenReport struct {
	Self   SelfCheck    `json:"self"`
	Tokens []TokenCheck `json:"tokens"`
	// Inventory is "ok", or why other tokens could not be listed.
	Inventory  string    `json:"inventory"`
	ServerTime time.Time `json:"server_time"`
	// SkewSeconds is the org's clock minus the local clock.
	SkewSeconds int64  `json:"skew_seconds"`
	SkewNote    string `json:"skew_note,omitempty"`
}

// TokenOptions describe the profile's credential as dirdeck recorded it.
type TokenOptions struct {
	// Added and LastUsed are the local record (config.TokenUse): when the
	// token (or OAuth key) was stored and last used successfully.
	Added, LastUsed time.Time
	// Rotation is the rotation policy (0: DefaultRotation).
	Rotation time.Duration
	// ClientID names an OAuth service app.
	ClientID string
}

// CheckTokens checks the profile's own credential and, where the
// credential may list them (okta.apiTokens.read), every API token of the
// org. All times come from the org's clock (Date headers). Okta refusing
// the credential is in the report; an error is returned when Okta cannot
// be asked (network, 5xx after retries) or ctx is cancelled.
func CheckTokens(ctx context.Context, c *okta.Client, opts TokenOptions) (*TokenReport, error) {
	if opts.Rotation <= 0 {
		opts.Rotation = DefaultRotation
	}
	rep := &TokenReport{Tokens: []TokenCheck{}}
	self := &rep.Self
	self.RotationDays = int(opts.Rotation / day)
	self.Status, self.Reasons = LevelOK, []string{}
	if !opts.Added.IsZero() {
		self.Added = new(opts.Added.UTC())
	}
	if !opts.LastUsed.IsZero() {
		self.LastUsed = new(opts.LastUsed.UTC())
	}

	var current okta.APIToken
	var selfErr error
	if c.IsOAuth() {
		self.Auth, self.Name = AuthOAuth, opts.ClientID
		selfErr = c.Probe(ctx, okta.ProbeUsers) // mints the access token
	} else {
		self.Auth = AuthSSWS
		current, selfErr = c.CurrentAPIToken(ctx)
		if okta.IsForbidden(selfErr) {
			// Without okta.apiTokens.read the token's own metadata is out
			// of reach; any read shows whether it still works.
			selfErr = c.Probe(ctx, okta.ProbeUsers)
			if okta.IsForbidden(selfErr) {
				selfErr = nil
			}
		}
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("token check: %w", ctx.Err())
	}
	now := c.ServerTime()
	rep.ServerTime = now
	if skew, ok := c.ClockSkew(); ok {
		rep.SkewSeconds = int64(skew.Round(time.Second) / time.Second)
		if skew > LargeSkew || skew < -LargeSkew {
			rep.SkewNote = fmt.Sprintf("the local clock is %s off the org's; dirdeck uses the org's clock", skew.Abs().Round(time.Second))
		}
	}

	if selfErr != nil && !credentialRejected(selfErr) {
		return nil, fmt.Errorf("token check: %w", selfErr)
	}
	if selfErr != nil {
		p := problemOf(selfErr)
		self.Status, self.Fix, self.Rejected = LevelCritical, p.Fix, p
		rep.Inventory = "not checked: Okta refuses the credential"
		self.Reasons = append(self.Reasons, "Okta refuses the credential: "+p.Error)
		if self.Auth == AuthSSWS && !opts.LastUsed.IsZero() && !opts.LastUsed.Add(IdleWindow).After(now) {
			self.Status = LevelExpired
			self.Reasons = append(self.Reasons, fmt.Sprintf("last used %s, more than 30 days ago: Okta let it idle out", opts.LastUsed.UTC().Format(time.DateOnly)))
		}
		return rep, nil
	}

	if self.Auth == AuthOAuth {
		self.AccessTokenSeconds = int64(c.AccessTokenLifetime() / time.Second)
		if !opts.Added.IsZero() {
			age := ageDays(now, opts.Added)
			self.KeyAgeDays = &age
			if time.Duration(age)*day >= opts.Rotation {
				self.Status = LevelWarning
				self.Reasons = append(self.Reasons, fmt.Sprintf("the private key is %d days old, past the %d-day rotation policy", age, self.RotationDays))
				self.Fix = "add a new key to the service app (Applications › the app › General › Public keys), switch the profile to it, then remove the old key"
			}
		}
	} else {
		self.Name = current.Name
		created := current.Created
		if created.IsZero() {
			created = opts.Added
		}
		tc := classify(now, current.ID, current.Name, created, current.ExpiresAt, opts.Rotation, "")
		if me, err := c.CurrentUser(ctx); err == nil {
			self.Owner, self.OwnerStatus = me.Login, me.Status
			tc = classify(now, current.ID, current.Name, created, current.ExpiresAt, opts.Rotation, me.Status)
		}
		if !created.IsZero() {
			self.Created = new(created)
			self.AgeDays = &tc.AgeDays
		}
		if !current.ExpiresAt.IsZero() {
			self.ExpiresAt = new(current.ExpiresAt)
			self.DaysLeft = &tc.DaysLeft
		}
		self.Status, self.Reasons = tc.Status, tc.Reasons
		if tc.Status != LevelOK {
			self.Fix = selfFix(tc)
		}
		// The check renewed the token, so the danger it was in shows only
		// in the local record: say so, or the next long gap kills it.
		if level, _ := IdleNotice(opts.LastUsed, now); level != "" {
			self.Notes = append(self.Notes, fmt.Sprintf("dirdeck had not used the token since %s: it was %s from idling out; this check renewed it — sync at least weekly",
				opts.LastUsed.UTC().Format(time.DateOnly), daysText(max(DaysLeft(now, opts.LastUsed.Add(IdleWindow)), 0))))
		}
	}

	toks, err := c.ListAPITokens(ctx)
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("token check: %w", ctx.Err())
	case okta.IsForbidden(err):
		rep.Inventory = "unavailable: the credential lacks okta.apiTokens.read (other integrations' tokens are not checked)"
		return rep, nil
	case err != nil:
		rep.Inventory = "unavailable: " + err.Error()
		return rep, nil
	}
	rep.Inventory = "ok"
	owners := map[string][2]string{} // id → login, status
	for _, t := range toks {
		o, seen := owners[t.UserID]
		if !seen && t.UserID != "" {
			o = [2]string{t.UserID, ""}
			if u, err := c.GetUser(ctx, t.UserID); err == nil {
				o = [2]string{u.Login, u.Status}
			} else if okta.IsNotFound(err) {
				o = [2]string{t.UserID, "DELETED"}
			}
			owners[t.UserID] = o
		}
		tc := classify(now, t.ID, t.Name, t.Created, t.ExpiresAt, opts.Rotation, o[1])
		tc.Owner, tc.OwnerStatus, tc.ClientName, tc.TokenWindow = o[0], o[1], t.ClientName, t.TokenWindow
		tc.Self = self.Auth == AuthSSWS && t.ID != "" && t.ID == current.ID
		if tc.Status != LevelOK {
			tc.Fix = inventoryFix(tc)
			if tc.Self {
				tc.Fix = selfFix(tc)
			}
		}
		rep.Tokens = append(rep.Tokens, tc)
	}
	SortTokens(rep.Tokens)
	return rep, nil
}

// SortTokens orders tokens by days left (soonest first; tokens without an
// expiry last), then name.
func SortTokens(ts []TokenCheck) {
	slices.SortStableFunc(ts, func(a, b TokenCheck) int {
		if (a.ExpiresAt == nil) != (b.ExpiresAt == nil) {
			if a.ExpiresAt == nil {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.DaysLeft, b.DaysLeft), cmp.Compare(a.Name, b.Name))
	})
}

// classify applies the levels: expired once the idle expiry has passed;
// critical at ≤ 2 days left or with the owner deactivated (a token dies
// with its owner); warning at ≤ 7 days left or past the rotation age.
func classify(now time.Time, id, name string, created, expires time.Time, rotation time.Duration, ownerStatus string) TokenCheck {
	tc := TokenCheck{ID: id, Name: name, Created: created, Status: LevelOK, Reasons: []string{}}
	if !created.IsZero() {
		tc.AgeDays = ageDays(now, created)
	}
	if !expires.IsZero() {
		tc.ExpiresAt = new(expires)
		tc.DaysLeft = DaysLeft(now, expires)
		left := span(now, expires)
		switch {
		case left <= 0:
			tc.Status = LevelExpired
			tc.Reasons = append(tc.Reasons, fmt.Sprintf("expired %s after 30 days without use", expires.UTC().Format(time.DateOnly)))
		case left <= CriticalBefore:
			tc.Status = LevelCritical
			tc.Reasons = append(tc.Reasons, fmt.Sprintf("idles out in %s (30 days without use)", daysText(tc.DaysLeft)))
		case left <= WarnBefore:
			tc.Status = LevelWarning
			tc.Reasons = append(tc.Reasons, fmt.Sprintf("idles out in %s (30 days without use)", daysText(tc.DaysLeft)))
		}
	}
	switch ownerStatus {
	case "DEPROVISIONED", "DELETED":
		tc.Status = worse(tc.Status, LevelCritical)
		tc.Reasons = append(tc.Reasons, "its owner is deactivated: the token no longer works")
	case "SUSPENDED":
		tc.Status = worse(tc.Status, LevelCritical)
		tc.Reasons = append(tc.Reasons, "its owner is suspended: the token fails until the owner is unsuspended")
	}
	if !created.IsZero() && span(created, now) >= rotation {
		tc.Status = worse(tc.Status, LevelWarning)
		tc.Reasons = append(tc.Reasons, fmt.Sprintf("%d days old, past the %d-day rotation policy", tc.AgeDays, int(rotation/day)))
	}
	return tc
}

func daysText(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// selfFix is the one-line fix for dirdeck's own token.
func selfFix(tc TokenCheck) string {
	switch {
	case tc.Status == LevelExpired || ownerGone(tc):
		return "create a new token in the Okta Admin Console (Security › API › Tokens) as an active admin and run `dirdeck profile set-token`"
	case tc.ExpiresAt != nil && tc.DaysLeft <= int(WarnBefore/day):
		return "run `dirdeck sync` (any successful call renews the 30-day window) and schedule syncs at least weekly"
	}
	return "create a new token (Security › API › Tokens), run `dirdeck profile set-token`, then revoke the old one"
}

// inventoryFix is the one-line fix for another integration's token.
func inventoryFix(tc TokenCheck) string {
	switch {
	case tc.Status == LevelExpired:
		return "the integration using it has stopped working: give it a new token, or revoke this one if it is gone (Security › API › Tokens)"
	case ownerGone(tc):
		return "re-create the token as an active (service) admin and update the integration"
	case tc.ExpiresAt != nil && tc.DaysLeft <= int(WarnBefore/day):
		return "the integration has not called Okta for weeks: check it, or revoke the token if it is gone"
	}
	return "rotate it: create a new token, switch the integration to it, revoke this one"
}

func ownerGone(tc TokenCheck) bool {
	switch tc.OwnerStatus {
	case "DEPROVISIONED", "DELETED", "SUSPENDED":
		return true
	}
	return false
}

// ExitCode maps the report to the CLI's exit codes: 2 when any token is
// critical or expired, 1 for warnings, 0 otherwise.
func (r *TokenReport) ExitCode() int {
	worst := r.Self.Status
	for _, t := range r.Tokens {
		worst = worse(worst, t.Status)
	}
	switch worst {
	case LevelCritical, LevelExpired:
		return ExitFailed
	case LevelWarning:
		return ExitWarnings
	}
	return ExitOK
}

// Worst is the most severe level in the report.
func (r *TokenReport) Worst() string {
	worst := r.Self.Status
	for _, t := range r.Tokens {
		worst = worse(worst, t.Status)
	}
	return worst
}

// IdleNotice is the start-up warning for a profile not synced for a long
// time, from the local record alone (no request: the request itself would
// renew the token). It returns "" while more than WarnBefore is left.
func IdleNotice(lastUsed, now time.Time) (level, text string) {
	if lastUsed.IsZero() {
		return "", ""
	}
	expires := lastUsed.Add(IdleWindow)
	left := span(now, expires)
	n := DaysLeft(now, expires)
	switch {
	case left <= 0:
		return LevelExpired, fmt.Sprintf("the API token was last used %d days ago and has idled out; create a new one and run `dirdeck profile set-token`", ageDays(now, lastUsed))
	case left <= CriticalBefore:
		return LevelCritical, fmt.Sprintf("token idles out in %s; a sync renews it", daysText(n))
	case left <= WarnBefore:
		return LevelWarning, fmt.Sprintf("token idles out in %s; a sync renews it", daysText(n))
	}
	return "", ""
}
