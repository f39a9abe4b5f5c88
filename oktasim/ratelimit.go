package oktasim

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Rate-limit buckets. Okta counts requests per endpoint family per org in
// fixed one-minute windows.
const (
	bucketUsers  = iota // GET /api/v1/users
	bucketGroups        // /api/v1/groups
	bucketGroup         // /api/v1/groups/{id}*
	bucketApps          // /api/v1/apps
	bucketApp           // /api/v1/apps/{id}*
	bucketLogs          // /api/v1/logs
	bucketToken         // /oauth2/v1/token
	bucketOther         // everything else under /api/v1
	numBuckets
)

// realisticLimits are Okta Enterprise's per-minute defaults.
var realisticLimits = [numBuckets]int{
	bucketUsers:  600,
	bucketGroups: 600,
	bucketGroup:  600,
	bucketApps:   100,
	bucketApp:    500,
	bucketLogs:   120,
	bucketToken:  600,
	bucketOther:  600,
}

// Limits reported when rate limiting is off: high enough never to matter,
// so that a client's governor does not slow tests down.
const offLimit = 1_000_000

// maxConcurrent is Okta's concurrent-request limit per org.
const maxConcurrent = 75

// defaultCredentialPercent is the share of each bucket one API token or
// OAuth 2.0 app may use unless an admin changed it: "By default, each API
// token or OAuth 2.0 app can use up to 50% of a bucket's total rate limit
// [...] a single API token can only make 60 requests per minute to that
// endpoint before being rate-limited"
// (https://developer.okta.com/docs/reference/rl2-token-oauth).
const defaultCredentialPercent = 50

// limiter enforces per-bucket fixed windows on the sim clock, each
// credential's share of them, and the concurrency limit.
type limiter struct {
	mode     string
	limits   [numBuckets]int
	enforce  bool
	buckets  [numBuckets]bucket
	inflight atomic.Int32

	credMu   sync.Mutex
	creds    map[credBucket]*bucket // per credential and bucket
	percents map[string]int         // credential → percent an admin set
}

// credBucket is one credential's use of one bucket.
type credBucket struct {
	cred   string // API token id or OAuth client id
	bucket int
}

type bucket struct {
	mu     sync.Mutex
	window int64 // unix seconds of the window's start
	count  int
}

func newLimiter(mode string) (*limiter, error) {
	l := &limiter{mode: mode}
	switch mode {
	case "off":
		for i := range l.limits {
			l.limits[i] = offLimit
		}
	case "realistic":
		l.limits = realisticLimits
		l.enforce = true
	case "dev":
		for i, n := range realisticLimits {
			l.limits[i] = 10 * n
		}
		l.enforce = true
	default:
		return nil, fmt.Errorf("unknown rate-limit mode %q (want off, realistic or dev)", mode)
	}
	return l, nil
}

// bucketFor classifies a path that matched no route.
func bucketFor(path string) int {
	switch {
	case path == "/api/v1/users":
		return bucketUsers
	case path == "/api/v1/groups":
		return bucketGroups
	case strings.HasPrefix(path, "/api/v1/groups/"):
		return bucketGroup
	case path == "/api/v1/apps":
		return bucketApps
	case strings.HasPrefix(path, "/api/v1/apps/"):
		return bucketApp
	case strings.HasPrefix(path, "/api/v1/logs"):
		return bucketLogs
	case strings.HasPrefix(path, "/oauth2/"):
		return bucketToken
	}
	return bucketOther
}

