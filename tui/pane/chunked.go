package pane

import (
	"errors"
	"fmt"

	"github.com/dirdeck/dirdeck/store"
)

// ErrKeptChanging is returned by ReadChunked when syncs committed new
// generations during every attempt; the next GenerationCommittedMsg
// triggers another load anyway.
var ErrKeptChanging = errors.New("the cache kept changing during the read; it will be reloaded")

// ChunkAttempts bounds ReadChunked's restarts.
const ChunkAttempts = 3

// ReadChunked reads the cache in several short View transactions instead
// of one long one: a read transaction held for seconds (a million users)
// stalls a sync whose commit must grow the file. step is called with a
// fresh Reader until it reports done, and must do a bounded amount of
// work per call, keeping its position in its own state. All calls must
// see one generation: if a sync commits in between, begin resets the
// caller's state and the read starts over. view is the store's View
// (s.View).
func ReadChunked(view func(func(*store.Reader) error) error, begin func(), step func(r *store.Reader) (done bool, err error)) error {
	for range ChunkAttempts {
		begin()
		var gen uint64
		first, changed := true, false
		for {
			var done bool
			err := view(func(r *store.Reader) error {
				if first {
					gen, first = r.Generation(), false
				} else if r.Generation() != gen {
					changed = true
					return nil
				}
				var err error
				done, err = step(r)
				return err
			})
			if err != nil {
				return err
			}
			if changed || done {
				break
			}
		}
		if !changed {
			return nil
		}
	}
	return fmt.Errorf("read cache: %w", ErrKeptChanging)
}
