package sync

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/store"
)

// Modes of a sync run, as recorded in directory.SyncRun.Mode.
const (
	ModeFull        = "full"
	ModeIncremental = "incremental"
)

// Cursor names kept in the cache generation. Their values are org-clock
// times (directory.DigestTimeFormat) at the start of the run that set them.
const (
	cursorSince    = "since"     // lastUpdated filters
	cursorLogs     = "logs"      // System Log polling
	cursorLastFull = "last_full" // when the last full sync started
)

// Defaults for Options.
const (
	DefaultWorkers        = 16
	DefaultOverlap        = 2 * time.Minute
	DefaultReconcileEvery = 7 * 24 * time.Hour
	// logRetention is how far back Okta keeps System Log events; a log
	// cursor older than this cannot be trusted to hold every event.
	logRetention = 89 * 24 * time.Hour
)

// Options tune a sync run; the zero value is a sensible default.
type Options struct {
	// Full forces a full sync even when an incremental one is possible.
	Full bool
	// Workers bounds the per-group and per-app listings in flight; the
	// okta client's governor paces them against the rate budget.
	Workers int
	// Overlap is how far before the stored cursors an incremental sync
	// starts reading again (late System Log events, clock granularity).
	Overlap time.Duration
	// ReconcileEvery forces a full sync when the last one is older, so
	// that anything an incremental sync cannot see is corrected.
	ReconcileEvery time.Duration
	// Progress receives progress snapshots; it is called from several
	// goroutines, one call at a time.
	Progress func(Progress)
	// Now is the local clock for the run's Started/Finished stamps.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Overlap <= 0 {
		o.Overlap = DefaultOverlap
	}
	if o.ReconcileEvery <= 0 {
		o.ReconcileEvery = DefaultReconcileEvery
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Progress is a snapshot of a running sync for progress displays.
type Progress struct {
	Mode      string
	Resources []ResourceProgress
	// Requests and ThrottledWaits are the client's totals for this run.
	Requests       int64
	ThrottledWaits int64
	Done           bool
}

// ResourceProgress counts what has been read of one resource.
type ResourceProgress struct {
	Resource string
	Pages    int
	Items    int
	Done     bool
}

// Run syncs the org behind c into st: incrementally when the cache holds a
// recent full sync with cursors, fully otherwise (or with Options.Full).
// It returns the recorded run. The error is non-nil only when the run
// failed; a run with partial data returns Status "partial" and no error.
func Run(ctx context.Context, c *okta.Client, st *store.Store, opts Options) (directory.SyncRun, error) {
	e := newEngine(c, st, opts)
	mode, reason, cursors, err := e.chooseMode()
	if err != nil {
		return directory.SyncRun{}, err
	}
	e.progress.mode = mode
	run := directory.SyncRun{Mode: mode, Reason: reason, Started: e.opts.Now().UTC()}
	if mode == ModeFull {
		err = e.full(ctx, &run)
	} else {
		err = e.incremental(ctx, &run, cursors)
	}
	e.report(true)
	if err != nil {
		e.fillStats(&run)
		run.Status = directory.RunFailed
		run.Error = err.Error()
		if recorded, rerr := st.RecordFailedRun(run, e.journal.Entries()); rerr == nil {
			run = recorded
		}
		return run, err
	}
	return run, nil
}

// newEngine starts a run against c: the client's requests from now on
// are journaled for the run's record.
func newEngine(c *okta.Client, st *store.Store, opts Options) *engine {
	e := &engine{c: c, st: st, opts: opts.withDefaults(), journal: okta.NewJournal(), statsBefore: c.Stats()}
	c.SetJournal(e.journal)
	return e
}

// engine is the state of one sync run.
type engine struct {
	c           *okta.Client
	st          *store.Store
	opts        Options
	journal     *okta.Journal
	statsBefore okta.Stats

	startOnce gosync.Once
	start     time.Time // org clock at the run's first answer

	mu       gosync.Mutex
	partial  map[string]directory.Partial
	whole    map[string]bool // resources this run read whole
	progress progressState
}

// cursors are the incremental-sync positions read from the cache, and
// the partial-data flags of the run the cache reflects.
type cursors struct {
	since, logs time.Time
	partial     []directory.Partial
}

// chooseMode decides between a full and an incremental run, and says why
// when the run is full.
func (e *engine) chooseMode() (mode, reason string, _ cursors, _ error) {
	if e.opts.Full {
		return ModeFull, "a full sync was asked for", cursors{}, nil
	}
	var cur cursors
	var lastFull time.Time
	var generation uint64
	err := e.st.View(func(r *store.Reader) error {
		generation = r.Generation()
		cur.since = parseCursor(r.Cursor(cursorSince))
		cur.logs = parseCursor(r.Cursor(cursorLogs))
		lastFull = parseCursor(r.Cursor(cursorLastFull))
		if run, ok := r.CommittedRun(); ok {
			cur.partial = run.Partial
		}
		return nil
	})
	if err != nil {
		return "", "", cursors{}, fmt.Errorf("read sync cursors: %w", err)
	}
	if generation == 0 || cur.since.IsZero() || lastFull.IsZero() {
		return ModeFull, "the cache holds no full sync yet", cursors{}, nil
	}
	// The org clock is unknown before the first answer, so ages are
	// judged on the local clock: a coarse check where minutes of skew do
	// not matter against weeks.
	now := e.opts.Now()
	if !cur.logs.IsZero() && now.Sub(cur.logs) >= logRetention {
		// The events between the last sync and the oldest one Okta still
		// keeps are gone: only a full sync can find what they changed.
		return ModeFull, fmt.Sprintf("the last sync was %d days ago and Okta keeps the System Log for 90 days: the events since then may be gone",
			int(now.Sub(cur.logs).Hours()/24)), cursors{}, nil
	}
	if now.Sub(lastFull) > e.opts.ReconcileEvery {
		return ModeFull, fmt.Sprintf("the last full sync is older than %s (a periodic full sync reconciles the cache)", e.opts.ReconcileEvery), cursors{}, nil
	}
	return ModeIncremental, "", cur, nil
}

// runStart is the org clock at the run's first answer, or now on the org
// clock when nothing was read (an empty or fully forbidden org).
func (e *engine) runStart() time.Time {
	e.markStart()
	if e.start.IsZero() {
		return e.c.ServerTime()
	}
	return e.start
}

func parseCursor(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func formatCursor(t time.Time) string { return directory.DigestTime(t) }

// markStart records the org's clock at the run's first answer: cursors
// for the next run are taken from it, never from the local clock.
func (e *engine) markStart() {
	e.startOnce.Do(func() {
		e.start = e.c.ServerTime()
	})
}

// forbid records that resource could not be read completely.
func (e *engine) forbid(resource string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.partial == nil {
		e.partial = map[string]directory.Partial{}
	}
	if _, ok := e.partial[resource]; ok {
		return
	}
	p := directory.Partial{Resource: resource, Reason: err.Error()}
	var ae *okta.APIError
	if errors.As(err, &ae) {
		p.ErrorCode = ae.ErrorCode
	}
	e.partial[resource] = p
}

// readWhole records that this run listed resource completely, so that a
// partial-data flag inherited from an earlier run can be cleared.
func (e *engine) readWhole(resource string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.whole == nil {
		e.whole = map[string]bool{}
	}
	e.whole[resource] = true
}

// inherit keeps the partial-data flags of the run the cache reflects for
// every resource this run did not read whole: an incremental sync reads
// only what changed, so what an earlier run could not read stays missing
// (until a full sync, or this run's complete listing, reads it again).
func (e *engine) inherit(prev []directory.Partial) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range prev {
		if e.whole[p.Resource] {
			continue
		}
		if e.partial == nil {
			e.partial = map[string]directory.Partial{}
		}
		if _, ok := e.partial[p.Resource]; !ok {
			e.partial[p.Resource] = p
		}
	}
}

// partials lists the partial-data flags in a stable order.
func (e *engine) partials() []directory.Partial {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []directory.Partial
	for _, name := range resourceOrder {
		if p, ok := e.partial[name]; ok {
			out = append(out, p)
		}
	}
	return out
}

// resourceOrder is the order resources are reported in.
var resourceOrder = []string{"users", "groups", "memberships", "apps", "app_users", "app_groups", "logs"}

// fillStats completes run's finish time, request counters and outcome.
func (e *engine) fillStats(run *directory.SyncRun) {
	run.Finished = e.opts.Now().UTC()
	now := e.c.Stats()
	run.Requests = int(now.Requests - e.statsBefore.Requests)
	run.Retries = int(now.Retries - e.statsBefore.Retries)
	run.ThrottledWaits = int(now.ThrottledWaits - e.statsBefore.ThrottledWaits)
	run.Partial = e.partials()
	run.Status = directory.RunOK
	if len(run.Partial) > 0 {
		run.Status = directory.RunPartial
	}
}

// Source binds Run to one client, so that a caller that must not import
// okta (the dashboard's background runner) can be handed syncs by cmd.
type Source struct{ *okta.Client }

// Run runs Run against the bound client.
func (s Source) Run(ctx context.Context, st *store.Store, opts Options) (directory.SyncRun, error) {
	return Run(ctx, s.Client, st, opts)
}
