package table

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/themes"
	"github.com/dirdeck/dirdeck/tui/internal/cmdqueue"
)

var fields = map[string]int{"dept": 0, "department": 0, "status": 1, "group": 2}

func row(key, name, login, dept, status string, groups ...string) Row {
	return Row{
		Key:    key,
		Cells:  []string{name, login, dept, status},
		Hay:    strings.ToLower(name + "\n" + login + "\n" + dept),
		Fields: []string{strings.ToLower(dept), strings.ToLower(status), strings.ToLower(strings.Join(groups, "\n"))},
	}
}

func sample() []Row {
	return []Row{
		row("u1", "Alice Smith", "alice@example.com", "Sales", "ACTIVE", "Everyone", "Sales EMEA"),
		row("u2", "Bob Alison", "bob@example.com", "Engineering", "SUSPENDED", "Everyone"),
		row("u3", "Carla Dali", "carla@example.com", "Sales", "SUSPENDED", "Everyone"),
		row("u4", "Dan Brown", "dan@example.com", "Human Resources", "DEPROVISIONED"),
		row("u5", "山田 太郎", "taro@example.jp", "営業", "ACTIVE", "Japan"),
		row("u6", "Xavier Lima", "xl@example.com", "Support", "ACTIVE"),
	}
}

func keys(rows *Rows, idx []int32) []string {
	var out []string
	for _, i := range idx {
		out = append(out, rows.Row(int(i)).Key)
	}
	return out
}

// filterRows is filterWithin over the rows in candidates (nil: all),
// listed.
func filterRows(rs *Rows, order []int32, q Query, candidates []int32) []int32 {
	var cand bitset
	if candidates != nil {
		cand = bitsetOf(rs.Len(), candidates)
	}
	v := filterWithin(rs, order, q, cand)
	return v.rows()
}

