package pane_test

import (
	"errors"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/tui/pane"
)

func value(n int) func() (int, error) { return func() (int, error) { return n, nil } }

func TestReadsTakeTheLatestOnly(t *testing.T) {
	failed := errors.New("failed")
	var other pane.Reads[int]
	tests := []struct {
		name string
		// run starts reads and returns their messages in arrival order.
		run         func(r *pane.Reads[int]) []tea.Msg
		want        []pane.Read[int] // the results taken, in order
		wantPending bool
	}{
		{"one read", func(r *pane.Reads[int]) []tea.Msg { return []tea.Msg{r.Start(value(1))()} },
			[]pane.Read[int]{{Data: 1}}, false},
		{"a superseded read is dropped", func(r *pane.Reads[int]) []tea.Msg {
			old := r.Start(value(1))
			return []tea.Msg{r.Start(value(2))(), old()}
		}, []pane.Read[int]{{Data: 2}}, false},
		{"a failed read says why", func(r *pane.Reads[int]) []tea.Msg {
			return []tea.Msg{r.Start(func() (int, error) { return 0, failed })()}
		}, []pane.Read[int]{{Err: failed}}, false},
		{"a continued read is pending until its step arrives", func(r *pane.Reads[int]) []tea.Msg {
			first := r.Start(value(1))()
			r.Result(first)
			r.Continue(value(2))
			return nil
		}, nil, true},
		{"another tracker's read is not taken", func(r *pane.Reads[int]) []tea.Msg {
			r.Start(value(1))
			return []tea.Msg{other.Start(value(2))()}
		}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r pane.Reads[int]
			var got []pane.Read[int]
			for _, msg := range tt.run(&r) {
				if read, ok := r.Result(msg); ok {
					got = append(got, read)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("took %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i].Data != tt.want[i].Data || !errors.Is(got[i].Err, tt.want[i].Err) {
					t.Errorf("result %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
			if r.Pending() != tt.wantPending {
				t.Errorf("pending = %v, want %v", r.Pending(), tt.wantPending)
			}
		})
	}
}
