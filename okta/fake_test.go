package okta

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOkta is a small Okta lookalike for the HTTP-layer tests that need
// precise control (rate windows of one second, skewed clocks, scripted
// faults). The integration tests run against oktasim.
type fakeOkta struct {
	t     *testing.T
	token string

	mu        sync.Mutex
	users     []map[string]any
	groups    map[string][]string // group id → member ids
	apps      []map[string]any
	logs      []map[string]any
	limit     int           // per bucket per one-second window; 0: no rate headers
	other     int           // requests "other integrations" spend at the start of each window
	skew      time.Duration // server clock minus local clock
	windows   map[string]map[int64]int
	requests  []*http.Request
	throttled int
	// fault, when set, may answer a request itself (return true).
	fault func(w http.ResponseWriter, r *http.Request, n int) bool
	n     int
}

func newFakeOkta(t *testing.T) *fakeOkta {
	return &fakeOkta{t: t, token: "00fakeTokenValue0123456789abcdef", groups: map[string][]string{}, windows: map[string]map[int64]int{}}
}

func (f *fakeOkta) start() *httptest.Server {
	srv := httptest.NewServer(f)
	f.t.Cleanup(srv.Close)
	return srv
}

func (f *fakeOkta) addUsers(n int) {
	for i := range n {
		f.users = append(f.users, map[string]any{
			"id": fmt.Sprintf("00u%05d", i), "status": "ACTIVE",
			"created":     "2024-01-02T03:04:05.000Z",
			"lastUpdated": "2026-11-26T04:36:00.123Z",
			"activated":   nil,
			"profile": map[string]any{
				"login": fmt.Sprintf("user%d@example.com", i), "email": fmt.Sprintf("user%d@example.com", i),
				"firstName": "First", "lastName": fmt.Sprintf("Last%d", i), "department": "Sales",
				"streetAddress": "1 Main St", "favouriteColour": "teal", "title": nil,
			},
		})
	}
}

// served returns the requests the server has seen so far.
func (f *fakeOkta) served() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.requests...)
}

func (f *fakeOkta) now() time.Time { return time.Now().Add(f.skew) }

func (f *fakeOkta) bucket(path string) string {
	switch {
	case path == "/api/v1/users", path == "/api/v1/groups", path == "/api/v1/apps", path == "/api/v1/logs":
		return path
	case strings.HasPrefix(path, "/api/v1/groups/"):
		return "/api/v1/groups/{id}"
	case strings.HasPrefix(path, "/api/v1/apps/"):
		return "/api/v1/apps/{id}"
	}
	return "other"
}

// count records a request in its bucket's window and reports whether it
// is over the limit.
func (f *fakeOkta) count(w http.ResponseWriter, bucket string) bool {
	now := f.now()
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	if f.limit == 0 {
		return false
	}
	sec := now.Unix()
	m := f.windows[bucket]
	if m == nil {
		m = map[int64]int{}
		f.windows[bucket] = m
	}
	if _, ok := m[sec]; !ok {
		m[sec] = f.other
	}
	m[sec]++
	used := m[sec]
	w.Header().Set("X-Rate-Limit-Limit", strconv.Itoa(f.limit))
	w.Header().Set("X-Rate-Limit-Remaining", strconv.Itoa(max(0, f.limit-used)))
	w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(sec+1, 10))
	return used > f.limit
}

func oktaError(w http.ResponseWriter, status int, code, summary string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": "oae" + code, "errorCauses": []any{}})
}

func (f *fakeOkta) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.requests = append(f.requests, r)
	over := f.count(w, f.bucket(r.URL.Path))
	fault := f.fault
	f.mu.Unlock()

	if over {
		f.mu.Lock()
		f.throttled++
		f.mu.Unlock()
		oktaError(w, http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
		return
	}
	if fault != nil && fault(w, r, n) {
		return
	}
	if r.Header.Get("Authorization") != "SSWS "+f.token {
		oktaError(w, http.StatusUnauthorized, "E0000011", "Invalid token provided")
		return
	}
	q := r.URL.Query()
	switch {
	case r.URL.Path == "/api/v1/users":
		f.mu.Lock()
		users := f.users
		f.mu.Unlock()
		if q.Get("filter") == `status eq "DEPROVISIONED"` {
			users = nil
		}
		page(w, r, users, 200)
	case strings.HasPrefix(r.URL.Path, "/api/v1/groups/") && strings.HasSuffix(r.URL.Path, "/users"):
		id := strings.Split(r.URL.Path, "/")[4]
		f.mu.Lock()
		ids, ok := f.groups[id]
		f.mu.Unlock()
		if !ok {
			oktaError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" (UserGroup)")
			return
		}
		var members []map[string]any
		for _, u := range ids {
			members = append(members, map[string]any{"id": u, "status": "ACTIVE", "profile": map[string]any{"login": u + "@example.com"}})
		}
		page(w, r, members, 1000)
	case r.URL.Path == "/api/v1/apps":
		page(w, r, f.apps, 200)
	case r.URL.Path == "/api/v1/logs":
		since, err := time.Parse(time.RFC3339, q.Get("since"))
		if q.Get("after") == "" && err != nil {
			oktaError(w, http.StatusBadRequest, "E0000001", "since: "+err.Error())
			return
		}
		var events []map[string]any
		for _, e := range f.logs {
			p, _ := time.Parse(time.RFC3339Nano, e["published"].(string))
			if !p.Before(since) || q.Get("after") != "" {
				events = append(events, e)
			}
		}
		page(w, r, events, 1000)
	default:
		oktaError(w, http.StatusNotFound, "E0000022", "The endpoint does not support the provided HTTP method")
	}
}

// page answers one page of items with Okta's cursor paging; the cursor is
// the index of the first item of the next page. A page past the end is
// empty and, like the System Log, still links to itself.
func page(w http.ResponseWriter, r *http.Request, items []map[string]any, maxLimit int) {
	q := r.URL.Query()
	limit := maxLimit
	if s := q.Get("limit"); s != "" {
		limit, _ = strconv.Atoi(s)
	}
	limit = min(limit, maxLimit)
	start := 0
	if s := q.Get("after"); s != "" {
		start, _ = strconv.Atoi(strings.TrimPrefix(s, "c"))
	}
	start = min(start, len(items))
	end := min(start+limit, len(items))
	next := q
	if end < len(items) || r.URL.Path == "/api/v1/logs" {
		next.Set("after", "c"+strconv.Itoa(end))
		next.Set("limit", strconv.Itoa(limit))
		w.Header().Add("Link", fmt.Sprintf(`<http://%s%s?%s>; rel="next"`, r.Host, r.URL.Path, next.Encode()))
	}
	w.Header().Set("Content-Type", "application/json")
	out := items[start:end]
	if out == nil {
		out = []map[string]any{}
	}
	json.NewEncoder(w).Encode(out)
}
