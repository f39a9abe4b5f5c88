package tui

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/tui/internal/cmdqueue"
	"github.com/dirdeck/dirdeck/tui/internal/fixture"
	"github.com/dirdeck/dirdeck/tui/pane/panetest"
	"github.com/dirdeck/dirdeck/tui/table"
	"github.com/dirdeck/dirdeck/tui/userrows"
)

// drive runs cmd and every command its messages lead to, synchronously,
// feeding each message to the model: what the Bubble Tea runtime does,
// minus the goroutines, so a benchmark measures our work only.
func drive(m tea.Model, cmd tea.Cmd) { driveUntil(m, cmd, nil) }

// driveUntil is drive that stops as soon as stop reports true, leaving
// the remaining commands unrun (as a frame would be drawn then).
func driveUntil(m tea.Model, cmd tea.Cmd, stop func() bool) {
	cmdqueue.Run(cmd, func(msg tea.Msg) tea.Cmd {
		_, next := m.Update(msg)
		return next
	}, stop)
}

// keystrokes is someone typing two queries; each step is one keystroke.
var keystrokes = []string{"a", "al", "ali", "alic", "alice", "alice s", "dept:sales", "dept:sales a", "dept:sales an", "status:suspended"}

// benchFilter measures filter keystroke → redrawn frame on the users pane
// of a full root model: the filter pass (as the debounced command runs
// it), applying its result, and rendering the whole screen. The debounce
// delay itself is deliberate and excluded.
func benchFilter(b *testing.B, m *Model) {
	up := usersPane(m)
	tbl := &up.Browser().Table
	var durs []time.Duration
	i := 0
	b.ResetTimer()
	for b.Loop() {
		q := keystrokes[i%len(keystrokes)]
		i++
		t0 := time.Now()
		drive(m, tbl.ApplyQueryNow(q))
		_ = m.View()
		durs = append(durs, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)*95/100].Microseconds())/1000, "p95-ms")
}

func usersModel(b testing.TB, n int) *Model {
	b.Helper()
	s, _ := panetest.Fixture(b, fixture.Options{Users: n, Seed: 1})
	m := sizedModel(b, Options{Store: s, Now: func() time.Time { return fixture.Now }})
	drive(m, m.Init())
	return m
}

// sizedModel returns a root model on the users pane of a 160×50
// terminal, not yet started.
func sizedModel(b testing.TB, o Options) *Model {
	b.Helper()
	o.Theme, o.StartPane, o.Static = "dark", "users", true
	o.LookupEnv = func(string) (string, bool) { return "", false }
	m, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	return m
}

// BenchmarkFilter100k: filter keystroke → redrawn frame at 100k users
// (target p95 ≤ 16 ms).
func BenchmarkFilter100k(b *testing.B) {
	benchFilter(b, usersModel(b, 100_000))
}

// BenchmarkFilter1M is the same at a million users. The rows are built
// straight from generated users (writing a million users to bbolt would
// dominate the run); filtering and rendering are identical.
func BenchmarkFilter1M(b *testing.B) {
	m := usersModel(b, 100)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	org := fixture.Generate(fixture.Options{Users: 1_000_000, Seed: 1})
	rows := make([]table.Row, len(org.Users))
	in := userrows.Interner{}
	for i, u := range org.Users {
		rows[i] = userrows.Build(u, "", in)
	}
	org = nil
	up := usersPane(m)
	drive(m, up.Browser().Table.SetRows(table.NewRows(rows)))
	runtime.GC()
	runtime.ReadMemStats(&after)
	// What a million precomputed rows cost on the heap (cells, haystack,
	// fields and the strings they share with the decoded users).
	benchFilter(b, m) // resets the timer, which drops metrics reported before
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "rows-heap-MB")
}

// benchUsers lets a profiling run shrink a benchmark:
// DIRDECK_BENCH_USERS=20000 go test -bench FirstFrame -cpuprofile ...
func benchUsers(def int) int {
	if n, err := strconv.Atoi(os.Getenv("DIRDECK_BENCH_USERS")); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkFirstFrame: from New to the first full frame of the users
// pane with 100k users cached (scenario L size; target ≤ 200 ms). Every
// pane loads, as at start-up.
func BenchmarkFirstFrame(b *testing.B) {
	s, _ := panetest.Fixture(b, fixture.Options{Users: benchUsers(100_000), Seed: 1})
	b.ResetTimer()
	for b.Loop() {
		m := sizedModel(b, Options{Store: s})
		tbl := &usersPane(m).Browser().Table
		driveUntil(m, m.Init(), func() bool { return tbl.Len() > 0 && !tbl.Pending() })
		if tbl.Len() < 50 {
			b.Fatalf("first frame has %d rows", tbl.Len())
		}
		_ = m.View()
	}
}

// BenchmarkFullLoad: from New until every pane has loaded every row (the
// users table filterable by group) with 100k users cached.
func BenchmarkFullLoad(b *testing.B) {
	n := benchUsers(100_000)
	s, _ := panetest.Fixture(b, fixture.Options{Users: n, Seed: 1})
	b.ResetTimer()
	for b.Loop() {
		m := sizedModel(b, Options{Store: s})
		drive(m, m.Init())
		if m.Busy() || usersPane(m).Browser().Table.Total() != n {
			b.Fatal("not fully loaded")
		}
	}
}

// BenchmarkFrame: rendering the whole screen of the users pane (160×50),
// which every keystroke pays once.
func BenchmarkFrame(b *testing.B) {
	m := usersModel(b, 2000)
	for b.Loop() {
		_ = m.View()
	}
}
