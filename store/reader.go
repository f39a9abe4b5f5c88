package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// Reader is a consistent snapshot of the current generation plus the run
// history, valid only inside the View callback that received it (its
// iterators too). Keep Views short: a long one delays a writer that needs
// to grow the file. Never write (Commit, RecordFailedRun) from inside a
// View callback: bbolt would deadlock if that write had to remap the file.
//
// Lookups return zero values when the cache holds no generation yet. A
// value that fails to decode stops iteration and makes View return
// ErrCorrupt.
type Reader struct {
	s   *Store
	tx  *bbolt.Tx
	gen uint64
	rev uint64
	g   *genTx // nil before the first full sync
	err error
}

// RunChanges is one run with its recorded changes.
type RunChanges struct {
	Run     directory.SyncRun  `json:"run"`
	Changes []directory.Change `json:"changes"`
}

// View runs fn with a Reader on the current generation. It returns fn's
// error, else the first decode error a Reader method met.
func (s *Store) View(fn func(r *Reader) error) error {
	return s.view(func(tx *bbolt.Tx) error {
		r := &Reader{s: s, tx: tx, gen: getU64(tx.Bucket(bMeta), kCurrent)}
		if r.gen != 0 {
			g, err := loadGen(tx, r.gen)
			if err != nil {
				return err
			}
			r.g, r.rev = g, getU64(g.info, kRev)
		}
		if err := fn(r); err != nil {
			return err
		}
		if r.err != nil {
			return fmt.Errorf("read cache %s: %w", s.path, r.err)
		}
		return nil
	})
}

