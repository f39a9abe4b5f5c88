package syncs

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/themes"
)

func TestTimeline(t *testing.T) {
	th, err := themes.ByName(themes.NoColor)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	req := func(sec int, path string, status, remaining int, attempt int, waited int64, code string) directory.Request {
		return directory.Request{Time: t0.Add(time.Duration(sec) * time.Second), Method: "GET", Path: path, Bucket: path,
			Status: status, LatencyMS: 100, Attempt: attempt, WaitedMS: waited, RateLimit: 100, RateRemaining: remaining, ErrorCode: code}
	}
	write := req(30, "/api/v1/groups/{groupId}", 200, 90, 1, 0, "")
	write.Method = "PUT"
	journal := []directory.Request{
		write,
		req(0, "/api/v1/users", 200, 99, 1, 0, ""),
		req(10, "/api/v1/users", 200, 50, 1, 0, ""),
		req(20, "/api/v1/users", 429, 0, 1, 0, "E0000047"),
		req(59, "/api/v1/users", 200, 99, 2, 3000, ""),
		req(1, "/api/v1/apps", 403, 98, 1, 0, "E0000006"),
	}
	lines := timeline(journal, 1, 120, th)
	text := ansi.Strip(strings.Join(lines, "\n"))
	for _, want := range []string{
		"PUT /api/v1/groups/{groupId}", "Timeline  59.1s · 6 requests · 1 retries · 1 waits (3s held back)",
		"/api/v1/users", "4 req    1 retries    1 waits  E0000047×1",
		"/api/v1/apps", "1 req    0 retries    0 waits  E0000006×1",
		"bucket /api/v1/users", "limit 100/min, peak 100% used",
		"bucket /api/v1/apps", "peak 2% used",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("timeline lacks %q:\n%s", want, text)
		}
	}
	// Users is listed first (more requests); its bucket sparkline starts
	// low, tops out at the 429 and has gaps where nothing was answered.
	var usersBucket string
	for _, l := range lines {
		if strings.HasPrefix(ansi.Strip(l), "  bucket /api/v1/users") {
			usersBucket = l
		}
	}
	if !strings.Contains(usersBucket, "█") || !strings.Contains(usersBucket, "▁") || !strings.Contains(usersBucket, "  ") {
		t.Errorf("users bucket sparkline %q", usersBucket)
	}
	if strings.Index(text, "  /api/v1/users") > strings.Index(text, "  /api/v1/apps") {
		t.Error("endpoints are not ordered by request count")
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > 120 {
			t.Errorf("line %d cells wide: %q", w, l)
		}
	}
	if !strings.Contains(text, "slow: 1 of 6 requests waited 3s in all, most on bucket /api/v1/users (peak 100% used)") {
		t.Errorf("no budget diagnosis:\n%s", text)
	}
	if !strings.Contains(text, "raise budget_share") {
		t.Errorf("the budget held a request back, but no advice to raise budget_share:\n%s", text)
	}
	// The same waits without a budget wait were for request slots: raising
	// the share would not help, so the pane does not advise it.
	text = ansi.Strip(strings.Join(timeline(journal, 0, 120, th), "\n"))
	if strings.Contains(text, "raise budget_share") || !strings.Contains(text, "no request waited for the budget share") {
		t.Errorf("waits without a budget wait still advise raising budget_share:\n%s", text)
	}
	journal[4].WaitedMS = 0
	if text := ansi.Strip(strings.Join(timeline(journal, 0, 120, th), "\n")); strings.Contains(text, "slow:") {
		t.Errorf("a run without waits diagnosed as slow:\n%s", text)
	}
	if timeline(nil, 0, 80, th) != nil {
		t.Error("an empty journal has a timeline")
	}
}

func TestSpark(t *testing.T) {
	tests := []struct {
		vs        []float64
		top       float64
		blankZero bool
		want      string
	}{
		{[]float64{0, 1, 2, 4}, 4, true, " ▃▅█"},
		{[]float64{-1, 0, 0.5, 1}, 1, false, " ▁▅█"},
		{[]float64{3, 3}, 0, true, "  "},
	}
	for _, tt := range tests {
		if got := spark(tt.vs, tt.top, tt.blankZero); got != tt.want {
			t.Errorf("spark(%v, %v) = %q, want %q", tt.vs, tt.top, got, tt.want)
		}
	}
}
