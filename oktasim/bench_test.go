package oktasim

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// listPageCase is one collection the list-page benchmarks walk.
type listPageCase struct {
	name    string
	path    string
	cursors []string // spread over the collection, so pages come from everywhere
}

// listPageCases are the collections a full sync of o pages through, at
// their maximum page sizes: all users, all groups, the biggest group's
// members (1 MB pages) and the biggest app's users.
func listPageCases(o *org) []listPageCase {
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
	cursors := func(n, step int, id func(int) string) []string {
		var out []string
		for i := 0; i < n; i += step {
			out = append(out, cursor(id(i)))
		}
		return out
	}
	return []listPageCase{
		{"users-200", "/api/v1/users?limit=200", cursors(len(o.users), 200, func(i int) string { return o.users[i].id })},
		{"groups-200", "/api/v1/groups?limit=200", cursors(len(o.groups), 200, func(i int) string { return o.groups[i].id })},
		{"group-users-1000", "/api/v1/groups/" + big.id + "/users?limit=1000", cursors(len(big.members), 1000, func(i int) string { return big.members[i].id })},
		{"app-users-500", "/api/v1/apps/" + bigApp.id + "/users?limit=500", cursors(len(bigApp.users), 500, func(i int) string { return bigApp.users[i].user.id })},
	}
}

// BenchmarkListPages measures how many full list pages the sim serves per
// second over loopback HTTP with rate limits off, walking the collections
// a full sync pages through. The sim must never be the bottleneck of a
// sync benchmark (target ≥ 3,000 pages/s). Four clients share the
// machine's cores with the server, as dirdeck's sync does in tests.
func BenchmarkListPages(b *testing.B) {
	srv := NewServer(b, Options{Scenario: "L", Seed: 1})
	tok := srv.ReadOnlyToken()
	for _, tt := range listPageCases(srv.Sim.org) {
		b.Run(tt.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var n, total atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			cpu := processCPU()
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
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/page")
		})
	}
}

// BenchmarkServePages is BenchmarkListPages without the network: the
// sim's own CPU per page (routing, auth, paging, encoding, headers), what
// remains once the kernel's socket copies are taken out.
func BenchmarkServePages(b *testing.B) {
	s, err := New(Options{Scenario: "L", Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	tok := s.Token("readonly")
	for _, tt := range listPageCases(s.org) {
		b.Run(tt.name, func(b *testing.B) {
			reqs := make([]*http.Request, len(tt.cursors))
			for i, c := range tt.cursors {
				reqs[i] = httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8707"+tt.path+"&after="+c, nil)
				reqs[i].Header.Set("Authorization", "SSWS "+tok)
			}
			w := &discardResponse{header: http.Header{}}
			serve := func(r *http.Request) {
				clear(w.header)
				w.status, w.n = 0, 0
				s.ServeHTTP(w, r)
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
			// Steady state: every page served once before timing, so the
			// JSON caches are full (the first sync of a fresh sim also
			// pays for generating profiles).
			for _, r := range reqs {
				serve(r)
			}
			var total int64
			i := 0
			var cpu time.Duration
			for b.Loop() {
				if i == 0 {
					cpu = processCPU()
				}
				serve(reqs[i%len(reqs)])
				total += int64(w.n)
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(total)/1e6/b.Elapsed().Seconds(), "MB/s")
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/page")
		})
	}
}

// discardResponse is an http.ResponseWriter that only counts.
type discardResponse struct {
	header http.Header
	status int
	n      int
}

func (w *discardResponse) Header() http.Header { return w.header }

func (w *discardResponse) WriteHeader(status int) { w.status = status }

func (w *discardResponse) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
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
			cpu := processCPU()
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
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/page")
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
