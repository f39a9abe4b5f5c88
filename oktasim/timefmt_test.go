package oktasim

import (
	"math/rand/v2"
	"testing"
	"time"
)

// appendTime does its own calendar arithmetic; it must agree with the
// time package everywhere, not only at the few instants core_test checks.
func TestAppendTimeAgreesWithTimePackage(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	edges := []int64{-1, 1, msPerDay - 1, msPerDay, -msPerDay, -msPerDay - 1,
		time.Date(2000, 2, 29, 23, 59, 59, 999e6, time.UTC).UnixMilli(),
		time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
		time.Date(1600, 2, 29, 12, 0, 0, 0, time.UTC).UnixMilli(),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
		time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli(),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC).UnixMilli(),
	}
	for i := 0; i < 200_000; i++ {
		ms := edges[i%len(edges)]
		if i >= len(edges) {
			// Mostly plausible Okta timestamps, some anywhere in ±10,000 years.
			ms = r.Int64N(4_000_000_000_000)
			if i%10 == 0 {
				ms = r.Int64N(2*316_000_000_000_000) - 316_000_000_000_000
			}
		}
		if ms == 0 {
			continue
		}
		want := `"` + time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") + `"`
		if got := string(appendTime(nil, ms)); got != want {
			t.Fatalf("appendTime(%d) = %s, want %s", ms, got, want)
		}
	}
}
