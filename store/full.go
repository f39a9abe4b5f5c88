package store

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// Batch sizes of a full write: one bbolt transaction per flush keeps memory
// bounded (bbolt holds a transaction's dirty pages in memory) while
// amortising the fsync of each commit. Variables so that the crash test
// can make a small sync span many transactions.
var (
	// commitProgress is told each time Commit finishes a transaction, so
	// the crash test can kill a writer at every step of a commit.
	commitProgress = func(stage string) {}

	flushItems = 200_000
	flushBytes = 8 << 20
	scanBatch  = 50_000
)

// Resources a full sync can ask to keep from the previous generation.
const (
	ResUsers       = "users"
	ResGroups      = "groups"
	ResApps        = "apps"
	ResMemberships = "memberships"
	ResAppUsers    = "app_users"
	ResAppGroups   = "app_groups"
)

// FullWriter streams a full sync into a new (staging) generation. Readers
// keep seeing the current generation until Commit flips to the new one; a
// crash before that leaves the staging generation as garbage that the next
// write deletes. Its methods are safe for concurrent use.
type FullWriter struct {
	s     *Store
	gen   uint64
	runID uint64

	mu       gosync.Mutex
	pending  batch
	sp       *spool
	replaced map[string]bool // "kind\tid" of users and groups written twice
	keep     map[string]bool
	cursors  map[string]string
	err      error
	finished bool
}

// BeginFull starts a new generation. Only one FullWriter or Delta may be
// open on a Store at a time (ErrBusy).
func (s *Store) BeginFull() (*FullWriter, error) {
	if s.readOnly {
		return nil, fmt.Errorf("begin full write: %w", ErrReadOnly)
	}
	if !s.writing.CompareAndSwap(false, true) {
		return nil, fmt.Errorf("begin full write: %w", ErrBusy)
	}
	w := &FullWriter{s: s, keep: map[string]bool{}, cursors: map[string]string{}, replaced: map[string]bool{}}
	sp, err := newSpool(spoolDir(s.path))
	if err != nil {
		s.writing.Store(false)
		return nil, fmt.Errorf("begin full write: %w", err)
	}
	w.sp = sp
	err = s.update(func(tx *bbolt.Tx) error {
		if err := collectGarbage(tx); err != nil {
			return err
		}
		meta := tx.Bucket(bMeta)
		w.gen = max(getU64(meta, kNextGen), getU64(meta, kCurrent)) + 1
		if err := meta.Put(kNextGen, u64(w.gen)); err != nil {
			return err
		}
		var err error
		if w.runID, err = allocRun(tx); err != nil {
			return err
		}
		return createGen(tx, w.gen)
	})
	if err != nil {
		sp.close()
		s.writing.Store(false)
		return nil, fmt.Errorf("begin full write: %w", err)
	}
	return w, nil
}

// add queues writes into the pending batch, flushing when it is full.
func (w *FullWriter) add(items, size int, queue func(b *batch)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finished {
		return ErrDone
	}
	if w.err != nil {
		return w.err
	}
	queue(&w.pending)
	w.pending.items += items
	w.pending.bytes += size
	if w.pending.items >= flushItems || w.pending.bytes >= flushBytes {
		w.err = w.flushLocked()
	}
	return w.err
}

func (w *FullWriter) flushLocked() error {
	if w.pending.empty() {
		return nil
	}
	err := w.update(func(tx *bbolt.Tx) error {
		g, err := loadGen(tx, w.gen)
		if err != nil {
			return err
		}
		if err := g.apply(&w.pending, w.replaced, w.sp); err != nil {
			return err
		}
		return g.saveCounts()
	})
	w.pending = batch{}
	if err != nil {
		return fmt.Errorf("write generation %d: %w", w.gen, err)
	}
	return nil
}

// update runs fn in a write transaction, then drops the cache file's
// pages from the process's resident set (releaseMapped): a full write
// walks the whole file a batch at a time, and without it every page it
// read would stay counted in the sync's RSS.
func (w *FullWriter) update(fn func(*bbolt.Tx) error) error {
	return w.s.update(func(tx *bbolt.Tx) error {
		err := fn(tx)
		releaseMapped(tx)
		return err
	})
}

// fail makes the writer's error sticky when validation fails.
func (w *FullWriter) fail(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
	return err
}

type encoded[T any] struct {
	v   T
	val []byte
}

func encodeAll[T any](kind string, vs []T, id func(T) string) ([]encoded[T], int, error) {
	out := make([]encoded[T], len(vs))
	size := 0
	for i, v := range vs {
		if err := checkID(kind, id(v)); err != nil {
			return nil, 0, err
		}
		b, err := encodeRec(v)
		if err != nil {
			return nil, 0, fmt.Errorf("encode %s %s: %w", kind, id(v), err)
		}
		out[i] = encoded[T]{v, b}
		size += len(b)
	}
	return out, size, nil
}

