package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/internal/orgurl"
)

// Auth methods a profile can use.
const (
	// AuthSSWS authenticates with an Okta API token ("SSWS <token>"), kept in
	// the OS keyring or in DIRDECK_API_TOKEN.
	AuthSSWS = "ssws"
	// AuthOAuth authenticates as an OAuth 2.0 service app with
	// private_key_jwt and scoped access tokens, the least-privilege option.
	AuthOAuth = "oauth"
)

// Defaults applied to keys a profile leaves out.
const (
	DefaultSyncInterval = time.Hour
	DefaultBudgetShare  = 0.5
	// DefaultCredentialRatePercent is the share of each rate-limit bucket
	// Okta lets one API token or OAuth 2.0 app use unless an admin raised
	// it ("each API token or OAuth 2.0 app can use up to 50% of a bucket's
	// total rate limit", https://developer.okta.com/docs/reference/rl2-token-oauth).
	DefaultCredentialRatePercent = 50
	DefaultRotationDays          = 90
	DefaultApprovalsRequired     = 1
)

// DefaultOAuthScopes are requested when an OAuth profile names no scopes:
// the read scopes a sync uses. A service app not granted one of them
// (okta.apps.read, say) must list its scopes explicitly, because Okta
// refuses the whole token request when one requested scope is not granted.
var DefaultOAuthScopes = []string{"okta.users.read", "okta.groups.read", "okta.apps.read", "okta.logs.read"}

// Profile is one Okta org as dirdeck talks to it. The TOML keys are those
// of a [profiles.<name>] table in config.toml.
type Profile struct {
	// OrgURL is the org's base URL, normalised by orgurl.Normalize.
	OrgURL string `toml:"org_url" json:"org_url"`
	// Auth is AuthSSWS (default) or AuthOAuth.
	Auth string `toml:"auth" json:"auth"`
	// ClientID, PrivateKeyFile, KeyID and Scopes are for AuthOAuth only.
	ClientID       string   `toml:"client_id,omitempty" json:"client_id,omitempty"`
	PrivateKeyFile string   `toml:"private_key_file,omitempty" json:"private_key_file,omitempty"`
	KeyID          string   `toml:"key_id,omitempty" json:"key_id,omitempty"`
	Scopes         []string `toml:"scopes,omitempty" json:"scopes,omitempty"`
	// AllowWrites lets dirdeck push group changes to Okta; off unless the
	// profile turns it on.
	AllowWrites bool `toml:"allow_writes" json:"allow_writes"`
	// SyncInterval is how often the background sync runs (at least a minute).
	SyncInterval time.Duration `toml:"sync_interval" json:"sync_interval"`
	// BudgetShare is the share of each rate-limit bucket dirdeck may use,
	// in (0, 1]; other integrations share the rest.
	BudgetShare float64 `toml:"budget_share" json:"budget_share"`
	// CredentialRatePercent is the share of each rate-limit bucket, in
	// percent (5 to 100), that Okta lets this profile's API token or OAuth
	// app use: 50 unless an admin raised the token's or app's rate limit
	// in the Admin Console. BudgetShare above it is capped to it.
	CredentialRatePercent int `toml:"credential_rate_percent" json:"credential_rate_percent"`
	// RotationDays is the token age after which dirdeck warns to rotate.
	RotationDays int `toml:"rotation_days" json:"rotation_days"`
	// ApprovalsRequired is how many reviewers must approve a change plan.
	ApprovalsRequired int `toml:"approvals_required" json:"approvals_required"`
	// SigningKey is the OpenSSH key file (private, or .pub with the key in
	// ssh-agent) that signs the plans this admin stages and the reviews
	// they make; DIRDECK_SIGNING_KEY overrides it.
	SigningKey string `toml:"signing_key,omitempty" json:"signing_key,omitempty"`
	// AllowedSigners is the OpenSSH allowed_signers file naming the team's
	// keys by Okta login; approvals from other machines count only when
	// it trusts their key. DIRDECK_ALLOWED_SIGNERS overrides it.
	AllowedSigners string `toml:"allowed_signers,omitempty" json:"allowed_signers,omitempty"`
	// ApproverRoles are the Okta admin role types (or custom role ids or
	// labels) whose holders may approve plans; empty: the roles that can
	// change groups (plan.DefaultApproverRoles).
	ApproverRoles []string `toml:"approver_roles,omitempty" json:"approver_roles,omitempty"`
}

// DefaultProfile returns a profile with every default set and no org URL.
func DefaultProfile() Profile {
	return Profile{
		Auth:                  AuthSSWS,
		SyncInterval:          DefaultSyncInterval,
		BudgetShare:           DefaultBudgetShare,
		CredentialRatePercent: DefaultCredentialRatePercent,
		RotationDays:          DefaultRotationDays,
		ApprovalsRequired:     DefaultApprovalsRequired,
	}
}

// profileNameRE is the shape of profile names; names become file names and
// keyring users, so nothing that could be a path or need quoting.
var profileNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidateProfileName checks a name for a profile in config.toml.
func ValidateProfileName(name string) error {
	if !profileNameRE.MatchString(name) {
		return fmt.Errorf("invalid profile name %q: use lowercase letters, digits, '-' and '_' (at most 63, starting with a letter or digit)", name)
	}
	if name == "env" || strings.HasPrefix(name, "env-") {
		return fmt.Errorf("invalid profile name %q: \"env\" and names starting with \"env-\" are reserved for configuration from DIRDECK_* environment variables", name)
	}
	return nil
}

