package pane_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dirdeck/dirdeck/themes"
	"github.com/dirdeck/dirdeck/tui/internal/cmdqueue"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/table"
)

// rowsOf returns a read of rows with the given keys.
func rowsOf(keys ...string) func() (*table.Rows, error) {
	return func() (*table.Rows, error) {
		rows := make([]table.Row, len(keys))
		for i, k := range keys {
			rows[i] = table.Row{Key: k, Cells: []string{k}, Hay: k}
		}
		return table.NewRows(rows), nil
	}
}

// drive runs cmd and every command its messages lead to, synchronously,
// feeding the messages to l; it counts the reads l reported complete.
func drive(l *pane.List, cmd tea.Cmd) (completed int) {
	cmdqueue.Run(cmd, func(msg tea.Msg) tea.Cmd {
		next, complete, ok := l.Loaded(msg)
		if !ok {
			l.Browser, next = l.Browser.Update(msg)
		}
		if complete {
			completed++
		}
		return next
	}, nil)
	return completed
}

func keysOf(l *pane.List) []string {
	var keys []string
	rows := l.Rows()
	for i := range rows.Len() {
		keys = append(keys, rows.Key(i))
	}
	return keys
}

func TestListShowsItsLatestRead(t *testing.T) {
	th, err := themes.ByName(themes.NoColor)
	if err != nil {
		t.Fatal(err)
	}
	failing := func() (*table.Rows, error) { return nil, errors.New("disk on fire") }
	tests := []struct {
		name string
		// run starts reads on l and drives them, and returns how many
		// completed.
		run           func(l *pane.List) int
		want          []string
		wantCompleted int
		wantErr       bool
	}{
		{"one read", func(l *pane.List) int { return drive(l, l.Load(rowsOf("a", "b"))) }, []string{"a", "b"}, 1, false},
		{"a superseded read arriving last is dropped", func(l *pane.List) int {
			old := l.Load(rowsOf("old"))
			return drive(l, l.Load(rowsOf("new"))) + drive(l, old)
		}, []string{"new"}, 1, false},
		{"first rows, then all of them", func(l *pane.List) int {
			first := func() (*table.Rows, int, error) { rows, err := rowsOf("a")(); return rows, 3, err }
			return drive(l, l.LoadFirst(first, rowsOf("a", "b", "c")))
		}, []string{"a", "b", "c"}, 1, false},
		{"small enough to read all at once", func(l *pane.List) int {
			first := func() (*table.Rows, int, error) { rows, err := rowsOf("a", "b")(); return rows, 2, err }
			return drive(l, l.LoadFirst(first, rowsOf("a", "b")))
		}, []string{"a", "b"}, 1, false},
		{"a failed read keeps the rows and says why", func(l *pane.List) int {
			return drive(l, l.Load(rowsOf("a"))) + drive(l, l.Load(failing))
		}, []string{"a"}, 1, true},
		{"a good read after a failed one clears the error", func(l *pane.List) int {
			return drive(l, l.Load(failing)) + drive(l, l.Load(rowsOf("a")))
		}, []string{"a"}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := pane.NewList([]table.Column{{Title: "KEY", Width: 4}}, nil, "things", "no things", th)
			l.SetSize(40, 10)
			completed := tt.run(&l)
			if got := keysOf(&l); !slices.Equal(got, tt.want) {
				t.Errorf("rows %v, want %v", got, tt.want)
			}
			if completed != tt.wantCompleted {
				t.Errorf("%d reads completed, want %d", completed, tt.wantCompleted)
			}
			if _, failed := l.ErrorView(th); failed != tt.wantErr {
				t.Errorf("failed = %v, want %v", failed, tt.wantErr)
			}
			if l.Busy() {
				t.Error("busy after every read arrived")
			}
		})
	}
}

// TestListSaysWhileOnlyTheFirstRowsShow: between the first rows and the
// full read, the status line says how many there are in all.
func TestListSaysWhileOnlyTheFirstRowsShow(t *testing.T) {
	th, err := themes.ByName(themes.NoColor)
	if err != nil {
		t.Fatal(err)
	}
	l := pane.NewList([]table.Column{{Title: "KEY", Width: 4}}, nil, "things", "no things", th)
	l.SetSize(60, 10)
	status := func() string {
		lines := strings.Split(ansi.Strip(l.View()), "\n")
		return strings.TrimSpace(lines[len(lines)-1])
	}
	first := func() (*table.Rows, int, error) { rows, err := rowsOf("a")(); return rows, 1200, err }
	msg := l.LoadFirst(first, rowsOf("a", "b", "c"))()
	next, complete, ok := l.Loaded(msg)
	if !ok || complete {
		t.Fatalf("first rows: ok %v, complete %v", ok, complete)
	}
	// next is the table taking the first rows, then the full read.
	cmds := next().(tea.BatchMsg)
	l.Browser, _ = l.Browser.Update(cmds[0]())
	if got, want := status(), "1 of 1,200 things loaded…"; !strings.HasSuffix(got, want) {
		t.Errorf("with the first rows the status is %q, want it to end with %q", got, want)
	}
	if drive(&l, cmds[1]) != 1 {
		t.Fatal("the full read did not complete")
	}
	if got, want := status(), "3 things"; !strings.HasSuffix(got, want) || strings.Contains(got, "loaded") {
		t.Errorf("with every row the status is %q, want it to end with %q", got, want)
	}
}
