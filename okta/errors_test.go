package okta

import (
	"strings"
	"testing"
)

// TestHintNamesTheSpecScope: the scope a refused call needed comes from
// Okta's API spec for the request, not from the words of the operation's
// name ("list user groups" needs okta.users.read, though it says "group").
func TestHintNamesTheSpecScope(t *testing.T) {
	tests := []struct {
		name string
		e    APIError
		want string
	}{
		{"user's groups", APIError{Op: "list user groups", Method: "GET", Path: "/api/v1/users/{userId}/groups", Status: 403, ErrorCode: CodeForbidden}, "lacks okta.users.read"},
		{"apps", APIError{Op: "list apps", Method: "GET", Path: "/api/v1/apps", Status: 403, ErrorCode: CodeForbidden}, "lacks okta.apps.read"},
		{"add member", APIError{Op: "add group member", Method: "PUT", Path: "/api/v1/groups/{groupId}/users/{userId}", Status: 403}, "lacks okta.groups.manage"},
		{"app's groups", APIError{Op: "list app groups", Method: "GET", Path: "/api/v1/apps/{appId}/groups", Status: 403}, "lacks okta.apps.read"},
		{"api tokens", APIError{Method: "GET", Path: "/api/v1/api-tokens", Status: 403}, "lacks okta.apiTokens.read"},
		{"insufficient scope without header scope", APIError{Method: "GET", Path: "/api/v1/logs", Status: 403, Challenge: "insufficient_scope"}, "token lacks okta.logs.read"},
		{"request unknown", APIError{Op: "list users", Status: 403, ErrorCode: CodeForbidden}, "admin role lacks the permission"},
		{"not in the spec", APIError{Method: "GET", Path: "/api/v1/nothing", Status: 403}, "admin role lacks the permission"},
		{"insufficient scope, unknown request", APIError{Status: 403, Challenge: "insufficient_scope"}, "lacks the scope this call needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Hint(); !strings.Contains(got, tt.want) {
				t.Errorf("Hint() = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}
