package pane

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/themes"
	"github.com/dirdeck/dirdeck/tui/table"
)

// List is a pane's table of cached objects (users, groups, apps): a
// Browser and the state of the reads that fill it. Reads run in commands
// and a newer read supersedes an older one, so a pane reloads on every
// new generation without a stale read overwriting a fresh one.
type List struct {
	table.Browser
	reads Reads[listed]
	err   string
}

// NewList returns a list browsing rows of columns (fields for
// "name:value" filters), which names them noun ("groups") and says empty
// when there are none.
func NewList(cols []table.Column, fields map[string]int, noun, empty string, th themes.Theme) List {
	t := table.New(cols, fields, th)
	t.SetEmptyMessage(empty)
	return List{Browser: table.NewBrowser(t, noun)}
}

// listed is what one of a List's reads found.
type listed struct {
	rows *table.Rows
	// rest, when set, reads all the rows: these are only the first
	// total ones.
	rest  func() (*table.Rows, error)
	total int
}

// all returns a read of every row with read.
func all(read func() (*table.Rows, error)) func() (listed, error) {
	return func() (listed, error) {
		rows, err := read()
		return listed{rows: rows}, err
	}
}

// Load starts reading all the rows with read, off the UI goroutine
// (table.NewRows or a table.Builder index them there).
func (l *List) Load(read func() (*table.Rows, error)) tea.Cmd {
	return l.reads.Start(all(read))
}

// LoadFirst is Load for a table too big to wait for: first reads the
// first rows and says how many there are in all, so the first frame shows
// at once (its status line saying the rows are only the first ones) and
// all the rest follows while they show. When first read them all (the
// table is small), all runs in the same command instead.
func (l *List) LoadFirst(first func() (rows *table.Rows, total int, err error), rest func() (*table.Rows, error)) tea.Cmd {
	return l.reads.Start(func() (listed, error) {
		rows, total, err := first()
		if err == nil && rows.Len() >= total {
			return all(rest)()
		}
		return listed{rows: rows, rest: rest, total: total}, err
	})
}

// Loaded takes the rows of the List's latest read into the table; ok is
// false for any other message. complete reports that all the rows are in
// (not only the first ones): a pane reloads its open detail then.
func (l *List) Loaded(msg tea.Msg) (cmd tea.Cmd, complete, ok bool) {
	r, ok := l.reads.Result(msg)
	if !ok {
		return nil, false, false
	}
	if r.Err != nil {
		l.err = r.Err.Error()
		return nil, false, true
	}
	l.err = ""
	cmd = l.Table.SetRows(r.Data.rows)
	if r.Data.rest != nil {
		l.SetPartial(r.Data.total)
		return tea.Batch(cmd, l.reads.Continue(all(r.Data.rest))), false, true
	}
	l.SetPartial(0)
	return cmd, true, true
}

// Rows are the rows the table shows, in the order read.
func (l *List) Rows() *table.Rows { return l.Table.Rows() }

// ErrorView renders why the latest read failed; failed is false when it
// did not, and the pane shows itself.
func (l *List) ErrorView(th themes.Theme) (view string, failed bool) {
	if l.err == "" {
		return "", false
	}
	return th.Error.Render(textsafe.Clean(l.err)), true
}

// Busy reports that a read or a filter pass is outstanding.
func (l *List) Busy() bool { return l.reads.Pending() || l.Table.Pending() }

// Keys are the list's bindings for the footer: the filter, open (enter),
// the pane's own, then the table's.
func (l *List) Keys(open key.Binding, own ...key.Binding) []key.Binding {
	tk := l.Table.KeyMap()
	keys := append([]key.Binding{l.FilterKey(), open}, own...)
	return append(keys, tk.Sort, tk.Reverse, tk.Up, tk.Down, tk.PageDown, tk.Top, tk.Bottom)
}