// fail keeps the first error for View to return.
func (r *Reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Generation is the current generation number, 0 before the first sync.
func (r *Reader) Generation() uint64 { return r.gen }

// Counts are the counted rows of the current generation (tombstones are
// not counted), kept up to date on every write.
func (r *Reader) Counts() directory.Counts {
	if r.g == nil {
		return directory.Counts{}
	}
	return r.g.counts
}

// Digest is the canonical digest of the current generation. Full syncs
// store it; after an incremental sync it is computed by streaming over
// the generation once and remembered for the process.
func (r *Reader) Digest() (string, error) {
	if r.g == nil {
		return directory.NewSortedDigester().Sum()
	}
	if r.rev == 0 {
		if d := r.g.info.Get(kDigest); d != nil {
			return string(d), nil
		}
	}
	key := genRev{r.gen, r.rev}
	r.s.digestMu.Lock()
	d, ok := r.s.digests[key]
	r.s.digestMu.Unlock()
	if ok {
		return d, nil
	}
	d, err := digestGen(r.g)
	if err != nil {
		return "", fmt.Errorf("digest of generation %d: %w", r.gen, err)
	}
	r.s.digestMu.Lock()
	r.s.digests = map[genRev]string{key: d} // only the newest matters
	r.s.digestMu.Unlock()
	return d, nil
}

// Cursor returns an incremental-sync cursor of the current generation.
func (r *Reader) Cursor(name string) string {
	if r.g == nil {
		return ""
	}
	return string(r.g.curs.Get([]byte(name)))
}

func get[T any](r *Reader, b func(*genTx) *bbolt.Bucket, what string, key []byte) (T, bool) {
	var zero T
	if r.g == nil {
		return zero, false
	}
	v := b(r.g).Get(key)
	if v == nil {
		return zero, false
	}
	t, err := decodeRec[T](what, key, v)
	if err != nil {
		r.fail(err)
		return zero, false
	}
	return t, true
}

// all iterates a bucket's values from the first key after `after`.
func all[T any](r *Reader, b func(*genTx) *bbolt.Bucket, what string, after string) iter.Seq[T] {
	return func(yield func(T) bool) {
		if r.g == nil {
			return
		}
		c := b(r.g).Cursor()
		for k, v := seekAfter(c, nil, keyOrNil(after)); k != nil; k, v = c.Next() {
			t, err := decodeRec[T](what, k, v)
			if err != nil {
				r.fail(err)
				return
			}
			if !yield(t) {
				return
			}
		}
	}
}

func (g *genTx) usersB() *bbolt.Bucket     { return g.users }
func (g *genTx) groupsB() *bbolt.Bucket    { return g.groups }
func (g *genTx) appsB() *bbolt.Bucket      { return g.apps }
func (g *genTx) appUsersB() *bbolt.Bucket  { return g.appUsers }
func (g *genTx) appGroupsB() *bbolt.Bucket { return g.appGroups }

// User looks a user up by id.
func (r *Reader) User(id string) (directory.User, bool) {
	return get[directory.User](r, (*genTx).usersB, "user", []byte(id))
}

// Users streams every user in id order.
func (r *Reader) Users() iter.Seq[directory.User] { return r.UsersAfter("") }

// UsersAfter streams users with ids after id (exclusive), in id order, so
// a windowed list can resume without walking from the start.
func (r *Reader) UsersAfter(id string) iter.Seq[directory.User] {
	return all[directory.User](r, (*genTx).usersB, "user", id)
}

// UsersBatch returns up to max users with ids after id (exclusive), in
// id order, decoding them on every CPU: loading a million-user table in
// batches is mostly decoding, and the bbolt values stay valid (and
// read-only) for the whole transaction. A value that fails to decode makes
// View return ErrCorrupt, as with Users, and UsersBatch returns nil.
func (r *Reader) UsersBatch(after string, max int) []directory.User {
	if r.g == nil || max <= 0 {
		return nil
	}
	var raw []kv
	c := r.g.users.Cursor()
	for k, v := seekAfter(c, nil, keyOrNil(after)); k != nil && len(raw) < max; k, v = c.Next() {
		raw = append(raw, kv{k, v})
	}
	if len(raw) == 0 {
		return nil
	}
	out := make([]directory.User, len(raw))
	workers := 1
	if len(raw) >= parallelDecodeMin {
		workers = min(runtime.GOMAXPROCS(0), 8)
	}
	errs := make([]error, workers)
	chunk := (len(raw) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * chunk; i < min((w+1)*chunk, len(raw)); i++ {
				u, err := decodeRec[directory.User]("user", raw[i].k, raw[i].v)
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = u
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			r.fail(err)
			return nil
		}
	}
	return out
}

// parallelDecodeMin is the batch size from which UsersBatch decodes on
// several goroutines; below it they cost more than they save.
const parallelDecodeMin = 2_000

// UsersByPrefix streams users whose login, email, first, last or display
// name starts with prefix (case-insensitive), each once, in index order
// (by the matching name). An empty prefix streams everyone in id order,
// like Users, without the per-query set of ids seen.
func (r *Reader) UsersByPrefix(prefix string) iter.Seq[directory.User] {
	if prefix == "" {
		return r.Users()
	}
	p := strings.ToLower(prefix)
	seek := []byte(term(p))
	return func(yield func(directory.User) bool) {
		if r.g == nil {
			return
		}
		seen := map[string]bool{}
		c := r.g.ixUser.Cursor()
		for k, _ := c.Seek(seek); k != nil && bytes.HasPrefix(k, seek); k, _ = c.Next() {
			_, id := splitKey(k)
			if seen[id] {
				continue
			}
			u, ok := r.User(id)
			if !ok {
				continue
			}
			if len(p) > maxTermLen && !matchesLong(u, p) {
				continue
			}
			seen[id] = true
			if !yield(u) {
				return
			}
		}
	}
}

// matchesLong re-checks a prefix longer than the indexed part of a term.
func matchesLong(u directory.User, p string) bool {
	for _, s := range []string{u.Login, u.Email, u.FirstName, u.LastName, u.DisplayName, u.Name()} {
		if strings.HasPrefix(strings.ToLower(s), p) {
			return true
		}
	}
	return false
}

// UsersInDepartment streams the users of a department (case-insensitive
// exact match) in id order.
func (r *Reader) UsersInDepartment(dept string) iter.Seq[directory.User] {
	prefix := ck(term(dept), "")
	return func(yield func(directory.User) bool) {
		if r.g == nil || dept == "" {
			return
		}
		c := r.g.ixDept.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			u, ok := r.User(string(k[len(prefix):]))
			if !ok || !strings.EqualFold(u.Department, dept) {
				continue
			}
			if !yield(u) {
				return
			}
		}
	}
}

