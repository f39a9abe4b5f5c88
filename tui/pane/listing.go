package pane

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/themes"
	"github.com/dirdeck/dirdeck/tui/table"
)

// Listing is what the Apps and Groups panes are made of: a List of cached
// objects whose enter opens a Detail, header lines over a filterable list
// of users whose enter opens that user in the Users pane. Both are read
// off the UI goroutine and reloaded on every new generation, keeping
// cursor, filter and the open detail. A pane embeds a Listing, which
// implements pane.Pane except Name, Aliases, Title and Update (the pane's
// Update calls the Listing's), and says in a ListingSpec what it reads
// and how its detail's header looks. I is what that header shows.
type Listing[I any] struct {
	// List is the pane's table.
	List List
	// Detail is the open detail; nil while the list shows.
	Detail *Detail[I]

	ctx           *Context
	spec          ListingSpec[I]
	open          key.Binding
	detailReads   Reads[detailRead[I]]
	width, height int
}

// ListingSpec says what a Listing reads and shows.
type ListingSpec[I any] struct {
	// Columns, Fields, Noun and Empty make the list (see NewList).
	Columns     []table.Column
	Fields      map[string]int
	Noun, Empty string
	// LoadRows reads the list's rows; it runs in a command.
	LoadRows func(*store.Store) ([]table.Row, error)
	// ListKeys are the pane's own bindings on the list, for the footer.
	ListKeys []key.Binding
	// Above, when set, gives lines shown above the list (the Groups
	// pane's staged new groups); call ResizeList when their number changes.
	Above func() []string

	// DetailColumns, DetailFields, DetailNoun and DetailEmpty make the
	// detail's list of users.
	DetailColumns           []table.Column
	DetailFields            map[string]int
	DetailNoun, DetailEmpty string
	// LoadDetail reads an object's header info and its users' rows; it
	// runs in a command.
	LoadDetail func(s *store.Store, id string) (*I, []table.Row, error)
	// Header renders the lines above the detail's list once its info is
	// in, w cells wide at most.
	Header func(info *I, w int) []string
	// DetailOpened, when set, runs when a detail opens (not when it
	// reloads), so the pane can reset what it keeps per detail.
	DetailOpened func()
	// DetailLoaded, when set, runs when a detail's rows arrived (its
	// table holds them), before the list shows them.
	DetailLoaded func()
}

// Detail is an open detail of a Listing.
type Detail[I any] struct {
	ID, Title string
	// Info is what the header shows; nil until read, or when Err.
	Info *I
	Err  error
	List table.Browser
	head []string
}

// NewListing returns a Listing; Load fills it.
func NewListing[I any](ctx *Context, spec ListingSpec[I]) Listing[I] {
	return Listing[I]{
		List: NewList(spec.Columns, spec.Fields, spec.Noun, spec.Empty, ctx.Theme),
		ctx:  ctx,
		spec: spec,
		open: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
	}
}

// Load implements pane.Pane.
func (l *Listing[I]) Load() tea.Cmd {
	s, read := l.ctx.Store, l.spec.LoadRows
	return l.List.Load(func() (*table.Rows, error) {
		rows, err := read(s)
		return table.NewRows(rows), err
	})
}

// SetSize implements pane.Pane; it also picks up a theme change.
func (l *Listing[I]) SetSize(w, h int) {
	l.width, l.height = w, h
	l.List.SetTheme(l.ctx.Theme)
	l.ResizeList()
	if l.Detail != nil {
		l.Layout()
	}
}

// ResizeList fits the list under the lines above it.
func (l *Listing[I]) ResizeList() {
	l.List.SetSize(l.width, l.height-len(l.above()))
}

func (l *Listing[I]) above() []string {
	if l.spec.Above == nil {
		return nil
	}
	return l.spec.Above()
}

// Update handles the Listing's messages and keys, and passes the rest on
// to the open detail's list or the list.
func (l *Listing[I]) Update(msg tea.Msg) tea.Cmd {
	if cmd, ok := l.Handle(msg); ok {
		return cmd
	}
	return l.Forward(msg)
}

// Handle handles the Listing's own messages (its reads) and enter; ok is
// false for any other message, which Forward then takes.
func (l *Listing[I]) Handle(msg tea.Msg) (cmd tea.Cmd, ok bool) {
	if cmd, complete, ok := l.List.Loaded(msg); ok {
		if complete && l.Detail != nil {
			return tea.Batch(cmd, l.reloadDetail()), true
		}
		return cmd, true
	}
	if r, ok := l.detailReads.Result(msg); ok {
		d := l.Detail
		if d == nil {
			return nil, true
		}
		d.Info, d.Err = r.Data.info, r.Err
		if r.Err != nil {
			l.Layout()
			return nil, true
		}
		cmd := d.List.Table.SetRows(r.Data.rows)
		if l.spec.DetailLoaded != nil {
			l.spec.DetailLoaded()
		}
		l.Layout()
		return cmd, true
	}
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		if d := l.Detail; d != nil && !d.List.Typing() && key.Matches(msg, l.open) {
			if r, ok := d.List.Table.Selected(); ok {
				return Open("users", r.Key), true
			}
			return nil, true
		}
		if l.Detail == nil && !l.List.Typing() && key.Matches(msg, l.open) {
			if r, ok := l.List.Table.Selected(); ok {
				return l.openDetail(r.Key, r.Cells[0]), true
			}
			return nil, true
		}
	}
	return nil, false
}

