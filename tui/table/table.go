// Package table is dirdeck's windowed table: rows are precomputed once per
// cache generation (clean display cells plus a lowercase haystack) and
// stored by column (Rows: keys, cells and searchable text in a few
// contiguous strings, and character masks per row), the view renders only
// the rows on screen, and filtering and sorting run in tea.Cmds off the UI
// goroutine, debounced and tagged with a sequence number so that a slow
// result for an old query never overwrites a newer one. bubbles/table
// renders every row on each frame, which is too slow at a million users.
package table

import (
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/themes"
)

// Debounce is how long the table waits after the last keystroke before it
// filters: typing "alice" costs one filter pass, not five.
const Debounce = 30 * time.Millisecond

// Row is one precomputed table row, as a pane builds it for NewRows.
// Every string must already be clean (textsafe.Clean); Hay and Fields must
// be lowercase.
type Row struct {
	Key      string   // stable identity (an Okta ID) to keep the cursor across reloads
	Cells    []string // display text per column
	SortKeys []string // optional per-column sort keys (zero-padded numbers, RFC 3339 times); "" = cell text
	Hay      string   // what free-text terms fuzzy-match
	Fields   []string // values for field filters, indexed by the schema; multi-valued fields joined with "\n"
}

// Column describes one column. Width is the minimum width in cells; Flex
// shares out the remaining width (0 = fixed).
type Column struct {
	Title  string
	Width  int
	Flex   int
	Right  bool // right-align (counts)
	Status bool // style cells with the theme's status colours
}

// KeyMap holds the table's bindings, exported so panes can show them in
// help. Sort opens the Browser's column menu.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Sort, Reverse key.Binding
}

// DefaultKeyMap returns the standard bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f", "space"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "top")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "bottom")),
		Sort:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sort by column")),
		Reverse:  key.NewBinding(key.WithKeys("O"), key.WithHelp("O", "reverse sort")),
	}
}

var nextID atomic.Int64

// Model is a windowed table. The zero value is not usable; call New.
type Model struct {
	id     int64
	cols   []Column
	fields map[string]int
	keys   KeyMap
	theme  themes.Theme
	styles cellStyles // the theme's cell styles, filled as cells need them

	rows *Rows
	// keep, when not nil, is the rows shown: ascending indices into rows
	// (see SetRowsWithin). The others are in no order and no view.
	keep     []int32
	sorted   []int32 // base order for (rows, keep, sortCol, desc); nil until computed
	view     view    // rows shown, in order
	gen      uint64  // bumps with SetRows so stale sorts are dropped
	sortCol  int
	desc     bool
	query    string
	recent   []*resultMsg // the last passes, newest first: exact hits (backspace) and narrowing candidates
	seq      uint64       // bumps with every request; results with another seq are stale
	pending  bool
	want     target // keep the cursor on this row when the next result lands
	cursor   int
	offset   int
	width    int
	height   int
	loaded   bool
	emptyMsg string
	// cellFunc, when set, computes column cellCol's cells at render time.
	cellFunc func(key string) string
	cellCol  int
}

// New returns a table with the given columns. fields maps field-filter
// names and aliases to Row.Fields indices (nil: no field filters).
func New(cols []Column, fields map[string]int, theme themes.Theme) Model {
	return Model{
		id:       nextID.Add(1),
		cols:     cols,
		fields:   fields,
		keys:     DefaultKeyMap(),
		theme:    theme,
		styles:   cellStyles{},
		sortCol:  -1,
		want:     target{row: -1},
		emptyMsg: "no rows",
	}
}

// KeyMap returns the bindings for help.
func (m Model) KeyMap() KeyMap { return m.keys }