// Group looks a group up by id.
func (r *Reader) Group(id string) (directory.Group, bool) {
	return get[directory.Group](r, (*genTx).groupsB, "group", []byte(id))
}

// Groups streams every group in id order.
func (r *Reader) Groups() iter.Seq[directory.Group] {
	return all[directory.Group](r, (*genTx).groupsB, "group", "")
}

// GroupsByPrefix streams groups whose name starts with prefix
// (case-insensitive), in name order.
func (r *Reader) GroupsByPrefix(prefix string) iter.Seq[directory.Group] {
	p := strings.ToLower(prefix)
	seek := []byte(term(p))
	return func(yield func(directory.Group) bool) {
		if r.g == nil {
			return
		}
		c := r.g.ixGroup.Cursor()
		for k, _ := c.Seek(seek); k != nil && bytes.HasPrefix(k, seek); k, _ = c.Next() {
			_, id := splitKey(k)
			g, ok := r.Group(id)
			if !ok || !strings.HasPrefix(strings.ToLower(g.Name), p) {
				continue
			}
			if !yield(g) {
				return
			}
		}
	}
}

// GroupByName finds a group by name (case-insensitive). Okta keeps
// OKTA_GROUP names unique; if app groups share a name, the one with the
// lowest id wins.
func (r *Reader) GroupByName(name string) (directory.Group, bool) {
	for g := range r.GroupsByPrefix(name) {
		if strings.EqualFold(g.Name, name) {
			return g, true
		}
	}
	return directory.Group{}, false
}

// App looks an app up by id.
func (r *Reader) App(id string) (directory.App, bool) {
	return get[directory.App](r, (*genTx).appsB, "app", []byte(id))
}

// Apps streams every app in id order.
func (r *Reader) Apps() iter.Seq[directory.App] {
	return all[directory.App](r, (*genTx).appsB, "app", "")
}

// childIDs streams the child ids stored under parent in b.
func (r *Reader) childIDs(b func(*genTx) *bbolt.Bucket, parent string) iter.Seq[string] {
	return func(yield func(string) bool) {
		if r.g == nil {
			return
		}
		prefix := ck(parent, "")
		c := b(r.g).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if !yield(string(k[len(prefix):])) {
				return
			}
		}
	}
}

// listIDs streams the children of parent in an edge list.
func (r *Reader) listIDs(l func(*genTx) edgeList, parent string) iter.Seq[string] {
	return func(yield func(string) bool) {
		if r.g == nil {
			return
		}
		if err := l(r.g).each(parent, func(c []byte) bool { return yield(string(c)) }); err != nil {
			r.fail(err)
		}
	}
}

func (g *genTx) membersL() edgeList      { return g.members }
func (g *genTx) membersRevL() edgeList   { return g.membersRev }
func (g *genTx) appUsersRevL() edgeList  { return g.appUsersRev }
func (g *genTx) appGroupsRevL() edgeList { return g.appGroupsRev }

// MembersOf streams the user ids of a group in id order (groups can have
// hundreds of thousands of members).
func (r *Reader) MembersOf(groupID string) iter.Seq[string] {
	return r.listIDs((*genTx).membersL, groupID)
}

// MemberCount counts a group's members from the headers of its member
// list's chunks, without expanding them.
func (r *Reader) MemberCount(groupID string) int {
	if r.g == nil {
		return 0
	}
	n, err := r.g.members.count(groupID)
	if err != nil {
		r.fail(err)
	}
	return n
}

// AppUserCount counts an app's user assignments by walking their keys
// without decoding them.
func (r *Reader) AppUserCount(appID string) int {
	return r.countChildren((*genTx).appUsersB, appID)
}

