package bundle

import (
	"fmt"
	"slices"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
)

// LoadCache writes the bundle's snapshot into a new cache at path, with
// the bundle's sync runs and journals in its history (so the Sync pane
// shows the customer's runs), and returns it open. The cache holds only
// pseudonymised data; callers show it read-only.
func LoadCache(b *Bundle, path string) (*store.Store, error) {
	snap, err := b.Snapshot()
	if err != nil {
		return nil, err
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		return nil, fmt.Errorf("bundle cache: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			st.Close()
		}
	}()

	runs := slices.Clone(b.Runs)
	slices.SortFunc(runs, func(a, b RunRecord) int { return cmpU64(a.Run.ID, b.Run.ID) })
	// The snapshot is the data of the committed run; runs before it are
	// recorded first and runs after it last, so the history keeps its order.
	committed := RunRecord{Run: directory.SyncRun{Mode: "full", Status: directory.RunOK}}
	at := len(runs)
	for i, r := range runs {
		if r.Run.ID == b.Meta.Cache.CommittedRun {
			committed, at = r, i
		}
	}
	record := func(rs []RunRecord) error {
		for _, r := range rs {
			if r.Run.ID == b.Meta.Cache.CommittedRun {
				continue
			}
			if _, err := st.RecordFailedRun(r.Run, r.Journal); err != nil {
				return fmt.Errorf("bundle cache: %w", err)
			}
		}
		return nil
	}
	if err := record(runs[:at]); err != nil {
		return nil, err
	}

	w, err := st.BeginFull()
	if err != nil {
		return nil, fmt.Errorf("bundle cache: %w", err)
	}
	if err := fill(w, snap.Users, snap.Groups, snap.Apps, snap.Memberships, snap.AppUsers, snap.AppGroups); err != nil {
		_ = w.Abort()
		return nil, fmt.Errorf("bundle cache: %w", err)
	}
	if _, err := w.Commit(committed.Run, committed.Journal); err != nil {
		return nil, fmt.Errorf("bundle cache: %w", err)
	}
	if at < len(runs) {
		if err := record(runs[at+1:]); err != nil {
			return nil, err
		}
	}
	ok = true
	return st, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fill writes a snapshot into a full-sync writer in pages.
func fill(w *store.FullWriter, users []directory.User, groups []directory.Group, apps []directory.App,
	members []directory.Membership, appUsers []directory.AppUser, appGroups []directory.AppGroup) error {
	const page = 1000
	for i := 0; i < len(users); i += page {
		if err := w.PutUsers(users[i:min(i+page, len(users))]); err != nil {
			return err
		}
	}
	if err := w.PutGroups(groups); err != nil {
		return err
	}
	if err := w.PutApps(apps); err != nil {
		return err
	}
	err := putRuns(members, page, func(m directory.Membership) string { return m.GroupID }, func(gid string, run []directory.Membership) error {
		ids := make([]string, len(run))
		for k, m := range run {
			ids[k] = m.UserID
		}
		return w.PutMembers(gid, ids)
	})
	if err != nil {
		return err
	}
	err = putRuns(appUsers, page, func(au directory.AppUser) string { return au.AppID }, w.PutAppUsers)
	if err != nil {
		return err
	}
	return putRuns(appGroups, page, func(ag directory.AppGroup) string { return ag.AppID }, w.PutAppGroups)
}

// putRuns calls put with each run of items (sorted by parent) that share
// a parent, at most page items at a time.
func putRuns[T any](items []T, page int, parent func(T) string, put func(parent string, run []T) error) error {
	for i := 0; i < len(items); {
		j := i
		for j < len(items) && parent(items[j]) == parent(items[i]) && j-i < page {
			j++
		}
		if err := put(parent(items[i]), items[i:j]); err != nil {
			return err
		}
		i = j
	}
	return nil
}
