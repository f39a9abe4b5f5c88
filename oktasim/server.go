package oktasim

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures a simulated org.
type Options struct {
	// Scenario is the org's size: "S" (default), "M", "L" or "XL".
	Scenario string
	// Seed makes the generated org deterministic.
	Seed int64
	// RateLimits is "off" (the default: headers but no 429s),
	// "realistic" (Okta Enterprise defaults) or "dev" (ten times those).
	RateLimits string
	// SearchLag is how long a group create or profile write stays
	// invisible to `search` (on the sim clock): Okta's search reads a
	// replicated index that lags writes, while `filter` reads current
	// data. Zero means DefaultSearchLag; a negative value turns the lag
	// off.
	SearchLag time.Duration
	// DPoP makes the seeded OAuth service apps require DPoP-bound access
	// tokens, as Okta's newly created API service apps do (dpop.go).
	DPoP bool
	// LogNoise is the System Log's background noise (sign-ins, policy
	// evaluations, app SSO, sign-outs) in events per active user per day,
	// spread evenly over the sim clock from the org's start. Zero means
	// DefaultLogNoise; a negative value turns the noise off.
	LogNoise int
	// LogLag is the System Log's ingestion lag: an event becomes visible
	// to GET /api/v1/logs this long after it was published, so that a poll
	// can miss the newest events. Okta documents the log as near real
	// time, not instant; zero means no lag.
	LogLag time.Duration
}

// DefaultSearchLag is the search lag of a sim whose Options leave it
// zero. Okta documents the difference, not a number: filter "filters
// against the most up-to-date data. For example, if you create a user or
// change an attribute and then issue a filter request, the changes are
// reflected in your results" (Users and Groups API reference, parameter
// filter), while search reads an index that lags writes. A few seconds is
// this simulator's choice.
const DefaultSearchLag = 3 * time.Second

// New generates the org described by opts.
func New(opts Options) (*Sim, error) {
	if opts.Scenario == "" {
		opts.Scenario = "S"
	}
	if opts.RateLimits == "" {
		opts.RateLimits = "off"
	}
	if opts.SearchLag == 0 {
		opts.SearchLag = DefaultSearchLag
	}
	lim, err := newLimiter(opts.RateLimits)
	if err != nil {
		return nil, err
	}
	s := &Sim{opts: opts, limits: lim, accessTokens: map[string]*accessToken{}, ext: newSimExt(opts.Seed), dpop: newDPoPState()}
	s.stats.init()
	s.seeded = func(now int64) (*org, error) { return generate(opts.Scenario, opts.Seed, now) }
	o, err := s.seeded(s.nowMS())
	if err != nil {
		return nil, err
	}
	s.org = o
	s.startNoise()
	s.faults.seed(opts.Seed)
	return s, nil
}

// Now is the sim clock: the wall clock moved forward by Advance.
func (s *Sim) Now() time.Time {
	return time.Now().Add(time.Duration(s.clockOffset.Load()))
}

// nowMS is the sim clock in Unix milliseconds.
func (s *Sim) nowMS() int64 { return s.Now().UnixMilli() }

// Advance moves the sim clock forward by d (token ages, idle expiry,
// rate-limit windows, Date headers). Integration tokens that are used
// daily stay recently used.
func (s *Sim) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	s.clockOffset.Add(int64(d))
	now := s.nowMS()
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, t := range s.org.tokens {
		if t.usedDaily {
			t.lastUsed.Store(now - 3*hour)
		}
	}
}

// Reset puts the org back in its starting state (the generated scenario,
// or the snapshot it was built from): data, tokens (freshly used), clock,
// stats, fault rules and issued access tokens.
func (s *Sim) Reset() {
	s.clockOffset.Store(0)
	// The same input built the org once already, so this cannot fail; if
	// it did, the data would stay as it is and the rest still reset.
	o, err := s.seeded(s.nowMS())
	s.mu.Lock()
	if err == nil {
		s.org = o
	}
	s.ext.reset()
	s.startNoise()
	s.mu.Unlock()
	s.authMu.Lock()
	s.accessTokens = map[string]*accessToken{}
	s.authMu.Unlock()
	s.SetFaults(nil)
	s.limits.reset()
	s.ResetStats()
}