// PutUsers adds (or replaces) users in the new generation.
func (w *FullWriter) PutUsers(users []directory.User) error {
	enc, size, err := encodeAll("user", users, func(u directory.User) string { return u.ID })
	if err != nil {
		return w.fail(err)
	}
	return w.add(len(enc), size, func(b *batch) { b.users = append(b.users, enc...) })
}

// PutGroups adds (or replaces) groups in the new generation.
func (w *FullWriter) PutGroups(groups []directory.Group) error {
	enc, size, err := encodeAll("group", groups, func(g directory.Group) string { return g.ID })
	if err != nil {
		return w.fail(err)
	}
	return w.add(len(enc), size, func(b *batch) { b.groups = append(b.groups, enc...) })
}

// PutApps adds (or replaces) apps in the new generation.
func (w *FullWriter) PutApps(apps []directory.App) error {
	enc, size, err := encodeAll("app", apps, func(a directory.App) string { return a.ID })
	if err != nil {
		return w.fail(err)
	}
	return w.add(len(enc), size, func(b *batch) { b.apps = append(b.apps, enc...) })
}

// PutMembers adds members of a group; call it once per page.
func (w *FullWriter) PutMembers(groupID string, userIDs []string) error {
	if err := checkID("group", groupID); err != nil {
		return w.fail(err)
	}
	for _, u := range userIDs {
		if err := checkID("user", u); err != nil {
			return w.fail(err)
		}
	}
	return w.add(len(userIDs), 40*len(userIDs), func(b *batch) {
		for _, u := range userIDs {
			b.members = append(b.members, edge{groupID, u})
		}
	})
}

// PutAppUsers adds users assigned to an app; an empty AppID in an entry
// means appID, a different one is an error.
func (w *FullWriter) PutAppUsers(appID string, users []directory.AppUser) error {
	users, err := fillParent(appID, users, func(a *directory.AppUser) (*string, string) { return &a.AppID, a.UserID })
	if err != nil {
		return w.fail(err)
	}
	enc, size, err := encodeAll("user", users, func(a directory.AppUser) string { return a.UserID })
	if err != nil {
		return w.fail(err)
	}
	return w.add(len(enc), size, func(b *batch) { b.appUsers = append(b.appUsers, enc...) })
}

// PutAppGroups adds groups assigned to an app (AppID as for PutAppUsers).
func (w *FullWriter) PutAppGroups(appID string, groups []directory.AppGroup) error {
	groups, err := fillParent(appID, groups, func(a *directory.AppGroup) (*string, string) { return &a.AppID, a.GroupID })
	if err != nil {
		return w.fail(err)
	}
	enc, size, err := encodeAll("group", groups, func(a directory.AppGroup) string { return a.GroupID })
	if err != nil {
		return w.fail(err)
	}
	return w.add(len(enc), size, func(b *batch) { b.appGroups = append(b.appGroups, enc...) })
}

// fillParent copies vs, setting the parent (app) id where it is empty.
func fillParent[T any](parent string, vs []T, ref func(*T) (*string, string)) ([]T, error) {
	if err := checkID("app", parent); err != nil {
		return nil, err
	}
	out := append([]T(nil), vs...)
	for i := range out {
		p, child := ref(&out[i])
		switch *p {
		case "":
			*p = parent
		case parent:
		default:
			return nil, fmt.Errorf("assignment of %s lists app %s, expected %s", child, *p, parent)
		}
	}
	return out, nil
}

// SetCursor records an incremental-sync cursor in the new generation;
// cursors not set keep their previous value.
func (w *FullWriter) SetCursor(name, value string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cursors[name] = value
}