func (r *Reader) countChildren(b func(*genTx) *bbolt.Bucket, parent string) int {
	if r.g == nil {
		return 0
	}
	n := 0
	prefix := ck(parent, "")
	c := b(r.g).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return n
}

// GroupsOf lists the group ids a user belongs to.
func (r *Reader) GroupsOf(userID string) []string {
	return slices.Collect(r.listIDs((*genTx).membersRevL, userID))
}

// GroupsOfUsers lists the group ids of each of ids, as GroupsOf would,
// with one walk of the reverse membership index: for ids in ascending
// order (as Users and UsersBatch yield them) a user's groups follow the
// previous user's, so a million users cost a million steps of one cursor
// instead of a million seeks, or a user-to-groups map built from every
// group's member list. Any order is answered correctly.
func (r *Reader) GroupsOfUsers(ids []string) [][]string {
	out := make([][]string, len(ids))
	if r.g == nil || len(ids) == 0 {
		return out
	}
	c := r.g.membersRev.cursor()
	defer func() {
		if c.err != nil {
			r.fail(c.err)
		}
	}()
	var k []byte
	for i, id := range ids {
		prefix := ck(id, "")
		if k == nil || !bytes.HasPrefix(k, prefix) {
			k, _ = c.Seek(prefix)
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			out[i] = append(out[i], string(k[len(prefix):]))
		}
	}
	return out
}

// AppUsersOf streams an app's user assignments in user id order.
func (r *Reader) AppUsersOf(appID string) iter.Seq[directory.AppUser] {
	return func(yield func(directory.AppUser) bool) {
		for uid := range r.childIDs((*genTx).appUsersB, appID) {
			au, ok := get[directory.AppUser](r, (*genTx).appUsersB, "app user", ck(appID, uid))
			if ok && !yield(au) {
				return
			}
		}
	}
}

// AppsOfUser lists a user's app assignments (direct and through groups,
// as Okta reports them), in app id order.
func (r *Reader) AppsOfUser(userID string) []directory.AppUser {
	var out []directory.AppUser
	for aid := range r.listIDs((*genTx).appUsersRevL, userID) {
		if au, ok := get[directory.AppUser](r, (*genTx).appUsersB, "app user", ck(aid, userID)); ok {
			out = append(out, au)
		}
	}
	return out
}

// AppGroupsOf lists an app's group assignments in group id order.
func (r *Reader) AppGroupsOf(appID string) []directory.AppGroup {
	var out []directory.AppGroup
	for gid := range r.childIDs((*genTx).appGroupsB, appID) {
		if ag, ok := get[directory.AppGroup](r, (*genTx).appGroupsB, "app group", ck(appID, gid)); ok {
			out = append(out, ag)
		}
	}
	return out
}

// AppsOfGroup lists the app assignments of a group, in app id order.
func (r *Reader) AppsOfGroup(groupID string) []directory.AppGroup {
	var out []directory.AppGroup
	for aid := range r.listIDs((*genTx).appGroupsRevL, groupID) {
		if ag, ok := get[directory.AppGroup](r, (*genTx).appGroupsB, "app group", ck(aid, groupID)); ok {
			out = append(out, ag)
		}
	}
	return out
}

// Memberships streams every membership in group, then user id order
// (for export).
func (r *Reader) Memberships() iter.Seq[directory.Membership] {
	return func(yield func(directory.Membership) bool) {
		if r.g == nil {
			return
		}
		c := r.g.members.cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			g, u := splitKey(k)
			if !yield(directory.Membership{GroupID: g, UserID: u}) {
				return
			}
		}
		if c.err != nil {
			r.fail(c.err)
		}
	}
}

// AppUsers streams every user assignment in app, then user id order.
func (r *Reader) AppUsers() iter.Seq[directory.AppUser] {
	return all[directory.AppUser](r, (*genTx).appUsersB, "app user", "")
}

