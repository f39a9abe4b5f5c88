package main

import (
	"net/http"
	"strings"
	gosync "sync"
	"time"
)

// windowCounter sits in front of the simulated org and counts requests
// per rate-limit bucket and one-minute window of the sim's clock, as Okta
// would meter them. It checks dirdeck's budget from the org's side,
// independently of the governor's own bookkeeping.
type windowCounter struct {
	next http.Handler
	now  func() time.Time

	mu     gosync.Mutex
	counts map[string]map[int64]int // bucket → window start (unix s) → requests
}

func newWindowCounter(next http.Handler, now func() time.Time) *windowCounter {
	return &windowCounter{next: next, now: now, counts: map[string]map[int64]int{}}
}

func (c *windowCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/__sim/") {
		b := bucketOf(r.Method + " " + r.URL.Path)
		win := c.now().Unix() / 60 * 60
		c.mu.Lock()
		if c.counts[b] == nil {
			c.counts[b] = map[int64]int{}
		}
		c.counts[b][win]++
		c.mu.Unlock()
	}
	c.next.ServeHTTP(w, r)
}

// maxShare is the largest fraction of a bucket's limit used in any one
// window, over all buckets, and the bucket where it happened.
func (c *windowCounter) maxShare() (float64, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	best, where := 0.0, ""
	for b, wins := range c.counts {
		limit := oktaLimits[b]
		if limit == 0 {
			continue
		}
		for _, n := range wins {
			if s := float64(n) / float64(limit); s > best {
				best, where = s, b
			}
		}
	}
	return best, where
}
