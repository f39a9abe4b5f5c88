// Package syncs is the Sync pane: the running sync's live progress per
// resource, the history of sync runs, and each run's request journal
// (filterable by status) with Okta error codes explained.
package syncs

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/msgs"
	"github.com/dirdeck/dirdeck/tui/pane"
)

// historyLen is how many runs the pane lists.
const historyLen = 50

// Journal filters, cycled with f.
var filters = []struct {
	name  string
	match func(directory.Request) bool
}{
	{"all", func(directory.Request) bool { return true }},
	{"errors", func(r directory.Request) bool { return r.Status == 0 || r.Status >= 400 }},
	{"429", func(r directory.Request) bool { return r.Status == 429 }},
	{"403", func(r directory.Request) bool { return r.Status == 403 }},
	{"5xx", func(r directory.Request) bool { return r.Status >= 500 }},
	{"network", func(r directory.Request) bool { return r.Status == 0 }},
}

// Model is the Sync pane.
type Model struct {
	ctx    *pane.Context
	sc     pane.Scroller
	runs   []directory.SyncRun
	err    error
	reads  pane.Reads[[]directory.SyncRun]
	cursor int

	state    msgs.SyncState
	stateErr string
	progress map[string]msgs.SyncProgressMsg

	journal      []directory.Request // of the open run; nil when the run list shows
	journalRun   directory.SyncRun
	changes      []directory.Change // of the open run
	journalReads pane.Reads[journalRead]
	filter       int

	keys struct{ up, down, open, filter key.Binding }
}

// New returns the pane; Load fills it.
func New(ctx *pane.Context) *Model {
	m := &Model{ctx: ctx, sc: pane.NewScroller(), progress: map[string]msgs.SyncProgressMsg{}}
	m.keys.up = key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up"))
	m.keys.down = key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down"))
	m.keys.open = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "request journal"))
	m.keys.filter = key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "filter by status"))
	return m
}

// Name implements pane.Pane.
func (m *Model) Name() string { return "sync" }

// Aliases implements pane.Pane.
func (m *Model) Aliases() []string { return []string{"syncs", "runs", "journal"} }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Sync" }

// journalRead is a run's journal as read.
type journalRead struct {
	run     directory.SyncRun
	entries []directory.Request
	changes []directory.Change
}

// Load implements pane.Pane.
func (m *Model) Load() tea.Cmd {
	s := m.ctx.Store
	return m.reads.Start(func() ([]directory.SyncRun, error) {
		var runs []directory.SyncRun
		err := s.View(func(r *store.Reader) error { runs = r.Runs(historyLen); return nil })
		return runs, err
	})
}

func (m *Model) openJournal() tea.Cmd {
	if m.cursor >= len(m.runs) {
		return nil
	}
	run, s := m.runs[m.cursor], m.ctx.Store
	return m.journalReads.Start(func() (journalRead, error) {
		var jr journalRead
		err := s.View(func(r *store.Reader) error {
			jr = journalRead{run: run, entries: r.Journal(run.ID), changes: r.Changes(run.ID)}
			return nil
		})
		return jr, err
	})
}

// SetSize implements pane.Pane.
func (m *Model) SetSize(w, h int) {
	m.sc.SetSize(w, h)
	m.render()
}