// FieldNames returns the names "name:value" filters accept, sorted (for
// help).
func (m Model) FieldNames() []string {
	names := make([]string, 0, len(m.fields))
	for name := range m.fields {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// SetTheme restyles the table.
func (m *Model) SetTheme(t themes.Theme) { m.theme, m.styles = t, cellStyles{} }

// SetCellFunc makes column col show f(row key) instead of the rows'
// cell: a mark that changes without a reload (a member staged for
// removal). Sorting by col still uses the rows' own cells or sort keys.
// nil restores the rows' cells.
func (m *Model) SetCellFunc(col int, f func(key string) string) {
	m.cellCol, m.cellFunc = col, f
}

// SetEmptyMessage sets what an empty table says.
func (m *Model) SetEmptyMessage(s string) { m.emptyMsg = s }

// SetSize sets the table's outer size in cells, header line included.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, max(h, 2)
	m.clamp()
}

// debounceMsg fires Debounce after a query change.
type debounceMsg struct {
	id  int64
	seq uint64
}

// resultMsg carries a finished filter/sort pass.
type resultMsg struct {
	id      int64
	seq     uint64
	gen     uint64
	sortCol int
	desc    bool
	sorted  []int32
	view    view
	cursor  int // -1: keep the current position
	q       Query
}

// SetRows installs a new generation of rows (see NewRows). The query,
// sort and the selected row (by Key) are kept; the recomputation runs in
// the returned command.
func (m *Model) SetRows(rows *Rows) tea.Cmd { return m.SetRowsWithin(rows, nil) }

// SetRowsWithin is SetRows showing only the rows keep lists (ascending
// indices into rows; nil: every row): a table over part of a large
// generation that another table shows whole, without copying it (the
// Groups member picker over the users table, members left out).
func (m *Model) SetRowsWithin(rows *Rows, keep []int32) tea.Cmd {
	m.want = m.selected()
	m.rows, m.keep = rows, keep
	m.sorted = nil
	m.recent = nil // passes over the old rows
	m.gen++
	m.loaded = true
	return m.recompute()
}

// SetQuery changes the filter text; filtering starts after Debounce and
// the first (best) match is selected.
func (m *Model) SetQuery(q string) tea.Cmd {
	if q == m.query {
		return nil
	}
	m.query = q
	m.seq++
	m.pending = true
	m.toTop()
	id, seq := m.id, m.seq
	return tea.Tick(Debounce, func(time.Time) tea.Msg { return debounceMsg{id: id, seq: seq} })
}

// ApplyQueryNow changes the filter text and filters without debouncing
// (for tests, benchmarks and restoring state).
func (m *Model) ApplyQueryNow(q string) tea.Cmd {
	m.query = q
	m.toTop()
	return m.recompute()
}

// toTop selects the first row: after a filter change the best match is
// what the user is after. Clearing the filter keeps the selected row
// instead (find someone, then see them among everyone), as do reloads
// and re-sorts.
func (m *Model) toTop() {
	if m.query == "" {
		m.want = m.selected()
		return
	}
	m.want = target{row: -1}
	m.cursor, m.offset = 0, 0
}

// SetSort sorts by column col (ascending unless desc). col < 0 restores
// the natural order.
func (m *Model) SetSort(col int, desc bool) tea.Cmd {
	if col >= len(m.cols) {
		col = -1
	}
	m.sortCol, m.desc = col, desc
	m.sorted = nil
	m.want = m.selected()
	return m.recompute()
}

// Sort returns the sort column (-1 natural) and direction.
func (m Model) Sort() (col int, desc bool) { return m.sortCol, m.desc }

// Query returns the current filter text.
func (m Model) Query() string { return m.query }

// recompute starts a filter (and, if needed, sort) pass on a snapshot.
func (m *Model) recompute() tea.Cmd {
	m.seq++
	m.pending = true
	id, seq, gen := m.id, m.seq, m.gen
	rows, keep, sorted, col, desc := m.rows, m.keep, m.sorted, m.sortCol, m.desc
	q := ParseQuery(m.query, m.fields)
	want := m.want
	// Reuse an earlier pass of this generation and sort: the same query
	// (the user deleted a character) is answered as is; a query that only
	// narrows one is evaluated on its (smallest) result.
	var narrowed, exact *view
	for _, r := range m.recent {
		if r.gen != gen || r.sortCol != col || r.desc != desc {
			continue
		}
		if r.q.Equal(q) {
			exact = &r.view
			break
		}
		if !r.q.Empty() && q.Narrows(r.q) && (narrowed == nil || r.view.Len() < narrowed.Len()) {
			narrowed = &r.view
		}
	}
	return func() tea.Msg {
		if sorted == nil && keep != nil {
			sorted = keptOrder(rows, keep, col, desc)
		}
		var candidates bitset
		switch {
		case exact != nil:
		case narrowed != nil:
			candidates = narrowed.members(rows.Len())
		case keep != nil:
			// A pass counts and places only candidates: rows left out
			// must not be among them.
			candidates = bitsetOf(rows.Len(), keep)
		}
		return compute(id, seq, gen, rows, sorted, col, desc, q, want, candidates, exact)
	}
}

// maxRecent bounds the passes kept for reuse (each holds up to one int32
// per row, or for a ranked view about half a bit).
const maxRecent = 8

func compute(id int64, seq, gen uint64, rows *Rows, sorted []int32, col int, desc bool, q Query, want target, candidates bitset, exact *view) resultMsg {
	if sorted == nil && col >= 0 {
		sorted = SortOrder(rows, col, desc)
	}
	var shown view
	if exact != nil {
		shown = *exact
	} else {
		shown = filterWithin(rows, sorted, q, candidates)
	}
	cursor := -1
	switch {
	case want.gen == gen && want.row >= 0:
		// Same rows: compare indices, not a million keys.
		cursor = shown.Index(want.row)
	case want.key != "":
		shown.each(func(i int, ri int32) bool {
			if rows.keys.At(int(ri)) == want.key {
				cursor = i
				return false
			}
			return true
		})
	}
	return resultMsg{id: id, seq: seq, gen: gen, sortCol: col, desc: desc, sorted: sorted, view: shown, cursor: cursor, q: q}
}

// keptOrder is the base order of the rows in keep (see SetRowsWithin):
// keep itself in the natural order, else the sort order without the
// others. A filter pass places only the rows of its base order, so the
// others never show.
func keptOrder(rows *Rows, keep []int32, col int, desc bool) []int32 {
	if col < 0 {
		return keep
	}
	in := make([]uint64, (rows.Len()+63)/64)
	for _, i := range keep {
		in[i/64] |= 1 << (i % 64)
	}
	return slices.DeleteFunc(SortOrder(rows, col, desc), func(i int32) bool { return in[i/64]>>(i%64)&1 == 0 })
}

// Pending reports whether a filter or sort pass is outstanding.
func (m Model) Pending() bool { return m.pending }

// Update handles navigation keys, the mouse wheel and the table's own
// messages. Keys the table does not use pass through untouched.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case debounceMsg:
		if msg.id == m.id && msg.seq == m.seq {
			return m, m.recompute()
		}
	case resultMsg:
		if msg.id != m.id || msg.seq != m.seq {
			return m, nil // stale: a newer query or generation superseded it
		}
		m.pending = false
		if msg.gen == m.gen && msg.sortCol == m.sortCol && msg.desc == m.desc {
			m.sorted = msg.sorted
		}
		m.view = msg.view
		m.remember(&msg)
		if msg.cursor >= 0 {
			m.cursor = msg.cursor
		}
		m.want = target{row: -1}
		m.clamp()
		m.center()
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			m.move(-3)
		case tea.MouseWheelDown:
			m.move(3)
		}
	case tea.KeyPressMsg:
		page := max(m.height-1, 1)
		switch {
		case key.Matches(msg, m.keys.Up):
			m.move(-1)
		case key.Matches(msg, m.keys.Down):
			m.move(1)
		case key.Matches(msg, m.keys.PageUp):
			m.move(-page)
		case key.Matches(msg, m.keys.PageDown):
			m.move(page)
		case key.Matches(msg, m.keys.Top):
			m.move(-m.view.Len())
		case key.Matches(msg, m.keys.Bottom):
			m.move(m.view.Len())
		case key.Matches(msg, m.keys.Reverse):
			if m.sortCol >= 0 {
				return m, m.SetSort(m.sortCol, !m.desc)
			}
		}
	}
	return m, nil
}

