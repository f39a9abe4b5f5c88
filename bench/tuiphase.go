package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/table"
	"github.com/dirdeck/dirdeck/tui/userindex"
)

// tuiResult is what the TUI phase measured.
type tuiResult struct {
	Users      int             `json:"users"`
	FirstFrame time.Duration   `json:"first_frame"`
	FullLoad   time.Duration   `json:"full_load"`
	Filter     []time.Duration `json:"filter"`
	Nav        []time.Duration `json:"nav"`
	RSSBefore  int64           `json:"rss_before"`
	AnonBefore int64           `json:"anon_before"`
}

// Terminal size of the measured frames.
const tuiWidth, tuiHeight = 160, 50

// tuiQueries are typed one keystroke at a time into the users filter:
// free text that narrows as it grows, and field filters.
var tuiQueries = []string{"alice", "dept:sales", "status:suspended", "smith", "title:engineer", "jo"}

// driver runs a model's commands synchronously, as the Bubble Tea runtime
// would minus its goroutines, so that the timings are dirdeck's work.
type driver struct {
	m     *tui.Model
	queue []tea.Cmd
	steps int
}

// maxSteps guards against a command chain that never ends (a ticking
// spinner or cursor), which would otherwise hang the bench.
const maxSteps = 100_000

// step runs one queued command and feeds its message to the model.
func (d *driver) step() error {
	d.steps++
	if d.steps > maxSteps {
		return fmt.Errorf("tui: more than %d commands without settling", maxSteps)
	}
	c := d.queue[0]
	d.queue = d.queue[1:]
	if c == nil {
		return nil
	}
	switch msg := c().(type) {
	case nil:
	case tea.BatchMsg:
		d.queue = append(d.queue, msg...)
	default:
		_, next := d.m.Update(msg)
		d.queue = append(d.queue, next)
	}
	return nil
}

// settle runs commands until none is left.
func (d *driver) settle() error {
	for len(d.queue) > 0 {
		if err := d.step(); err != nil {
			return err
		}
	}
	d.steps = 0
	return nil
}

// key sends one key press and settles; it returns the time from the key
// to the redrawn frame, less the table's deliberate filter debounce when
// the key started a filter pass (the debounce is a design choice, not
// work; the pane's timer starts inside Update, so what remains is the
// filter pass, applying it and rendering, plus any timer lateness).
func (d *driver) key(k tea.KeyPressMsg) (time.Duration, error) {
	t0 := time.Now()
	_, cmd := d.m.Update(k)
	filtering := d.m.Busy()
	d.queue = append(d.queue, cmd)
	if err := d.settle(); err != nil {
		return 0, err
	}
	_ = d.m.View()
	el := time.Since(t0)
	if filtering {
		el -= table.Debounce
	}
	return el, nil
}

// runTUIPhase opens the cache read-only (as a second dirdeck would),
// measures the cold start to the first frame that shows the first user,
// the time until every pane has loaded, then filter keystrokes and, as
// their baseline, cursor keystrokes in the same model.
func runTUIPhase(req phaseRequest) (phaseResult, error) {
	st, err := store.Open(req.CachePath, store.Options{ReadOnly: true})
	if err != nil {
		return phaseResult{}, fmt.Errorf("open cache: %w", err)
	}
	defer st.Close()
	// The first user the table lists (by name), as the Users pane's
	// first frame reads it.
	var first string
	firstRows, users, err := userindex.FirstRows(st, 1)
	if err != nil {
		return phaseResult{}, fmt.Errorf("read cache: %w", err)
	}
	if len(firstRows) > 0 {
		first = firstRows[0].Cells[0]
	}
	if first == "" {
		return phaseResult{}, fmt.Errorf("the cache has no users to show")
	}
	// A name cell is at least 10 cells wide; compare a prefix that fits.
	if r := []rune(first); len(r) > 8 {
		first = string(r[:8])
	}
	res := &tuiResult{Users: users}
	if res.RSSBefore, err = currentRSS(); err != nil {
		return phaseResult{}, err
	}
	res.AnonBefore, _ = rssParts()

	t0 := time.Now()
	m, err := tui.New(tui.Options{Store: st, Theme: "dark", StartPane: "users", Static: true,
		LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		return phaseResult{}, fmt.Errorf("tui: %w", err)
	}
	m.Update(tea.WindowSizeMsg{Width: tuiWidth, Height: tuiHeight})
	d := &driver{m: m, queue: []tea.Cmd{m.Init()}}
	for res.FirstFrame == 0 {
		if len(d.queue) == 0 {
			return phaseResult{}, fmt.Errorf("tui settled without showing the first user")
		}
		if err := d.step(); err != nil {
			return phaseResult{}, err
		}
		if strings.Contains(ansi.Strip(m.View().Content), first) {
			res.FirstFrame = time.Since(t0)
		}
	}
	if err := d.settle(); err != nil {
		return phaseResult{}, err
	}
	if m.Busy() {
		return phaseResult{}, fmt.Errorf("tui settled but is still busy")
	}
	_ = m.View()
	res.FullLoad = time.Since(t0)
	if err := writeHeapProfile(phaseTUI); err != nil {
		return phaseResult{}, err
	}

	for i := 0; len(res.Filter) < req.Samples; i++ {
		q := tuiQueries[i%len(tuiQueries)]
		if _, err := d.key(pane.KeyPress("/")); err != nil {
			return phaseResult{}, err
		}
		for _, r := range q {
			el, err := d.key(pane.KeyPress(string(r)))
			if err != nil {
				return phaseResult{}, err
			}
			res.Filter = append(res.Filter, el)
		}
		if _, err := d.key(pane.KeyPress("enter")); err != nil {
			return phaseResult{}, err
		}
		for range 3 {
			el, err := d.key(pane.KeyPress("down"))
			if err != nil {
				return phaseResult{}, err
			}
			res.Nav = append(res.Nav, el)
		}
		// esc clears the filter: all rows again, also a filter pass.
		el, err := d.key(pane.KeyPress("esc"))
		if err != nil {
			return phaseResult{}, err
		}
		res.Filter = append(res.Filter, el)
		if m.Busy() {
			return phaseResult{}, fmt.Errorf("tui still busy after a keystroke settled")
		}
	}
	return phaseResult{TUI: res}, nil
}

// runIndexPhase writes the dashboard's index files for the cache's
// current commit, as dirdeck sync does after a sync.
func runIndexPhase(req phaseRequest) (phaseResult, error) {
	st, err := store.Open(req.CachePath, store.Options{ReadOnly: true})
	if err != nil {
		return phaseResult{}, fmt.Errorf("open cache: %w", err)
	}
	defer st.Close()
	t0 := time.Now()
	if err := userindex.WriteIndex(st); err != nil {
		return phaseResult{}, err
	}
	return phaseResult{Start: t0, Wall: time.Since(t0)}, nil
}

// percentile returns the p-th percentile (0–100) of ds by nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}
