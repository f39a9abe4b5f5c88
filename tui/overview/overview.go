// Package overview is the Overview pane: what the cache holds, how the
// last syncs went, which data is partial (and why), and what changed
// recently according to the sync change log.
package overview

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/pane"
)

// RecentWindow is how far back "recent changes" reach.
const RecentWindow = 24 * time.Hour

// maxChangeLines bounds the change list; the CLI's `dirdeck history`
// shows everything.
const maxChangeLines = 50

// Data is what the overview shows, read in one transaction.
type Data struct {
	Generation uint64
	Counts     directory.Counts
	Runs       []directory.SyncRun // newest first
	Recent     []store.RunChanges  // runs in RecentWindow with changes, oldest first
}

// Load reads the overview's data; now anchors RecentWindow.
func Load(s *store.Store, now time.Time) (*Data, error) {
	var d Data
	err := s.View(func(r *store.Reader) error {
		d.Generation = r.Generation()
		d.Counts = r.Counts()
		d.Runs = r.Runs(5)
		d.Recent = r.ChangesSince(now.Add(-RecentWindow))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load overview: %w", err)
	}
	return &d, nil
}

// Model is the Overview pane.
type Model struct {
	ctx    *pane.Context
	sc     pane.Scroller
	data   *Data
	err    error
	reads  pane.Reads[*Data]
	scroll key.Binding
}

// New returns the pane; Load fills it.
func New(ctx *pane.Context) *Model {
	return &Model{ctx: ctx, sc: pane.NewScroller(),
		scroll: key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "scroll"))}
}

// Name implements pane.Pane.
func (m *Model) Name() string { return "overview" }

// Aliases implements pane.Pane.
func (m *Model) Aliases() []string { return []string{"o", "home", "status"} }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Overview" }

// Load implements pane.Pane.
func (m *Model) Load() tea.Cmd {
	s, now := m.ctx.Store, m.ctx.Now()
	return m.reads.Start(func() (*Data, error) { return Load(s, now) })
}

// SetSize implements pane.Pane; it also picks up a theme change.
func (m *Model) SetSize(w, h int) {
	m.sc.SetSize(w, h)
	m.render()
}

// Update implements pane.Pane.
func (m *Model) Update(msg tea.Msg) (pane.Pane, tea.Cmd) {
	if r, ok := m.reads.Result(msg); ok {
		m.data, m.err = r.Data, r.Err
		m.render()
		return m, nil
	}
	switch msg.(type) {
	case tea.KeyPressMsg, tea.MouseMsg:
		var cmd tea.Cmd
		m.sc.VP, cmd = m.sc.VP.Update(msg)
		return m, cmd
	}
	return m, nil
}

// View implements pane.Pane.
func (m *Model) View() string { return m.sc.View(m.ctx.Theme) }

// Crumbs implements pane.Pane.
func (m *Model) Crumbs() []string { return nil }

// Back implements pane.Pane.
func (m *Model) Back() (bool, tea.Cmd) { return false, nil }

// Busy implements pane.Pane.
func (m *Model) Busy() bool { return m.reads.Pending() }

// Capturing implements pane.Pane.
func (m *Model) Capturing() bool { return false }

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding { return []key.Binding{m.scroll} }

func (m *Model) render() {
	m.sc.VP.SetContentLines(Render(m.data, m.err, m.ctx, m.sc.VP.Width()))
}

// Render lays the overview out as lines of at most w cells.
func Render(d *Data, err error, ctx *pane.Context, w int) []string {
	th := ctx.Theme
	now := ctx.Now()
	switch {
	case err != nil:
		return []string{th.Error.Render(textsafe.Truncate(textsafe.Clean(err.Error()), w))}
	case d == nil:
		return []string{th.Muted.Render("loading…")}
	}
	var out []string
	add := func(s string) { out = append(out, textsafe.Truncate(s, w)) }

	add(th.Title.Render("Cache") + th.Muted.Render(fmt.Sprintf("  generation %d", d.Generation)))
	if d.Generation == 0 {
		if ctx.NoSync {
			add("  empty — this cache holds no completed sync")
		} else {
			add("  empty — no sync has completed yet; press s or run `dirdeck sync`")
		}
	} else {
		c := d.Counts
		add(fmt.Sprintf("  %s users   %s groups   %s apps", textsafe.Count(c.Users), textsafe.Count(c.Groups), textsafe.Count(c.Apps)))
		add(th.Muted.Render(fmt.Sprintf("  %s memberships   %s app-user assignments   %s app-group assignments",
			textsafe.Count(c.Memberships), textsafe.Count(c.AppUsers), textsafe.Count(c.AppGroups))))
	}

	out = append(out, "")
	add(th.Title.Render("Last syncs"))
	if len(d.Runs) == 0 {
		add(th.Muted.Render("  none yet"))
	}
	for _, r := range d.Runs {
		line := fmt.Sprintf("  #%-4d %-11s %s %s  %s  %d requests  %d throttled  %d changes",
			r.ID, textsafe.Clean(r.Mode), pane.RunStatus(th, r),
			r.Finished.UTC().Format("2006-01-02 15:04"), textsafe.Fit(pane.Age(now, r.Finished), 8),
			r.Requests, r.ThrottledWaits, pane.RunChanges(r))
		add(line)
		if r.Error != "" {
			add(th.Error.Render("        " + textsafe.Clean(r.Error)))
		}
	}

	out = append(out, "")
	var partial []directory.Partial
	if len(d.Runs) > 0 {
		partial = d.Runs[0].Partial
	}
	add(th.Title.Render("Partial data") + th.Muted.Render("  (last sync)"))
	if len(partial) == 0 {
		add(th.Muted.Render("  none — every resource was read completely"))
	}
	for _, p := range partial {
		code := ""
		if p.ErrorCode != "" {
			code = " " + textsafe.Clean(p.ErrorCode)
		}
		add(th.Warning.Render("  ⚠ "+textsafe.Clean(p.Resource)+code) + "  " + textsafe.Clean(p.Reason))
	}

	out = append(out, "")
	add(th.Title.Render("Changes") + th.Muted.Render(fmt.Sprintf("  (syncs in the last %s)", humanWindow(RecentWindow))))
	if len(d.Recent) == 0 {
		add(th.Muted.Render("  no changes recorded"))
		return out
	}
	totals := map[string]int{}
	for _, rc := range d.Recent {
		for k, n := range rc.Run.Changes {
			totals[k] += n
		}
	}
	add("  " + summary(totals))
	var lines int
	for i := len(d.Recent) - 1; i >= 0 && lines < maxChangeLines; i-- {
		rc := d.Recent[i]
		for _, c := range rc.Changes {
			if lines == maxChangeLines {
				break
			}
			label := c.Label
			if label == "" {
				label = c.ID
			}
			line := fmt.Sprintf("  %-8s %-9s %s", textsafe.Clean(c.Op), textsafe.Clean(c.Kind), textsafe.Clean(label))
			if len(c.Fields) > 0 {
				line += th.Muted.Render(" (" + textsafe.Clean(strings.Join(c.Fields, ", ")) + ")")
			}
			add(line)
			lines++
		}
	}
	return out
}

// summary renders "user.added"→n totals as "3 users added, 1 user updated".
func summary(totals map[string]int) string {
	keys := make([]string, 0, len(totals))
	for k := range totals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		kind, op, _ := strings.Cut(k, ".")
		parts = append(parts, fmt.Sprintf("%d %s %s", totals[k], textsafe.Clean(kind), textsafe.Clean(op)))
	}
	return strings.Join(parts, ", ")
}

func humanWindow(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d h", d/time.Hour)
	}
	return d.String()
}
