package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/okta"
)

// oktaLimits are Okta Enterprise's default per-minute limits per bucket,
// which the sim serves in "realistic" mode, keyed by the client's bucket
// names (okta.BucketFor): the bench measures against the buckets the
// governor budgets. The sim keeps its own classification on purpose, so a
// governor that files a request in the wrong bucket still shows up as 429s.
var oktaLimits = map[string]int{
	okta.BucketUsers:      600,
	okta.BucketGroups:     600,
	okta.BucketGroupByID:  600,
	okta.BucketApps:       100,
	okta.BucketAppByID:    500,
	okta.BucketLogs:       120,
	okta.BucketOAuthToken: 600,
	okta.BucketOtherAPI:   600,
}

// window is Okta's rate-limit window.
const window = time.Minute

// bucketOf classifies one of the sim's endpoint keys ("GET /api/v1/groups/{id}/users")
// with the client's classifier.
func bucketOf(endpoint string) string {
	_, path, _ := strings.Cut(endpoint, " ")
	return okta.BucketFor(path)
}

// perBucket sums the sim's per-endpoint request counts by bucket.
func perBucket(byEndpoint map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for ep, n := range byEndpoint {
		out[bucketOf(ep)] += n
	}
	return out
}

// rateBound is the rate-limit lower bound of a run.
type rateBound struct {
	Bound   time.Duration // the lower bound on the run's wall time
	Windows time.Duration // time until the last needed window opens
	Bucket  string        // the slowest bucket
	Needed  int           // windows the slowest bucket needs
}

// lowerBound computes the least wall time any client could take to send
// the given requests per bucket at share × limit per fixed one-minute
// window, starting at start: a bucket needing k windows must wait for the
// (k−1)th window boundary after start, and Okta's windows are aligned to
// the clock's minutes (the first one is partial). Nothing can be faster
// than the same work without rate limits either, so unlimited (the
// measured wall time of the same sync with limits off) bounds it too.
func lowerBound(requests map[string]int64, share float64, start time.Time, unlimited time.Duration) (rateBound, error) {
	var b rateBound
	names := make([]string, 0, len(requests))
	for k := range requests {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		limit, ok := oktaLimits[name]
		if !ok {
			return b, fmt.Errorf("no rate limit known for bucket %s", name)
		}
		budget := math.Floor(share * float64(limit))
		if budget < 1 {
			return b, fmt.Errorf("budget share %.2f leaves no requests in bucket %s", share, name)
		}
		k := int(math.Ceil(float64(requests[name]) / budget))
		var wait time.Duration
		if k >= 2 {
			firstEnd := start.Truncate(window).Add(window)
			wait = firstEnd.Sub(start) + time.Duration(k-2)*window
		}
		if k > b.Needed || wait > b.Windows {
			b.Needed, b.Windows, b.Bucket = k, wait, name
		}
	}
	b.Bound = max(b.Windows, unlimited)
	return b, nil
}

// listing is one collection a full sync must read, with its size and the
// largest page the API serves for it.
type listing struct {
	items, maxPage int
}

// minimalPages is the least number of requests that read every listing:
// ⌈n ÷ max page⌉ each, and one request even for an empty listing.
func minimalPages(ls []listing) int {
	total := 0
	for _, l := range ls {
		total += max(1, (l.items+l.maxPage-1)/l.maxPage)
	}
	return total
}
