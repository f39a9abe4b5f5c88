package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"

	"go.etcd.io/bbolt"
)

// File layout (all integers big-endian uint64, composite keys joined with
// a tab, which ids may not contain, so that key order equals digest order):
//
//	meta/        magic, schema, current (generation), next_gen, next_run
//	gens/<gen>/  one bucket per generation (the current one, plus a staging
//	             one while a full sync writes):
//	    info       counts, digest (cached, full syncs), rev, run (last committed)
//	    users groups apps              id → record (codec.go; the digest reads
//	                                   its leading fields, status and lastUpdated)
//	    member_lists member_lists_rev  group → users / user → groups, as edge
//	                                   lists (edges.go): group\tfirst user →
//	                                   packed chunk of the group's users
//	    appusers appuser_lists_rev     app\tuser → AppUser record / user → apps
//	    appgroups appgroup_lists_rev   app\tgroup → AppGroup record / group → apps
//	    ix_user ix_dept ix_group       lower(term)\tid → ""
//	    archive                        kind\tid → JSON Tombstone
//	    cursors                        name → value
//	runs/<run>      JSON runRecord
//	journals/<run>/ seq → JSON directory.Request
//	changes/<run>/  seq → JSON directory.Change
//	plans plan_journal audit   change plans (see plans.go)
var (
	bMeta     = []byte("meta")
	bGens     = []byte("gens")
	bRuns     = []byte("runs")
	bJournals = []byte("journals")
	bChanges  = []byte("changes")

	kMagic   = []byte("magic")
	kSchema  = []byte("schema")
	kCurrent = []byte("current")
	kNextGen = []byte("next_gen")
	kNextRun = []byte("next_run")

	bInfo         = []byte("info")
	bUsers        = []byte("users")
	bGroups       = []byte("groups")
	bApps         = []byte("apps")
	bMembers      = []byte("member_lists")
	bMembersRev   = []byte("member_lists_rev")
	bAppUsers     = []byte("appusers")
	bAppUsersRev  = []byte("appuser_lists_rev")
	bAppGroups    = []byte("appgroups")
	bAppGroupsRev = []byte("appgroup_lists_rev")
	bIxUser       = []byte("ix_user")
	bIxDept       = []byte("ix_dept")
	bIxGroup      = []byte("ix_group")
	bArchive      = []byte("archive")
	bCursors      = []byte("cursors")

	kCounts = []byte("counts")
	kDigest = []byte("digest")
	kRev    = []byte("rev")
	kRun    = []byte("run")

	genBuckets = [][]byte{bInfo, bUsers, bGroups, bApps, bMembers, bMembersRev, bAppUsers, bAppUsersRev,
		bAppGroups, bAppGroupsRev, bIxUser, bIxDept, bIxGroup, bArchive, bCursors}
)

const magic = "dirdeck-cache"

// migration upgrades a file from schema version from to from+1. run is
// called in one write transaction after another until it reports no more
// work, so that a large cache is converted in bounded steps; it must
// therefore find its own place again (a step interrupted by a crash is
// rolled back and redone) and leave a file that the same migration can
// resume. The version is bumped with the last step.
type migration struct {
	from uint64
	name string
	run  func(tx *bbolt.Tx) (more bool, err error)
}

// migrations lists every upgrade in order; migrations[i] goes from version
// i+1 to i+2. Append to it (never edit an entry) when the layout changes.
var migrations = []migration{
	{from: 1, name: "compact records", run: migrateCompactRecords},
	{from: 2, name: "edge lists", run: migrateEdgeLists},
}

// schemaVersion is the version this build writes.
func schemaVersion() uint64 { return uint64(len(migrations)) + 1 }

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func getU64(b *bbolt.Bucket, k []byte) uint64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// prepare checks a freshly opened file (initialising an empty one) and
// runs pending migrations.
func (s *Store) prepare() error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("open cache %s: %w", s.path, err)
	}
	var fresh, migrate bool
	err = s.view(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bMeta)
		if meta == nil {
			empty := true
			tx.ForEach(func([]byte, *bbolt.Bucket) error { empty = false; return nil })
			if !empty {
				return fmt.Errorf("%w: a bbolt file without dirdeck metadata", ErrCorrupt)
			}
			fresh = true
			return nil
		}
		if !bytes.Equal(meta.Get(kMagic), []byte(magic)) {
			return fmt.Errorf("%w: bad magic %q", ErrCorrupt, meta.Get(kMagic))
		}
		v := getU64(meta, kSchema)
		switch {
		case v == 0:
			return fmt.Errorf("%w: missing schema version", ErrCorrupt)
		case v > schemaVersion():
			return fmt.Errorf("schema version %d, this dirdeck reads up to %d: %w", v, schemaVersion(), ErrNewerSchema)
		case v < schemaVersion():
			migrate = true
		}
		if fi.Size() <= checkLimit {
			return checkTx(tx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("open cache %s: %w", s.path, err)
	}
	if fresh && s.readOnly {
		return fmt.Errorf("open cache %s: no cache yet, run `dirdeck sync` first", s.path)
	}
	if fresh {
		err = s.update(func(tx *bbolt.Tx) error {
			meta, err := tx.CreateBucket(bMeta)
			if err != nil {
				return err
			}
			for _, name := range [][]byte{bGens, bRuns, bJournals, bChanges} {
				if _, err := tx.CreateBucket(name); err != nil {
					return err
				}
			}
			if err := meta.Put(kMagic, []byte(magic)); err != nil {
				return err
			}
			return meta.Put(kSchema, u64(schemaVersion()))
		})
		if err != nil {
			return fmt.Errorf("initialise cache %s: %w", s.path, err)
		}
	}
	if migrate {
		if s.readOnly {
			return fmt.Errorf("open cache %s: it needs a schema upgrade, open it read-write once (dirdeck sync)", s.path)
		}
		return s.migrate()
	}
	return nil
}

// migrate runs each pending migration in its own transactions, recording
// the version after each so an interrupted upgrade resumes where it
// stopped.
func (s *Store) migrate() error {
	for {
		var done bool
		err := s.update(func(tx *bbolt.Tx) error {
			meta := tx.Bucket(bMeta)
			v := getU64(meta, kSchema)
			if v >= schemaVersion() {
				done = true
				return nil
			}
			m := migrations[v-1]
			if m.from != v {
				return fmt.Errorf("migration table out of order: entry %d is from version %d", v-1, m.from)
			}
			more, err := m.run(tx)
			if err != nil {
				return fmt.Errorf("migration %d→%d (%s): %w", v, v+1, m.name, err)
			}
			if more {
				return nil
			}
			return meta.Put(kSchema, u64(v+1))
		})
		if err != nil {
			return fmt.Errorf("upgrade cache %s: %w", s.path, err)
		}
		if done {
			return nil
		}
	}
}
