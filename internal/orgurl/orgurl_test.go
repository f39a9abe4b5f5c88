package orgurl

import (
	"strings"
	"testing"
)

// TestParse is the union of the rules config and okta each had: both now
// call Parse, so one table covers the profile file, DIRDECK_ORG_URL and the
// client.
func TestParse(t *testing.T) {
	tests := []struct {
		in, want, errHas string
	}{
		{in: "https://acme.okta.com", want: "https://acme.okta.com"},
		{in: "  https://Acme.Okta.com/  ", want: "https://acme.okta.com"},
		{in: "https://acme.okta.com///", want: "https://acme.okta.com"},
		{in: "https://acme.okta.com/api/v1", want: "https://acme.okta.com"},
		{in: "https://acme.okta.com/api/v1/", want: "https://acme.okta.com"},
		{in: "https://acme.okta.com/API/V1", want: "https://acme.okta.com"},
		{in: "HTTPS://login.acme.com:8443", want: "https://login.acme.com:8443"},
		{in: "https://acme.okta.com:443", want: "https://acme.okta.com:443"},
		{in: "http://127.0.0.1:8707", want: "http://127.0.0.1:8707"},
		{in: "http://127.8.9.10", want: "http://127.8.9.10"},
		{in: "http://127.1.2.3:8707/api/v1", want: "http://127.1.2.3:8707"},
		{in: "http://localhost:8707", want: "http://localhost:8707"},
		{in: "http://LOCALHOST:8707", want: "http://localhost:8707"},
		{in: "http://[::1]:8707", want: "http://[::1]:8707"},
		{in: "http://[::1]", want: "http://[::1]"},
		{in: "https://acme-admin.example.com", want: "https://acme-admin.example.com"}, // a custom domain may end in -admin
		{in: "", errHas: "empty"},
		{in: "   ", errHas: "empty"},
		{in: "acme.okta.com", errHas: "did you mean https://acme.okta.com"},
		{in: "ftp://acme.okta.com", errHas: "scheme must be https"},
		{in: "http://acme.okta.com", errHas: "only allowed for loopback"},
		{in: "http://example.com", errHas: "plain http is refused"},
		{in: "http://10.0.0.1:8707", errHas: "only allowed for loopback"},
		{in: "http://localhost.evil.com", errHas: "only allowed for loopback"},
		{in: "http://127.0.0.1.evil.com", errHas: "only allowed for loopback"},
		{in: "https://acme-admin.okta.com", errHas: `use the org URL without "-admin", https://acme.okta.com`},
		{in: "https://ACME-ADMIN.okta.com", errHas: `https://acme.okta.com`},
		{in: "https://acme-admin.oktapreview.com/", errHas: "https://acme.oktapreview.com"},
		{in: "https://acme-admin.okta-emea.com", errHas: "https://acme.okta-emea.com"},
		{in: "https://acme.okta.com/app/UserHome", errHas: "without a path"},
		{in: "https://acme.okta.com/api/v1/users", errHas: "without a path"},
		{in: "https://acme.okta.com/api/v2", errHas: "without a path"},
		{in: "https://acme.okta.com?x=1", errHas: "query"},
		{in: "https://acme.okta.com/?", errHas: "query"},
		{in: "https://acme.okta.com#frag", errHas: "fragment"},
		{in: "https://admin:pw@acme.okta.com", errHas: "user name or password"},
		{in: "https://user:pw@acme.okta.com/api/v1/users?x=1", errHas: "user name or password"},
		{in: "https://:443", errHas: "no host"},
		{in: "https://acme.okta.com:99999", errHas: "port"},
		{in: "https://acme.okta.com:0", errHas: "port"},
		{in: "https://acme .okta.com", errHas: "not a URL"},
		{in: "https://admin:pw@acme .okta.com", errHas: "not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("Normalize(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.errHas)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Fatalf("error echoes the password: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			// Normalising is idempotent: what a profile stores reads back as itself.
			if again, err := Normalize(got); err != nil || again != got {
				t.Fatalf("Normalize(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

func TestLookalikeWarning(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://acme.okta.com", ""},
		{"http://127.0.0.1:8707", ""},
		{"https://\u0430cme.okta.com", "mixes Cyrillic and Latin letters: it is xn--cme-5cd.okta.com in DNS"},
		{"https://\u0430\u0441\u0435.okta.com", "mixes Cyrillic and Latin letters"}, // okta.com is Latin
		{"https://b\u00fccher.example.com", "has letters outside ASCII: it is xn--bcher-kva.example.com"},
		{"https://\u03b1cme.okta.com", "mixes Greek and Latin letters: it is xn--cme-"},
	}
	for _, tt := range tests {
		got := LookalikeWarning(tt.url)
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("LookalikeWarning(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}