// remember keeps r for reuse, dropping passes of older generations or
// sorts and the oldest beyond maxRecent.
func (m *Model) remember(r *resultMsg) {
	kept := []*resultMsg{r}
	for _, o := range m.recent {
		if len(kept) == maxRecent {
			break
		}
		if o.gen == r.gen && o.sortCol == r.sortCol && o.desc == r.desc && !o.q.Equal(r.q) {
			kept = append(kept, o)
		}
	}
	m.recent = kept
}

func (m *Model) move(d int) {
	m.cursor += d
	m.clamp()
}

// clamp keeps cursor and window inside the rows.
func (m *Model) clamp() {
	n := m.view.Len()
	m.cursor = max(min(m.cursor, n-1), 0)
	body := m.bodyHeight()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+body {
		m.offset = m.cursor - body + 1
	}
	m.offset = max(min(m.offset, n-body), 0)
}

// center scrolls so a cursor that jumped (after a reload) is not glued to
// the window's edge.
func (m *Model) center() {
	body := m.bodyHeight()
	if m.cursor >= m.offset+body || m.cursor < m.offset {
		m.offset = m.cursor - body/2
	}
	m.clamp()
}

func (m Model) bodyHeight() int { return max(m.height-1, 1) }

// target identifies the row to keep the cursor on: by index within the
// generation it was taken from, and by Key across generations.
type target struct {
	key string
	row int32
	gen uint64
}

func (m Model) selected() target {
	if m.cursor >= 0 && m.cursor < m.view.Len() {
		ri := m.view.At(m.cursor)
		return target{key: m.rows.Key(int(ri)), row: ri, gen: m.gen}
	}
	return m.want
}

// Selected returns the row under the cursor.
func (m Model) Selected() (Row, bool) {
	if m.cursor < 0 || m.cursor >= m.view.Len() {
		return Row{}, false
	}
	return m.rows.Row(int(m.view.At(m.cursor))), true
}

// Cursor returns the cursor position within the shown rows.
func (m Model) Cursor() int { return m.cursor }

// Len is the number of rows shown (after filtering).
func (m Model) Len() int { return m.view.Len() }

// Rows returns the generation of rows the table shows (nil before
// SetRows).
func (m Model) Rows() *Rows { return m.rows }

