package store

import (
	"bytes"
	"fmt"
	gosync "sync"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// Delta batches an incremental sync's changes in memory and applies them,
// in call order, to the current generation in one transaction at Commit:
// all or nothing. Cursors set on it advance only with that transaction.
// Its methods are safe for concurrent use; invalid input is remembered and
// returned by Commit.
type Delta struct {
	s        *Store
	mu       gosync.Mutex
	ops      []func(*deltaTx) error
	err      error
	finished bool
}

// deltaTx is the state of a Delta being applied.
type deltaTx struct {
	g    *genTx
	log  *changeLog
	seen time.Time
	run  uint64
}

// BeginIncremental starts an incremental batch. Only one FullWriter or
// Delta may be open on a Store at a time (ErrBusy).
func (s *Store) BeginIncremental() (*Delta, error) {
	if s.readOnly {
		return nil, fmt.Errorf("begin incremental write: %w", ErrReadOnly)
	}
	if !s.writing.CompareAndSwap(false, true) {
		return nil, fmt.Errorf("begin incremental write: %w", ErrBusy)
	}
	return &Delta{s: s}, nil
}

func (d *Delta) add(err error, op func(*deltaTx) error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.finished {
		if d.err == nil {
			d.err = ErrDone
		}
		return
	}
	if err != nil {
		if d.err == nil {
			d.err = err
		}
		return
	}
	d.ops = append(d.ops, op)
}

func encodeOne[T any](kind, id string, v T) ([]byte, error) {
	if err := checkID(kind, id); err != nil {
		return nil, err
	}
	b, err := encodeRec(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", kind, id, err)
	}
	return b, nil
}

// recordPut logs an added or updated object, stored under key, after a
// put returned old.
func recordPut[T any](t *deltaTx, kind, id string, key []byte, label string, old, val []byte) error {
	if old == nil {
		t.log.add(kind, directory.OpAdded, id, label, t.g, nil)
		if kind == directory.KindUser || kind == directory.KindGroup || kind == directory.KindApp {
			return t.g.unarchive(kind, id)
		}
		return nil
	}
	if bytes.Equal(old, val) {
		return nil
	}
	f, err := diffEncoded[T](kind, key, old, val)
	if err != nil {
		return err
	}
	if len(f) > 0 {
		t.log.add(kind, directory.OpUpdated, id, label, t.g, f)
	}
	return nil
}

// PutUser adds or updates a user.
func (d *Delta) PutUser(u directory.User) {
	val, err := encodeOne("user", u.ID, u)
	d.add(err, func(t *deltaTx) error {
		old, err := t.g.putUser(u, val)
		if err != nil {
			return err
		}
		return recordPut[directory.User](t, directory.KindUser, u.ID, []byte(u.ID), u.Login, old, val)
	})
}

// DeleteUser archives a user and removes its memberships and app
// assignments (Okta drops them with the user).
func (d *Delta) DeleteUser(id string) {
	d.add(checkID("user", id), func(t *deltaTx) error {
		if t.g.users.Get([]byte(id)) == nil {
			return nil
		}
		gids, err := t.g.membersRev.children(id)
		if err != nil {
			return err
		}
		for _, gid := range gids {
			if err := t.removeMember(gid, id); err != nil {
				return err
			}
		}
		aids, err := t.g.appUsersRev.children(id)
		if err != nil {
			return err
		}
		for _, aid := range aids {
			if err := t.removeAppUser(aid, id); err != nil {
				return err
			}
		}
		old, err := t.g.deleteUser(id)
		if err != nil {
			return err
		}
		return t.archive(directory.KindUser, id, old)
	})
}

func (t *deltaTx) archive(kind, id string, old []byte) error {
	label, err := t.g.tombstone(kind, id, old, t.seen, t.run)
	if err != nil {
		return err
	}
	t.log.add(kind, directory.OpRemoved, id, label, t.g, nil)
	return nil
}

// PutGroup adds or updates a group.
func (d *Delta) PutGroup(g directory.Group) {
	val, err := encodeOne("group", g.ID, g)
	d.add(err, func(t *deltaTx) error {
		old, err := t.g.putGroup(g, val)
		if err != nil {
			return err
		}
		return recordPut[directory.Group](t, directory.KindGroup, g.ID, []byte(g.ID), g.Name, old, val)
	})
}

// DeleteGroup archives a group and removes its memberships and app
// assignments.
func (d *Delta) DeleteGroup(id string) {
	d.add(checkID("group", id), func(t *deltaTx) error {
		if t.g.groups.Get([]byte(id)) == nil {
			return nil
		}
		uids, err := t.g.members.children(id)
		if err != nil {
			return err
		}
		for _, uid := range uids {
			if err := t.removeMember(id, uid); err != nil {
				return err
			}
		}
		aids, err := t.g.appGroupsRev.children(id)
		if err != nil {
			return err
		}
		for _, aid := range aids {
			if err := t.removeAppGroup(aid, id); err != nil {
				return err
			}
		}
		old, err := t.g.deleteGroup(id)
		if err != nil {
			return err
		}
		return t.archive(directory.KindGroup, id, old)
	})
}

// PutApp adds or updates an app.
func (d *Delta) PutApp(a directory.App) {
	val, err := encodeOne("app", a.ID, a)
	d.add(err, func(t *deltaTx) error {
		old, err := t.g.putApp(a, val)
		if err != nil {
			return err
		}
		return recordPut[directory.App](t, directory.KindApp, a.ID, []byte(a.ID), a.Label, old, val)
	})
}

// DeleteApp archives an app and removes its assignments.
func (d *Delta) DeleteApp(id string) {
	d.add(checkID("app", id), func(t *deltaTx) error {
		if t.g.apps.Get([]byte(id)) == nil {
			return nil
		}
		for _, uid := range children(t.g.appUsers, id) {
			if err := t.removeAppUser(id, uid); err != nil {
				return err
			}
		}
		for _, gid := range children(t.g.appGroups, id) {
			if err := t.removeAppGroup(id, gid); err != nil {
				return err
			}
		}
		old, err := t.g.deleteApp(id)
		if err != nil {
			return err
		}
		return t.archive(directory.KindApp, id, old)
	})
}

func checkIDs(kind string, ids []string) error {
	for _, id := range ids {
		if err := checkID(kind, id); err != nil {
			return err
		}
	}
	return nil
}

func (t *deltaTx) addMember(gid, uid string) error {
	added, err := t.g.addMember(gid, uid)
	if added {
		t.log.add(directory.KindMembership, directory.OpAdded, gid+"/"+uid, "", t.g, nil)
	}
	return err
}

func (t *deltaTx) removeMember(gid, uid string) error {
	removed, err := t.g.removeMember(gid, uid)
	if removed {
		t.log.add(directory.KindMembership, directory.OpRemoved, gid+"/"+uid, "", t.g, nil)
	}
	return err
}

// ReplaceMembers sets a group's complete member list.
func (d *Delta) ReplaceMembers(groupID string, userIDs []string) {
	ids := append([]string(nil), userIDs...)
	err := checkID("group", groupID)
	if err == nil {
		err = checkIDs("user", ids)
	}
	d.add(err, func(t *deltaTx) error {
		want := make(map[string]bool, len(ids))
		for _, u := range ids {
			want[u] = true
		}
		us, err := t.g.members.children(groupID)
		if err != nil {
			return err
		}
		for _, u := range us {
			if !want[u] {
				if err := t.removeMember(groupID, u); err != nil {
					return err
				}
			}
		}
		for _, u := range ids {
			if err := t.addMember(groupID, u); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddMember adds one membership.
func (d *Delta) AddMember(groupID, userID string) {
	err := checkIDs("member", []string{groupID, userID})
	d.add(err, func(t *deltaTx) error { return t.addMember(groupID, userID) })
}

// RemoveMember removes one membership.
func (d *Delta) RemoveMember(groupID, userID string) {
	err := checkIDs("member", []string{groupID, userID})
	d.add(err, func(t *deltaTx) error { return t.removeMember(groupID, userID) })
}

func (t *deltaTx) putAppUser(au directory.AppUser, val []byte) error {
	old, err := t.g.putAppUser(au, val)
	if err != nil {
		return err
	}
	return recordPut[directory.AppUser](t, directory.KindAppUser, au.AppID+"/"+au.UserID, ck(au.AppID, au.UserID), "", old, val)
}

func (t *deltaTx) removeAppUser(aid, uid string) error {
	old, err := t.g.removeAppUser(aid, uid)
	if old != nil {
		t.log.add(directory.KindAppUser, directory.OpRemoved, aid+"/"+uid, "", t.g, nil)
	}
	return err
}

func (t *deltaTx) putAppGroup(ag directory.AppGroup, val []byte) error {
	old, err := t.g.putAppGroup(ag, val)
	if err != nil {
		return err
	}
	return recordPut[directory.AppGroup](t, directory.KindAppGroup, ag.AppID+"/"+ag.GroupID, ck(ag.AppID, ag.GroupID), "", old, val)
}

func (t *deltaTx) removeAppGroup(aid, gid string) error {
	old, err := t.g.removeAppGroup(aid, gid)
	if old != nil {
		t.log.add(directory.KindAppGroup, directory.OpRemoved, aid+"/"+gid, "", t.g, nil)
	}
	return err
}

// encodeAssignments fills the app id and encodes each assignment.
func encodeAssignments[T any](appID string, vs []T, ref func(*T) (*string, string)) ([]T, [][]byte, error) {
	vs, err := fillParent(appID, vs, ref)
	if err != nil {
		return nil, nil, err
	}
	vals := make([][]byte, len(vs))
	for i := range vs {
		_, child := ref(&vs[i])
		if vals[i], err = encodeOne("assignment", child, vs[i]); err != nil {
			return nil, nil, err
		}
	}
	return vs, vals, nil
}

func appUserRef(a *directory.AppUser) (*string, string)   { return &a.AppID, a.UserID }
func appGroupRef(a *directory.AppGroup) (*string, string) { return &a.AppID, a.GroupID }

// ReplaceAppUsers sets an app's complete list of user assignments.
func (d *Delta) ReplaceAppUsers(appID string, users []directory.AppUser) {
	vs, vals, err := encodeAssignments(appID, users, appUserRef)
	d.add(err, func(t *deltaTx) error {
		want := map[string]bool{}
		for _, v := range vs {
			want[v.UserID] = true
		}
		for _, uid := range children(t.g.appUsers, appID) {
			if !want[uid] {
				if err := t.removeAppUser(appID, uid); err != nil {
					return err
				}
			}
		}
		for i, v := range vs {
			if err := t.putAppUser(v, vals[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReplaceAppGroups sets an app's complete list of group assignments.
func (d *Delta) ReplaceAppGroups(appID string, groups []directory.AppGroup) {
	vs, vals, err := encodeAssignments(appID, groups, appGroupRef)
	d.add(err, func(t *deltaTx) error {
		want := map[string]bool{}
		for _, v := range vs {
			want[v.GroupID] = true
		}
		for _, gid := range children(t.g.appGroups, appID) {
			if !want[gid] {
				if err := t.removeAppGroup(appID, gid); err != nil {
					return err
				}
			}
		}
		for i, v := range vs {
			if err := t.putAppGroup(v, vals[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddAppUser adds or updates one user assignment.
func (d *Delta) AddAppUser(au directory.AppUser) {
	vs, vals, err := encodeAssignments(au.AppID, []directory.AppUser{au}, appUserRef)
	d.add(err, func(t *deltaTx) error { return t.putAppUser(vs[0], vals[0]) })
}

// RemoveAppUser removes one user assignment.
func (d *Delta) RemoveAppUser(appID, userID string) {
	err := checkIDs("assignment", []string{appID, userID})
	d.add(err, func(t *deltaTx) error { return t.removeAppUser(appID, userID) })
}

// AddAppGroup adds or updates one group assignment.
func (d *Delta) AddAppGroup(ag directory.AppGroup) {
	vs, vals, err := encodeAssignments(ag.AppID, []directory.AppGroup{ag}, appGroupRef)
	d.add(err, func(t *deltaTx) error { return t.putAppGroup(vs[0], vals[0]) })
}

// RemoveAppGroup removes one group assignment.
func (d *Delta) RemoveAppGroup(appID, groupID string) {
	err := checkIDs("assignment", []string{appID, groupID})
	d.add(err, func(t *deltaTx) error { return t.removeAppGroup(appID, groupID) })
}

// SetCursor sets an incremental-sync cursor, committed with the batch.
func (d *Delta) SetCursor(name, value string) {
	d.add(nil, func(t *deltaTx) error { return t.g.curs.Put([]byte(name), []byte(value)) })
}

// Abort drops the batch.
func (d *Delta) Abort() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.finished {
		d.finished = true
		d.ops = nil
		d.s.writing.Store(false)
	}
}

// Commit applies the batch to the current generation in one transaction
// with the run record, its journal and its change log, and returns run
// with ID and Changes filled. On error nothing changed and the Delta is
// finished (start a new one to retry). ErrNoGeneration if no full sync
// ever committed.
func (d *Delta) Commit(run directory.SyncRun, journal []directory.Request) (directory.SyncRun, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.finished {
		return run, ErrDone
	}
	d.finished = true
	defer d.s.writing.Store(false)
	if d.err != nil {
		return run, fmt.Errorf("incremental commit: %w", d.err)
	}
	if run.Mode == "" {
		run.Mode = "incremental"
	}
	err := d.s.update(func(tx *bbolt.Tx) error {
		if err := collectGarbage(tx); err != nil {
			return err
		}
		gen := getU64(tx.Bucket(bMeta), kCurrent)
		if gen == 0 {
			return ErrNoGeneration
		}
		g, err := loadGen(tx, gen)
		if err != nil {
			return err
		}
		id, err := allocRun(tx)
		if err != nil {
			return err
		}
		t := &deltaTx{g: g, log: newChangeLog(), seen: seenAt(run), run: id}
		for _, op := range d.ops {
			if err := op(t); err != nil {
				return err
			}
		}
		if err := g.saveCounts(); err != nil {
			return err
		}
		if len(t.log.pending) > 0 {
			// The stored digest no longer holds; Reader.Digest recomputes.
			if err := g.info.Delete(kDigest); err != nil {
				return err
			}
			if err := g.info.Put(kRev, u64(getU64(g.info, kRev)+1)); err != nil {
				return err
			}
		}
		if err := t.log.flush(tx, id); err != nil {
			return err
		}
		if err := g.info.Put(kRun, u64(id)); err != nil {
			return err
		}
		run.ID, run.Changes = id, t.log.summary
		return putRun(tx, run, journal)
	})
	if err != nil {
		return run, fmt.Errorf("incremental commit: %w", err)
	}
	return run, nil
}