// AppGroups streams every group assignment in app, then group id order.
func (r *Reader) AppGroups() iter.Seq[directory.AppGroup] {
	return all[directory.AppGroup](r, (*genTx).appGroupsB, "app group", "")
}

// CommittedRun is the run whose commit the current generation reflects
// last (the newest full or incremental sync that committed data; failed
// runs never do). Its Partial lists resources kept from older data.
func (r *Reader) CommittedRun() (directory.SyncRun, bool) {
	if r.g == nil {
		return directory.SyncRun{}, false
	}
	return r.Run(getU64(r.g.info, kRun))
}

// Archived streams tombstones of one kind (directory.KindUser, KindGroup,
// KindApp) in id order; an empty kind streams all.
func (r *Reader) Archived(kind string) iter.Seq[Tombstone] {
	return func(yield func(Tombstone) bool) {
		if r.g == nil {
			return
		}
		var prefix []byte
		if kind != "" {
			prefix = ck(kind, "")
		}
		c := r.g.archive.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			t, err := decode[Tombstone]("tombstone "+string(k), v)
			if err != nil {
				r.fail(err)
				return
			}
			if !yield(t) {
				return
			}
		}
	}
}

// Runs lists up to limit runs (all if limit <= 0), newest first.
func (r *Reader) Runs(limit int) []directory.SyncRun {
	var out []directory.SyncRun
	c := r.tx.Bucket(bRuns).Cursor()
	for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
		run, err := decode[directory.SyncRun]("run", v)
		if err != nil {
			r.fail(err)
			return out
		}
		out = append(out, run)
	}
	return out
}

// LastRun is the newest run, failed ones included.
func (r *Reader) LastRun() (directory.SyncRun, bool) {
	runs := r.Runs(1)
	if len(runs) == 0 {
		return directory.SyncRun{}, false
	}
	return runs[0], true
}

// Run looks a run up by id.
func (r *Reader) Run(id uint64) (directory.SyncRun, bool) {
	v := r.tx.Bucket(bRuns).Get(u64(id))
	if v == nil {
		return directory.SyncRun{}, false
	}
	run, err := decode[directory.SyncRun]("run", v)
	if err != nil {
		r.fail(err)
		return run, false
	}
	return run, true
}

func seqValues[T any](r *Reader, b *bbolt.Bucket, what string) []T {
	if b == nil {
		return nil
	}
	var out []T
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		t, err := decode[T](what, v)
		if err != nil {
			r.fail(err)
			return out
		}
		out = append(out, t)
	}
	return out
}

// Journal is a run's request journal (kept for the newest 100 runs).
func (r *Reader) Journal(runID uint64) []directory.Request {
	return seqValues[directory.Request](r, r.tx.Bucket(bJournals).Bucket(u64(runID)), "journal entry")
}

// Changes are the changes a run recorded, in the order found.
func (r *Reader) Changes(runID uint64) []directory.Change {
	if r.tx.Bucket(bRuns).Get(u64(runID)) == nil {
		return nil // a change log without a run belongs to an unfinished write
	}
	return seqValues[directory.Change](r, r.tx.Bucket(bChanges).Bucket(u64(runID)), "change")
}

// ChangesSince returns the runs that finished at or after t and recorded
// changes, oldest first, each with its changes.
func (r *Reader) ChangesSince(t time.Time) []RunChanges {
	var out []RunChanges
	c := r.tx.Bucket(bRuns).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var run directory.SyncRun
		if err := json.Unmarshal(v, &run); err != nil {
			r.fail(fmt.Errorf("%w: decode run %d: %w", ErrCorrupt, binary.BigEndian.Uint64(k), err))
			return out
		}
		if run.Finished.Before(t) || len(run.Changes) == 0 {
			continue
		}
		out = append(out, RunChanges{Run: run, Changes: r.Changes(run.ID)})
	}
	return out
}

// keyOrNil is id as a key for seekAfter: nil (start from the first key)
// when empty.
func keyOrNil(id string) []byte {
	if id == "" {
		return nil
	}
	return []byte(id)
}
