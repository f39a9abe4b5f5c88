package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// keepJournals is how many of the newest runs keep their request journal;
// a full sync of a large org logs thousands of requests, and old journals
// only matter for support bundles of recent problems. Run records and
// change logs are kept forever (they are the history).
const keepJournals = 100

// allocRun reserves the next run id.
func allocRun(tx *bbolt.Tx) (uint64, error) {
	meta := tx.Bucket(bMeta)
	id := getU64(meta, kNextRun) + 1
	return id, meta.Put(kNextRun, u64(id))
}

// putRun stores a run record and its journal, and prunes old journals.
func putRun(tx *bbolt.Tx, run directory.SyncRun, journal []directory.Request) error {
	v, err := json.Marshal(run)
	if err != nil {
		return fmt.Errorf("encode run %d: %w", run.ID, err)
	}
	if err := tx.Bucket(bRuns).Put(u64(run.ID), v); err != nil {
		return fmt.Errorf("store run %d: %w", run.ID, err)
	}
	js := tx.Bucket(bJournals)
	if len(journal) > 0 {
		jb, err := js.CreateBucketIfNotExists(u64(run.ID))
		if err != nil {
			return fmt.Errorf("journal of run %d: %w", run.ID, err)
		}
		jb.FillPercent = appendOnlyFill
		for i, r := range journal {
			v, err := json.Marshal(r)
			if err != nil {
				return fmt.Errorf("encode journal entry: %w", err)
			}
			if err := jb.Put(u64(uint64(i)), v); err != nil {
				return fmt.Errorf("journal of run %d: %w", run.ID, err)
			}
		}
	}
	if run.ID <= keepJournals {
		return nil
	}
	cutoff := run.ID - keepJournals
	var old [][]byte
	c := js.Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= cutoff; k, _ = c.Next() {
		old = append(old, k)
	}
	for _, k := range old {
		if err := js.DeleteBucket(k); err != nil {
			return fmt.Errorf("prune journal: %w", err)
		}
	}
	return nil
}

// RecordFailedRun stores a run that committed no data (a failed sync) with
// its journal, and returns it with its ID. Status defaults to
// directory.RunFailed.
func (s *Store) RecordFailedRun(run directory.SyncRun, journal []directory.Request) (directory.SyncRun, error) {
	if run.Status == "" {
		run.Status = directory.RunFailed
	}
	run.Changes = nil
	err := s.update(func(tx *bbolt.Tx) error {
		id, err := allocRun(tx)
		if err != nil {
			return err
		}
		run.ID = id
		return putRun(tx, run, journal)
	})
	if err != nil {
		return run, fmt.Errorf("record failed run: %w", err)
	}
	return run, nil
}

// collectGarbage deletes what a crash or an abort left behind: generation
// buckets other than the current one (an abandoned staging generation, or
// the previous generation if deleting it after a commit was interrupted)
// and change logs of runs that never committed. Only called with the
// store's write slot held, so nothing in progress is collected.
func collectGarbage(tx *bbolt.Tx) error {
	cur := getU64(tx.Bucket(bMeta), kCurrent)
	gens := tx.Bucket(bGens)
	var stale [][]byte
	gens.ForEachBucket(func(k []byte) error {
		if binary.BigEndian.Uint64(k) != cur {
			stale = append(stale, k)
		}
		return nil
	})
	for _, k := range stale {
		if err := gens.DeleteBucket(k); err != nil {
			return fmt.Errorf("delete stale generation %d: %w", binary.BigEndian.Uint64(k), err)
		}
	}
	runs, changes := tx.Bucket(bRuns), tx.Bucket(bChanges)
	stale = stale[:0]
	changes.ForEachBucket(func(k []byte) error {
		if runs.Get(k) == nil {
			stale = append(stale, k)
		}
		return nil
	})
	for _, k := range stale {
		if err := changes.DeleteBucket(k); err != nil {
			return fmt.Errorf("delete orphan change log: %w", err)
		}
	}
	return nil
}

// seenAt is the time a run observed deletions.
func seenAt(run directory.SyncRun) time.Time {
	switch {
	case !run.Finished.IsZero():
		return run.Finished.UTC()
	case !run.Started.IsZero():
		return run.Started.UTC()
	}
	return time.Now().UTC()
}
