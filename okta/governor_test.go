package okta

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
)

// TestGovernorKeepsShare fans out group-member listings against one-second
// rate windows and checks, from the server's own counts, that dirdeck never
// used more than its share of a window, never drew a 429, and yielded to
// other integrations — also when the server's clock is far off ours.
func TestGovernorKeepsShare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		limit    int
		other    int
		skew     time.Duration
		requests int
		maxOurs  int // most of our requests allowed in one window
	}{
		{"alone", 20, 0, 0, 40, 10},
		{"server clock one hour ahead", 20, 0, time.Hour, 30, 10},
		{"server clock ten minutes behind", 20, 0, -10 * time.Minute, 30, 10},
		// Others spend 7 of 20; dirdeck keeps 10 in reserve, so it may take 3.
		{"others use the bucket", 20, 7, 0, 12, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeOkta(t)
			f.limit, f.other, f.skew = tt.limit, tt.other, tt.skew
			for i := range tt.requests {
				f.groups[fmt.Sprintf("00g%03d", i)] = []string{"00u1"}
			}
			srv := f.start()
			var throttles int
			var mu sync.Mutex
			c := newTestClient(t, srv.URL, f.token, Options{
				MaxPerBucket: 8,
				OnThrottle: func(bucket string, until time.Time) {
					mu.Lock()
					throttles++
					mu.Unlock()
					if bucket != BucketGroupByID {
						t.Errorf("throttled bucket %q", bucket)
					}
					if d := time.Until(until); d > 3*time.Second || d < -2*time.Second {
						t.Errorf("throttled until %v from now: reset not translated through Date", d)
					}
				},
			})
			var wg sync.WaitGroup
			errs := make(chan error, tt.requests)
			for id := range f.groups {
				wg.Go(func() {
					errs <- c.ListGroupMembers(t.Context(), id, func([]string) error { return nil })
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.throttled != 0 {
				t.Errorf("server answered %d requests with 429", f.throttled)
			}
			total := 0
			for sec, n := range f.windows["/api/v1/groups/{id}"] {
				ours := n - tt.other
				total += ours
				if ours > tt.maxOurs {
					t.Errorf("window %d: dirdeck sent %d requests, share allows %d", sec, ours, tt.maxOurs)
				}
			}
			if total != tt.requests {
				t.Errorf("server counted %d requests, want %d", total, tt.requests)
			}
			st := c.Stats()
			b := st.Buckets[BucketGroupByID]
			if st.ThrottledWaits == 0 || throttles == 0 {
				t.Errorf("no throttled waits recorded: %+v", st)
			}
			if b.MaxOwnShare > float64(tt.maxOurs)/float64(tt.limit)+1e-9 || b.Limit != tt.limit {
				t.Errorf("bucket stats %+v", b)
			}
			if got := time.Until(c.ServerTime()); (got - tt.skew).Abs() > 2*time.Second {
				t.Errorf("ServerTime off by %v, want %v", got, tt.skew)
			}
			waited := false
			for _, e := range c.Journal() {
				if e.WaitedMS > 0 {
					waited = true
				}
			}
			if !waited {
				t.Error("journal shows no governor wait")
			}
		})
	}
}

// TestGovernorFirstRequestAlone: before the first answer of a bucket the
// governor cannot know its limit, so only one request may be in flight.
func TestGovernorFirstRequestAlone(t *testing.T) {
	t.Parallel()
	f := newFakeOkta(t)
	f.limit = 600
	release := make(chan struct{})
	var mu sync.Mutex
	inflight, peak, seen := 0, 0, 0
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		mu.Lock()
		inflight++
		seen++
		first := seen == 1
		peak = max(peak, inflight)
		mu.Unlock()
		if first {
			<-release
		}
		mu.Lock()
		inflight--
		mu.Unlock()
		return false
	}
	for i := range 10 {
		f.groups[fmt.Sprintf("00g%d", i)] = nil
	}
	srv := f.start()
	c := newTestClient(t, srv.URL, f.token, Options{})
	var wg sync.WaitGroup
	for id := range f.groups {
		wg.Go(func() {
			if err := c.ListGroupMembers(t.Context(), id, func([]string) error { return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	// While the first request hangs, the other nine must be held back; the
	// server would see them otherwise. Give them a moment to (wrongly) go.
	time.AfterFunc(200*time.Millisecond, func() { close(release) })
	wg.Wait()
	if peak != 1 {
		t.Errorf("peak in flight before the first answer: %d, want 1", peak)
	}
	if seen != 10 {
		t.Errorf("%d requests, want 10", seen)
	}
}

// TestRateLimited429Retried: a 429 from someone else's burst is retried
// after the window resets, and the data is complete.
func TestRateLimited429Retried(t *testing.T) {
	t.Parallel()
	f := newFakeOkta(t)
	f.addUsers(5)
	f.limit = 100
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			w.Header().Set("X-Rate-Limit-Remaining", "0")
			oktaError(w, http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
			return true
		}
		return false
	}
	srv := f.start()
	c := newTestClient(t, srv.URL, f.token, Options{})
	var users []directory.User
	start := time.Now()
	if err := c.ListUsers(t.Context(), Query{}, func(us []directory.User) error { users = append(users, us...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(users) != 5 {
		t.Fatalf("%d users", len(users))
	}
	st := c.Stats()
	if st.RateLimited != 1 || st.Retries != 1 {
		t.Errorf("stats %+v, want one 429 and one retry", st)
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("retry after 429 took %v; the window is one second", time.Since(start))
	}
	j := c.Journal()
	if len(j) != 2 || j[0].Status != 429 || j[0].ErrorCode != "E0000047" || j[1].Attempt != 2 {
		t.Errorf("journal %+v", j)
	}
	if !strings.Contains((&APIError{Status: 429, ErrorCode: CodeRateLimited}).Error(), "budget share") {
		t.Error("429 hint does not mention the budget share")
	}
}

// TestGovernorGlobalCap: the overall cap holds across buckets, and a
// request cancelled while waiting for a global slot gives back only its
// bucket slot.
func TestGovernorGlobalCap(t *testing.T) {
	g := newGovernor(0.5, 4, 2)
	ctx := t.Context()
	seen := rateInfo{ok: false}
	// Make two buckets "seen" so they allow more than one in flight.
	for _, b := range []string{"a", "b"} {
		if _, _, err := g.acquire(ctx, b, nil); err != nil {
			t.Fatal(err)
		}
		g.release(b, seen, true)
	}
	if _, _, err := g.acquire(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.acquire(ctx, "b", nil); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, _, err := g.acquire(cctx, "a", nil); err == nil {
		t.Fatal("third request passed a global cap of 2")
	}
	g.mu.Lock()
	inflight := g.buckets["a"].inflight
	g.mu.Unlock()
	if inflight != 1 || len(g.global) != 2 {
		t.Fatalf("after a cancelled wait: bucket a in flight %d, global %d; want 1 and 2", inflight, len(g.global))
	}
	g.release("a", seen, true)
	if _, _, err := g.acquire(ctx, "b", nil); err != nil {
		t.Fatal(err)
	}
	if len(g.global) != 2 {
		t.Fatalf("global slots %d, want 2", len(g.global))
	}
}

// TestGovernorServerClockSetBack: after the server's clock jumps back (a
// simulated org reset), its windows end earlier than the one the governor
// tracked; the governor must adopt them instead of probing one request at
// a time forever.
func TestGovernorServerClockSetBack(t *testing.T) {
	t.Parallel()
	g := newGovernor(0.5, 4, 8)
	now := time.Now()
	g.now = func() time.Time { return now }
	info := func(reset int64, remaining int) rateInfo {
		return rateInfo{limit: 100, remaining: remaining, reset: reset, date: time.Unix(reset-30, 0), received: now, ok: true}
	}
	ctx := t.Context()
	take := func(ri rateInfo) {
		t.Helper()
		if _, _, err := g.acquire(ctx, "b", nil); err != nil {
			t.Fatal(err)
		}
		g.release("b", ri, true)
	}
	take(info(2_000_000_000, 99))
	now = now.Add(time.Minute) // the window ended locally: the governor probes
	take(info(1_000_000_000, 99))
	g.mu.Lock()
	b := g.buckets["b"]
	rolled, reset := b.rolled, b.windowReset
	g.mu.Unlock()
	if rolled || reset != 1_000_000_000 {
		t.Fatalf("after the clock went back: rolled=%v window=%d", rolled, reset)
	}
	// Several requests may now be in flight again.
	for range 3 {
		if _, _, err := g.acquire(ctx, "b", nil); err != nil {
			t.Fatal(err)
		}
	}
}
