package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dirdeck/dirdeck/internal/oktaspec"
	"github.com/dirdeck/dirdeck/okta"
)

// Feature statuses.
const (
	StatusOK       = "ok"
	StatusMissing  = "missing"
	StatusDegraded = "degraded"
)

// Probe results other than an HTTP status code.
const (
	ProbeSkipped = "skipped" // writes are never tried out
	ProbeError   = "error"   // no answer from Okta (network, 5xx after retries)
)

// Auth kinds.
const (
	AuthSSWS  = "ssws"
	AuthOAuth = "oauth"
)

// Exit codes of the CLI contract: 0 all ok, 1 warnings, 2 failure.
const (
	ExitOK       = 0
	ExitWarnings = 1
	ExitFailed   = 2
)

// CheckOptions describe the profile the credential belongs to.
type CheckOptions struct {
	// AllowWrites is the profile's allow_writes: with writes off, write
	// permissions are excess and missing write permissions are expected.
	AllowWrites bool
	// ClientID names an OAuth service app in the report (the client does
	// not know it).
	ClientID string
}

// ScopeReport is the result of a scope check; its JSON is the
// `dirdeck scopes --json` document.
type ScopeReport struct {
	Auth      string          `json:"auth"`
	Principal string          `json:"principal"`
	Roles     []string        `json:"roles"`
	Granted   []string        `json:"granted"`
	Features  []FeatureResult `json:"features"`
	Excess    []Excess        `json:"excess"`
	// Rejected is set when Okta refused the credential itself (401, or
	// the OAuth token endpoint's refusal): nothing works until it is fixed.
	Rejected *Problem `json:"rejected,omitempty"`
	// Notes are what the check could not find out (e.g. roles unreadable).
	Notes []string `json:"notes,omitempty"`
	// DPoP is set when the service app requires DPoP-bound access tokens
	// (the token endpoint asked for a proof).
	DPoP bool `json:"dpop,omitempty"`
}

// FeatureResult is one feature's row of the scope matrix.
type FeatureResult struct {
	Feature string   `json:"feature"`
	Status  string   `json:"status"`
	Needed  []string `json:"needed"`
	Missing []string `json:"missing"`
	// Probe is the live probe's HTTP status ("200", "403"), "skipped" or
	// "error".
	Probe string `json:"probe"`
	// Inferred is what the roles or granted scopes say: ok, missing, or
	// unknown (custom role, roles unreadable). The probe wins over it.
	Inferred string `json:"inferred"`
	Core     bool   `json:"core,omitempty"`
	// Expected marks a missing write feature on a profile with writes off.
	Expected bool   `json:"expected,omitempty"`
	Fix      string `json:"fix,omitempty"`
	Note     string `json:"note,omitempty"`
	// RoleMissing marks a service app whose token has the scope but whose
	// calls Okta still refuses: the app has no admin role that covers them.
	RoleMissing bool `json:"role_missing,omitempty"`
}

// Excess is a privilege beyond what the profile uses.
type Excess struct {
	Privilege string `json:"privilege"`
	Reason    string `json:"reason"`
	Fix       string `json:"fix"`
}

// Problem is an Okta refusal with what to do about it.
type Problem struct {
	Status int    `json:"status,omitempty"`
	Code   string `json:"code,omitempty"`
	Error  string `json:"error"`
	Fix    string `json:"fix"`
}

// problemOf describes err for a report.
func problemOf(err error) *Problem {
	var ae *okta.APIError
	if errors.As(err, &ae) {
		return &Problem{Status: ae.Status, Code: ae.ErrorCode, Error: ae.Error(), Fix: ae.Hint()}
	}
	return &Problem{Error: err.Error(), Fix: "check the org URL and the network, then retry"}
}

// credentialRejected reports whether err means the credential itself is
// refused: a 401, or the OAuth token endpoint's refusal (the client, key or
// requested scopes are not what Okta has registered).
func credentialRejected(err error) bool {
	if okta.IsUnauthorized(err) {
		return true
	}
	var ae *okta.APIError
	return errors.As(err, &ae) && (ae.ErrorCode == "invalid_client" || ae.ErrorCode == "invalid_scope" || ae.ErrorCode == "unauthorized_client")
}

