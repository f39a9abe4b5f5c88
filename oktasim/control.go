package oktasim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Truth is what a complete sync of the org must hold: counts per kind and
// the canonical digest (docs/DESIGN.md "Canonical digest").
type Truth struct {
	Counts map[string]int `json:"counts"`
	Digest string         `json:"digest"`
}

// Stats counts the API requests served since start or the last reset;
// control-plane calls are not counted.
type Stats struct {
	Requests   int64            `json:"requests"`
	Throttled  int64            `json:"throttled"`
	ByEndpoint map[string]int64 `json:"by_endpoint"`
}

// TokenInfo describes one of the sim's published SSWS tokens.
type TokenInfo struct {
	Name  string `json:"name"`
	Token string `json:"token"`
	Role  string `json:"role"`
	Owner string `json:"owner"` // user id
	Login string `json:"owner_login"`
}

// statsCounters are lock-free so that counting never serialises requests.
type statsCounters struct {
	requests  atomic.Int64
	throttled atomic.Int64
	byRoute   []atomic.Int64
}

func (st *statsCounters) init() { st.byRoute = make([]atomic.Int64, len(routes)) }

// Stats returns the request counters.
func (s *Sim) Stats() Stats {
	st := Stats{Requests: s.stats.requests.Load(), Throttled: s.stats.throttled.Load(), ByEndpoint: map[string]int64{}}
	for i := range s.stats.byRoute {
		if n := s.stats.byRoute[i].Load(); n > 0 {
			st.ByEndpoint[routes[i].method+" "+routes[i].pattern] = n
		}
	}
	return st
}

// ResetStats zeroes the request counters.
func (s *Sim) ResetStats() {
	s.stats.requests.Store(0)
	s.stats.throttled.Store(0)
	for i := range s.stats.byRoute {
		s.stats.byRoute[i].Store(0)
	}
}

// Token returns the secret of a published token: "readonly",
// "superadmin", "noapps" or "reviewer" ("" for any other name).
func (s *Sim) Token(name string) string {
	for _, t := range s.Tokens() {
		if t.Name == name {
			return t.Token
		}
	}
	return ""
}

// Tokens lists the published SSWS tokens.
func (s *Sim) Tokens() []TokenInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []TokenInfo
	for _, t := range s.org.tokens {
		if t.secret == "" {
			continue
		}
		out = append(out, TokenInfo{Name: t.role, Token: t.secret, Role: roleOf(t.role), Owner: t.owner.id, Login: s.org.profile(t.owner).Login})
	}
	return out
}

// Truth computes the counts and canonical digest of the org's state.
func (s *Sim) Truth() Truth {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.org.truth()
}

// truth streams the digest lines in sorted order instead of sorting them:
// ids all have the same length and sort in slice order, and the line
// prefixes sort as app < appgroup < appuser < group < member < user, so
// walking the slices in this order yields exactly the sorted lines.
func (o *org) truth() Truth {
	h := sha256.New()
	var b []byte
	flush := func(force bool) {
		if len(b) > 32<<10 || force {
			h.Write(b)
			b = b[:0]
		}
	}
	counts := map[string]int{"users": len(o.users), "groups": len(o.groups), "apps": len(o.apps), "memberships": 0, "app_users": 0, "app_groups": 0}
	for _, a := range o.apps {
		b = appendLine(b, "app", a.id, fmtTime(a.lastUpdated))
		flush(false)
	}
	for _, a := range o.apps {
		for _, ag := range a.groups {
			b = appendLine(b, "appgroup", a.id, ag.group.id)
			counts["app_groups"]++
			flush(false)
		}
	}
	for _, a := range o.apps {
		for _, au := range a.users {
			b = appendLine(b, "appuser", a.id, au.user.id)
			counts["app_users"]++
			flush(false)
		}
	}
	for _, g := range o.groups {
		b = appendLine(b, "group", g.id, fmtTime(g.lastUpdated))
		flush(false)
	}
	for _, g := range o.groups {
		for _, u := range g.members {
			b = appendLine(b, "member", g.id, u.id)
			counts["memberships"]++
			flush(false)
		}
	}
	for _, u := range o.users {
		b = appendLine(b, "user", u.id, u.status, fmtTime(u.lastUpdated))
		flush(false)
	}
	flush(true)
	return Truth{Counts: counts, Digest: digestString(h)}
}

