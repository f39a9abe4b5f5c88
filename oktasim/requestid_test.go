package oktasim

import (
	"context"
	"net/http"
	"regexp"
	gosync "sync"
	"testing"

	okta "github.com/okta/okta-sdk-golang/v5/okta"
)

var requestIDPattern = regexp.MustCompile(`^[0-9A-Za-z]{27}$`)

// requestIDs sends each request to a fresh sim seeded seed and returns the
// X-Okta-Request-Id of each response, checking the status on the way.
func requestIDs(t *testing.T, seed int64) []string {
	t.Helper()
	srv := NewServer(t, Options{Scenario: "S", Seed: seed})
	srv.Sim.SetFaults([]FaultRule{{Path: "/api/v1/apps/*", Method: "GET", Probability: 1, Status: 503}})
	ro := "SSWS " + srv.ReadOnlyToken()
	var ids []string
	for _, tt := range []struct {
		method, path, auth string
		status             int
	}{
		{"GET", "/api/v1/users?limit=2", ro, 200},
		{"GET", "/api/v1/users/" + srv.Sim.org.users[0].id, ro, 200},
		{"GET", "/api/v1/users/00u000000000000000xx", ro, 404},
		{"GET", "/api/v1/users?limit=0", ro, 400},
		{"GET", "/api/v1/groups", "SSWS not-a-token", 401},
		{"POST", "/api/v1/groups", ro, 403},
		{"DELETE", "/api/v1/users", ro, 405},
		{"GET", "/api/v1/nothing-here", ro, 404},
		{"GET", "/api/v1/apps/0oa000000000000000xx/users", ro, 503},
		{"GET", "/api/v1/groups?limit=3", ro, 200},
	} {
		req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", tt.auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Fatalf("%s %s: status %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
		}
		id := resp.Header.Get("X-Okta-Request-Id")
		if !requestIDPattern.MatchString(id) {
			t.Fatalf("%s %s (%d): X-Okta-Request-Id %q, want 27 letters and digits", tt.method, tt.path, tt.status, id)
		}
		ids = append(ids, id)
	}
	return ids
}

// Every API response carries a request id, unique within the sim and the
// same for the same request sequence of the same seed.
func TestRequestIDs(t *testing.T) {
	a, again, other := requestIDs(t, 3), requestIDs(t, 3), requestIDs(t, 4)
	seen := map[string]bool{}
	for i, id := range a {
		if seen[id] {
			t.Errorf("request %d: id %s already used", i, id)
		}
		seen[id] = true
		if again[i] != id {
			t.Errorf("request %d: id %s, then %s for the same seed", i, id, again[i])
		}
		if other[i] == id {
			t.Errorf("request %d: seeds 3 and 4 both gave %s", i, id)
		}
	}
}

// requestID must stay unique over many requests, not just ten.
func TestRequestIDUnique(t *testing.T) {
	seen := make(map[string]uint64, 200_000)
	for n := uint64(1); n <= 200_000; n++ {
		id := requestID(1, n)
		if m, dup := seen[id]; dup {
			t.Fatalf("requests %d and %d share id %s", m, n, id)
		}
		seen[id] = n
	}
}

// idTransport records the request id of each response and the
// X-Okta-Retry-For of each request.
type idTransport struct {
	mu       gosync.Mutex
	statuses []int
	ids      []string
	retryFor [][]string
}

func (rt *idTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.statuses = append(rt.statuses, resp.StatusCode)
	rt.ids = append(rt.ids, resp.Header.Get("X-Okta-Request-Id"))
	rt.retryFor = append(rt.retryFor, req.Header.Values("X-Okta-Retry-For"))
	return resp, nil
}

// The SDK names the throttled request in X-Okta-Retry-For when it
// retries; that only means something if the sim sent an id.
func TestSDKRetryForRequestID(t *testing.T) {
	sdkIsolate(t)
	srv := NewServer(t, Options{Scenario: "S", Seed: 17})
	if err := srv.Sim.SetFaultScript([]ScriptedFault{{Seq: 1, Method: "GET", PathTemplate: "/api/v1/apps", Status: http.StatusTooManyRequests}}); err != nil {
		t.Fatal(err)
	}
	rt := &idTransport{}
	c := newSDK(t, srv, &http.Client{Transport: rt}, okta.WithAuthorizationMode("SSWS"), okta.WithToken(srv.ReadOnlyToken()))
	if _, _, err := c.ApplicationAPI.ListApplications(context.Background()).Limit(200).Execute(); err != nil {
		t.Fatalf("list apps after 429: %v", sdkErr(err))
	}
	if len(rt.statuses) != 2 || rt.statuses[0] != http.StatusTooManyRequests || rt.statuses[1] != http.StatusOK {
		t.Fatalf("statuses %v, want a 429 retried once", rt.statuses)
	}
	if len(rt.retryFor[1]) != 1 || rt.retryFor[1][0] != rt.ids[0] || rt.ids[0] == rt.ids[1] {
		t.Fatalf("retry sent X-Okta-Retry-For %q; the 429 had id %q and the retry got %q", rt.retryFor[1], rt.ids[0], rt.ids[1])
	}
}
