// Package store is dirdeck's local cache of one Okta org: a bbolt file per
// profile holding users, groups, apps, memberships and app assignments,
// with the indexes the TUI needs, an archive of deleted objects, and the
// history of sync runs (change logs and request journals).
//
// # Generations
//
// The directory data lives in a generation. A full sync streams into a
// new, staging generation with FullWriter (batched transactions, so a
// million users never sit in one transaction), and Commit flips the
// current-generation pointer in one small transaction after computing the
// change log and the digest. Readers (View) see one consistent generation
// for the whole callback; a process killed at any point leaves the
// previous generation current and intact, and the next write deletes the
// abandoned staging data. An incremental sync (Delta) is applied to the
// current generation in a single transaction: all or nothing.
//
//	s, err := store.Open(path, store.Options{})        // ErrLocked, ErrCorrupt, ErrNewerSchema
//	w, err := s.BeginFull()
//	w.PutUsers(page); w.PutMembers(groupID, ids); w.KeepFromPrevious("apps")
//	run, err = w.Commit(run, journal)                  // or w.Abort()
//	d, err := s.BeginIncremental()
//	d.PutUser(u); d.RemoveMember(g, u); d.SetCursor("users", ts)
//	run, err = d.Commit(run, journal)                  // or d.Abort()
//	err = s.View(func(r *store.Reader) error { r.Counts(); r.Digest(); ... })
//
// Only one FullWriter or Delta is open per Store at a time (ErrBusy).
// Cursors are part of the generation, so a failed or aborted run never
// advances them; a full sync keeps the previous value of cursors it does
// not set. Referential integrity (a membership naming an unknown user) is
// the sync's business: the store keeps what it is given.
//
// # Change log and archive
//
// Each committed run records its changes (directory.Change: added,
// removed, updated with the changed JSON field names; memberships and
// assignments as "<parent>/<child>"). The first full sync records only
// summary counts. Users, groups and apps that disappear are archived as
// Tombstones (excluded from counts and the digest) and leave the archive
// if they come back. Deleting a user or group in a Delta also removes its
// memberships and assignments, as Okta does.
//
// # Reading
//
// Reader lookups and iterators (Users, UsersAfter, UsersByPrefix,
// UsersInDepartment, Groups, GroupsByPrefix, MembersOf, AppUsersOf,
// Memberships, AppUsers, AppGroups, Archived) stream from bbolt cursors in
// constant memory; small per-object lists (GroupsOf, AppsOfUser,
// AppGroupsOf, AppsOfGroup) are slices. LastRun is the newest run, failed
// ones included; CommittedRun is the run the current data comes from.
//
// # Counts and digest
//
// Counts are maintained on every write. The canonical digest (see
// directory.Digester) is computed by streaming the generation in key order
// — keys are the digest's sort order because ids may not contain control
// characters (ErrInvalidID) — reading only the leading fields of each
// record (status and lastUpdated) and the edge keys; full syncs store it,
// and after an incremental sync it is computed once per process.
//
// # Size and memory
//
// Records are compact (codec.go) and memberships are edge lists (edges.go)
// rather than a key per edge, so the file is smaller than the same data
// exported as JSON Lines. A full sync writes objects and edges in batches
// sorted by key, and spools the reverse-edge and name indexes as sorted
// runs in files beside the cache (spool.go) that Commit merges in key
// order: bbolt splits nodes only at commit, so unsorted inserts would be
// quadratic, rewrite most of a large index every transaction and leave
// its pages half empty, and runs kept inside the file would leave their
// size behind (bbolt reuses, never returns, freed pages). bbolt grows the
// file 1 MiB beyond what a commit needs. Measured for 100k users, 5k
// groups and 1M memberships on the shared 2-core machine at load 14
// (BenchmarkFullWrite100k, BenchmarkFullRewrite100k): 16 s for a first
// full write (34 s for the JSON layout in the same conditions), 18 s for
// a second one (change log included), 0.85 MB of file per 1,000 users
// (3.4 MB before), and about twice the data while a staged generation
// sits beside the current one. With the JSON layout the Go heap stayed
// under 100 MB; the file is memory-mapped (1 GiB of address space
// reserved up front so writers rarely wait for readers to remap), and
// mapped pages a process has read count in its resident set: a full
// write drops them after each of its transactions and during the digest
// walk (releaseMapped, Linux), which took a million-user sync's peak RSS
// from 649 MiB to 228 MiB.
//
// # Files, locks and damage
//
// The file is created 0600 in a 0700 directory. bbolt locks it: a writer
// (Open) takes an exclusive flock, readers (OpenReadOnly) a shared one, so
// read-only access works only while no writer has the file open; a writer
// must close it to let others in. Waiting is bounded by Options.Timeout
// (2 s), after which Open returns ErrLocked naming the writer's pid, read
// from "<path>.pid" (written while a writer has it open). A file that is
// not a readable dirdeck cache (random bytes, truncated, another program's
// bbolt file, a failing consistency check on files up to 16 MiB) gives
// ErrCorrupt, and panics bbolt raises on damaged pages are recovered into
// ErrCorrupt; Rebuild moves such a file aside. A file from a newer dirdeck
// gives ErrNewerSchema; older ones are migrated on open.
//
// Users, groups, apps and assignments are stored as compact binary
// records (codec.go: fields in a fixed order, ids only in the key, times
// as numbers), a third of their JSON and several times faster to decode;
// a damaged record reads as ErrCorrupt. Values round-trip as given: HTML,
// escape sequences, invalid UTF-8 and very long strings unchanged, custom
// attributes as JSON would give them back; sanitising is the UI's job.
// Runs, journals, change records and tombstones stay JSON.
package store