func appendLine(b []byte, fields ...string) []byte {
	for i, f := range fields {
		if i > 0 {
			b = append(b, '\t')
		}
		b = append(b, f...)
	}
	return append(b, '\n')
}

func digestString(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

// serveControl serves /__sim/ for loopback clients only.
func (s *Sim) serveControl(w http.ResponseWriter, r *http.Request) {
	c := &call{r: r, w: w, query: r.URL.Query(), base: baseURL(r), status: http.StatusOK}
	if !isLoopback(r) {
		c.notFound(r.URL.Path, "Path")
		s.finish(c)
		return
	}
	known := false
	for _, cr := range controlRoutes {
		if cr.path != r.URL.Path {
			continue
		}
		known = true
		if cr.method == r.Method {
			cr.handler(s, c)
			s.finish(c)
			return
		}
	}
	if known {
		c.fail(http.StatusMethodNotAllowed, "E0000022", "The endpoint does not support the provided HTTP method")
	} else {
		c.notFound(r.URL.Path, "Path")
	}
	s.finish(c)
}

// writeJSON sets c's body to v as JSON.
func (c *call) writeJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.fail(http.StatusInternalServerError, "E0000009", "Internal Server Error", err.Error())
		return
	}
	c.body = b
}

func (s *Sim) ctlTruth(c *call)  { c.writeJSON(s.Truth()) }
func (s *Sim) ctlTokens(c *call) { c.writeJSON(s.Tokens()) }
func (s *Sim) ctlStats(c *call)  { c.writeJSON(s.Stats()) }

func (s *Sim) ctlResetStats(c *call) {
	s.ResetStats()
	c.writeJSON(s.Stats())
}

func (s *Sim) ctlReset(c *call) {
	s.Reset()
	c.writeJSON(map[string]string{"status": "reset", "now": fmtTime(s.nowMS())})
}

// ctlClock reports the sim clock; POST ?advance=<duration> moves it.
func (s *Sim) ctlClock(c *call) {
	if c.r.Method == http.MethodPost {
		d, err := parseDays(c.query.Get("advance"))
		if err != nil || d <= 0 {
			c.badRequest("advance", "want a positive duration such as 26d, 36h or 90m")
			return
		}
		s.Advance(d)
	}
	c.writeJSON(map[string]string{"now": fmtTime(s.nowMS()), "offset": time.Duration(s.clockOffset.Load()).String()})
}

// parseDays parses a Go duration that may start with whole days ("26d",
// "1d12h").
func parseDays(v string) (time.Duration, error) {
	var days time.Duration
	if i := strings.IndexByte(v, 'd'); i >= 0 {
		n, err := strconv.Atoi(v[:i])
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("bad days in %q", v)
		}
		days = time.Duration(n) * 24 * time.Hour
		v = v[i+1:]
		if v == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("parse duration: %w", err)
	}
	return days + d, nil
}

// ctlFaults replaces (POST) or reports (GET) the fault rules.
func (s *Sim) ctlFaults(c *call) {
	if c.r.Method == http.MethodPost {
		var req struct {
			Rules []FaultRule `json:"rules"`
		}
		dec := json.NewDecoder(io.LimitReader(c.r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			c.badRequest("rules", "invalid JSON: "+err.Error())
			return
		}
		for i, r := range req.Rules {
			if r.Probability < 0 || r.Probability > 1 || r.LatencyMS < 0 || r.LatencyMS > 600_000 ||
				(r.Status != 0 && (r.Status < 400 || r.Status > 599)) || r.Path == "" {
				c.badRequest(fmt.Sprintf("rules[%d]", i), "want a path glob, probability 0..1, status 400..599 or 0, latency_ms 0..600000")
				return
			}
		}
		s.SetFaults(req.Rules)
	}
	c.writeJSON(map[string][]FaultRule{"rules": s.Faults()})
}
