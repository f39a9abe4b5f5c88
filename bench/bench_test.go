package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/okta"
)

// TestMain lets the test binary stand in for the bench binary when the
// bench starts a phase in a child process.
func TestMain(m *testing.M) {
	if os.Getenv(envPhase) != "" {
		os.Exit(realMain(context.Background(), nil, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestBenchScaleS runs the whole bench on scenario S, the realistic-limits
// sync included (S fits in one rate-limit window per bucket), and checks
// that every figure has a measured baseline and a ratio.
func TestBenchScaleS(t *testing.T) {
	var out, errb bytes.Buffer
	if code := realMain(t.Context(), []string{"-scale", "s", "-json", "-samples", "12"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("decode %s: %v", out.String(), err)
	}
	want := []string{
		"sync.realistic.wall", "sync.realistic.requests", "sync.realistic.budget",
		"sync.off.wall", "sync.off.requests", "sync.off.cpu_per_1k_items", "sync.off.items_per_s", "sync.peak_rss",
		"sync.incremental.requests", "sync.incremental.wall", "sync.incremental_noisy.requests",
		"cache.size_per_1k_users", "cache.export_users", "cache.digest",
		"tui.first_frame", "tui.ready", "tui.browse_heap", "tui.index_write", "tui.filter_p50", "tui.filter_p95", "tui.browse_rss",
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Name)
		if r.Value <= 0 || r.Baseline <= 0 || r.Unit == "" || r.Target == "" || r.BaselineName == "" {
			t.Errorf("%s: value %v %q, baseline %v (%q), target %q", r.Name, r.Value, r.Unit, r.Baseline, r.BaselineName, r.Target)
		}
		if math.Abs(r.Ratio-r.Value/r.Baseline) > 1e-9*r.Ratio {
			t.Errorf("%s: ratio %v, want %v ÷ %v", r.Name, r.Ratio, r.Value, r.Baseline)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("results\n%v\nwant\n%v", got, want)
	}
	byName := map[string]Result{}
	for _, r := range rep.Results {
		byName[r.Name] = r
	}
	// Facts that hold at any scale: the cache equals the org after the
	// incremental sync, and dirdeck never overspends its budget.
	for _, name := range []string{"cache.digest", "sync.realistic.budget", "sync.realistic.requests"} {
		if !byName[name].OK {
			t.Errorf("%s not ok: %+v", name, byName[name])
		}
	}
	if rep.Machine.Cores < 1 || rep.Machine.GoVersion == "" || rep.Scale != "S" {
		t.Errorf("machine %+v, scale %q", rep.Machine, rep.Scale)
	}

	var table bytes.Buffer
	if err := writeTable(&table, rep); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(table.String(), "\n")
	if !strings.HasPrefix(lines[0], "machine: ") || !strings.Contains(lines[0], fmt.Sprintf("%d cores", rep.Machine.Cores)) || !strings.Contains(lines[0], rep.Machine.GoVersion) {
		t.Errorf("header does not name the machine:\n%s", table.String())
	}
	if strings.Count(table.String(), "RESULT") != 1 || !strings.Contains(table.String(), "no time compression") {
		t.Errorf("want one table and the limits used:\n%s", table.String())
	}
	var md bytes.Buffer
	if err := writeMarkdown(&md, rep, "go run ./bench -scale S"); err != nil {
		t.Fatal(err)
	}
	if strings.Count(md.String(), "\n| ") != len(rep.Results)+1 || !strings.HasPrefix(md.String(), "`go run ./bench -scale S` — ") {
		t.Errorf("markdown:\n%s", md.String())
	}
}

func TestBenchOnlyTUI(t *testing.T) {
	profiles := t.TempDir()
	t.Setenv(envProfile, profiles)
	var out, errb bytes.Buffer
	if code := realMain(t.Context(), []string{"-scale", "S", "-only", "tui", "-json", "-samples", "3"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if !strings.HasPrefix(r.Name, "tui.") {
			t.Errorf("-only tui reported %s", r.Name)
		}
	}
	if len(rep.Results) != 7 {
		t.Errorf("%d results, want 7", len(rep.Results))
	}
	for _, phase := range []string{phaseSync, phaseIndex, phaseTUI} {
		if m, _ := filepath.Glob(filepath.Join(profiles, phase+"-*.pprof")); len(m) != 1 {
			t.Errorf("CPU profiles of phase %s: %v", phase, m)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args  []string
		scale string
		only  string
		err   string
	}{
		{args: nil, scale: "M", only: "cache,sync,tui"},
		{args: []string{"-scale", "xl", "-only", "sync, tui"}, scale: "XL", only: "sync,tui"},
		{args: []string{"-scale", "XXL"}, err: "want S, M, L or XL"},
		{args: []string{"-only", "sync,gpu"}, err: `-only "gpu"`},
		{args: []string{"-only", ","}, err: "selects nothing"},
		{args: []string{"-samples", "0"}, err: "at least 1"},
		{args: []string{"-json", "-markdown"}, err: "choose one"},
		{args: []string{"extra"}, err: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cfg, err := parseFlags(tt.args, &bytes.Buffer{})
			if wantErr(t, err, tt.err) {
				return
			}
			var only []string
			for _, s := range sections {
				if cfg.Only[s] {
					only = append(only, s)
				}
			}
			if cfg.Scale != tt.scale || strings.Join(only, ",") != sortedCSV(tt.only) {
				t.Errorf("scale %q only %v, want %q %q", cfg.Scale, only, tt.scale, tt.only)
			}
		})
	}
}

// wantErr checks err against a table case's expected error: when want is
// set, err must contain it and wantErr reports true (the case is done);
// otherwise err must be nil.
func wantErr(t *testing.T, err error, want string) bool {
	t.Helper()
	if want != "" {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v, want %q", err, want)
		}
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return false
}

// sortedCSV puts a list of sections in the order of sections.
func sortedCSV(s string) string {
	var out []string
	for _, sec := range sections {
		if strings.Contains(s, sec) {
			out = append(out, sec)
		}
	}
	return strings.Join(out, ",")
}

func TestLowerBound(t *testing.T) {
	at := func(sec int) time.Time { return time.Date(2026, 1, 1, 10, 0, sec, 0, time.UTC) }
	tests := []struct {
		name      string
		requests  map[string]int64
		start     time.Time
		unlimited time.Duration
		bound     time.Duration
		bucket    string
		needed    int
		err       string
	}{
		{name: "one window: the unlimited time bounds it", requests: map[string]int64{"/api/v1/users": 300}, start: at(10), unlimited: 2 * time.Second, bound: 2 * time.Second, bucket: "/api/v1/users", needed: 1},
		{name: "two windows from second 50", requests: map[string]int64{"/api/v1/groups/{id}*": 301}, start: at(50), unlimited: time.Second, bound: 10 * time.Second, bucket: "/api/v1/groups/{id}*", needed: 2},
		{name: "apps bucket is the slowest", requests: map[string]int64{"/api/v1/users": 500, "/api/v1/apps": 151}, start: at(0), unlimited: time.Second, bound: 3 * time.Minute, bucket: "/api/v1/apps", needed: 4},
		{name: "unknown bucket", requests: map[string]int64{"/api/v2/x": 1}, err: "no rate limit known"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := lowerBound(tt.requests, 0.5, tt.start, tt.unlimited)
			if wantErr(t, err, tt.err) {
				return
			}
			if b.Bound != tt.bound || b.Bucket != tt.bucket || b.Needed != tt.needed {
				t.Errorf("got %+v, want bound %v bucket %s needed %d", b, tt.bound, tt.bucket, tt.needed)
			}
		})
	}
}

func TestBucketOf(t *testing.T) {
	for ep, want := range map[string]string{
		"GET /api/v1/users":                   "/api/v1/users",
		"GET /api/v1/users/{id}":              "/api/v1/*",
		"GET /api/v1/groups":                  "/api/v1/groups",
		"GET /api/v1/groups/{id}/users":       "/api/v1/groups/{id}*",
		"GET /api/v1/apps":                    "/api/v1/apps",
		"GET /api/v1/apps/{id}/groups":        "/api/v1/apps/{id}*",
		"GET /api/v1/logs":                    "/api/v1/logs",
		"POST /oauth2/v1/token":               "/oauth2/v1/token",
		"GET /api/v1/api-tokens":              "/api/v1/*",
		"PUT /api/v1/groups/{id}/users/{uid}": "/api/v1/groups/{id}*",
		// Where the bench's own copy used to differ from the governor:
		// the bench must count requests in the governor's buckets.
		"GET /api/v1/users/":      okta.BucketUsers,
		"GET /api/v1/logs/export": okta.BucketOtherAPI,
		"GET /oauth2/v1/keys":     okta.BucketOtherOrigin,
		"GET /.well-known/openid": okta.BucketOtherOrigin,
	} {
		if got := bucketOf(ep); got != want {
			t.Errorf("bucketOf(%q) = %q, want %q", ep, got, want)
		}
	}
}

func TestMinimalPages(t *testing.T) {
	tests := []struct {
		ls   []listing
		want int
	}{
		{nil, 0},
		{[]listing{{0, 200}}, 1},
		{[]listing{{200, 200}, {201, 200}}, 3},
		{[]listing{{10_000, 1000}, {1, 500}, {0, 200}}, 12},
	}
	for _, tt := range tests {
		if got := minimalPages(tt.ls); got != tt.want {
			t.Errorf("minimalPages(%v) = %d, want %d", tt.ls, got, tt.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 95: 95 * time.Millisecond, 100: 100 * time.Millisecond, 0: time.Millisecond} {
		if got := percentile(ds, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("empty percentile not 0")
	}
}

func TestResultRatio(t *testing.T) {
	if r := newResult("x", 3, "s", 0, "none"); r.Ratio != 0 || r.atMost(1, "≤ 1×").OK || r.report().OK {
		t.Errorf("a zero baseline must not pass: %+v", r)
	}
	if r := newResult("x", 3, "s", 2, "b").atMost(1.5, "≤ 1.5×"); r.Ratio != 1.5 || !r.OK {
		t.Errorf("%+v", r)
	}
}

func TestWindowCounter(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 0, 59, 0, time.UTC)
	wc := newWindowCounter(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), func() time.Time { return now })
	send := func(method, path string, n int) {
		for range n {
			wc.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, path, nil))
		}
	}
	send("GET", "/api/v1/groups/00g1/users", 200)
	send("GET", "/__sim/stats", 500) // the control plane is not metered
	now = now.Add(time.Second)       // the next window
	send("GET", "/api/v1/groups/00g2/users", 180)
	send("GET", "/api/v1/apps", 40)
	share, where := wc.maxShare()
	if where != "/api/v1/apps" || share != 0.4 {
		t.Errorf("max share %v in %s, want 0.4 in /api/v1/apps", share, where)
	}
	send("GET", "/api/v1/groups/00g3", 120)
	if share, where = wc.maxShare(); where != "/api/v1/groups/{id}*" || share != 0.5 {
		t.Errorf("max share %v in %s, want 0.5 in /api/v1/groups/{id}*", share, where)
	}
}

func TestFormatRatio(t *testing.T) {
	for r, want := range map[float64]string{1.0661: "1.066×", 0.00031: "0.00031×", 0: "0.000×", 143.951: "143.951×"} {
		if got := formatRatio(r); got != want {
			t.Errorf("formatRatio(%v) = %q, want %q", r, got, want)
		}
	}
}

// TestTargetsSetAtAnotherScale: a target set at L that a run at S misses
// reads "n/a (set at L)", not NO; at L the same miss is a NO.
func TestTargetsSetAtAnotherScale(t *testing.T) {
	miss := newResult("tui.first_frame", 236, "ms", 254, "every pane loaded").atMost(0.5, "≤ 200 ms (set at L)").setAt("L")
	hit := newResult("tui.filter_p95", 10, "ms", 8, "cursor key p95").atMost(2, "≤ 16 ms").setAt("L")
	everywhere := newResult("cache.digest", 4, "ms", 1, "sim").atMost(1, "equal")
	for _, tc := range []struct {
		scale string
		want  []string
	}{
		{"S", []string{"n/a (set at L)", "yes", "NO"}},
		{"L", []string{"NO", "yes", "NO"}},
	} {
		var buf bytes.Buffer
		if err := writeTable(&buf, Report{Scale: tc.scale, Results: []Result{miss, hit, everywhere}}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(buf.String(), "\n")[4:7]
		for i, want := range tc.want {
			if !strings.HasSuffix(strings.TrimSpace(lines[i]), want) {
				t.Errorf("scale %s, %s: %q, want it to end in %q", tc.scale, []Result{miss, hit, everywhere}[i].Name, lines[i], want)
			}
		}
		var md bytes.Buffer
		if err := writeMarkdown(&md, Report{Scale: tc.scale, Results: []Result{miss}}, "bench"); err != nil {
			t.Fatal(err)
		}
		if tc.scale == "S" && !strings.Contains(md.String(), "| n/a (set at L) |") {
			t.Errorf("markdown at S:\n%s", md.String())
		}
	}
}

// TestTargetsSetAtSeveralScales: the items/s target holds at M and at L
// (a miss there is a NO, elsewhere n/a), and the sync's peak RSS is judged
// against 400 MiB up to L and 500 MiB at XL.
func TestTargetsSetAtSeveralScales(t *testing.T) {
	slow := newResult("sync.off.items_per_s", 20, "items/s", 10, "naive SDK loop").atLeast(3, "≥ 3× (at M and L)").setAt("M", "L")
	fast := newResult("sync.off.items_per_s", 31, "items/s", 10, "naive SDK loop").atLeast(3, "≥ 3× (at M and L)").setAt("M", "L")
	for scale, want := range map[string]string{"S": "n/a (set at M,L)", "M": "NO", "L": "NO", "XL": "n/a (set at M,L)"} {
		if got := slow.verdict(scale); got != want {
			t.Errorf("2× at %s: %q, want %q", scale, got, want)
		}
		if got := fast.verdict(scale); got != "yes" {
			t.Errorf("3.1× at %s: %q, want yes", scale, got)
		}
	}
	naive := phaseResult{PeakRSS: 50 * mib}
	for _, tc := range []struct {
		scale  string
		peak   int64
		target string
		ok     bool
	}{
		{"L", 399 * mib, "≤ 400 MiB (at L)", true},
		{"L", 401 * mib, "≤ 400 MiB (at L)", false},
		{"XL", 499 * mib, "≤ 500 MiB (at XL)", true},
		{"XL", 501 * mib, "≤ 500 MiB (at XL)", false},
	} {
		r := syncPeakResult(phaseResult{PeakRSS: tc.peak}, naive, tc.scale)
		if r.Target != tc.target || r.OK != tc.ok || r.verdict(tc.scale) != map[bool]string{true: "yes", false: "NO"}[tc.ok] {
			t.Errorf("%s, %d MiB: %+v", tc.scale, tc.peak/mib, r)
		}
	}
}

// TestSampleAnonSeesFileBackedPages: pages of a file mapped and read while
// the sampler runs show as file-backed resident memory, apart from the
// heap (the sync's peak RSS note splits VmHWM into the two).
func TestSampleAnonSeesFileBackedPages(t *testing.T) {
	const size = 32 << 20
	path := filepath.Join(t.TempDir(), "mapped")
	if err := os.WriteFile(path, bytes.Repeat([]byte{1}, size), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(data)
	_, before := rssParts()
	stop := sampleAnon(time.Hour) // samples at start and stop only
	sum := 0
	for i := 0; i < size; i += 4096 {
		sum += int(data[i])
	}
	anon, file := stop()
	if sum != size/4096 || file-before < size/2 || anon <= 0 {
		t.Fatalf("file-backed peak %d MiB (%d before), anonymous %d MiB, after reading %d MiB mapped", file/mib, before/mib, anon/mib, size/mib)
	}
}