// take counts a request against bucket at now, sets the rate-limit
// headers on c, and reports whether the request may proceed. When it
// returns true the caller must call release when done.
func (l *limiter) take(c *call, bi int, now time.Time) bool {
	window := now.Unix() / 60 * 60
	b := &l.buckets[bi]
	b.mu.Lock()
	if b.window != window {
		b.window, b.count = window, 0
	}
	b.count++
	n := b.count
	b.mu.Unlock()
	limit := l.limits[bi]
	c.setHeader("X-Rate-Limit-Limit", strconv.Itoa(limit))
	c.setHeader("X-Rate-Limit-Remaining", strconv.Itoa(max(limit-n, 0)))
	c.setHeader("X-Rate-Limit-Reset", strconv.FormatInt(window+60, 10))
	if l.enforce && n > limit {
		return false
	}
	if l.inflight.Add(1) > maxConcurrent && l.enforce {
		l.inflight.Add(-1)
		return false
	}
	return true
}

// takeCredential counts an authenticated request against its credential's
// share of bucket (after take admitted it). Past the share it answers as
// Okta does for a token rate-limit violation: 429 with the headers of the
// limit that refused it — X-Rate-Limit-Limit the credential's ceiling,
// Remaining 0 — ("X-Rate-Limit-Limit - the rate limit ceiling that is
// applicable for the current request",
// https://developer.okta.com/docs/reference/rl-best-practices/). Within
// the share the org-wide headers take set stay.
func (l *limiter) takeCredential(c *call, cred string, bi int, now time.Time) bool {
	if !l.enforce || cred == "" {
		return true
	}
	window := now.Unix() / 60 * 60
	l.credMu.Lock()
	if l.creds == nil {
		l.creds = map[credBucket]*bucket{}
	}
	k := credBucket{cred, bi}
	b := l.creds[k]
	if b == nil {
		b = &bucket{}
		l.creds[k] = b
	}
	if b.window != window {
		b.window, b.count = window, 0
	}
	b.count++
	n := b.count
	pct, ok := l.percents[cred]
	l.credMu.Unlock()
	if !ok {
		pct = defaultCredentialPercent
	}
	ceiling := max(1, l.limits[bi]*pct/100)
	if n <= ceiling {
		return true
	}
	c.setHeader("X-Rate-Limit-Limit", strconv.Itoa(ceiling))
	c.setHeader("X-Rate-Limit-Remaining", "0")
	c.setHeader("X-Rate-Limit-Reset", strconv.FormatInt(window+60, 10))
	return false
}

// setCredentialPercent sets the share of every bucket cred may use, as an
// admin does in the Admin Console (5 to 100 percent).
func (l *limiter) setCredentialPercent(cred string, pct int) {
	l.credMu.Lock()
	defer l.credMu.Unlock()
	if l.percents == nil {
		l.percents = map[string]int{}
	}
	l.percents[cred] = pct
}

// release ends a request admitted by take.
func (l *limiter) release() { l.inflight.Add(-1) }

// reset clears every window.
func (l *limiter) reset() {
	l.credMu.Lock()
	l.creds = nil
	l.credMu.Unlock()
	for i := range l.buckets {
		b := &l.buckets[i]
		b.mu.Lock()
		b.window, b.count = 0, 0
		b.mu.Unlock()
	}
}

// credential names the API token or OAuth 2.0 app behind the request,
// what Okta's per-credential rate limits count by.
func (p *principal) credential() string {
	switch {
	case p.token != nil:
		return p.token.id
	case p.access != nil:
		return p.access.clientID
	}
	return ""
}

// SetCredentialRateLimit sets the share of each bucket (5 to 100 percent)
// that the published token named name ("readonly", ...) or the OAuth
// client with that client id may use — what an admin does under "Token
// rate limits" (default 50).
func (s *Sim) SetCredentialRateLimit(name string, percent int) error {
	if percent < 5 || percent > 100 {
		return fmt.Errorf("rate limit percent %d: Okta takes 5 to 100", percent)
	}
	cred := name
	s.mu.RLock()
	for _, t := range s.org.tokens {
		if t.secret != "" && t.role == name {
			cred = t.id
		}
	}
	s.mu.RUnlock()
	s.limits.setCredentialPercent(cred, percent)
	return nil
}
