// Package syncer runs dirdeck's syncs in the background while the TUI is
// open — on a schedule and on demand — and reports them to the TUI as
// tui/msgs messages. The UI never waits for a sync: starting one returns
// at once, and progress arrives as messages.
package syncer

import (
	"context"
	gosync "sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
	"github.com/dirdeck/dirdeck/tui/msgs"
)

// Source runs one sync of the org into a store: cmd hands over
// dsync.Source, so the runner never holds an Okta client itself.
type Source interface {
	Run(context.Context, *store.Store, dsync.Options) (directory.SyncRun, error)
	// ServerTime is the org's clock (okta.Client.ServerTime).
	ServerTime() time.Time
}

// Runner runs one sync at a time for one profile.
type Runner struct {
	c        Source
	st       *store.Store
	interval time.Duration
	now      func() time.Time
	// OnSuccess is called after each successful or partial run (e.g. to
	// record that the token was used); it runs on the sync goroutine.
	OnSuccess func(run directory.SyncRun, serverTime time.Time)

	running atomic.Bool
	// lastProgress is when progress was last forwarded (unix nanos):
	// progress comes per page, the screen needs a few updates a second.
	lastProgress atomic.Int64
	mu           gosync.Mutex
	send         func(tea.Msg)
	ctx          context.Context
	wg           gosync.WaitGroup
}

// New makes a runner that syncs c's org into st every interval (0: only
// on demand).
func New(c Source, st *store.Store, interval time.Duration) *Runner {
	return &Runner{c: c, st: st, interval: interval, now: time.Now, ctx: context.Background()}
}

// Attach connects the runner to a running program: send delivers messages
// to it (tea.Program.Send). Syncs end when ctx ends.
func (r *Runner) Attach(ctx context.Context, send func(tea.Msg)) {
	r.mu.Lock()
	r.ctx, r.send = ctx, send
	r.mu.Unlock()
}

func (r *Runner) deliver(msg tea.Msg) {
	r.mu.Lock()
	send := r.send
	r.mu.Unlock()
	if send != nil {
		send(msg)
	}
}

// SyncNow starts a sync unless one is running. It suits tui.Options.SyncNow:
// the returned command reports the new state at once and the sync goes on
// in the background.
func (r *Runner) SyncNow() tea.Cmd {
	if !r.running.CompareAndSwap(false, true) {
		return nil
	}
	r.wg.Add(1)
	go r.run()
	return func() tea.Msg { return msgs.SyncStateMsg{State: msgs.SyncRunning, At: r.now()} }
}

// Start syncs once now and then every interval until ctx ends. It returns
// at once: delivering to a program that has not started yet would block.
func (r *Runner) Start(ctx context.Context) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if cmd := r.SyncNow(); cmd != nil {
			r.deliver(cmd())
		}
		if r.interval <= 0 {
			return
		}
		t := time.NewTicker(r.interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if cmd := r.SyncNow(); cmd != nil {
					r.deliver(cmd())
				}
			}
		}
	}()
}

// Wait blocks until the running sync and the schedule have stopped (after
// the context given to Attach or Start ends).
func (r *Runner) Wait() { r.wg.Wait() }

func (r *Runner) run() {
	defer r.wg.Done()
	defer r.running.Store(false)
	r.mu.Lock()
	ctx := r.ctx
	r.mu.Unlock()
	run, err := r.c.Run(ctx, r.st, dsync.Options{Progress: r.progress})
	if err != nil {
		r.deliver(msgs.SyncStateMsg{State: msgs.SyncFailed, Err: err.Error(), At: r.now()})
		return
	}
	if r.OnSuccess != nil {
		r.OnSuccess(run, r.c.ServerTime())
	}
	var gen uint64
	_ = r.st.View(func(rd *store.Reader) error { gen = rd.Generation(); return nil })
	r.deliver(msgs.SyncStateMsg{State: msgs.SyncIdle, At: r.now()})
	r.deliver(msgs.GenerationCommittedMsg{Generation: gen, RunID: run.ID, At: run.Finished})
}

// progressEvery is the shortest interval between forwarded progress
// snapshots; the final one is always forwarded.
const progressEvery = 100 * time.Millisecond

// progress forwards the sync's per-resource counters, a few times a second.
func (r *Runner) progress(p dsync.Progress) {
	now := r.now().UnixNano()
	if !p.Done && now-r.lastProgress.Load() < int64(progressEvery) {
		return
	}
	r.lastProgress.Store(now)
	for _, rp := range p.Resources {
		r.deliver(msgs.SyncProgressMsg{Resource: rp.Resource, Pages: rp.Pages, Items: rp.Items,
			ThrottledWaits: int(p.ThrottledWaits), Done: rp.Done})
	}
}