func TestFilter(t *testing.T) {
	rows := NewRows(sample())
	tests := []struct {
		q    string
		want []string
	}{
		{"", []string{"u1", "u2", "u3", "u4", "u5", "u6"}},
		{"alice", []string{"u1"}},
		// word starts first (Alice, Alison), then inner substrings (Dali).
		{"ali", []string{"u1", "u2", "u3"}},
		// "asm" only matches as a subsequence of "alice smith".
		{"asm", []string{"u1"}},
		{"ALICE", []string{"u1"}},
		{"dept:sales", []string{"u1", "u3"}},
		{"DEPT:Sales status:SUSPENDED", []string{"u3"}},
		{`department:"human resources"`, []string{"u4"}},
		{"group:emea", []string{"u1"}},
		{"group:everyone status:suspended", []string{"u2", "u3"}},
		// the exact form takes a whole value of a multi-valued field
		{`group:="Sales EMEA"`, []string{"u1"}},
		{"group:=sales", nil},
		{"group:=everyone", []string{"u1", "u2", "u3"}},
		{"DEPT:=SALES", []string{"u1", "u3"}},
		{"dept:=", nil}, // no value: the term "dept:=" that matches nothing
		{"status:ACTIVE 山田", []string{"u5"}},
		{"dept:営業", []string{"u5"}},
		// unknown field names are plain text, so e-mail-ish input works.
		{"mailto:x", nil},
		{"dept:", nil}, // an empty value is a term "dept:" that matches nothing
		{"zzz", nil},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got := keys(rows, Filter(rows, nil, ParseQuery(tt.q, fields)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Filter(%q) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestFilterKeepsSortWithinRank(t *testing.T) {
	rows := NewRows(sample())
	order := SortOrder(rows, 0, true) // by name, descending
	got := keys(rows, Filter(rows, order, ParseQuery("dept:sales", fields)))
	if want := []string{"u3", "u1"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestSortOrder(t *testing.T) {
	plain := sample()
	plain[0].SortKeys = []string{"", "", "", ""}
	rows := NewRows(plain)
	tests := []struct {
		col  int
		desc bool
		want []string
	}{
		{0, false, []string{"u1", "u2", "u3", "u4", "u6", "u5"}},
		{0, true, []string{"u5", "u6", "u4", "u3", "u2", "u1"}},
		// ties (Sales twice, ACTIVE thrice) keep natural order.
		{2, false, []string{"u2", "u4", "u1", "u3", "u6", "u5"}},
		{3, false, []string{"u1", "u5", "u6", "u4", "u2", "u3"}},
	}
	for _, tt := range tests {
		got := keys(rows, SortOrder(rows, tt.col, tt.desc))
		if !slices.Equal(got, tt.want) {
			t.Errorf("SortOrder(col %d, desc %v) = %v, want %v", tt.col, tt.desc, got, tt.want)
		}
	}
	// SortKeys override the cell text (e.g. numbers).
	num := NewRows([]Row{{Key: "a", Cells: []string{"10"}, SortKeys: []string{"010"}}, {Key: "b", Cells: []string{"9"}, SortKeys: []string{"009"}}})
	if got := keys(num, SortOrder(num, 0, false)); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("numeric sort = %v", got)
	}
}

func newTable(t *testing.T, rows []Row, w, h int) Model {
	t.Helper()
	th, _ := themes.ByName(themes.NoColor)
	m := New([]Column{{Title: "NAME", Width: 8, Flex: 2}, {Title: "LOGIN", Width: 8, Flex: 2}, {Title: "DEPT", Width: 6, Flex: 1}, {Title: "STATUS", Width: 13, Status: true}}, fields, th)
	m.SetSize(w, h)
	m = run(t, m, m.SetRows(NewRows(rows)))
	return m
}

// run executes cmd and feeds its message back, as the Bubble Tea runtime would.
func run(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	for cmd != nil {
		msg := cmd()
		m, cmd = m.Update(msg)
	}
	return m
}

func TestStaleResultsDropped(t *testing.T) {
	m := newTable(t, sample(), 60, 10)
	// The user types "a", then "al", then "bob" before any filter finishes.
	c1 := m.SetQuery("a")
	c2 := m.SetQuery("al")
	c3 := m.SetQuery("bob")
	d1, d2, d3 := c1(), c2(), c3()
	m, _ = m.Update(d1) // stale debounce: no filter starts
	m, r := m.Update(d2)
	if r != nil {
		t.Fatal("a superseded debounce started a filter")
	}
	m, f := m.Update(d3)
	if f == nil {
		t.Fatal("the latest debounce did not start a filter")
	}
	// A result computed for an older sequence number arrives late.
	old := compute(m.id, m.seq-1, m.gen, m.rows, nil, -1, false, ParseQuery("a", fields), target{row: -1}, nil, nil)
	m, _ = m.Update(old)
	if !m.Pending() || m.Len() != 6 {
		t.Fatalf("stale result was applied: pending=%v len=%d", m.Pending(), m.Len())
	}
	m, _ = m.Update(f())
	if m.Pending() || m.Len() != 1 {
		t.Fatalf("fresh result not applied: pending=%v len=%d", m.Pending(), m.Len())
	}
	if r, _ := m.Selected(); r.Key != "u2" {
		t.Errorf("selected %q, want u2", r.Key)
	}
	// Another table's messages are ignored.
	other := newTable(t, sample(), 60, 10)
	otherRes := compute(other.id, m.seq, m.gen, m.rows, nil, -1, false, Query{}, target{row: -1}, nil, nil)
	if m2, _ := m.Update(otherRes); m2.Len() != 1 {
		t.Error("a result addressed to another table was applied")
	}
}

func TestReloadKeepsCursorAndFilter(t *testing.T) {
	m := newTable(t, sample(), 60, 10)
	m = run(t, m, m.ApplyQueryNow("status:suspended"))
	m, _ = m.Update(tea.KeyPressMsg{Code: 'j', Text: "j"})
	if r, _ := m.Selected(); r.Key != "u3" {
		t.Fatalf("selected %q, want u3", r.Key)
	}
	// A new generation: a new suspended user sorts before u3.
	rows := append([]Row{row("u0", "Aaron Able", "aaron@example.com", "Sales", "SUSPENDED")}, sample()...)
	m = run(t, m, m.SetRows(NewRows(rows)))
	if m.Query() != "status:suspended" || m.Len() != 3 {
		t.Fatalf("filter lost: query %q, %d rows", m.Query(), m.Len())
	}
	if r, _ := m.Selected(); r.Key != "u3" {
		t.Errorf("cursor moved to %q, want u3", r.Key)
	}
}

func TestViewWindowAndAlignment(t *testing.T) {
	var rows []Row
	for i := range 1000 {
		rows = append(rows, row(fmt.Sprint(i), fmt.Sprintf("User %04d", i), fmt.Sprintf("u%d@example.com", i), "Sales", "ACTIVE"))
	}
	rows[1] = row("cjk", "山田 太郎 山田 太郎 山田", "taro@example.jp", "営業部", "ACTIVE")
	rows[2] = row("hostile", textsafe.Clean("\x1b[2J\x1b]52;c;eA==\x07evil"), "e@example.com", "Sales", "SUSPENDED")
	m := newTable(t, rows, 70, 6)
	out := m.View()
	lines := strings.Split(out, "\n")
	if len(lines) != 6 {
		t.Fatalf("view has %d lines, want 6 (header + 5 rows):\n%s", len(lines), out)
	}
	for i, l := range lines {
		if w := textsafe.Width(ansi.Strip(l)); w != 70 {
			t.Errorf("line %d is %d cells wide, want 70: %q", i, w, ansi.Strip(l))
		}
	}
	plain := ansi.Strip(out)
	if strings.Contains(plain, "\x1b") || !strings.Contains(plain, "␛[2J") {
		t.Errorf("hostile cell not inert:\n%s", plain)
	}
	// Mouse wheel scrolls the window.
	m, _ = m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	m, _ = m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if m.Cursor() != 6 || m.visible()[0].Key == "0" {
		t.Errorf("wheel: cursor %d, first visible %q", m.Cursor(), m.visible()[0].Key)
	}
	m, _ = m.Update(tea.KeyPressMsg{Code: tea.KeyEnd})
	if r, _ := m.Selected(); r.Key != "999" {
		t.Errorf("end selected %q", r.Key)
	}
	// Sorting by name descending: the column, then O.
	m = run(t, m, m.SetSort(0, false))
	m, cmd := m.Update(tea.KeyPressMsg{Code: 'O', Text: "O"})
	m = run(t, m, cmd)
	if col, desc := m.Sort(); col != 0 || !desc {
		t.Errorf("sort = %d %v", col, desc)
	}
	if !strings.Contains(ansi.Strip(m.View()), "NAME▼") {
		t.Error("header lacks the sort marker")
	}
}

func TestNarrowDropsColumns(t *testing.T) {
	m := newTable(t, sample(), 30, 4)
	for i, l := range strings.Split(m.View(), "\n") {
		if w := textsafe.Width(ansi.Strip(l)); w != 30 {
			t.Errorf("line %d is %d wide: %q", i, w, ansi.Strip(l))
		}
	}
}

func TestEmptyStates(t *testing.T) {
	th, _ := themes.ByName(themes.NoColor)
	m := New([]Column{{Title: "NAME", Width: 10}}, nil, th)
	m.SetSize(40, 5)
	if !strings.Contains(m.View(), "loading…") {
		t.Error("unloaded table should say loading")
	}
	m = run(t, m, m.SetRows(NewRows(nil)))
	if !strings.Contains(m.View(), "no rows") {
		t.Error("empty table should say no rows")
	}
	m = newTable(t, sample(), 60, 5)
	m = run(t, m, m.ApplyQueryNow("nothing-matches-this"))
	if !strings.Contains(m.View(), "no rows match the filter") {
		t.Error("filtered-out table should say so")
	}
}

func TestNarrows(t *testing.T) {
	tests := []struct {
		prev, next string
		want       bool
	}{
		{"al", "ali", true},
		{"al", "al ice", true},
		{"ali", "al", false}, // backspace widens
		{"dept:sa", "dept:sales", true},
		{"dept:sales", "dept:sales ali", true},
		{"dept", "dept:", true},       // term "dept" → term "dept:"
		{"dept:", "dept:s", false},    // term → field filter
		{"status:a", "dept:a", false}, // another field
		{"ali bob", "alice", false},   // a term disappeared
		{"", "a", true},
	}
	for _, tt := range tests {
		got := ParseQuery(tt.next, fields).Narrows(ParseQuery(tt.prev, fields))
		if got != tt.want {
			t.Errorf("%q narrows %q = %v, want %v", tt.next, tt.prev, got, tt.want)
		}
	}
}

// TestNarrowingMatchesFullFilter types queries keystroke by keystroke into
// a table big enough for the parallel path and checks every result
// against a from-scratch Filter.
func TestNarrowingMatchesFullFilter(t *testing.T) {
	names := []string{"Alice", "Alison", "Bob", "Carla Dali", "Dan", "山田", "Émilie", "Xavier Lima"}
	depts := []string{"Sales", "Engineering", "Support", "営業"}
	statuses := []string{"ACTIVE", "SUSPENDED", "DEPROVISIONED"}
	var rows []Row
	for i := range 3 * parallelMin / 2 {
		n := names[i%len(names)] + fmt.Sprintf(" %d", i)
		rows = append(rows, row(fmt.Sprint(i), n, fmt.Sprintf("u%d@example.com", i), depts[(i/3)%len(depts)], statuses[(i/7)%len(statuses)], "g"+fmt.Sprint(i%5)))
	}
	m := newTable(t, rows, 80, 10)
	for _, sorted := range []bool{false, true} {
		if sorted {
			m = run(t, m, m.SetSort(0, true))
		}
		for _, typed := range []string{"alice 1", "dept:sales st", "status:sus al", "group:g3 dan 2"} {
			m = run(t, m, m.ApplyQueryNow(""))
			// Type it, then delete it again character by character.
			var steps []string
			for k := 1; k <= len(typed); k++ {
				steps = append(steps, typed[:k])
			}
			for k := len(typed) - 1; k >= 1; k-- {
				steps = append(steps, typed[:k])
			}
			for _, q := range steps {
				m = run(t, m, m.ApplyQueryNow(q))
				var order []int32
				if sorted {
					order = SortOrder(m.rows, 0, true)
				}
				want := naiveFilter(m.rows, order, ParseQuery(q, fields))
				if !slices.Equal(m.view.rows(), want) {
					t.Fatalf("sorted=%v query %q: narrowed result (%d rows) differs from full filter (%d rows)", sorted, q, m.view.Len(), len(want))
				}
			}
		}
	}
}

// naiveFilter is the reference: one sequential pass per rank.
func naiveFilter(rows *Rows, order []int32, q Query) []int32 {
	if order == nil {
		order = make([]int32, rows.Len())
		for i := range order {
			order[i] = int32(i)
		}
	}
	var out []int32
	for rk := range noMatch {
		for _, i := range order {
			if q.match(rows, int(i), q.masks()) == rk {
				out = append(out, i)
			}
		}
	}
	if q.Empty() {
		return order
	}
	return out
}

func TestFilterSelectsTopClearKeepsRow(t *testing.T) {
	m := newTable(t, sample(), 60, 10)
	m, _ = m.Update(tea.KeyPressMsg{Code: tea.KeyEnd}) // u6
	m = run(t, m, m.ApplyQueryNow("status:suspended"))
	if r, _ := m.Selected(); r.Key != "u2" {
		t.Fatalf("after filtering selected %q, want the top match u2", r.Key)
	}
	m, _ = m.Update(tea.KeyPressMsg{Code: tea.KeyDown}) // u3
	m = run(t, m, m.ApplyQueryNow(""))
	if r, _ := m.Selected(); r.Key != "u3" || m.Len() != 6 {
		t.Errorf("after clearing selected %q of %d rows, want u3 of 6", r.Key, m.Len())
	}
}

// visible returns the rows currently in the window.
func (m Model) visible() []Row {
	body := m.bodyHeight()
	end := min(m.offset+body, m.view.Len())
	out := make([]Row, 0, max(end-m.offset, 0))
	for _, ri := range m.view.rows()[m.offset:end] {
		out = append(out, m.rows.Row(int(ri)))
	}
	return out
}

// TestBrowserSaysWhileRowsAreIncomplete: while only the first rows of a
// large directory have loaded, the status line says so, filtered or not.
func TestBrowserSaysWhileRowsAreIncomplete(t *testing.T) {
	b := NewBrowser(newTable(t, sample(), 100, 10), "users")
	b.SetSize(100, 11)
	status := func() string {
		lines := strings.Split(ansi.Strip(b.View()), "\n")
		return strings.TrimSpace(lines[len(lines)-1])
	}
	tests := []struct {
		partialOf int
		query     string
		want      string
	}{
		{1_200_000, "", "6 of 1,200,000 users loaded…"},
		{1_200_000, "status:suspended", "2 of 6 loaded of 1,200,000 users…"},
		{0, "status:suspended", "2 of 6 users"},
		{0, "", "6 users"},
	}
	for _, tt := range tests {
		b.SetPartial(tt.partialOf)
		b.Table = run(t, b.Table, b.Table.ApplyQueryNow(tt.query))
		if got := status(); !strings.HasSuffix(got, tt.want) {
			t.Errorf("partial %d, query %q: status %q, want it to end with %q", tt.partialOf, tt.query, got, tt.want)
		}
	}
}

// TestCellFunc: a computed column shows what its function says for each
// row's key, and goes back to the rows' cells when cleared.
func TestCellFunc(t *testing.T) {
	m := newTable(t, sample(), 60, 10)
	m.SetCellFunc(0, func(key string) string { return "mark-" + key })
	if view := ansi.Strip(m.View()); !strings.Contains(view, "mark-u1") || strings.Contains(view, "Alice Smith") {
		t.Errorf("with the cell function:\n%s", view)
	}
	m.SetCellFunc(0, nil)
	if view := ansi.Strip(m.View()); strings.Contains(view, "mark-") || !strings.Contains(view, "Alice Smith") {
		t.Errorf("after clearing it:\n%s", view)
	}
}

// browserStatus is the status line of b.
func browserStatus(b Browser) string {
	lines := strings.Split(ansi.Strip(b.View()), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// press sends the keys to b and feeds back the table's own messages
// (debounce, results) of what they start, as the runtime would.
func press(t *testing.T, b Browser, keys ...string) Browser {
	t.Helper()
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "esc":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		default:
			msg = tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
		}
		var cmd tea.Cmd
		b, cmd = b.Update(msg)
		cmdqueue.Run(cmd, func(m tea.Msg) tea.Cmd {
			switch m.(type) {
			case debounceMsg, resultMsg:
				var next tea.Cmd
				b, next = b.Update(m)
				return next
			}
			return nil
		}, nil)
	}
	return b
}

// TestSortMenu: o opens a menu on the status line; a column's number
// sorts by it, the same number again reverses, 0 restores the natural
// order; the sorted column's title keeps its arrow whole.
func TestSortMenu(t *testing.T) {
	b := NewBrowser(newTable(t, sample(), 100, 10), "users")
	b.SetSize(100, 11)
	b = press(t, b, "o")
	if !b.Typing() || !strings.Contains(browserStatus(b), "sort by  1 NAME  2 LOGIN  3 DEPT  4 STATUS  0 none") {
		t.Fatalf("o: typing %v, status %q", b.Typing(), browserStatus(b))
	}
	b = press(t, b, "3")
	if col, desc := b.Table.Sort(); col != 2 || desc || b.Typing() {
		t.Fatalf("3: sort %d %v, menu open %v", col, desc, b.Typing())
	}
	b = press(t, b, "o", "3")
	if col, desc := b.Table.Sort(); col != 2 || !desc {
		t.Fatalf("3 again: sort %d %v", col, desc)
	}
	if hdr := strings.Split(ansi.Strip(b.View()), "\n")[0]; !strings.Contains(hdr, "DEPT▼") {
		t.Errorf("header %q", hdr)
	}
	b = press(t, b, "o", "0")
	if col, _ := b.Table.Sort(); col != -1 {
		t.Fatalf("0: sort %d", col)
	}
	b = press(t, b, "o", "esc")
	if b.Typing() {
		t.Fatal("esc left the menu open")
	}
	// A title as wide as its column keeps every letter next to the arrow.
	th, _ := themes.ByName(themes.NoColor)
	narrow := New([]Column{{Title: "STATUS", Width: 6}, {Title: "NAME", Width: 10}}, nil, th)
	narrow.SetSize(40, 5)
	narrow = run(t, narrow, narrow.SetRows(NewRows([]Row{{Key: "a", Cells: []string{"ACTIVE", "Ann"}}})))
	narrow = run(t, narrow, narrow.SetSort(0, false))
	if hdr := strings.Split(ansi.Strip(narrow.View()), "\n")[0]; !strings.Contains(hdr, "STATUS▲") {
		t.Errorf("header %q cuts the sorted title", hdr)
	}
}

// TestBrowserPositionAndFieldHelp: the status line says where the cursor
// is; ? in the prompt lists the fields; an unknown field name says so.
func TestBrowserPositionAndFieldHelp(t *testing.T) {
	b := NewBrowser(newTable(t, sample(), 120, 10), "users")
	b.SetSize(120, 11)
	b = press(t, b, "j", "j")
	if got := browserStatus(b); !strings.HasSuffix(got, "3/6 · 6 users") {
		t.Errorf("position: %q", got)
	}
	b = press(t, b, "/", "?")
	if got := browserStatus(b); !strings.Contains(got, "fields: department dept group status") || !strings.Contains(got, "name:=value") {
		t.Errorf("? in the prompt: %q", got)
	}
	if b.Table.Query() != "" {
		t.Errorf("? was typed into the filter: %q", b.Table.Query())
	}
	for _, r := range "grp:x" {
		b = press(t, b, string(r))
	}
	if got := browserStatus(b); !strings.Contains(got, "unknown field grp (fields: department dept group status)") {
		t.Errorf("unknown field: %q", got)
	}
	b = press(t, b, "enter")
	if got := browserStatus(b); !strings.Contains(got, "unknown field grp") {
		t.Errorf("unknown field after enter: %q", got)
	}
}

// TestBrowserKeepsTheTypedFilter: at 80 columns a long warning is cut,
// not what is being typed.
func TestBrowserKeepsTheTypedFilter(t *testing.T) {
	b := NewBrowser(newTable(t, sample(), 80, 10), "users")
	b.SetSize(80, 11)
	b = press(t, b, "/")
	for _, r := range "grp:x" {
		b = press(t, b, string(r))
	}
	if got := browserStatus(b); !strings.HasPrefix(got, "/grp:x") || !strings.Contains(got, "unknown field grp") {
		t.Errorf("status %q", got)
	}
}