// Validate checks a profile's values and normalises its org URL in place.
// Errors name the TOML key at fault.
func (p *Profile) Validate() error {
	u, err := orgurl.Normalize(p.OrgURL)
	if err != nil {
		return fmt.Errorf("org_url: %w", err)
	}
	p.OrgURL = u
	switch p.Auth {
	case AuthSSWS:
		for _, f := range []struct {
			key string
			set bool
		}{
			{"client_id", p.ClientID != ""}, {"private_key_file", p.PrivateKeyFile != ""},
			{"key_id", p.KeyID != ""}, {"scopes", len(p.Scopes) > 0},
		} {
			if f.set {
				return fmt.Errorf("%s: only used with auth = %q (this profile uses %q)", f.key, AuthOAuth, AuthSSWS)
			}
		}
	case AuthOAuth:
		if strings.TrimSpace(p.ClientID) == "" {
			return errors.New("client_id: required with auth = \"oauth\"")
		}
		if strings.ContainsFunc(p.ClientID, isSpaceOrControl) {
			return errors.New("client_id: must not contain spaces or control characters")
		}
		if strings.TrimSpace(p.PrivateKeyFile) == "" {
			return errors.New("private_key_file: required with auth = \"oauth\"")
		}
		if strings.ContainsFunc(p.KeyID, isSpaceOrControl) {
			return errors.New("key_id: must not contain spaces or control characters")
		}
		for _, s := range p.Scopes {
			if err := validateScope(s); err != nil {
				return fmt.Errorf("scopes: %w", err)
			}
		}
	case "":
		return fmt.Errorf("auth: required (%q or %q)", AuthSSWS, AuthOAuth)
	default:
		return fmt.Errorf("auth: %q is not %q or %q", p.Auth, AuthSSWS, AuthOAuth)
	}
	if p.SyncInterval < time.Minute {
		return fmt.Errorf("sync_interval: %s is shorter than the minimum of 1m", p.SyncInterval)
	}
	if !(p.BudgetShare > 0 && p.BudgetShare <= 1) {
		return fmt.Errorf("budget_share: %g is not in (0, 1]", p.BudgetShare)
	}
	if p.CredentialRatePercent < 5 || p.CredentialRatePercent > 100 {
		return fmt.Errorf("credential_rate_percent: %d is not between 5 and 100 (Okta's range for a token's or app's rate limit)", p.CredentialRatePercent)
	}
	if p.RotationDays < 1 || p.RotationDays > 3650 {
		return fmt.Errorf("rotation_days: %d is not between 1 and 3650", p.RotationDays)
	}
	if p.ApprovalsRequired < 1 || p.ApprovalsRequired > 10 {
		return fmt.Errorf("approvals_required: %d is not between 1 and 10", p.ApprovalsRequired)
	}
	for _, r := range p.ApproverRoles {
		if strings.TrimSpace(r) == "" || strings.ContainsFunc(r, func(c rune) bool { return c < ' ' || c == 0x7f }) {
			return fmt.Errorf("approver_roles: %q is not a role type, custom role id or label", r)
		}
	}
	return nil
}

// EffectiveScopes returns the scopes to request for an OAuth profile: its
// own, or DefaultOAuthScopes when it names none. SSWS profiles have none.
func (p Profile) EffectiveScopes() []string {
	if p.Auth != AuthOAuth {
		return nil
	}
	if len(p.Scopes) > 0 {
		return append([]string(nil), p.Scopes...)
	}
	return append([]string(nil), DefaultOAuthScopes...)
}

// ParseScopes splits a comma- and/or space-separated scope list, as given
// to --scopes or DIRDECK_SCOPES, dropping empty entries and duplicates.
func ParseScopes(s string) ([]string, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	var out []string
	seen := map[string]bool{}
	for _, f := range fields {
		if err := validateScope(f); err != nil {
			return nil, err
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out, nil
}

// validateScope accepts Okta API scopes (okta.users.read, okta.logs.read…),
// the only scopes a management client can be granted.
func validateScope(s string) error {
	if !scopeRE.MatchString(s) {
		return fmt.Errorf("%q is not an Okta API scope (like okta.users.read)", s)
	}
	return nil
}

var scopeRE = regexp.MustCompile(`^okta\.[A-Za-z]+(\.[A-Za-z]+)+$`)

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// RateShare is the share of each rate-limit bucket dirdeck may use with
// this profile: BudgetShare, but no more than the credential's cap (Okta
// answers 429 past it whatever the org has left). warning says so when
// BudgetShare asked for more.
func (p Profile) RateShare() (share float64, warning string) {
	limit := float64(p.CredentialRatePercent) / 100
	if p.CredentialRatePercent == 0 {
		limit = float64(DefaultCredentialRatePercent) / 100
	}
	if p.BudgetShare <= limit {
		return p.BudgetShare, ""
	}
	return limit, fmt.Sprintf("budget_share %g is above the %d%% of each rate-limit bucket Okta lets one API token or OAuth app use; using %g "+
		"(if an admin raised this credential's rate limit, set credential_rate_percent to it)", p.BudgetShare, int(limit*100), limit)
}
