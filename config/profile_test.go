package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidateProfileName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"work", true}, {"a", true}, {"0", true}, {"acme_prod-2", true},
		{strings.Repeat("a", 63), true}, {strings.Repeat("a", 64), false},
		{"", false}, {"Work", false}, {"-work", false}, {"_work", false}, {"wo rk", false},
		{"../etc", false}, {"a/b", false}, {"é", false},
		{"env", false}, {"env-acme", false}, {"environment", true},
	}
	for _, tt := range tests {
		err := ValidateProfileName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateProfileName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestProfileValidate(t *testing.T) {
	oauth := func(f func(p *Profile)) Profile {
		p := DefaultProfile()
		p.OrgURL, p.Auth, p.ClientID, p.PrivateKeyFile = "https://acme.okta.com", AuthOAuth, "0oa1", "/k.pem"
		f(&p)
		return p
	}
	ssws := func(f func(p *Profile)) Profile {
		p := DefaultProfile()
		p.OrgURL = "https://acme.okta.com/"
		f(&p)
		return p
	}
	tests := []struct {
		name   string
		p      Profile
		errHas string
	}{
		{"ssws ok", ssws(func(*Profile) {}), ""},
		{"oauth ok", oauth(func(p *Profile) { p.Scopes = []string{"okta.users.read"}; p.KeyID = "kid1" }), ""},
		{"bad url", ssws(func(p *Profile) { p.OrgURL = "http://acme.okta.com" }), "org_url:"},
		{"no auth", ssws(func(p *Profile) { p.Auth = "" }), "auth: required"},
		{"bad auth", ssws(func(p *Profile) { p.Auth = "basic" }), `auth: "basic"`},
		{"ssws with client id", ssws(func(p *Profile) { p.ClientID = "x" }), "client_id: only used with"},
		{"ssws with scopes", ssws(func(p *Profile) { p.Scopes = []string{"okta.users.read"} }), "scopes: only used with"},
		{"oauth no client", oauth(func(p *Profile) { p.ClientID = " " }), "client_id: required"},
		{"oauth no key", oauth(func(p *Profile) { p.PrivateKeyFile = "" }), "private_key_file: required"},
		{"oauth bad scope", oauth(func(p *Profile) { p.Scopes = []string{"openid"} }), "scopes:"},
		{"short interval", ssws(func(p *Profile) { p.SyncInterval = 30 * time.Second }), "sync_interval"},
		{"zero share", ssws(func(p *Profile) { p.BudgetShare = 0 }), "budget_share"},
		{"big share", ssws(func(p *Profile) { p.BudgetShare = 1.5 }), "budget_share"},
		{"credential cap below Okta's 5%", ssws(func(p *Profile) { p.CredentialRatePercent = 4 }), "credential_rate_percent"},
		{"credential cap above 100%", ssws(func(p *Profile) { p.CredentialRatePercent = 101 }), "credential_rate_percent"},
		{"rotation", ssws(func(p *Profile) { p.RotationDays = 0 }), "rotation_days"},
		{"approvals", ssws(func(p *Profile) { p.ApprovalsRequired = 0 }), "approvals_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			err := p.Validate()
			if tt.errHas == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				if p.OrgURL != "https://acme.okta.com" {
					t.Fatalf("OrgURL not normalised: %q", p.OrgURL)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.errHas)
			}
		})
	}
}

func TestParseScopesAndEffective(t *testing.T) {
	got, err := ParseScopes("okta.users.read, okta.groups.read okta.users.read,,okta.logs.read")
	if err != nil {
		t.Fatal(err)
	}
	if want := "okta.users.read okta.groups.read okta.logs.read"; strings.Join(got, " ") != want {
		t.Fatalf("ParseScopes = %v, want %s", got, want)
	}
	if _, err := ParseScopes("okta.users.read,admin"); err == nil || !strings.Contains(err.Error(), `"admin"`) {
		t.Fatalf("ParseScopes(bad) = %v", err)
	}
	p := DefaultProfile()
	if s := p.EffectiveScopes(); s != nil {
		t.Fatalf("ssws EffectiveScopes = %v, want nil", s)
	}
	p.Auth = AuthOAuth
	if s := p.EffectiveScopes(); strings.Join(s, " ") != strings.Join(DefaultOAuthScopes, " ") {
		t.Fatalf("oauth default EffectiveScopes = %v", s)
	}
	p.Scopes = []string{"okta.users.read"}
	if s := p.EffectiveScopes(); len(s) != 1 || s[0] != "okta.users.read" {
		t.Fatalf("oauth EffectiveScopes = %v", s)
	}
}

func TestEnvProfileName(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://acme.okta.com", "env-acme-okta-com"},
		{"http://127.0.0.1:8707", "env-127-0-0-1-8707"},
		{"http://[::1]:8707", "env-1-8707"},
		{"https://login.acme-corp.com:8443", "env-login-acme-corp-com-8443"},
	}
	for _, tt := range tests {
		got := envProfileName(tt.url)
		if got != tt.want {
			t.Errorf("envProfileName(%q) = %q, want %q", tt.url, got, tt.want)
		}
		if err := checkProfileFileName(got); err != nil {
			t.Errorf("derived name %q is not a valid file name: %v", got, err)
		}
	}
	long1 := envProfileName("https://" + strings.Repeat("a", 70) + "x.okta.com")
	long2 := envProfileName("https://" + strings.Repeat("a", 70) + "y.okta.com")
	if long1 == long2 || len(long1) > 63 || checkProfileFileName(long1) != nil {
		t.Fatalf("long hosts: %q and %q must differ and be valid names", long1, long2)
	}
}

// TestRateShare: budget_share above the credential's cap (Okta's 50%
// unless an admin raised it) is capped to it, with a warning that says how
// to lift it; within the cap it is used as set.
func TestRateShare(t *testing.T) {
	tests := []struct {
		share     float64
		percent   int
		want      float64
		warnWords []string
	}{
		{0.5, 50, 0.5, nil},
		{0.3, 50, 0.3, nil},
		{0.8, 50, 0.5, []string{"budget_share 0.8", "50%", "credential_rate_percent"}},
		{1, 50, 0.5, []string{"budget_share 1"}},
		{0.8, 80, 0.8, nil},
		{0.9, 75, 0.75, []string{"75%"}},
	}
	for _, tt := range tests {
		p := DefaultProfile()
		p.BudgetShare, p.CredentialRatePercent = tt.share, tt.percent
		got, warning := p.RateShare()
		if got != tt.want || (warning == "") != (tt.warnWords == nil) {
			t.Errorf("share %g at %d%%: %g, %q; want %g", tt.share, tt.percent, got, warning, tt.want)
		}
		for _, w := range tt.warnWords {
			if !strings.Contains(warning, w) {
				t.Errorf("warning %q lacks %q", warning, w)
			}
		}
	}
	if DefaultProfile().CredentialRatePercent != 50 {
		t.Error("a profile's credential cap defaults to Okta's 50%")
	}
}
