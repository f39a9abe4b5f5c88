package oktasim

import (
	"encoding/json"
	"net/url"
	"testing"
)

// TestStrictExpressions: each listing takes only the filter and search
// attributes, operators and timestamp format Okta documents for it;
// anything else is 400 E0000031 with Okta's error body. Unknown query
// parameters are ignored, as Okta does.
func TestStrictExpressions(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, Options{Scenario: "S", Seed: 2})
	tok := srv.ReadOnlyToken()
	const ts = `"2020-01-01T00:00:00.000Z"`
	tests := []struct {
		name, path, param, expr string
		ok                      bool
	}{
		{"users lastUpdated", "/api/v1/users", "filter", `lastUpdated gt ` + ts, true},
		{"users status and lastUpdated", "/api/v1/users", "filter", `status eq "ACTIVE" and lastUpdated lt ` + ts, true},
		{"users profile or", "/api/v1/users", "filter", `profile.firstName eq "Ann" or profile.email eq "a@example.com"`, true},
		{"users id, login, lastName", "/api/v1/users", "filter", `id eq "00u1" or profile.login eq "a" or profile.lastName eq "b"`, true},
		{"users created", "/api/v1/users", "filter", `created gt ` + ts, false},
		{"users activated", "/api/v1/users", "filter", `activated gt ` + ts, false},
		{"users type.id", "/api/v1/users", "filter", `type.id eq "oty1"`, false},
		{"users department (search only)", "/api/v1/users", "filter", `profile.department eq "Sales"`, false},
		{"users status sw", "/api/v1/users", "filter", `status sw "ACT"`, false},
		{"users no milliseconds", "/api/v1/users", "filter", `lastUpdated gt "2020-01-01T00:00:00Z"`, false},
		{"users offset", "/api/v1/users", "filter", `lastUpdated gt "2020-01-01T00:00:00.000+00:00"`, false},
		{"users microseconds", "/api/v1/users", "filter", `lastUpdated gt "2020-01-01T00:00:00.000000Z"`, false},
		{"users date only", "/api/v1/users", "filter", `lastUpdated gt "2020-01-01"`, false},
		{"users unquoted time", "/api/v1/users", "filter", `lastUpdated gt 2020-01-01T00:00:00.000Z`, false},
		{"users search department", "/api/v1/users", "search", `profile.department eq "Sales"`, true},
		{"users search created", "/api/v1/users", "search", `created gt ` + ts, true},
		{"users search no milliseconds", "/api/v1/users", "search", `lastUpdated gt "2020-01-01T00:00:00Z"`, false},
		{"groups type and (or)", "/api/v1/groups", "filter", `type eq "OKTA_GROUP" and (lastUpdated lt ` + ts + ` or lastMembershipUpdated lt ` + ts + `)`, true},
		{"groups id", "/api/v1/groups", "filter", `id eq "00g1"`, true},
		{"groups created", "/api/v1/groups", "filter", `created gt ` + ts, false},
		{"groups name (search only)", "/api/v1/groups", "filter", `profile.name eq "x"`, false},
		{"groups type sw", "/api/v1/groups", "filter", `type sw "OKTA"`, false},
		{"groups no milliseconds", "/api/v1/groups", "filter", `lastUpdated gt "2020-01-01T00:00:00Z"`, false},
		{"groups search name", "/api/v1/groups", "search", `profile.name sw "Eng"`, true},
		{"apps status", "/api/v1/apps", "filter", `status eq "ACTIVE"`, true},
		{"apps name", "/api/v1/apps", "filter", `name eq "okta_org2org"`, true},
		{"apps signing kid", "/api/v1/apps", "filter", `credentials.signing.kid eq "k1"`, true},
		{"apps label", "/api/v1/apps", "filter", `label eq "Slack"`, false},
		{"apps status ne", "/api/v1/apps", "filter", `status ne "ACTIVE"`, false},
		{"apps lastUpdated", "/api/v1/apps", "filter", `lastUpdated gt ` + ts, false},
		{"apps or", "/api/v1/apps", "filter", `status eq "ACTIVE" or status eq "INACTIVE"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, srv, tok, tt.path+"?"+tt.param+"="+url.QueryEscape(tt.expr))
			if tt.ok {
				if resp.StatusCode != 200 {
					t.Fatalf("%s=%s: %d %s", tt.param, tt.expr, resp.StatusCode, body)
				}
				return
			}
			var e struct {
				ErrorCode, ErrorSummary, ErrorLink, ErrorID string
				ErrorCauses                                 []struct{ ErrorSummary string }
			}
			if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != 400 || e.ErrorCode != "E0000031" ||
				e.ErrorSummary != "Invalid search criteria." || e.ErrorLink != "E0000031" || e.ErrorID == "" {
				t.Fatalf("%s=%s: %d %s, want 400 E0000031", tt.param, tt.expr, resp.StatusCode, body)
			}
		})
	}
	// Unknown parameters are ignored, as Okta does: the same users come back.
	_, plain := get(t, srv, tok, "/api/v1/users")
	resp, odd := get(t, srv, tok, "/api/v1/users?notAParameter=1&expand=nothing")
	if resp.StatusCode != 200 || string(odd) != string(plain) {
		t.Errorf("unknown parameters: %d, same body %v", resp.StatusCode, string(odd) == string(plain))
	}
}
