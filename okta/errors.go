package okta

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/dirdeck/dirdeck/internal/oktaspec"
)

// Okta error codes dirdeck treats specially.
const (
	CodeInvalidToken = "E0000011" // invalid, expired or revoked token
	CodeForbidden    = "E0000006" // the credential lacks the permission
	CodeNotFound     = "E0000007"
	CodeNoMethod     = "E0000022" // the endpoint does not support the HTTP method
	CodeRateLimited  = "E0000047"
)

// APIError is an error answer from Okta (or from its OAuth token endpoint),
// with the operation that failed. It never holds the token or a body.
type APIError struct {
	Op        string   // what dirdeck was doing, e.g. "list apps"
	Method    string   // the refused request's method, when known
	Path      string   // its path as the spec's template (/api/v1/groups/{groupId}/users), when known
	Status    int      // HTTP status
	ErrorCode string   // Okta errorCode (E0000006) or OAuth error (invalid_client)
	Summary   string   // errorSummary / error_description
	ErrorID   string   // Okta errorId, to quote to Okta support
	Causes    []string // errorCauses[].errorSummary
	// Challenge and Scope come from the WWW-Authenticate header Okta adds
	// to 401/403 answers to OAuth tokens: the error (insufficient_scope,
	// invalid_token) and the scope the operation needs.
	Challenge string
	Scope     string
}

// Error is one readable line: operation, status, code, summary, errorId and
// what to do about it.
func (e *APIError) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d", e.Status)
	if e.ErrorCode != "" {
		b.WriteString(" " + e.ErrorCode)
	}
	summary := e.Summary
	if summary == "" {
		summary = http.StatusText(e.Status)
	}
	b.WriteString(" " + summary)
	if len(e.Causes) > 0 {
		b.WriteString(" (" + strings.Join(e.Causes, "; ") + ")")
	}
	if e.ErrorID != "" {
		b.WriteString(" (errorId " + e.ErrorID + ")")
	}
	if h := e.Hint(); h != "" {
		b.WriteString(" — hint: " + h)
	}
	return b.String()
}

// scope names the OAuth scope / admin permission the refused request
// needed: the least privileged scope Okta's API spec accepts for it
// (oktaspec, generated from the SDK's openapi.yaml), or "" when the
// request is unknown or the spec names none.
func (e *APIError) scope() string {
	if e.Method == "" || e.Path == "" {
		return ""
	}
	scopes, err := oktaspec.ScopesFor(e.Method, e.Path)
	if err != nil {
		return ""
	}
	return oktaspec.LeastPrivileged(scopes)
}

// Hint says what the admin can do about the error.
func (e *APIError) Hint() string {
	switch {
	case e.Challenge == "insufficient_scope":
		scope := e.Scope
		if scope == "" {
			scope = e.scope()
		}
		if scope == "" {
			scope = "the scope this call needs"
		}
		return "the OAuth access token lacks " + scope + ": grant it to the service app (Okta API Scopes tab) and add it to the profile's scopes"
	case e.Challenge == "invalid_dpop_proof":
		return "Okta refused the DPoP proof of this request (the service app requires DPoP-bound tokens); check the local clock and retry"
	case e.Challenge == "use_dpop_nonce":
		return "Okta asked for a new DPoP nonce more often than dirdeck follows such challenges; retry"
	case e.Challenge == "invalid_token":
		return "Okta rejected the OAuth access token (expired or revoked); check the service app is active and its key is current"
	case e.ErrorCode == CodeInvalidToken || e.Status == http.StatusUnauthorized && e.ErrorCode == "":
		return "the API token is invalid, expired (30 days without use) or revoked: create a new token in the Okta Admin Console (Security › API › Tokens) and run `dirdeck profile set-token`"
	case e.ErrorCode == CodeForbidden || e.Status == http.StatusForbidden:
		if s := e.scope(); s != "" {
			return "the credential lacks " + s + " (an API token acts with its admin's role: use a role that includes this resource; an OAuth service app needs the scope granted and an admin role assigned)"
		}
		return "the credential's admin role lacks the permission for this call"
	case e.ErrorCode == CodeRateLimited || e.Status == http.StatusTooManyRequests:
		return "Okta's rate limit is exhausted (other integrations share it): lower dirdeck's budget share or wait for the window to reset"
	case e.ErrorCode == "invalid_client":
		return "the OAuth client id, key id or private key does not match the service app registered in Okta"
	case e.ErrorCode == "invalid_scope":
		return "request only scopes that are granted to the service app (Okta API Scopes tab)"
	case e.ErrorCode == CodeNoMethod || e.Status == http.StatusMethodNotAllowed:
		return "this org does not offer the call: the feature is unavailable here"
	case e.Status >= 500:
		return "an error on Okta's side; retry later and check status.okta.com"
	}
	return ""
}