// call is one request being served.
type call struct {
	r      *http.Request
	w      http.ResponseWriter
	route  *route
	params []string
	query  url.Values
	base   string // org URL, e.g. http://127.0.0.1:8707
	who    *principal

	status int
	body   []byte
	links  []string
	header http.Header
	// truncate cuts the body in half (a fault: malformed JSON).
	truncate bool
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// ServeHTTP serves the org's API and, for loopback clients, the control
// plane under /__sim/.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/__sim/") {
		s.serveControl(w, r)
		return
	}
	bp := bufPool.Get().(*[]byte)
	c := &call{r: r, w: w, query: r.URL.Query(), base: baseURL(r), status: http.StatusOK, body: (*bp)[:0]}
	s.serveAPI(c)
	s.finish(c)
	if cap(c.body) <= 4<<20 {
		*bp = c.body[:0]
		bufPool.Put(bp)
	}
}

// serveAPI runs the pipeline Okta's edge runs: routing, rate limits,
// authentication, authorisation, then the operation.
func (s *Sim) serveAPI(c *call) {
	s.stats.requests.Add(1)
	c.setHeader("X-Okta-Request-Id", s.nextRequestID())
	if s.opts.DPoP && c.r.Header.Get("DPoP") != "" {
		// A proof that reached the org is spent, whatever the answer
		// (a 429 or 5xx included): a retry needs a new one.
		defer s.spendProof(c.r)
	}
	idx, params, mismatch := match(c.r.Method, c.r.URL.Path)
	bucket := bucketFor(c.r.URL.Path)
	if idx >= 0 {
		c.route = &routes[idx]
		c.params = params
		bucket = c.route.bucket
		s.stats.byRoute[idx].Add(1)
	}
	now := s.Now()
	if !s.limits.take(c, bucket, now) {
		s.stats.throttled.Add(1)
		c.fail(http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
		return
	}
	defer s.limits.release()
	if f := s.faults.pick(c.r.Method, c.r.URL.Path); f != nil {
		if !s.applyFault(c, f) {
			return
		}
	}
	if idx < 0 {
		if mismatch {
			c.fail(http.StatusMethodNotAllowed, "E0000022", "The endpoint does not support the provided HTTP method")
			return
		}
		c.fail(http.StatusNotFound, "E0000007", "Not found: Resource not found: "+c.r.URL.Path+" (Path)")
		return
	}
	if c.route.perm != permNone {
		who, ok := s.authenticate(c.r, now)
		if !ok {
			c.fail(http.StatusUnauthorized, "E0000011", "Invalid token provided")
			c.bearerChallenge("invalid_token", "The access token is invalid.")
			return
		}
		c.who = who
		if who.access != nil && who.access.jkt != "" {
			jkt, f := s.checkProof(c.r, c.base+c.r.URL.Path, who.access.token)
			if f == nil && jkt != who.access.jkt {
				f = &dpopFailure{code: "invalid_dpop_proof", desc: "The DPoP proof JWT was not signed with the key the access token is bound to."}
			}
			if f != nil {
				c.dpopRefuse(f)
				return
			}
		}
		if !s.limits.takeCredential(c, who.credential(), bucket, now) {
			s.stats.throttled.Add(1)
			c.fail(http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
			return
		}
		if scopeMissing, roleMissing := who.refusal(c.route); scopeMissing || roleMissing {
			c.fail(http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action")
			if scopeMissing {
				c.bearerChallenge("insufficient_scope", "The access token provided does not contain the required scopes.")
			}
			return
		}
	}
	c.route.handler(s, c)
}

// finish writes c's response, honouring a truncate fault.
func (s *Sim) finish(c *call) {
	h := c.w.Header()
	for k, v := range c.header {
		h[k] = v
	}
	h.Set("Date", s.Now().UTC().Format(http.TimeFormat))
	if c.status == 0 {
		return // connection already hijacked and reset
	}
	if len(c.body) > 0 || c.status != http.StatusNoContent {
		h.Set("Content-Type", "application/json")
	}
	for _, l := range c.links {
		h.Add("Link", l)
	}
	body := c.body
	if c.truncate {
		body = body[:len(body)/2]
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(c.status)
	_, _ = c.w.Write(body)
}

// baseURL is the org URL as the client addressed it, for links.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// isLoopback reports whether the request comes from this machine.
func isLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// setHeader sets a response header on c.
func (c *call) setHeader(k, v string) {
	if c.header == nil {
		c.header = http.Header{}
	}
	c.header.Set(k, v)
}

// startNoise starts the System Log's noise stream at the sim clock's now,
// over the org's active users (Options.LogNoise).
func (s *Sim) startNoise() {
	rate := s.opts.LogNoise
	if rate == 0 {
		rate = DefaultLogNoise
	}
	s.ext.logs.setNoise(newNoiseSource(s.org, s.opts.Seed, s.nowMS(), rate))
}