// KeepFromPrevious tells the writer a resource was not read completely
// (typically a 403), so Commit keeps what the previous generation held
// instead of treating the missing objects as deleted: kept items are
// merged in (a new value wins), and no removal is recorded for them.
// Resources: "users", "groups", "apps", "memberships", "app_users",
// "app_groups", or one parent's edges: "memberships:<groupId>",
// "app_users:<appId>", "app_groups:<appId>". Keeping is not transitive:
// a sync that could not list apps should keep "apps", "app_users" and
// "app_groups".
func (w *FullWriter) KeepFromPrevious(resource string) error {
	name, parent, hasParent := strings.Cut(resource, ":")
	switch name {
	case ResUsers, ResGroups, ResApps:
		if hasParent {
			return w.fail(fmt.Errorf("keep %q: %s cannot be kept per parent", resource, name))
		}
	case ResMemberships, ResAppUsers, ResAppGroups:
		if hasParent {
			if err := checkID("parent", parent); err != nil {
				return w.fail(fmt.Errorf("keep %q: %w", resource, err))
			}
		}
	default:
		return w.fail(fmt.Errorf("keep %q: unknown resource", resource))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.keep[resource] = true
	return nil
}

// Abort drops the staging generation. The store accepts a new writer even
// if deleting fails (the next write collects it).
func (w *FullWriter) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finished {
		return nil
	}
	w.finished = true
	defer w.s.writing.Store(false)
	spErr := w.sp.close()
	err := w.update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bGens).DeleteBucket(u64(w.gen)); err != nil {
			return err
		}
		if tx.Bucket(bChanges).Bucket(u64(w.runID)) != nil {
			return tx.Bucket(bChanges).DeleteBucket(u64(w.runID))
		}
		return nil
	})
	if err := errors.Join(err, spErr); err != nil {
		return fmt.Errorf("abort full write: %w", err)
	}
	return nil
}

// Commit completes the new generation: it merges what KeepFromPrevious
// named, computes the change log against the previous generation
// (archiving deleted users, groups and apps), computes the digest, and
// then flips the current generation in one small transaction together
// with the run record and its journal. It returns run with ID and Changes
// filled. On error nothing is visible; call Abort.
//
// The first full sync (no previous generation) records only the summary
// counts ("user.added": n), not one change per object.
func (w *FullWriter) Commit(run directory.SyncRun, journal []directory.Request) (directory.SyncRun, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finished {
		return run, ErrDone
	}
	if w.err != nil {
		return run, w.err
	}
	if err := w.commitLocked(&run, journal); err != nil {
		w.err = err
		return run, err
	}
	w.finished = true
	w.s.writing.Store(false)
	return run, nil
}

func (w *FullWriter) commitLocked(run *directory.SyncRun, journal []directory.Request) error {
	if err := w.flushLocked(); err != nil {
		return err
	}
	var prev uint64
	if err := w.s.view(func(tx *bbolt.Tx) error {
		prev = getU64(tx.Bucket(bMeta), kCurrent)
		return nil
	}); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	log := newChangeLog()
	if prev != 0 {
		if err := w.carryOver(prev); err != nil {
			return fmt.Errorf("commit: keep from previous generation: %w", err)
		}
	} else if err := w.setCursors(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if err := w.mergeAll(); err != nil {
		return fmt.Errorf("commit: build indexes: %w", err)
	}
	if prev != 0 {
		if err := w.diff(prev, log, seenAt(*run)); err != nil {
			return fmt.Errorf("commit: change log: %w", err)
		}
	}
	var digest string
	var counts directory.Counts
	if err := w.s.view(func(tx *bbolt.Tx) error {
		g, err := loadGen(tx, w.gen)
		if err != nil {
			return err
		}
		counts = g.counts
		digest, err = digestGen(g)
		return err
	}); err != nil {
		return fmt.Errorf("commit: digest: %w", err)
	}
	if prev == 0 {
		for k, n := range map[string]int{
			directory.KindUser: counts.Users, directory.KindGroup: counts.Groups, directory.KindApp: counts.Apps,
			directory.KindMembership: counts.Memberships, directory.KindAppUser: counts.AppUsers, directory.KindAppGroup: counts.AppGroups,
		} {
			if n > 0 {
				log.summary[k+"."+directory.OpAdded] = n
			}
		}
	}
	run.ID = w.runID
	run.Changes = log.summary
	if run.Mode == "" {
		run.Mode = "full"
	}
	err := w.update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bMeta)
		if cur := getU64(meta, kCurrent); cur != prev {
			return fmt.Errorf("current generation moved from %d to %d during the full write", prev, cur)
		}
		g, err := loadGen(tx, w.gen)
		if err != nil {
			return err
		}
		if err := g.info.Put(kDigest, []byte(digest)); err != nil {
			return err
		}
		if err := g.info.Put(kRun, u64(w.runID)); err != nil {
			return err
		}
		if err := meta.Put(kCurrent, u64(w.gen)); err != nil {
			return err
		}
		return putRun(tx, *run, journal)
	})
	if err != nil {
		return fmt.Errorf("commit generation %d: %w", w.gen, err)
	}
	commitProgress("flipped")
	if prev != 0 {
		// Open read transactions keep their snapshot of prev; bbolt reuses
		// its pages only once they end. If this fails, the next write's
		// garbage collection retries.
		_ = w.update(func(tx *bbolt.Tx) error { return tx.Bucket(bGens).DeleteBucket(u64(prev)) })
	}
	return nil
}