// Update implements pane.Pane.
func (m *Model) Update(msg tea.Msg) (pane.Pane, tea.Cmd) {
	if r, ok := m.reads.Result(msg); ok {
		m.runs, m.err = r.Data, r.Err
		m.cursor = min(m.cursor, max(len(m.runs)-1, 0))
		m.render()
		return m, nil
	}
	if r, ok := m.journalReads.Result(msg); ok {
		if r.Err != nil {
			m.err = r.Err
		} else {
			m.journal, m.journalRun, m.changes, m.filter = r.Data.entries, r.Data.run, r.Data.changes, 0
			if m.journal == nil {
				m.journal = []directory.Request{}
			}
			m.sc.VP.GotoTop()
		}
		m.render()
		return m, nil
	}
	switch msg := msg.(type) {
	case msgs.SyncStateMsg:
		m.state, m.stateErr = msg.State, msg.Err
		if msg.State == msgs.SyncRunning {
			clear(m.progress)
		}
		m.render()
	case msgs.SyncProgressMsg:
		m.progress[msg.Resource] = msg
		m.render()
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case tea.MouseMsg:
		var cmd tea.Cmd
		m.sc.VP, cmd = m.sc.VP.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	if m.journal != nil {
		if key.Matches(k, m.keys.filter) {
			m.filter = (m.filter + 1) % len(filters)
			m.render()
			return nil
		}
		var cmd tea.Cmd
		m.sc.VP, cmd = m.sc.VP.Update(k)
		return cmd
	}
	switch {
	case key.Matches(k, m.keys.up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(k, m.keys.down):
		m.cursor = min(m.cursor+1, max(len(m.runs)-1, 0))
	case key.Matches(k, m.keys.open):
		return m.openJournal()
	default:
		return nil
	}
	m.render()
	return nil
}

// View implements pane.Pane.
func (m *Model) View() string { return m.sc.View(m.ctx.Theme) }

// Crumbs implements pane.Pane.
func (m *Model) Crumbs() []string {
	if m.journal != nil {
		return []string{fmt.Sprintf("run #%d", m.journalRun.ID), "journal"}
	}
	return nil
}

// Back implements pane.Pane: esc leaves the journal.
func (m *Model) Back() (bool, tea.Cmd) {
	if m.journal == nil {
		return false, nil
	}
	m.journal = nil
	m.render()
	return true, nil
}

// Busy implements pane.Pane.
func (m *Model) Busy() bool { return m.reads.Pending() || m.journalReads.Pending() }

// Capturing implements pane.Pane.
func (m *Model) Capturing() bool { return false }

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	if m.journal != nil {
		return []key.Binding{m.keys.filter}
	}
	return []key.Binding{m.keys.up, m.keys.down, m.keys.open}
}

func (m *Model) render() {
	w := m.sc.VP.Width()
	lines, cursorLine := m.renderJournal(), -1
	if m.journal == nil {
		lines, cursorLine = m.renderRuns(w)
	}
	for i, l := range lines {
		lines[i] = textsafe.Truncate(l, w)
	}
	m.sc.VP.SetContentLines(lines)
	if cursorLine >= 0 {
		keepVisible(&m.sc, cursorLine)
	}
}

// resourceOrder is the order resources are shown in.
var resourceOrder = []string{"users", "groups", "memberships", "apps", "app_users", "app_groups", "logs"}

// renderRuns lays out the live progress and the run list, and says which
// line holds the cursor.
func (m *Model) renderRuns(w int) ([]string, int) {
	th := m.ctx.Theme
	var out []string
	switch m.state {
	case msgs.SyncRunning:
		out = append(out, th.Title.Render("Running sync"))
		waits := 0
		for _, name := range resourceOrder {
			p, ok := m.progress[name]
			if !ok {
				continue
			}
			waits = max(waits, p.ThrottledWaits)
			mark := th.Muted.Render("…")
			if p.Done {
				mark = th.OK.Render("✓")
			}
			out = append(out, fmt.Sprintf("  %s %-12s %8d items  %6d pages", mark, name, p.Items, p.Pages))
		}
		if len(m.progress) == 0 {
			out = append(out, th.Muted.Render("  starting…"))
		}
		if waits > 0 {
			out = append(out, th.Warning.Render(fmt.Sprintf("  %d requests held back to stay within the rate-limit budget", waits)))
		}
	case msgs.SyncFailed:
		out = append(out, th.Error.Render("Last sync failed: ")+textsafe.Clean(m.stateErr))
	default:
		if m.ctx.NoSync {
			out = append(out, th.Muted.Render("No syncing in this session: its runs are shown as recorded."))
		} else {
			out = append(out, th.Muted.Render("No sync running — press s to sync now."))
		}
	}
	out = append(out, "", th.Title.Render("Runs")+th.Muted.Render("  (enter: request journal)"))
	switch {
	case m.err != nil:
		return append(out, th.Error.Render(textsafe.Clean(m.err.Error()))), -1
	case len(m.runs) == 0:
		return append(out, th.Muted.Render("  no sync has run yet")), -1
	}
	cursorLine := 0
	for i, r := range m.runs {
		prefix := "  "
		if i == m.cursor {
			prefix = "▸ "
			cursorLine = len(out)
		}
		line := fmt.Sprintf("%s#%-4d %-11s %s %s %7s  %5d req  %4d waits  %4d retries  %6d changes",
			prefix, r.ID, textsafe.Clean(r.Mode), pane.RunStatus(th, r),
			r.Started.UTC().Format("2006-01-02 15:04"), r.Finished.Sub(r.Started).Round(1e6), r.Requests,
			r.ThrottledWaits, r.Retries, pane.RunChanges(r))
		if i == m.cursor {
			line = th.RowSelected.Render(textsafe.Truncate(line, w))
		}
		out = append(out, line)
		if r.Error != "" {
			out = append(out, th.Error.Render("        "+textsafe.Clean(r.Error)))
		}
		for _, p := range r.Partial {
			out = append(out, th.Warning.Render("        partial: "+textsafe.Clean(p.Resource)+" "+textsafe.Clean(p.ErrorCode))+" "+textsafe.Clean(p.Reason))
		}
	}
	return out, cursorLine
}

// changesShown caps the changes listed above a run's journal; `dirdeck
// history` lists them all.
const changesShown = 200

// renderChanges lists what the open run changed, by name, with each
// updated field's old and new value.
func (m *Model) renderChanges() []string {
	if len(m.changes) == 0 {
		return nil
	}
	th := m.ctx.Theme
	out := []string{"", th.Title.Render(fmt.Sprintf("Changes (%d)", len(m.changes)))}
	for _, c := range m.changes[:min(len(m.changes), changesShown)] {
		out = append(out, fmt.Sprintf("  %-8s %-9s %s", c.Op, c.Kind, textsafe.Clean(c.Subject())))
		for _, d := range c.Details() {
			out = append(out, th.Muted.Render("                     "+textsafe.Clean(d)))
		}
	}
	if more := len(m.changes) - changesShown; more > 0 {
		out = append(out, th.Muted.Render(fmt.Sprintf("  … %d more (dirdeck history lists them all)", more)))
	}
	return out
}

// keepVisible scrolls so that line is on screen.
func keepVisible(sc *pane.Scroller, line int) {
	h := sc.VP.Height()
	switch {
	case line < sc.VP.YOffset():
		sc.VP.SetYOffset(line)
	case line >= sc.VP.YOffset()+h:
		sc.VP.SetYOffset(line - h + 1)
	}
}

// errorKind groups journal errors for the summary.
type errorKind struct {
	code   string
	status int
	method string
	path   string
}

// renderJournal lays out the open run's journal under the current filter,
// with its Okta errors grouped and explained first.
func (m *Model) renderJournal() []string {
	th := m.ctx.Theme
	f := filters[m.filter]
	var shown []directory.Request
	codes := map[errorKind]int{}
	hints := map[errorKind]string{}
	for _, r := range m.journal {
		if f.match(r) {
			shown = append(shown, r)
		}
		if r.ErrorCode != "" {
			k := errorKind{r.ErrorCode, r.Status, r.Method, r.Path}
			codes[k]++
			if hints[k] == "" {
				hints[k] = r.Hint
			}
		}
	}
	run := m.journalRun
	out := []string{
		th.Title.Render(fmt.Sprintf("Run #%d journal", run.ID)) +
			th.Muted.Render(fmt.Sprintf("  %s %s · %d of %d requests · filter: %s (f cycles)", run.Mode, run.Status, len(shown), len(m.journal), f.name)),
	}
	out = append(out, timeline(m.journal, run.ThrottledWaits, m.sc.VP.Width(), th)...)
	if len(codes) > 0 {
		out = append(out, "", th.Title.Render("Errors"))
		kinds := make([]errorKind, 0, len(codes))
		for k := range codes {
			kinds = append(kinds, k)
		}
		slices.SortFunc(kinds, func(a, b errorKind) int {
			if c := strings.Compare(a.code, b.code); c != 0 {
				return c
			}
			if a.status != b.status {
				return a.status - b.status
			}
			if c := strings.Compare(a.path, b.path); c != 0 {
				return c
			}
			return strings.Compare(a.method, b.method)
		})
		for _, k := range kinds {
			// The client wrote the hint with the entry (journals from
			// before that have none, and show none).
			hint := hints[k]
			out = append(out, th.Error.Render(fmt.Sprintf("  %s (HTTP %d) ×%d", textsafe.Clean(k.code), k.status, codes[k]))+
				"  "+textsafe.Clean(k.path)+th.Muted.Render(" — "+textsafe.Clean(hint)))
		}
	}
	out = append(out, m.renderChanges()...)
	out = append(out, "", th.TableHeader.Render(fmt.Sprintf("%-12s %-6s %-44s %6s %6s %3s %6s %6s  %s",
		"TIME", "METHOD", "PATH", "STATUS", "MS", "TRY", "WAITMS", "REMAIN", "ERROR")))
	if len(shown) == 0 {
		out = append(out, th.Muted.Render("  no requests match this filter"))
	}
	for _, r := range shown {
		status := fmt.Sprint(r.Status)
		style := th.Row
		switch {
		case r.Status == 0:
			status, style = "—", th.Error
		case r.Status >= 400:
			style = th.Error
		}
		errText := r.ErrorCode
		if r.Network != "" {
			errText = r.Network
		}
		out = append(out, style.Render(fmt.Sprintf("%-12s %-6s %-44s %6s %6d %3d %6d %6d  %s",
			r.Time.UTC().Format("15:04:05.000"), textsafe.Clean(r.Method), textsafe.Fit(textsafe.Clean(r.Path), 44),
			status, r.LatencyMS, r.Attempt, r.WaitedMS, r.RateRemaining, textsafe.Clean(errText))))
	}
	return out
}
