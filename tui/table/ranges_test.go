package table

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestInRanges: every index is worked on exactly once, whatever the
// number of workers.
func TestInRanges(t *testing.T) {
	for _, n := range []int{0, 1, 5, 64, 1000, 100_003} {
		for _, workers := range []int{1, 2, 3, 8} {
			seen := make([]atomic.Int32, n)
			inRanges(n, workers, func(from, to int) {
				for i := from; i < to; i++ {
					seen[i].Add(1)
				}
			})
			for i := range seen {
				if c := seen[i].Load(); c != 1 {
					t.Fatalf("n %d, %d workers: index %d worked on %d times", n, workers, i, c)
				}
			}
		}
	}
}

// TestInRangesLateWorker: a worker held up in its first range does not
// hold up the rest, which the other worker takes over.
func TestInRangesLateWorker(t *testing.T) {
	const n = 1000
	chunk := n / (2 * rangesPerWorker)
	var rest atomic.Int64 // indices worked on outside the first range
	othersDone := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		inRanges(n, 2, func(from, to int) {
			if from == 0 {
				<-othersDone // held up until every other range is done
				return
			}
			if rest.Add(int64(to-from)) == n-int64(chunk) {
				close(othersDone)
			}
		})
		close(finished)
	}()
	select {
	case <-finished:
	case <-time.After(time.Minute):
		t.Fatal("the ranges after a held-up one waited for it: shares are fixed up front")
	}
}
