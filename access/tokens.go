package access

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/directory"
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
	// IdleWindow is how long Okta keeps an unused API token alive by
	// default (P30D); each token's own tokenWindow wins where Okta says it.
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
	// MaybeSelf marks each of several tokens of the credential's owner:
	// one of them is dirdeck's, and Okta does not say which.
	MaybeSelf bool `json:"maybe_self,omitempty"`
}

// SelfCheck is the profile's own credential.
type SelfCheck struct {
	Auth string `json:"auth"`
	Name string `json:"name,omitempty"` // token name, or the OAuth client id
	// Candidates are the names of the owner's tokens when it has several
	// (Okta does not say which one a request used); Name is then empty.
	Candidates []string `json:"candidates,omitempty"`
	// TokenWindow is the token's idle window (ISO 8601, e.g. P30D).
	TokenWindow string `json:"token_window,omitempty"`
	// Added and LastUsed are dirdeck's local record (set-token, syncs).
	Added    *time.Time `json:"added,omitempty"`
	LastUsed *time.Time `json:"last_used,omitempty"`
	// Created and ExpiresAt come from Okta's token list; ExpiresAt is the
	// idle expiry (last use + the token's window), renewed by every use.
	// With several candidates ExpiresAt is the soonest of theirs.
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

	var me directory.User
	var selfErr error
	if c.IsOAuth() {
		self.Auth, self.Name = AuthOAuth, opts.ClientID
		selfErr = c.Probe(ctx, okta.ProbeUsers) // mints the access token
	} else {
		// Okta has no call for "the token of this request": the owner comes
		// from /users/me, the token from the org's list (below).
		self.Auth = AuthSSWS
		me, selfErr = c.CurrentUser(ctx)
		if okta.IsForbidden(selfErr) {
			selfErr = nil
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
			self.Reasons = append(self.Reasons, fmt.Sprintf("last used %s, more than 30 days (Okta's default idle window) ago: Okta let it idle out", opts.LastUsed.UTC().Format(time.DateOnly)))
		}
		return rep, nil
	}

	if self.Auth == AuthOAuth {
		self.AccessTokenSeconds = int64(c.AccessTokenLifetime() / time.Second)
		self.Notes = append(self.Notes, "an OAuth service app has no API token to idle out; dirdeck gets short-lived access tokens with the app's key")
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
		self.Owner, self.OwnerStatus = me.Login, me.Status
		// The check renewed the token, so the danger it was in shows only
		// in the local record: say so, or the next long gap kills it.
		if level, _ := IdleNotice(opts.LastUsed, now); level != "" {
			self.Notes = append(self.Notes, fmt.Sprintf("dirdeck had not used the token since %s: it was %s from idling out; this check renewed it — sync at least weekly",
				opts.LastUsed.UTC().Format(time.DateOnly), daysText(max(DaysLeft(now, opts.LastUsed.Add(IdleWindow)), 0))))
		}
	}

	toks, err := c.ListAPITokens(ctx)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("token check: %w", ctx.Err())
	}
	if err != nil {
		rep.Inventory = inventoryUnavailable(err)
		if self.Auth == AuthSSWS {
			self.Status = worse(self.Status, LevelWarning)
			self.Reasons = append(self.Reasons, "idle expiry unknown: dirdeck finds its own token in the org's API token list, which is unavailable")
			if okta.IsForbidden(err) {
				self.Fix = "give the token's admin a role that may list API tokens (okta.apiTokens.read), e.g. Read-only Administrator"
			}
		}
		return rep, nil
	}
	rep.Inventory = "ok"
	owners := map[string][2]string{} // id → login, status
	if me.ID != "" {
		owners[me.ID] = [2]string{me.Login, me.Status}
	}
	var candidates []int // indexes in rep.Tokens of the tokens me owns
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
		tc := classify(now, t, opts.Rotation, o[1])
		tc.Owner, tc.OwnerStatus = o[0], o[1]
		if self.Auth == AuthSSWS && me.ID != "" && t.UserID == me.ID {
			candidates = append(candidates, len(rep.Tokens))
		}
		rep.Tokens = append(rep.Tokens, tc)
	}
	if self.Auth == AuthSSWS {
		identifySelf(rep, candidates, me)
	}
	for i := range rep.Tokens {
		tc := &rep.Tokens[i]
		switch {
		case tc.Status == LevelOK:
		case tc.Self:
			tc.Fix = selfFix(*tc)
		default:
			tc.Fix = inventoryFix(*tc)
		}
	}
	SortTokens(rep.Tokens)
	return rep, nil
}

