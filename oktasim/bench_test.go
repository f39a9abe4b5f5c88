package oktasim

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
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
			var n, total atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				// Each client reads whole bodies into a reused buffer, in
				// large reads as io.ReadAll (the SDK, dirdeck's okta
				// package) does: io.Discard's 8 KB reads cost the shared
				// cores more read syscalls than serving the page.
				var body bytes.Buffer
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
					body.Reset()
					m, err := body.ReadFrom(resp.Body)
					resp.Body.Close()
					if err != nil {
						b.Errorf("read page: %v", err)
						return
					}
					if resp.StatusCode != http.StatusOK {
						b.Errorf("list page: status %d", resp.StatusCode)
						return
					}
					total.Add(m)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(total.Load())/float64(b.N), "B/page")
			b.ReportMetric(float64(total.Load())/1e6/b.Elapsed().Seconds(), "MB/s")
		})
	}
}

// BenchmarkLoopbackCeiling is the bound BenchmarkListPages works against:
// the same four clients fetching pages of the same size over loopback TCP
// from a server that only writes a ready-made buffer (no HTTP, no JSON,
// no lookups). On 2 shared cores the kernel's copies in and out of the
// socket are most of the cost of a 1 MB page.
func BenchmarkLoopbackCeiling(b *testing.B) {
	for _, size := range []int{280_000, 1_000_000} {
		b.Run(strconv.Itoa(size/1000)+"KB", func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			page := bytes.Repeat([]byte("x"), size)
			go func() {
				for {
					conn, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						defer conn.Close()
						var req [1]byte
						for {
							if _, err := io.ReadFull(conn, req[:]); err != nil {
								return
							}
							if _, err := conn.Write(page); err != nil {
								return
							}
						}
					}()
				}
			}()
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				conn, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					b.Error(err)
					return
				}
				defer conn.Close()
				buf := make([]byte, size)
				for pb.Next() {
					if _, err := conn.Write([]byte{'?'}); err != nil {
						b.Error(err)
						return
					}
					if _, err := io.ReadFull(conn, buf); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(b.N)*float64(size)/1e6/b.Elapsed().Seconds(), "MB/s")
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
// after generation (L must stay well under 600 MB RSS; XL must fit), and
// of L once every user, group and app user has been served (L-warm: all
// JSON caches full, the most the sim ever holds).
func BenchmarkScenarioMemory(b *testing.B) {
	for _, tt := range []struct {
		name, scenario string
		warm           bool
	}{{"L", "L", false}, {"L-warm", "L", true}, {"XL", "XL", false}} {
		b.Run(tt.name, func(b *testing.B) {
			var before, after runtime.MemStats
			for b.Loop() {
				runtime.GC()
				runtime.ReadMemStats(&before)
				s, err := New(Options{Scenario: tt.scenario, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				if tt.warm {
					warmCaches(s.org, "http://127.0.0.1:8707")
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				runtime.KeepAlive(s)
			}
			b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/(1<<20), "heapMB")
		})
	}
}

// warmCaches encodes every cached object of o as served at base.
func warmCaches(o *org, base string) {
	var buf []byte
	for _, u := range o.users {
		buf = o.appendUser(buf[:0], u, base)
	}
	for _, g := range o.groups {
		buf = o.appendCachedGroup(buf[:0], g, base, true)
	}
	for _, a := range o.apps {
		for _, au := range a.users {
			buf = o.appendAppUser(buf[:0], au, base)
		}
	}
}
