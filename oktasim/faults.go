package oktasim

import (
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FaultRule makes matching requests fail. Rules are checked in order; the
// first matching rule whose probability draw succeeds applies.
type FaultRule struct {
	// Method is the HTTP method to match; empty matches any.
	Method string `json:"method"`
	// Path is a glob on the URL path; * matches any characters, / included.
	Path string `json:"path"`
	// Probability is the chance (0..1) that a matching request is hit.
	Probability float64 `json:"probability"`
	// Status, when non-zero, answers with this status and an Okta error body.
	Status int `json:"status"`
	// LatencyMS delays the response.
	LatencyMS int `json:"latency_ms"`
	// Reset closes the connection without a response.
	Reset bool `json:"reset"`
	// Truncate serves the real response with its body cut in half.
	Truncate bool `json:"truncate"`
}

// faultSet holds the active rules and the seeded generator that makes
// probabilistic faults reproducible for a given request sequence.
type faultSet struct {
	mu       sync.Mutex
	rules    []FaultRule
	seedVal  int64
	rng      *rand.Rand
	hasRules atomic.Bool                 // read without the lock on every request
	script   atomic.Pointer[faultScript] // SetFaultScript (script.go); nil: none
}

func (f *faultSet) seed(seed int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seedVal = seed
	f.rng = rand.New(rand.NewPCG(uint64(seed), 0xfa017))
}

// SetFaults replaces the fault rules (nil or empty clears them) and
// restarts the fault generator from the seed.
func (s *Sim) SetFaults(rules []FaultRule) {
	f := &s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append([]FaultRule(nil), rules...)
	f.hasRules.Store(len(rules) > 0)
	f.rng = rand.New(rand.NewPCG(uint64(f.seedVal), 0xfa017))
}

// Faults returns the active fault rules.
func (s *Sim) Faults() []FaultRule {
	f := &s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FaultRule{}, f.rules...)
}

// pick returns the fault to apply to a request, if any.
func (f *faultSet) pick(method, path string) *FaultRule {
	if fs := f.script.Load(); fs != nil {
		if r := fs.next(method, path); r != nil {
			return r
		}
	}
	if !f.hasRules.Load() {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.rules {
		r := &f.rules[i]
		if r.Method != "" && !strings.EqualFold(r.Method, method) {
			continue
		}
		if !globMatch(r.Path, path) {
			continue
		}
		if r.Probability >= 1 || f.rng.Float64() < r.Probability {
			rule := *r
			return &rule
		}
	}
	return nil
}

// applyFault applies f to c. It reports whether the request should go on
// to be served (latency and truncate faults) or is finished.
func (s *Sim) applyFault(c *call, f *FaultRule) bool {
	if f.LatencyMS > 0 {
		t := time.NewTimer(time.Duration(f.LatencyMS) * time.Millisecond)
		select {
		case <-t.C:
		case <-c.r.Context().Done():
			t.Stop()
		}
	}
	switch {
	case f.Reset:
		c.status = 0
		hj, ok := c.w.(http.Hijacker)
		if !ok {
			// The server recovers this sentinel and drops the connection.
			panic(http.ErrAbortHandler)
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST rather than FIN: a "connection reset"
		}
		_ = conn.Close()
		return false
	case f.Status != 0:
		code, summary := faultError(f.Status)
		c.fail(f.Status, code, summary)
		if f.Truncate {
			c.truncate = true
		}
		return false
	case f.Truncate:
		c.truncate = true
	}
	return true
}

// faultError is the Okta error a fault with status answers with.
func faultError(status int) (code, summary string) {
	switch status {
	case http.StatusUnauthorized:
		return "E0000011", "Invalid token provided"
	case http.StatusForbidden:
		return "E0000006", "You do not have permission to perform the requested action"
	case http.StatusNotFound:
		return "E0000007", "Not found: Resource not found"
	case http.StatusMethodNotAllowed:
		return "E0000022", "The endpoint does not support the provided HTTP method"
	case http.StatusTooManyRequests:
		return "E0000047", "API call exceeded rate limit due to too many requests."
	}
	return "E0000009", "Internal Server Error"
}

// globMatch matches path against pattern, where * matches any run of
// characters including /.
func globMatch(pattern, path string) bool {
	px, nx := 0, 0
	starPx, starNx := -1, 0
	for nx < len(path) || px < len(pattern) {
		if px < len(pattern) {
			switch pattern[px] {
			case '*':
				starPx, starNx = px, nx
				px++
				continue
			default:
				if nx < len(path) && path[nx] == pattern[px] {
					px++
					nx++
					continue
				}
			}
		}
		if starPx >= 0 && starNx < len(path) {
			starNx++
			px, nx = starPx+1, starNx
			continue
		}
		return false
	}
	return true
}