// Total is the number of rows in the generation (of those kept, see
// SetRowsWithin).
func (m Model) Total() int {
	if m.keep != nil {
		return len(m.keep)
	}
	return m.rows.Len()
}

// Loaded reports whether SetRows has been called.
func (m Model) Loaded() bool { return m.loaded }

// widths shares the table width out between the columns.
func (m Model) widths() []int {
	w := make([]int, len(m.cols))
	used, flex := 0, 0
	for i, c := range m.cols {
		w[i] = c.Width
		if i == m.sortCol {
			// Room for the arrow after the whole title.
			w[i] = max(w[i], textsafe.Width(c.Title)+1)
		}
		used += w[i]
		flex += c.Flex
	}
	used += len(m.cols) - 1 // one-cell gaps
	spare := m.width - used
	if spare > 0 && flex > 0 {
		given := 0
		last := -1
		for i, c := range m.cols {
			if c.Flex > 0 {
				add := spare * c.Flex / flex
				w[i] += add
				given += add
				last = i
			}
		}
		w[last] += spare - given
	}
	if spare < 0 {
		// Too narrow: shrink flexible columns first, then drop trailing ones.
		for i := len(w) - 1; i >= 0 && spare < 0; i-- {
			if m.cols[i].Flex > 0 {
				cut := min(-spare, w[i]-4)
				if cut > 0 {
					w[i] -= cut
					spare += cut
				}
			}
		}
		for i := len(w) - 1; i > 0 && spare < 0; i-- {
			spare += w[i] + 1
			w[i] = 0
		}
	}
	return w
}

// View renders the header and the visible rows only: its cost depends on
// the window height, never on the number of rows.
func (m Model) View() string {
	if m.width <= 0 {
		return ""
	}
	w := m.widths()
	var b strings.Builder
	var hdr strings.Builder
	for i, c := range m.cols {
		if w[i] == 0 {
			continue
		}
		if hdr.Len() > 0 {
			hdr.WriteByte(' ')
		}
		title := c.Title
		if i == m.sortCol {
			if m.desc {
				title += "▼"
			} else {
				title += "▲"
			}
		}
		if c.Right {
			hdr.WriteString(textsafe.FitRight(title, w[i]))
		} else {
			hdr.WriteString(textsafe.Fit(title, w[i]))
		}
	}
	b.WriteString(m.theme.TableHeader.Render(textsafe.Fit(hdr.String(), m.width)))
	body := m.bodyHeight()
	if m.view.Len() == 0 {
		b.WriteByte('\n')
		msg := m.emptyMsg
		switch {
		case !m.loaded || (m.pending && m.rows.Len() > 0):
			msg = "loading…"
		case m.rows.Len() > 0:
			msg = "no rows match the filter"
		}
		b.WriteString(m.theme.Muted.Render(textsafe.Fit(msg, m.width)))
		padLines(&b, body-1)
		return b.String()
	}
	end := min(m.offset+body, m.view.Len())
	for pos := m.offset; pos < end; pos++ {
		b.WriteByte('\n')
		m.renderRow(&b, int(m.view.At(pos)), w, pos == m.cursor)
	}
	padLines(&b, body-(end-m.offset))
	return b.String()
}

// padLines fills the rest of the window so whatever sits below the table
// (a status line) stays put while the row count changes.
func padLines(b *strings.Builder, n int) {
	for range n {
		b.WriteByte('\n')
	}
}

func (m Model) renderRow(b *strings.Builder, r int, w []int, selected bool) {
	if selected {
		var line strings.Builder
		m.cells(&line, r, w, func(_ int, s string) string { return s })
		b.WriteString(m.theme.RowSelected.Render(textsafe.Fit(line.String(), m.width)))
		return
	}
	n := m.cells(b, r, w, func(i int, s string) string {
		if m.cols[i].Status {
			status := strings.TrimSpace(s)
			return m.styles.render("status "+status, m.theme.Status(status), s)
		}
		return m.styles.render("row", m.theme.Row, s)
	})
	if pad := m.width - n; pad > 0 {
		b.WriteString(strings.Repeat(" ", pad))
	}
}

// cells writes the fitted cells of row r and returns their total width.
func (m Model) cells(b *strings.Builder, r int, w []int, style func(int, string) string) int {
	n := 0
	first := true
	for i, c := range m.cols {
		if w[i] == 0 {
			continue
		}
		if !first {
			b.WriteByte(' ')
			n++
		}
		first = false
		cell := m.rows.display(r, i)
		if m.cellFunc != nil && i == m.cellCol {
			cell = m.cellFunc(m.rows.Key(r))
		}
		if c.Right {
			cell = textsafe.FitRight(cell, w[i])
		} else {
			cell = textsafe.Fit(cell, w[i])
		}
		b.WriteString(style(i, cell))
		n += w[i]
	}
	return n
}
