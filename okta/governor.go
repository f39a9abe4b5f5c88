package okta

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// resetMargin is added to every translated window end. The translation is
// already conservative (Date and X-Rate-Limit-Reset are whole seconds and
// the response was generated before it arrived), the margin covers the rest
// of the jitter between our clock and the server's.
const resetMargin = 100 * time.Millisecond

// rateInfo is what one response said about its bucket.
type rateInfo struct {
	limit     int
	remaining int
	reset     int64     // epoch seconds, server clock
	date      time.Time // server clock, from the Date header
	received  time.Time // local clock
	ok        bool      // all three X-Rate-Limit headers were present
}

func parseRateInfo(h http.Header, received time.Time) rateInfo {
	ri := rateInfo{received: received}
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		ri.date = d
	}
	l, errL := strconv.Atoi(h.Get("X-Rate-Limit-Limit"))
	r, errR := strconv.Atoi(h.Get("X-Rate-Limit-Remaining"))
	z, errZ := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64)
	if errL == nil && errR == nil && errZ == nil && l > 0 {
		ri.limit, ri.remaining, ri.reset, ri.ok = l, r, z, true
	}
	return ri
}

// localReset translates the bucket's reset epoch to the local clock using
// the server's Date, so a skewed local clock does not shift the window.
func (ri rateInfo) localReset() time.Time {
	if ri.date.IsZero() {
		return time.Unix(ri.reset, 0).Add(resetMargin)
	}
	return ri.received.Add(time.Unix(ri.reset, 0).Sub(ri.date)).Add(resetMargin)
}

// bucketState is the governor's view of one rate-limit bucket.
type bucketState struct {
	// gate admits at most perBucket requests per bucket into the verdict
	// loop and flight; the rest queue on the channel (parked, FIFO), so a
	// sync that fans out thousands of listings does not wake them all on
	// every answer.
	gate    chan struct{}
	changed chan struct{} // closed and replaced when this bucket's state changes

	seen     bool // a response for this bucket has arrived
	metered  bool // responses carry X-Rate-Limit headers
	inflight int

	limit        int
	windowReset  int64     // server epoch of the current window's end
	localResetAt time.Time // the same, on the local clock
	rolled       bool      // local clock passed localResetAt; no response from the new window yet
	ours         int       // our responses counted in the current window
	minRemaining int       // lowest Remaining seen in the current window

	// statistics
	requests     int
	maxOwnShare  float64
	maxUsedShare float64
}

// governor keeps dirdeck's use of every rate-limit bucket within its share
// and bounds concurrency, per bucket and overall.
type governor struct {
	share     float64
	perBucket int
	global    chan struct{}

	mu      sync.Mutex
	buckets map[string]*bucketState
	now     func() time.Time

	// ledger, when set, shares the credential's per-bucket count with the
	// other processes that use it; serverNow is the org's clock it counts
	// windows by, and ledgerErr receives a failure to use it (the request
	// then goes by this process's own count).
	ledger    *ledger
	serverNow func() time.Time
	ledgerErr func(error)
}

func newGovernor(share float64, perBucket, global int) *governor {
	return &governor{
		share:     share,
		perBucket: perBucket,
		global:    make(chan struct{}, global),
		buckets:   map[string]*bucketState{},
		now:       time.Now,
	}
}

// capFor is how many of a window's requests dirdeck may use.
func (g *governor) capFor(limit int) int {
	return max(1, int(math.Floor(g.share*float64(limit))))
}

// state returns the bucket's state; callers hold g.mu.
func (g *governor) state(bucket string) *bucketState {
	b := g.buckets[bucket]
	if b == nil {
		b = &bucketState{gate: make(chan struct{}, g.perBucket), changed: make(chan struct{})}
		g.buckets[bucket] = b
	}
	return b
}

// broadcast wakes the bucket's waiters; callers hold g.mu.
func (b *bucketState) broadcast() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// verdict says whether a request may go now; when the budget is spent it
// returns the local time the window ends.
func (g *governor) verdict(b *bucketState, now time.Time) (ok bool, budgetUntil time.Time) {
	if !b.seen {
		return b.inflight == 0, time.Time{}
	}
	if !b.metered {
		return true, time.Time{}
	}
	if !b.rolled && !now.Before(b.localResetAt) {
		b.rolled, b.ours, b.minRemaining = true, 0, b.limit
	}
	if b.rolled {
		// A new window began on our clock. Other integrations may already
		// have spent part of it, so probe with one request and let its
		// X-Rate-Limit-Remaining set the pace.
		return b.inflight == 0, time.Time{}
	}
	capacity := g.capFor(b.limit)
	reserve := b.limit - capacity
	if b.ours+b.inflight+1 <= capacity && b.minRemaining-b.inflight-1 >= reserve {
		return true, time.Time{}
	}
	return false, b.localResetAt
}

