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
	for i := 0; i < len(members); {
		j, ids := i, []string{}
		for ; j < len(members) && members[j].GroupID == members[i].GroupID && len(ids) < page; j++ {
			ids = append(ids, members[j].UserID)
		}
		if err := w.PutMembers(members[i].GroupID, ids); err != nil {
			return err
		}
		i = j
	}
	for i := 0; i < len(appUsers); {
		j := i
		for j < len(appUsers) && appUsers[j].AppID == appUsers[i].AppID && j-i < page {
			j++
		}
		if err := w.PutAppUsers(appUsers[i].AppID, appUsers[i:j]); err != nil {
			return err
		}
		i = j
	}
	for i := 0; i < len(appGroups); {
		j := i
		for j < len(appGroups) && appGroups[j].AppID == appGroups[i].AppID && j-i < page {
			j++
		}
		if err := w.PutAppGroups(appGroups[i].AppID, appGroups[i:j]); err != nil {
			return err
		}
		i = j
	}
	return nil
}