// setCursors writes the cursors set during the run into the staging
// generation.
func (w *FullWriter) setCursors() error {
	return w.update(func(tx *bbolt.Tx) error {
		g, err := loadGen(tx, w.gen)
		if err != nil {
			return err
		}
		for k, v := range w.cursors {
			if err := g.curs.Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
}

// scanPrev calls fn for every key of the previous generation's bucket
// under prefix, in key order, in write transactions of scanBatch keys;
// what fn queues in the batch is applied at the end of each transaction.
func (w *FullWriter) scanPrev(prev uint64, bucket, prefix []byte, fn func(g *genTx, b *batch, k, v []byte) error) error {
	var after []byte
	return w.inBatches(prev, func(_ *bbolt.Tx, p, g *genTx) (more bool, err error) {
		var b batch
		c, damaged := p.cursor(bucket)
		k, v := seekAfter(c, prefix, after)
		for n := 0; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if n == scanBatch {
				more = true
				break
			}
			if err := fn(g, &b, k, v); err != nil {
				return false, err
			}
			after = append(after[:0], k...)
			n++
		}
		if err := damaged(); err != nil {
			return false, err
		}
		if err := g.apply(&b, w.replaced, w.sp); err != nil {
			return false, err
		}
		return more, g.saveCounts()
	})
}

// keepMissing queues previous objects the new generation lacks.
func keepMissing[T any](kind string, in func(*genTx) *bbolt.Bucket, queue func(*batch, encoded[T])) func(g *genTx, b *batch, k, v []byte) error {
	return func(g *genTx, b *batch, k, v []byte) error {
		if in(g).Get(k) != nil {
			return nil
		}
		t, err := decodeRec[T](kind, k, v)
		if err != nil {
			return err
		}
		queue(b, encoded[T]{t, bytes.Clone(v)})
		return nil
	}
}

// carryOver copies kept resources, cursors and the archive from the
// previous generation.
func (w *FullWriter) carryOver(prev uint64) error {
	type job struct {
		bucket, prefix []byte
		fn             func(g *genTx, b *batch, k, v []byte) error
	}
	var jobs []job
	for _, res := range slices.Sorted(maps.Keys(w.keep)) {
		name, parent, _ := strings.Cut(res, ":")
		var prefix []byte
		if parent != "" {
			prefix = ck(parent, "")
		}
		switch name {
		case ResUsers:
			jobs = append(jobs, job{bUsers, nil, keepMissing("user", (*genTx).usersB,
				func(b *batch, e encoded[directory.User]) { b.users = append(b.users, e) })})
		case ResGroups:
			jobs = append(jobs, job{bGroups, nil, keepMissing("group", (*genTx).groupsB,
				func(b *batch, e encoded[directory.Group]) { b.groups = append(b.groups, e) })})
		case ResApps:
			jobs = append(jobs, job{bApps, nil, keepMissing("app", (*genTx).appsB,
				func(b *batch, e encoded[directory.App]) { b.apps = append(b.apps, e) })})
		case ResMemberships:
			jobs = append(jobs, job{bMembers, prefix, func(_ *genTx, b *batch, k, _ []byte) error {
				gid, uid := splitKey(k)
				b.members = append(b.members, edge{gid, uid})
				return nil
			}})
		case ResAppUsers:
			jobs = append(jobs, job{bAppUsers, prefix, keepMissing("app user", (*genTx).appUsersB,
				func(b *batch, e encoded[directory.AppUser]) { b.appUsers = append(b.appUsers, e) })})
		case ResAppGroups:
			jobs = append(jobs, job{bAppGroups, prefix, keepMissing("app group", (*genTx).appGroupsB,
				func(b *batch, e encoded[directory.AppGroup]) { b.appGroups = append(b.appGroups, e) })})
		}
	}
	jobs = append(jobs,
		job{bArchive, nil, func(g *genTx, _ *batch, k, v []byte) error { return g.archive.Put(bytes.Clone(k), bytes.Clone(v)) }},
		job{bCursors, nil, func(g *genTx, _ *batch, k, v []byte) error {
			if _, set := w.cursors[string(k)]; set {
				return nil
			}
			return g.curs.Put(bytes.Clone(k), bytes.Clone(v))
		}},
	)
	for _, j := range jobs {
		if err := w.scanPrev(prev, j.bucket, j.prefix, j.fn); err != nil {
			return err
		}
	}
	return w.setCursors()
}

// diff walks the previous and the new generation side by side (both in key
// order), recording changes and archiving what disappeared.
func (w *FullWriter) diff(prev uint64, log *changeLog, seen time.Time) error {
	kinds := []struct {
		bucket []byte
		kind   string
		fields func(what string, key, a, b []byte) ([]directory.FieldChange, error)
	}{
		{bUsers, directory.KindUser, diffEncoded[directory.User]},
		{bGroups, directory.KindGroup, diffEncoded[directory.Group]},
		{bApps, directory.KindApp, diffEncoded[directory.App]},
		{bMembers, directory.KindMembership, nil},
		{bAppUsers, directory.KindAppUser, diffEncoded[directory.AppUser]},
		{bAppGroups, directory.KindAppGroup, diffEncoded[directory.AppGroup]},
	}
	for _, k := range kinds {
		archived := k.kind == directory.KindUser || k.kind == directory.KindGroup || k.kind == directory.KindApp
		err := w.mergeWalk(prev, k.bucket, log, func(g *genTx, key, oldV, newV []byte) error {
			id := string(key)
			if !archived {
				a, b := splitKey(key)
				id = a + "/" + b
			}
			switch {
			case oldV == nil:
				log.add(k.kind, directory.OpAdded, id, labelOf(k.kind, key, newV), g, nil)
				if archived {
					return g.unarchive(k.kind, id)
				}
			case newV == nil:
				label := ""
				if archived {
					var err error
					if label, err = g.tombstone(k.kind, id, oldV, seen, w.runID); err != nil {
						return err
					}
				}
				log.add(k.kind, directory.OpRemoved, id, label, g, nil)
			case k.fields != nil && !bytes.Equal(oldV, newV):
				f, err := k.fields(k.kind, key, oldV, newV)
				if err != nil {
					return err
				}
				if len(f) > 0 {
					log.add(k.kind, directory.OpUpdated, id, labelOf(k.kind, key, newV), g, f)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// mergeWalk visits the union of keys of bucket in the previous and the new
// generation, in order, scanBatch keys per write transaction (the change
// records and tombstones are written as it goes).
func (w *FullWriter) mergeWalk(prev uint64, bucket []byte, log *changeLog, fn func(g *genTx, k, oldV, newV []byte) error) error {
	var after []byte
	return w.inBatches(prev, func(tx *bbolt.Tx, p, g *genTx) (more bool, err error) {
		pc, pDamaged := p.cursor(bucket)
		nc, nDamaged := g.cursor(bucket)
		defer func() {
			if err == nil {
				err = errors.Join(pDamaged(), nDamaged())
			}
		}()
		pk, pv := seekAfter(pc, nil, after)
		nk, nv := seekAfter(nc, nil, after)
		for n := 0; pk != nil || nk != nil; n++ {
			if n == scanBatch {
				more = true
				break
			}
			var key []byte
			switch c := compareKeys(pk, nk); {
			case c < 0:
				key = bytes.Clone(pk)
				err = fn(g, key, pv, nil)
				pk, pv = pc.Next()
			case c > 0:
				key = bytes.Clone(nk)
				err = fn(g, key, nil, nv)
				nk, nv = nc.Next()
			default:
				key = bytes.Clone(pk)
				err = fn(g, key, pv, nv)
				pk, pv = pc.Next()
				nk, nv = nc.Next()
			}
			if err != nil {
				return false, err
			}
			after = key
		}
		return more, log.flush(tx, w.runID)
	})
}

// inBatches runs step in write transactions, each holding the previous
// and the staging generation, until step reports that it reached the end
// (more false). step does up to scanBatch keys a transaction and keeps
// its own place, so that no transaction grows with the directory.
func (w *FullWriter) inBatches(prev uint64, step func(tx *bbolt.Tx, p, g *genTx) (more bool, err error)) error {
	for {
		more := false
		err := w.update(func(tx *bbolt.Tx) error {
			p, err := loadGen(tx, prev)
			if err != nil {
				return err
			}
			g, err := loadGen(tx, w.gen)
			if err != nil {
				return err
			}
			more, err = step(tx, p, g)
			return err
		})
		if err != nil || !more {
			return err
		}
		commitProgress("batch")
	}
}

// seekAfter positions c on the first key after after, or, when the walk
// starts (after nil), on the first key under prefix (nil: the first key).
func seekAfter(c kvCursor, prefix, after []byte) ([]byte, []byte) {
	if after == nil {
		return c.Seek(prefix)
	}
	k, v := c.Seek(after)
	if bytes.Equal(k, after) {
		return c.Next()
	}
	return k, v
}

// compareKeys orders keys with nil (an exhausted cursor) last.
func compareKeys(a, b []byte) int {
	switch {
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return bytes.Compare(a, b)
}