// CheckScopes finds out what c's credential can do for each feature: from
// the token owner's admin roles (SSWS) or the granted scopes (OAuth), then
// with one limit=1 probe per readable feature. It makes at most eight
// requests. An error is returned only for a cancelled ctx; what Okta
// refuses is in the report.
func CheckScopes(ctx context.Context, c *okta.Client, opts CheckOptions) (*ScopeReport, error) {
	r := &ScopeReport{Auth: AuthSSWS, Roles: []string{}, Granted: []string{}, Excess: []Excess{}}
	known := true
	if c.IsOAuth() {
		r.Auth, r.Principal = AuthOAuth, opts.ClientID
	} else {
		me, err := c.CurrentUser(ctx)
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("scope check: %w", ctx.Err())
		case credentialRejected(err):
			r.reject(err)
			return r, nil
		case err != nil:
			known = false
			r.Notes = append(r.Notes, "cannot read the token's owner (/api/v1/users/me): "+err.Error())
		default:
			r.Principal = me.Login
			roles, err := c.UserRoles(ctx, me.ID)
			if err != nil {
				if ctx.Err() != nil {
					return nil, fmt.Errorf("scope check: %w", ctx.Err())
				}
				known = false
				r.Notes = append(r.Notes, "cannot read the owner's admin roles (needs okta.roles.read); the probes decide: "+err.Error())
			}
			for _, role := range roles {
				r.Roles = append(r.Roles, role.Type)
			}
			var k bool
			r.Granted, k = roleGrants(roles)
			known = known && k
			if !k {
				r.Notes = append(r.Notes, "a custom admin role's permissions are not inferred; the probes decide (writes are not probed)")
			}
			if !opts.AllowWrites {
				for _, role := range roles {
					if writeCapable(role.Type) {
						r.Excess = append(r.Excess, Excess{
							Privilege: role.String(),
							Reason:    "this role can change the org, but the profile has writes disabled",
							Fix:       "use a token of a Read-only Administrator, or of an admin with a custom role granting only " + strings.Join(ReadScopes, ", "),
						})
					}
				}
			}
		}
	}

	probes := map[okta.ProbeTarget]error{}
	for _, f := range Features {
		if f.Probe == "" {
			continue
		}
		err := c.Probe(ctx, f.Probe)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("scope check: %w", ctx.Err())
		}
		if credentialRejected(err) {
			r.reject(err)
			return r, nil
		}
		probes[f.Probe] = err
	}

	if r.Auth == AuthOAuth {
		r.DPoP = c.DPoPBound()
		if r.DPoP {
			r.Notes = append(r.Notes, "the service app requires DPoP (proof-of-possession) tokens: dirdeck signs a fresh proof for every request")
		}
		r.Granted = c.GrantedScopes()
		slices.Sort(r.Granted)
		if !opts.AllowWrites {
			for _, s := range r.Granted {
				if oktaspec.IsWriteScope(s) {
					r.Excess = append(r.Excess, Excess{
						Privilege: s,
						Reason:    "a write scope on a profile with writes disabled",
						Fix:       fmt.Sprintf("remove %s from the profile's scopes and from the service app's granted scopes (Applications › the app › Okta API Scopes); reading needs only %s", s, strings.Join(ReadScopes, ", ")),
					})
				}
			}
		}
	}

	if r.Granted == nil {
		r.Granted = []string{}
	}
	var roleless []string
	for _, f := range Features {
		fr, err := r.feature(f, probes, known, opts)
		if err != nil {
			return nil, err
		}
		r.Features = append(r.Features, fr)
		if fr.RoleMissing {
			roleless = append(roleless, fr.Feature)
		}
	}
	if len(roleless) > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("Okta refuses %s although the scopes are granted: the service app has no admin role for them. Assign one to the app (Applications › the app › Admin roles), e.g. Read-only Administrator",
			strings.Join(roleless, ", ")))
	}
	return r, nil
}

// reject fills the report for a credential Okta refuses outright.
func (r *ScopeReport) reject(err error) {
	r.Rejected = problemOf(err)
	r.Features = r.Features[:0]
	for _, f := range Features {
		needed, _ := f.Needed()
		r.Features = append(r.Features, FeatureResult{
			Feature: f.Name, Status: StatusMissing, Needed: needed, Missing: needed,
			Probe: strconv.Itoa(r.Rejected.Status), Inferred: "unknown", Core: f.Core, Fix: r.Rejected.Fix,
		})
	}
}

