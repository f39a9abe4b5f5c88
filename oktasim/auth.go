package oktasim

import (
	"net/http"
	"strings"
	"time"
)

// Role keys of SSWS tokens, as /__sim/tokens reports them.
const (
	roleReadOnly = "READ_ONLY_ADMIN"
	roleSuper    = "SUPER_ADMIN"
	roleNoApps   = "CUSTOM"
)

// defaultTokenWindow is Okta's default idle window of an API token
// (tokenWindow P30D): unused that long, it expires. Source: the spec's
// ApiToken example (tokenWindow: P30D) and the seed vendor docs' 30-day
// idle expiry.
const (
	defaultTokenWindow   = "P30D"
	defaultTokenWindowMS = 30 * day
)

// principal is the identity behind a request's credential.
type principal struct {
	token  *apiToken    // SSWS
	access *accessToken // Bearer (OAuth 2.0 service app)
}

// roleOf maps a token key to its admin role type.
func roleOf(key string) string {
	for _, o := range tokenOwners {
		if o.key == key {
			return o.role
		}
	}
	return roleSuper
}

// authenticate resolves the Authorization header. Each successful SSWS
// use renews the token's idle window.
func (s *Sim) authenticate(r *http.Request, now time.Time) (*principal, bool) {
	h := r.Header.Get("Authorization")
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok || cred == "" {
		return nil, false
	}
	ms := now.UnixMilli()
	switch {
	case strings.EqualFold(scheme, "SSWS"):
		s.mu.RLock()
		defer s.mu.RUnlock()
		for _, t := range s.org.tokens {
			if t.secret == "" || t.secret != cred {
				continue
			}
			if ms > t.lastUsed.Load()+t.windowMS {
				return nil, false
			}
			t.lastUsed.Store(ms)
			return &principal{token: t}, true
		}
	case strings.EqualFold(scheme, "Bearer"), strings.EqualFold(scheme, "DPoP"):
		// A DPoP-bound token is valid only under the DPoP scheme (with a
		// proof, checked by the caller), a plain one only as Bearer.
		s.authMu.Lock()
		defer s.authMu.Unlock()
		if at := s.accessTokens[cred]; at != nil && ms < at.expires && (at.jkt != "") == strings.EqualFold(scheme, "DPoP") {
			return &principal{access: at}, true
		}
	}
	return nil, false
}

// refusal says why p may not call rt: scopeMissing for a Bearer token
// without the route's scope, roleMissing when the admin role behind the
// credential (the token owner's, or the service app's own) does not allow
// it. Both false: allowed.
func (p *principal) refusal(rt *route) (scopeMissing, roleMissing bool) {
	if p.access != nil {
		if !hasScope(p.access.scopes, rt.scope) {
			return true, false
		}
		for _, role := range p.access.roles {
			if roleAllows(role, rt) {
				return false, false
			}
		}
		return false, true
	}
	return false, !roleAllows(roleOf(p.token.role), rt)
}

// roleAllows reports whether an admin role type may call rt.
func roleAllows(role string, rt *route) bool {
	switch rt.perm {
	case permWrite:
		return role == roleSuper
	case permApps:
		return role != roleNoApps
	}
	return true
}

// hasScope reports whether scopes grant want; okta.X.manage grants
// okta.X.read as in Okta.
func hasScope(scopes []string, want string) bool {
	alt := ""
	if r, ok := strings.CutSuffix(want, ".read"); ok {
		alt = r + ".manage"
	}
	for _, sc := range scopes {
		if sc == want || (alt != "" && sc == alt) {
			return true
		}
	}
	return false
}

// owner returns the user behind p, if any.
func (p *principal) owner() *user {
	if p == nil || p.token == nil {
		return nil
	}
	return p.token.owner
}
