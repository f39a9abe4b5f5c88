package oktasim

import (
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkListPages measures how many full list pages the sim serves per
// second over loopback HTTP with rate limits off, walking the collections
// a full sync pages through. The sim must never be the bottleneck of a
// sync benchmark (target ≥ 3,000 pages/s).
func BenchmarkListPages(b *testing.B) {
	srv := NewServer(b, Options{Scenario: "L", Seed: 1})
	o := srv.Sim.org
	tok := srv.ReadOnlyToken()
	var big *group
	for _, g := range o.groups[1:] {
		if big == nil || len(g.members) > len(big.members) {
			big = g
		}
	}
	var bigApp *app
	for _, a := range o.apps {
		if bigApp == nil || len(a.users) > len(bigApp.users) {
			bigApp = a
		}
	}
	// Cursors spread over each collection, so pages come from everywhere.
	cursors := func(ids []string, step int) []string {
		var out []string
		for i := 0; i < len(ids); i += step {
			out = append(out, ids[i])
		}
		return out
	}
	userIDs := make([]string, len(o.users))
	for i, u := range o.users {
		userIDs[i] = u.id
	}
	groupIDs := make([]string, len(o.groups))
	for i, g := range o.groups {
		groupIDs[i] = g.id
	}
	memberIDs := make([]string, len(big.members))
	for i, u := range big.members {
		memberIDs[i] = u.id
	}
	appUserIDs := make([]string, len(bigApp.users))
	for i, au := range bigApp.users {
		appUserIDs[i] = au.user.id
	}
	for _, tt := range []struct {
		name    string
		path    string
		cursors []string
	}{
		{"users-200", "/api/v1/users?limit=200", cursors(userIDs, 200)},
		{"groups-200", "/api/v1/groups?limit=200", cursors(groupIDs, 200)},
		{"group-users-1000", "/api/v1/groups/" + big.id + "/users?limit=1000", cursors(memberIDs, 1000)},
		{"app-users-500", "/api/v1/apps/" + bigApp.id + "/users?limit=500", cursors(appUserIDs, 500)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var n, bytes atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					c := tt.cursors[int(i)%len(tt.cursors)]
					req, err := http.NewRequest(http.MethodGet, srv.URL+tt.path+"&after="+c, nil)
					if err != nil {
						b.Error(err)
						return
					}
					req.Header.Set("Authorization", "SSWS "+tok)
					resp, err := client.Do(req)
					if err != nil {
						b.Errorf("list page: %v", err)
						return
					}
					m, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("list page: status %d", resp.StatusCode)
						return
					}
					bytes.Add(m)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(bytes.Load())/float64(b.N), "B/page")
		})
	}
}

// BenchmarkGenerate measures building each scenario.
func BenchmarkGenerate(b *testing.B) {
	for _, sc := range []string{"M", "L"} {
		b.Run(sc, func(b *testing.B) {
			for b.Loop() {
				if _, err := New(Options{Scenario: sc, Seed: int64(b.N)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScenarioMemory reports the live heap of the large scenarios
// after generation (L must stay well under 600 MB RSS; XL must fit).
func BenchmarkScenarioMemory(b *testing.B) {
	for _, sc := range []string{"L", "XL"} {
		b.Run(sc, func(b *testing.B) {
			var before, after runtime.MemStats
			for b.Loop() {
				runtime.GC()
				runtime.ReadMemStats(&before)
				s, err := New(Options{Scenario: sc, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				runtime.KeepAlive(s)
			}
			b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/(1<<20), "heapMB")
		})
	}
}
