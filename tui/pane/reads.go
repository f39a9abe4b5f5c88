package pane

import tea "charm.land/bubbletea/v2"

// Reads tracks a pane's reads of one kind of data from the cache: each
// runs in a command, and only the latest one's result is taken, so a slow
// read never overwrites the result of a newer one. Results find their
// Reads by address: keep it in a pane that is used by pointer, and do not
// copy it once a read has started.
type Reads[T any] struct {
	seq     uint64
	pending bool
}

// Read is what one read found.
type Read[T any] struct {
	Data T
	Err  error
}

// readMsg carries a Read to the Reads that started it.
type readMsg[T any] struct {
	to  *Reads[T]
	seq uint64
	Read[T]
}

// Start returns a command that runs read; its result supersedes every
// earlier read's.
func (r *Reads[T]) Start(read func() (T, error)) tea.Cmd {
	r.seq++
	return r.Continue(read)
}

// Continue returns a command that runs read as a further step of the
// latest read (its result is taken unless a newer read has started).
func (r *Reads[T]) Continue(read func() (T, error)) tea.Cmd {
	r.pending = true
	seq := r.seq
	return func() tea.Msg {
		data, err := read()
		return readMsg[T]{to: r, seq: seq, Read: Read[T]{Data: data, Err: err}}
	}
}

// Result returns the result that msg carries when it is the latest
// read's; ok is false for any other message, including a superseded read.
func (r *Reads[T]) Result(msg tea.Msg) (read Read[T], ok bool) {
	m, ok := msg.(readMsg[T])
	if !ok || m.to != r || m.seq != r.seq {
		return Read[T]{}, false
	}
	r.pending = false
	return m.Read, true
}

// Pending reports that the latest read has not arrived.
func (r *Reads[T]) Pending() bool { return r.pending }