// feature decides one feature's row. A probe result wins over the
// inference; both are shown.
func (r *ScopeReport) feature(f Feature, probes map[okta.ProbeTarget]error, known bool, opts CheckOptions) (FeatureResult, error) {
	needed, err := f.Needed()
	if err != nil {
		return FeatureResult{}, err
	}
	fr := FeatureResult{Feature: f.Name, Needed: needed, Missing: []string{}, Core: f.Core, Probe: ProbeSkipped}
	var inferredMissing []string
	for _, s := range needed {
		if !grantsAll(r.Granted, s) {
			inferredMissing = append(inferredMissing, s)
		}
	}
	switch {
	case len(inferredMissing) == 0:
		fr.Inferred = StatusOK
	case known:
		fr.Inferred = StatusMissing
	default:
		fr.Inferred = "unknown"
	}

	missing := inferredMissing
	if f.Probe != "" {
		perr := probes[f.Probe]
		var ae *okta.APIError
		switch {
		case perr == nil:
			fr.Probe = "200"
			if fr.Inferred == StatusMissing {
				fr.Note = "the probe succeeded although the role suggests " + strings.Join(inferredMissing, ", ") + " is missing"
			}
			missing = nil
		case okta.IsForbidden(perr):
			fr.Probe = "403"
			if len(missing) == 0 {
				missing = needed
				if fr.Inferred == StatusOK {
					fr.Note = "the role suggests this works, but Okta refused the probe"
				}
				if r.Auth == AuthOAuth && fr.Inferred == StatusOK && errors.As(perr, &ae) && ae.Challenge != "insufficient_scope" {
					// The token has the scope (Okta would otherwise say
					// insufficient_scope): the service app lacks an admin role.
					fr.RoleMissing = true
					fr.Note = "the service app has " + strings.Join(needed, ", ") + ", but Okta refused the probe: a service app also needs an admin role that covers it"
				}
			}
		case okta.IsUnavailable(perr) && errors.As(perr, &ae):
			// 404 E0000007 / 405 E0000022 on the collection itself: the org
			// does not offer it. No permission would help.
			fr.Probe = strconv.Itoa(ae.Status)
			fr.Note = "unavailable here: " + perr.Error()
			fr.Status = StatusMissing
			if f.Degrades != "" {
				fr.Status = StatusDegraded
			}
			return fr, nil
		case errors.As(perr, &ae):
			fr.Probe = strconv.Itoa(ae.Status)
			fr.Note = "probe failed, showing the inference: " + perr.Error()
		default:
			fr.Probe = ProbeError
			fr.Note = "probe failed, showing the inference: " + perr.Error()
		}
	} else if fr.Inferred == "unknown" {
		fr.Note = "not confirmed: dirdeck does not try writes out, and the role's permissions are not known"
	}

	switch {
	case len(missing) == 0:
		fr.Status = StatusOK
		return fr, nil
	case f.Degrades != "":
		fr.Status = StatusDegraded
	default:
		fr.Status = StatusMissing
	}
	fr.Missing = missing
	if f.Write && !opts.AllowWrites {
		fr.Expected = true
		if fr.Note == "" {
			fr.Note = "expected: writes are disabled for this profile"
		}
	}
	fr.Fix = r.fix(f, missing)
	if fr.RoleMissing {
		fr.Fix = roleFix(f)
	}
	return fr, nil
}

// fix says, in Okta's words, how to get the missing permissions.
func (r *ScopeReport) fix(f Feature, missing []string) string {
	list := strings.Join(missing, ", ")
	var b strings.Builder
	if f.Degrades != "" {
		b.WriteString("without it " + f.Degrades + "; ")
	}
	if r.Auth == AuthOAuth {
		fmt.Fprintf(&b, "grant %s to the service app (Admin Console › Applications › the app › Okta API Scopes) and add it to the profile's scopes", list)
		return b.String()
	}
	if f.Write {
		fmt.Fprintf(&b, "needs an admin role with %s (e.g. a custom role with it, or Group Membership Administrator for memberships only), and allow_writes on the profile", list)
		return b.String()
	}
	fmt.Fprintf(&b, "use a token of an admin whose role has %s: Read-only Administrator, or add the permission to the custom role (Security › Administrators › Roles)", list)
	return b.String()
}

// roleFix is the fix for a service app whose granted scope still gets 403:
// Okta checks the app's admin roles as well as the token's scopes
// (https://support.okta.com/help/s/article/how-to-assign-the-correct-admin-role-to-a-service-application).
func roleFix(f Feature) string {
	role := "Read-only Administrator (enough for every read feature)"
	if f.Write {
		role = "Group Administrator or Group Membership Administrator"
	}
	return "assign an admin role to the service app (Admin Console › Applications › Applications › the app › Admin roles): " + role
}

// ExitCode maps the report to the CLI's exit codes: 2 when the credential
// is refused or a core feature is missing, 1 for degraded features,
// unexpected missing ones or excess privilege, 0 otherwise.
func (r *ScopeReport) ExitCode() int {
	if r.Rejected != nil {
		return ExitFailed
	}
	code := ExitOK
	if len(r.Excess) > 0 {
		code = ExitWarnings
	}
	for _, f := range r.Features {
		switch {
		case f.Status == StatusMissing && f.Core:
			return ExitFailed
		case f.Status == StatusDegraded, f.Status == StatusMissing && !f.Expected:
			code = ExitWarnings
		}
	}
	return code
}

// CoreMissing reports whether a core feature is unavailable (the header
// banner's condition, with token problems).
func (r *ScopeReport) CoreMissing() bool {
	return r.ExitCode() == ExitFailed
}

// Org binds CheckScopes and CheckTokens to one client, so that a caller
// that must not import okta (the dashboard's Access pane) can be handed
// the checks by cmd.
type Org struct{ *okta.Client }

// CheckScopes runs CheckScopes against the bound client.
func (o Org) CheckScopes(ctx context.Context, opts CheckOptions) (*ScopeReport, error) {
	return CheckScopes(ctx, o.Client, opts)
}

// CheckTokens runs CheckTokens against the bound client.
func (o Org) CheckTokens(ctx context.Context, opts TokenOptions) (*TokenReport, error) {
	return CheckTokens(ctx, o.Client, opts)
}