// challengeParam matches one auth-param of a WWW-Authenticate header.
var challengeParam = regexp.MustCompile(`([A-Za-z_]+)="([^"]*)"`)

// withChallenge folds in the WWW-Authenticate header of the answer.
func (e *APIError) withChallenge(h http.Header) *APIError {
	for _, m := range challengeParam.FindAllStringSubmatch(h.Get("WWW-Authenticate"), -1) {
		switch m[1] {
		case "error":
			e.Challenge = m[2]
		case "scope":
			e.Scope = m[2]
		}
	}
	if e.ErrorCode == "" {
		e.ErrorCode = e.Challenge
	}
	return e
}

// errorBody is the JSON shape of Okta's error answers, plus the OAuth
// token endpoint's.
type errorBody struct {
	ErrorCode    string `json:"errorCode"`
	ErrorSummary string `json:"errorSummary"`
	ErrorID      string `json:"errorId"`
	ErrorCauses  []struct {
		ErrorSummary string `json:"errorSummary"`
	} `json:"errorCauses"`
	OAuthError       string `json:"error"`
	OAuthDescription string `json:"error_description"`
}

// newAPIError builds an APIError from a status and an error body (which
// may be empty or not JSON: the status alone still makes an APIError).
func newAPIError(op string, status int, body []byte) *APIError {
	e := &APIError{Op: op, Status: status}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.ErrorCode, e.Summary, e.ErrorID = eb.ErrorCode, eb.ErrorSummary, eb.ErrorID
		for _, c := range eb.ErrorCauses {
			if c.ErrorSummary != "" {
				e.Causes = append(e.Causes, c.ErrorSummary)
			}
		}
		if e.ErrorCode == "" && eb.OAuthError != "" {
			e.ErrorCode, e.Summary = eb.OAuthError, eb.OAuthDescription
		}
	}
	return e
}

// IsForbidden reports whether err is Okta refusing the call for lack of
// permission (403, E0000006): the resource is out of the credential's reach.
func IsForbidden(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.Status == http.StatusForbidden || e.ErrorCode == CodeForbidden)
}

// IsUnauthorized reports whether err is Okta rejecting the credential
// itself (401, E0000011): nothing will work until it is replaced.
func IsUnauthorized(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.Status == http.StatusUnauthorized || e.ErrorCode == CodeInvalidToken)
}

// IsNotFound reports whether err is a 404 (E0000007), e.g. a group deleted
// between listing it and listing its members.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.Status == http.StatusNotFound || e.ErrorCode == CodeNotFound)
}

// IsUnavailable reports whether err says the endpoint itself is not there
// for this org or this method: 404 E0000007 or 405 E0000022. On an optional
// endpoint (API token list, admin roles, group rules) that means the
// feature is unavailable here, not that dirdeck failed.
func IsUnavailable(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.Status == http.StatusNotFound || e.ErrorCode == CodeNotFound ||
		e.Status == http.StatusMethodNotAllowed || e.ErrorCode == CodeNoMethod)
}

// ErrMalformedResponse marks a response whose body could not be decoded
// (truncated or not the JSON Okta sends). It is not retried beyond once:
// a body that is broken twice is not a transient fault.
var ErrMalformedResponse = errors.New("malformed response body from Okta")
