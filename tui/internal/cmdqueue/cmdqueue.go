// Package cmdqueue runs Bubble Tea commands synchronously for tests and
// benchmarks: what the runtime does with the commands a model returns,
// minus the goroutines, so a test sees every message in a fixed order and
// a benchmark measures the models' work only.
package cmdqueue

import tea "charm.land/bubbletea/v2"

// Run runs cmd and every command its messages lead to, in the order they
// were issued: a batch's commands join the queue, a nil command or
// message is skipped (the runtime drops them too), and every other
// message goes to update, whose command joins the queue. It stops before
// the next command as soon as stop (when not nil) reports true, leaving
// the rest unrun.
func Run(cmd tea.Cmd, update func(tea.Msg) tea.Cmd, stop func() bool) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 && (stop == nil || !stop()) {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			queue = append(queue, update(msg))
		}
	}
}
