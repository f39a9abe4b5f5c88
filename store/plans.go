package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// Change plans (package plan) keep their state in three top-level buckets
// of the plan ledger (ledger.go), a file apart from the cache so that
// neither a sync nor a rebuild touches them:
//
//	plans/        plan id → JSON plan record (the plan, its reviews, state)
//	plan_journal/ plan id\t<seq> → JSON journal entry of one operation,
//	              overwritten before and after the operation is applied
//	audit/        <seq> → JSON audit entry; append-only (no update or delete)
//
// The store treats the values as opaque JSON: their shape (and the audit
// log's hash chain) is package plan's. Buckets are created on the first
// write; reads of a missing bucket see nothing.
var (
	bPlans       = []byte("plans")
	bPlanJournal = []byte("plan_journal")
	bAudit       = []byte("audit")
)

// ErrPlanNotFound: no plan with that id in the cache.
var ErrPlanNotFound = errors.New("no such plan in this profile's cache")

// PutPlan stores (creating or replacing) the record of plan id.
func (s *Store) PutPlan(id string, record []byte) error {
	if err := checkID("plan", id); err != nil {
		return err
	}
	return s.putTopLevel(bPlans, "plans", []byte(id), record)
}

// UpdatePlan replaces the record of plan id with fn's result in one
// transaction, so that two processes reviewing the same plan do not lose
// each other's reviews. fn receives a copy of the current record; an
// error from fn aborts and is returned unchanged.
func (s *Store) UpdatePlan(id string, fn func(record []byte) ([]byte, error)) error {
	return s.updateLedger(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bPlans)
		var cur []byte
		if b != nil {
			cur = b.Get([]byte(id))
		}
		if cur == nil {
			return fmt.Errorf("plan %s: %w", id, ErrPlanNotFound)
		}
		next, err := fn(bytes.Clone(cur))
		if err != nil {
			return err
		}
		return b.Put([]byte(id), next)
	})
}

// Plan returns the record of plan id (ErrPlanNotFound if there is none).
func (s *Store) Plan(id string) ([]byte, error) {
	var out []byte
	err := s.viewLedger(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(bPlans); b != nil {
			out = bytes.Clone(b.Get([]byte(id)))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, fmt.Errorf("plan %s: %w", id, ErrPlanNotFound)
	}
	return out, nil
}

// Plans returns every plan record, in id order.
func (s *Store) Plans() ([][]byte, error) {
	return s.topLevelValues(bPlans)
}

func journalKey(planID string, seq int) []byte {
	k := make([]byte, 0, len(planID)+9)
	k = append(k, planID...)
	k = append(k, '\t')
	return binary.BigEndian.AppendUint64(k, uint64(seq))
}

// PutPlanJournal records the journal entry of operation seq of a plan. It
// is its own transaction (synced to disk when it returns), so an entry
// written before an operation survives a crash during it.
func (s *Store) PutPlanJournal(planID string, seq int, entry []byte) error {
	if err := checkID("plan", planID); err != nil {
		return err
	}
	return s.putTopLevel(bPlanJournal, "plan journal", journalKey(planID, seq), entry)
}

// PlanJournal returns the journal entries of a plan by operation seq.
func (s *Store) PlanJournal(planID string) (map[int][]byte, error) {
	out := map[int][]byte{}
	prefix := append([]byte(planID), '\t')
	err := s.viewLedger(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bPlanJournal)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			rest := k[len(prefix):]
			if len(rest) != 8 {
				return fmt.Errorf("%w: plan journal key %q", ErrCorrupt, k)
			}
			out[int(binary.BigEndian.Uint64(rest))] = bytes.Clone(v)
		}
		return nil
	})
	return out, err
}

// AppendAudit appends the entry next returns to the audit log, in one
// transaction: next gets the last entry (nil for the first) and the new
// entry's sequence number (from 1), so an entry can commit to the one
// before it. The log has no update or delete.
func (s *Store) AppendAudit(next func(last []byte, seq uint64) ([]byte, error)) (uint64, error) {
	var seq uint64
	err := s.updateLedger(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bAudit)
		if err != nil {
			return fmt.Errorf("audit bucket: %w", err)
		}
		var last []byte
		if _, v := b.Cursor().Last(); v != nil {
			last = bytes.Clone(v)
		}
		seq, err = b.NextSequence()
		if err != nil {
			return err
		}
		entry, err := next(last, seq)
		if err != nil {
			return err
		}
		return b.Put(u64(seq), entry)
	})
	if err != nil {
		return 0, fmt.Errorf("append audit entry: %w", err)
	}
	return seq, nil
}

// Audit returns the audit log's entries in order.
func (s *Store) Audit() ([][]byte, error) {
	return s.topLevelValues(bAudit)
}

// topLevelValues returns copies of the values of a top-level ledger
// bucket in key order (none before the bucket's first write).
func (s *Store) topLevelValues(bucket []byte) ([][]byte, error) {
	var out [][]byte
	err := s.viewLedger(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			out = append(out, bytes.Clone(v))
			return nil
		})
	})
	return out, err
}

// putTopLevel stores a copy of value under key in a top-level ledger
// bucket, creating the bucket on first use (what names it in errors).
func (s *Store) putTopLevel(bucket []byte, what string, key, value []byte) error {
	return s.updateLedger(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return fmt.Errorf("%s bucket: %w", what, err)
		}
		return b.Put(key, bytes.Clone(value))
	})
}