// acquire blocks until a request to bucket may be sent. It reports how long
// it waited and whether the rate budget (not just concurrency) held it back.
// With a ledger, the request is counted in it last, right before it goes
// out; when the credential's other processes have spent the window, the
// slots go back and the request waits for the next window.
func (g *governor) acquire(ctx context.Context, bucket string, onThrottle func(bucket string, until time.Time)) (waited time.Duration, throttled bool, err error) {
	start := g.now()
	for {
		_, held, err := g.admit(ctx, bucket, onThrottle)
		throttled = throttled || held
		if err != nil {
			return g.now().Sub(start), throttled, err
		}
		g.mu.Lock()
		limit := g.state(bucket).limit
		g.mu.Unlock()
		wait := g.shared(bucket, limit)
		if wait == 0 {
			return g.now().Sub(start), throttled, nil
		}
		g.release(bucket, rateInfo{}, false)
		g.mu.Lock()
		g.state(bucket).requests--
		g.mu.Unlock()
		until := g.now().Add(wait + resetMargin)
		if !throttled && onThrottle != nil {
			onThrottle(bucket, until)
		}
		throttled = true
		t := time.NewTimer(wait + resetMargin)
		select {
		case <-ctx.Done():
			t.Stop()
			return g.now().Sub(start), throttled, ctx.Err()
		case <-t.C:
		}
	}
}

// admit is acquire without the ledger: it waits for this process's own
// budget and concurrency slots.
func (g *governor) admit(ctx context.Context, bucket string, onThrottle func(bucket string, until time.Time)) (waited time.Duration, throttled bool, err error) {
	start := g.now()
	g.mu.Lock()
	b := g.state(bucket)
	g.mu.Unlock()
	select {
	case b.gate <- struct{}{}:
	case <-ctx.Done():
		return g.now().Sub(start), false, ctx.Err()
	}
	for {
		g.mu.Lock()
		ok, until := g.verdict(b, g.now())
		if ok {
			b.inflight++
			b.requests++
			g.mu.Unlock()
			break
		}
		ch := b.changed
		g.mu.Unlock()

		var t *time.Timer
		var timer <-chan time.Time
		if !until.IsZero() {
			if !throttled && onThrottle != nil {
				onThrottle(bucket, until)
			}
			throttled = true
			t = time.NewTimer(until.Sub(g.now()))
			timer = t.C
		}
		select {
		case <-ctx.Done():
		case <-ch:
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			<-b.gate
			return g.now().Sub(start), throttled, ctx.Err()
		}
	}
	select {
	case g.global <- struct{}{}:
	case <-ctx.Done():
		// Give back the bucket slot only: no global slot was taken.
		g.mu.Lock()
		b.inflight--
		b.requests--
		b.broadcast()
		g.mu.Unlock()
		<-b.gate
		return g.now().Sub(start), throttled, ctx.Err()
	}
	return g.now().Sub(start), throttled, nil
}

// shared counts a request in the credential's ledger, or returns how long
// until the window in which the credential may send again (0: go).
func (g *governor) shared(bucket string, limit int) time.Duration {
	if g.ledger == nil {
		return 0
	}
	wait, err := g.ledger.take(bucket, limit, g.share, g.serverNow())
	if err != nil {
		if g.ledgerErr != nil {
			g.ledgerErr(err)
		}
		return 0
	}
	return wait
}

// release returns the slots acquire took and folds in what the response
// said about the bucket. responded is false when no response arrived
// (network error).
func (g *governor) release(bucket string, ri rateInfo, responded bool) {
	<-g.global
	g.mu.Lock()
	b := g.state(bucket)
	b.inflight--
	if responded {
		b.seen = true
		if ri.ok {
			g.observe(b, ri)
		}
	}
	b.broadcast()
	g.mu.Unlock()
	<-b.gate
}

// observe updates the window from one response's headers.
func (g *governor) observe(b *bucketState, ri rateInfo) {
	b.metered = true
	b.limit = ri.limit
	switch {
	case ri.reset > b.windowReset || b.rolled && ri.reset < b.windowReset:
		// First response from a new window (an earlier reset after ours
		// ended means the server's clock was set back).
		b.windowReset = ri.reset
		b.localResetAt = ri.localReset()
		b.rolled = false
		b.ours = 1
		b.minRemaining = ri.remaining
	case ri.reset == b.windowReset:
		at := ri.localReset()
		if at.After(b.localResetAt) {
			b.localResetAt = at
		}
		if b.rolled {
			if !ri.received.Before(b.localResetAt) {
				// A late answer from the window we already left.
				return
			}
			// The server is still in the old window: trust it again.
			b.rolled = false
			b.ours = 0
			b.minRemaining = b.limit
		}
		b.ours++
		b.minRemaining = min(b.minRemaining, ri.remaining)
	default:
		// Older window than the one we track: nothing to learn.
		return
	}
	b.maxOwnShare = max(b.maxOwnShare, float64(b.ours)/float64(b.limit))
	b.maxUsedShare = max(b.maxUsedShare, float64(b.limit-b.minRemaining)/float64(b.limit))
}

// BucketStats is dirdeck's use of one rate-limit bucket.
type BucketStats struct {
	Limit    int `json:"limit"`
	Requests int `json:"requests"`
	// MaxOwnShare is the largest fraction of a window's limit that
	// dirdeck's own requests used, over all windows seen.
	MaxOwnShare float64 `json:"max_own_share"`
	// MaxUsedShare is the largest fraction used by everyone (dirdeck and
	// other integrations), from X-Rate-Limit-Remaining.
	MaxUsedShare float64 `json:"max_used_share"`
}

func (g *governor) snapshot() map[string]BucketStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]BucketStats, len(g.buckets))
	for k, b := range g.buckets {
		out[k] = BucketStats{Limit: b.limit, Requests: b.requests, MaxOwnShare: b.maxOwnShare, MaxUsedShare: b.maxUsedShare}
	}
	return out
}
