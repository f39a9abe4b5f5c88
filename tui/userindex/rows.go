package userindex

import (
	"fmt"
	"strings"

	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/table"
	"github.com/dirdeck/dirdeck/tui/userrows"
)

// usersPerView bounds the users read per read transaction.
const usersPerView = 20_000

// loadIndex reads the users table from the cache (see readRows) and
// indexes it in memory batch by batch, so that a million users are never
// all held as table.Row values at once; then it sorts the rows as the
// index file has them (table.HayOrder).
func loadIndex(s *store.Store, usersPer int) (*table.Rows, error) {
	var (
		b            table.Builder
		total, added int
	)
	err := readRows(s, usersPer, func(_ *store.Reader, n int) error {
		b, total, added = table.Builder{}, n, 0
		return nil
	}, func(batch []table.Row) error {
		b.Add(batch...)
		if added == 0 {
			b.Grow(total - len(batch))
		}
		added += len(batch)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b.Rows().ByHay(), nil
}

// readRows reads the users table rows from the cache, in short read
// transactions (see pane.ReadChunked): the group names, then the users in
// id order with their groups (for "group:" filters), handing each batch
// of at most usersPer rows to add. begin starts a read of total users
// from r's commit; it runs again, voiding the batches so far, when a sync
// commits mid-read. An error from begin or add ends the read.
func readRows(s *store.Store, usersPer int, begin func(r *store.Reader, total int) error, add func(batch []table.Row) error) error {
	var (
		groupName map[string]string // id → lowercase name
		in        userrows.Interner
		after     string // last user id read
	)
	restart := func() { groupName, in, after = nil, userrows.Interner{}, "" }
	step := func(r *store.Reader) (bool, error) {
		if groupName == nil {
			groupName = map[string]string{}
			for g := range r.Groups() {
				groupName[g.ID] = strings.ToLower(textsafe.Clean(g.Name))
			}
			return false, begin(r, r.Counts().Users)
		}
		batch := r.UsersBatch(after, usersPer)
		ids := make([]string, len(batch))
		for i := range batch {
			ids[i] = batch[i].ID
		}
		rows := make([]table.Row, len(batch))
		names := make([]string, 0, 8)
		for i, gids := range r.GroupsOfUsers(ids) {
			names = names[:0]
			for _, gid := range gids {
				if n, ok := groupName[gid]; ok {
					names = append(names, n)
				}
			}
			rows[i] = userrows.Build(batch[i], strings.Join(names, "\n"), in)
		}
		if err := add(rows); err != nil {
			return false, err
		}
		if len(batch) < usersPer {
			return true, nil
		}
		after = ids[len(ids)-1]
		return false, nil
	}
	if err := pane.ReadChunked(s.View, restart, step); err != nil {
		return fmt.Errorf("load users: %w", err)
	}
	return nil
}