// Forward passes msg to the open detail's list, and anything but keys
// and the mouse on to the list too (results of its filter passes).
func (l *Listing[I]) Forward(msg tea.Msg) tea.Cmd {
	var detailCmd tea.Cmd
	if l.Detail != nil {
		l.Detail.List, detailCmd = l.Detail.List.Update(msg)
		switch msg.(type) {
		case tea.KeyPressMsg, tea.MouseMsg:
			return detailCmd
		}
	}
	var cmd tea.Cmd
	l.List.Browser, cmd = l.List.Browser.Update(msg)
	return tea.Batch(detailCmd, cmd)
}

// View implements pane.Pane.
func (l *Listing[I]) View() string {
	if v, failed := l.List.ErrorView(l.ctx.Theme); failed {
		return v
	}
	if d := l.Detail; d != nil {
		return strings.Join(d.head, "\n") + "\n" + d.List.View()
	}
	if above := l.above(); len(above) > 0 {
		return strings.Join(above, "\n") + "\n" + l.List.View()
	}
	return l.List.View()
}

// Crumbs implements pane.Pane.
func (l *Listing[I]) Crumbs() []string {
	if l.Detail != nil {
		return []string{l.Detail.Title}
	}
	return nil
}

// Back implements pane.Pane: it first clears the detail's filter, then
// closes the detail, then clears the list's filter.
func (l *Listing[I]) Back() (bool, tea.Cmd) {
	if l.Detail != nil {
		if ok, cmd := l.Detail.List.Back(); ok {
			return true, cmd
		}
		l.Detail = nil
		return true, nil
	}
	return l.List.Back()
}

// Busy implements pane.Pane.
func (l *Listing[I]) Busy() bool {
	if l.List.Busy() {
		return true
	}
	d := l.Detail
	return d != nil && ((d.Info == nil && d.Err == nil) || d.List.Table.Pending())
}

// Capturing implements pane.Pane.
func (l *Listing[I]) Capturing() bool {
	if l.Detail != nil {
		return l.Detail.List.Typing()
	}
	return l.List.Typing()
}

// Keys implements pane.Pane.
func (l *Listing[I]) Keys() []key.Binding {
	if d := l.Detail; d != nil {
		tk := d.List.Table.KeyMap()
		return []key.Binding{d.List.FilterKey(), key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open user")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")), tk.Sort, tk.Up, tk.Down}
	}
	return l.List.Keys(l.open, l.spec.ListKeys...)
}

// FilterFields implements FilterHelper: the open detail's or the list's.
func (l *Listing[I]) FilterFields() []string {
	if d := l.Detail; d != nil {
		return d.List.Table.FieldNames()
	}
	return l.List.Table.FieldNames()
}

// detailRead is what one read of a Listing's detail found.
type detailRead[I any] struct {
	info *I
	rows *table.Rows
}

func (l *Listing[I]) openDetail(id, title string) tea.Cmd {
	t := table.New(l.spec.DetailColumns, l.spec.DetailFields, l.ctx.Theme)
	t.SetEmptyMessage(l.spec.DetailEmpty)
	l.Detail = &Detail[I]{ID: id, Title: title, List: table.NewBrowser(t, l.spec.DetailNoun)}
	if l.spec.DetailOpened != nil {
		l.spec.DetailOpened()
	}
	l.Layout()
	return l.reloadDetail()
}

func (l *Listing[I]) reloadDetail() tea.Cmd {
	s, id, read := l.ctx.Store, l.Detail.ID, l.spec.LoadDetail
	return l.detailReads.Start(func() (detailRead[I], error) {
		info, rows, err := read(s, id)
		return detailRead[I]{info: info, rows: table.NewRows(rows)}, err
	})
}

// Layout renders the open detail's header and gives its list the rest of
// the height; a pane calls it when what its Header shows changed.
func (l *Listing[I]) Layout() {
	d, th := l.Detail, l.ctx.Theme
	d.List.SetTheme(th)
	switch {
	case d.Err != nil:
		d.head = []string{th.Error.Render(textsafe.Clean(d.Err.Error()))}
	case d.Info == nil:
		d.head = []string{th.Muted.Render("loading…")}
	default:
		d.head = l.spec.Header(d.Info, l.width)
	}
	d.List.SetSize(l.width, max(l.height-len(d.head), 3))
}

// Field renders a detail header's "key value": the key muted, the value
// cleaned of control characters.
func Field(th themes.Theme, k, v string) string {
	return th.Muted.Render(k+" ") + textsafe.Clean(v)
}

// Names renders a detail header's line of names (clean already) after a
// title with their count, "Apps via this group (2) Slack, Zoom", or
// "none"; the names are cut to w-reserve cells.
func Names(th themes.Theme, title string, names []string, w, reserve int) string {
	list := "none"
	if len(names) > 0 {
		list = strings.Join(names, ", ")
	}
	return th.Title.Render(fmt.Sprintf("%s (%d) ", title, len(names))) + textsafe.Truncate(list, max(w-reserve, 1))
}
