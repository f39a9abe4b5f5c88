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

// limiter enforces per-bucket fixed windows on the sim clock and the
// concurrency limit.
type limiter struct {
	mode     string
	limits   [numBuckets]int
	enforce  bool
	buckets  [numBuckets]bucket
	inflight atomic.Int32
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

// release ends a request admitted by take.
func (l *limiter) release() { l.inflight.Add(-1) }

// reset clears every window.
func (l *limiter) reset() {
	for i := range l.buckets {
		b := &l.buckets[i]
		b.mu.Lock()
		b.window, b.count = 0, 0
		b.mu.Unlock()
	}
}