// inventoryUnavailable is the one line saying why the org's API tokens
// could not be listed.
func inventoryUnavailable(err error) string {
	var ae *okta.APIError
	detail := err.Error()
	if errors.As(err, &ae) {
		// The line names Okta's answer; the hint is the report's fix.
		detail = fmt.Sprintf("%d %s %s (errorId %s)", ae.Status, ae.ErrorCode, ae.Summary, ae.ErrorID)
	}
	switch {
	case okta.IsForbidden(err):
		return "unavailable: the credential may not list API tokens (okta.apiTokens.read): " + detail
	case okta.IsUnavailable(err):
		return "unavailable here: this org does not offer the API token list: " + detail
	}
	return "unavailable: " + detail
}

// identifySelf finds the profile's token among the tokens its owner has
// (candidates, indexes in rep.Tokens). Okta does not say which token a
// request used: one candidate is the credential's; with several, the
// report names them all and takes the most severe verdict among them, so
// that the soonest expiry warns.
func identifySelf(rep *TokenReport, candidates []int, me directory.User) {
	self := &rep.Self
	who := me.Login
	if who == "" {
		who = "the token's owner"
	}
	switch len(candidates) {
	case 0:
		self.Status = worse(self.Status, LevelWarning)
		if me.ID == "" {
			self.Reasons = append(self.Reasons, "the token's owner is unknown (/api/v1/users/me was refused), so its idle expiry and age are unknown")
		} else {
			self.Reasons = append(self.Reasons, fmt.Sprintf("none of the org's %d API tokens belongs to %s: the token's idle expiry and age are unknown", len(rep.Tokens), who))
		}
		self.Fix = "check the token in the Okta Admin Console (Security › API › Tokens)"
		return
	case 1:
		tc := &rep.Tokens[candidates[0]]
		tc.Self = true
		self.Name = tc.Name
		self.Created = timePtr(tc.Created)
		if self.Created != nil {
			self.AgeDays = new(tc.AgeDays)
		}
		if tc.ExpiresAt != nil {
			self.ExpiresAt, self.DaysLeft = new(*tc.ExpiresAt), new(tc.DaysLeft)
		}
		self.TokenWindow = tc.TokenWindow
		self.Status = worse(self.Status, tc.Status)
		self.Reasons = append(self.Reasons, tc.Reasons...)
		if tc.Status != LevelOK {
			self.Fix = selfFix(*tc)
		}
		return
	}
	var names []string
	soonest := -1
	worst := LevelOK
	for _, i := range candidates {
		tc := &rep.Tokens[i]
		tc.MaybeSelf = true
		names = append(names, tc.Name)
		if tc.ExpiresAt != nil && (soonest < 0 || tc.ExpiresAt.Before(*rep.Tokens[soonest].ExpiresAt)) {
			soonest = i
		}
		if levelRank(tc.Status) > levelRank(worst) {
			worst = tc.Status
		}
	}
	self.Candidates = names
	self.Reasons = append(self.Reasons, fmt.Sprintf("%s owns %d API tokens (%s) and Okta does not say which one this is: each is checked as if it were",
		who, len(candidates), strings.Join(names, ", ")))
	if soonest >= 0 {
		tc := rep.Tokens[soonest]
		self.ExpiresAt, self.DaysLeft = new(*tc.ExpiresAt), new(tc.DaysLeft)
	}
	self.Status = worse(self.Status, worst)
	for _, i := range candidates {
		tc := rep.Tokens[i]
		for _, r := range tc.Reasons {
			self.Reasons = append(self.Reasons, fmt.Sprintf("%q: %s", tc.Name, r))
		}
	}
	if worst != LevelOK {
		self.Fix = "give dirdeck a token of its own (a dedicated service admin), or check each candidate in Security › API › Tokens"
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// SelfMark is the suffix that marks the profile's own token in a token
// table, or each of its owner's tokens when Okta does not say which one is
// the profile's; "" for other tokens.
func (tc TokenCheck) SelfMark() string {
	switch {
	case tc.Self:
		return " (this profile)"
	case tc.MaybeSelf:
		return " (maybe this profile)"
	}
	return ""
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

// classify applies the levels to one token: expired once the idle expiry
// has passed; critical near it or with the owner deactivated (a token dies
// with its owner); warning nearer than thresholds allow or past the
// rotation age. The idle window is the token's own tokenWindow; the
// expiry is Okta's expiresAt, or lastUpdated plus the window when Okta
// leaves it out (Okta's examples show expiresAt = lastUpdated +
// tokenWindow: https://developer.okta.com/docs/api/openapi/okta-management/management/tag/ApiToken/).
func classify(now time.Time, t okta.APIToken, rotation time.Duration, ownerStatus string) TokenCheck {
	tc := TokenCheck{ID: t.ID, Name: t.Name, ClientName: t.ClientName, Created: t.Created, TokenWindow: t.TokenWindow, Status: LevelOK, Reasons: []string{}}
	window := windowLength(now, t.TokenWindow)
	if tc.TokenWindow == "" {
		tc.TokenWindow = DefaultTokenWindow
	}
	if !t.Created.IsZero() {
		tc.AgeDays = ageDays(now, t.Created)
	}
	expires := t.ExpiresAt
	if expires.IsZero() && !t.LastUpdated.IsZero() {
		if end, ok := windowEnd(t.LastUpdated, tc.TokenWindow); ok {
			expires = end
		}
	}
	if !expires.IsZero() {
		tc.ExpiresAt = new(expires)
		tc.DaysLeft = DaysLeft(now, expires)
		left := span(now, expires)
		warn, critical := thresholds(window)
		idle := windowText(window) + " without use"
		switch {
		case left <= 0:
			tc.Status = LevelExpired
			tc.Reasons = append(tc.Reasons, fmt.Sprintf("expired %s after %s", expires.UTC().Format(time.DateOnly), idle))
		case left <= critical:
			tc.Status = LevelCritical
			tc.Reasons = append(tc.Reasons, fmt.Sprintf("idles out in %s (%s)", leftText(left, window, tc.DaysLeft), idle))
		case left <= warn:
			tc.Status = LevelWarning
			tc.Reasons = append(tc.Reasons, fmt.Sprintf("idles out in %s (%s)", leftText(left, window, tc.DaysLeft), idle))
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
	if !t.Created.IsZero() && span(t.Created, now) >= rotation {
		tc.Status = worse(tc.Status, LevelWarning)
		tc.Reasons = append(tc.Reasons, fmt.Sprintf("%d days old, past the %d-day rotation policy", tc.AgeDays, int(rotation/day)))
	}
	return tc
}

// leftText is the time left in words: days for windows of a day or more,
// else minutes (a PT5M token has minutes, not "1 day", left).
func leftText(left, window time.Duration, daysLeft int) string {
	if window >= day {
		return daysText(daysLeft)
	}
	return windowText(max(left.Round(time.Minute), time.Minute))
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
// critical or expired, 1 for warnings or an inventory that could not be
// read (partial data), 0 otherwise.
func (r *TokenReport) ExitCode() int {
	switch r.Worst() {
	case LevelCritical, LevelExpired:
		return ExitFailed
	case LevelWarning:
		return ExitWarnings
	}
	if r.Inventory != "ok" {
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
