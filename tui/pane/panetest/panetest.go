// Package panetest helps the TUI's tests drive a model under teatest:
// wait, without sleeping, until the model reaches a state, send keys by
// name, check a frame's size, and build a fixture cache that closes with
// the test.
package panetest

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/internal/fixture"
	"github.com/dirdeck/dirdeck/tui/pane"
)

// Timeout bounds every wait: a model that never reaches the state fails
// the test instead of hanging it.
const Timeout = 10 * time.Second

// Harness runs a model under teatest. Its predicates look at the model's
// state S (the model itself, or the pane a host model shows), on the
// event loop: the predicate travels as a message and is checked after
// every update.
type Harness[S any] struct {
	T  *testing.T
	TM *teatest.TestModel
	// settled reports that nothing the model awaits is outstanding; why
	// says what still is, for a timeout's message.
	settled func(S) bool
	why     func(S) string
}

// probe wraps the model under test and checks the pending predicate.
type probe[S any] struct {
	tea.Model
	state S
	pred  func(S) bool
	done  chan struct{}
}

type waitMsg[S any] struct {
	pred func(S) bool
	done chan struct{}
}

func (p *probe[S]) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	if w, ok := msg.(waitMsg[S]); ok {
		p.pred, p.done = w.pred, w.done
	} else {
		_, cmd = p.Model.Update(msg)
	}
	if p.pred != nil && p.pred(p.state) {
		close(p.done)
		p.pred, p.done = nil, nil
	}
	return p, cmd
}

// Start runs m in a w×h terminal; state is what predicates look at,
// settled reports that the model awaits nothing, and why (may be nil)
// says what it still awaits.
func Start[S any](t *testing.T, m tea.Model, state S, w, h int, settled func(S) bool, why func(S) string) *Harness[S] {
	t.Helper()
	tm := teatest.NewTestModel(t, &probe[S]{Model: m, state: state}, teatest.WithInitialTermSize(w, h))
	return &Harness[S]{T: t, TM: tm, settled: settled, why: why}
}

// WaitUntil blocks until pred holds for the state.
func (h *Harness[S]) WaitUntil(what string, pred func(S) bool) {
	h.T.Helper()
	done := make(chan struct{})
	h.TM.Send(waitMsg[S]{pred: pred, done: done})
	select {
	case <-done:
	case <-time.After(Timeout):
		h.T.Fatalf("timed out waiting for %s", what)
	}
}

// Settle waits until the model awaits nothing.
func (h *Harness[S]) Settle() {
	h.T.Helper()
	var why atomic.Value
	why.Store("")
	done := make(chan struct{})
	h.TM.Send(waitMsg[S]{pred: func(s S) bool {
		if h.why != nil {
			why.Store(h.why(s))
		}
		return h.settled(s)
	}, done: done})
	select {
	case <-done:
	case <-time.After(Timeout):
		h.T.Fatalf("timed out waiting for the model to settle: %s", why.Load())
	}
}

// Keys sends the keys named (see pane.KeyPress) and waits until the model
// settles.
func (h *Harness[S]) Keys(names ...string) {
	h.T.Helper()
	for _, k := range names {
		h.TM.Send(pane.KeyPress(k))
	}
	h.Settle()
}

// Type types s and waits until the model settles.
func (h *Harness[S]) Type(s string) {
	h.T.Helper()
	h.TM.Type(s)
	h.Settle()
}

// Fixture builds a fixture cache (see fixture.Build) in a temporary
// directory; it closes when the test ends.
func Fixture(t testing.TB, o fixture.Options) (*store.Store, *fixture.Org) {
	t.Helper()
	s, org, err := fixture.Build(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, org
}

// Final quits and returns the state once the program has ended.
func (h *Harness[S]) Final() S {
	h.T.Helper()
	if err := h.TM.Quit(); err != nil {
		h.T.Fatal(err)
	}
	return h.TM.FinalModel(h.T, teatest.WithFinalTimeout(Timeout)).(*probe[S]).state
}

// CheckFrame fails t where a line of the frame view is wider than w
// cells, or where the frame has more than h lines; full also fails it
// on fewer (a frame the root model draws fills the terminal).
func CheckFrame(t testing.TB, view string, w, h int, full bool) {
	t.Helper()
	lines := strings.Split(view, "\n")
	switch {
	case full && len(lines) != h:
		t.Errorf("frame has %d lines, want %d", len(lines), h)
	case len(lines) > h:
		t.Errorf("frame has %d lines, more than %d", len(lines), h)
	}
	for i, l := range lines {
		if cells := ansi.StringWidthWc(l); cells > w {
			t.Errorf("line %d is %d cells wide (> %d): %q", i, cells, w, ansi.Strip(l))
		}
	}
}
