package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"go.etcd.io/bbolt"
)

// The plan ledger — plans, their apply journals and the audit log — lives
// in its own bbolt file beside the cache ("<name>.plans.db" for
// "<name>.db"), not in the cache file: the cache can be thrown away and
// rebuilt from Okta at any time (sync --rebuild, a corrupt file), the
// ledger cannot. Rebuild never touches it, and a damaged cache file leaves
// it intact. The Store opens it with the cache and closes it with it.

// LedgerPath is the plan ledger file of the cache at path.
func LedgerPath(path string) string {
	return strings.TrimSuffix(path, ".db") + ".plans.db"
}

// openLedger opens the ledger of s if its file exists, and moves into it
// the plan buckets of caches written before the ledger existed (creating
// it then). Otherwise the ledger is created by its first write
// (updateLedger), so that a cache that never held a plan (a failed first
// sync, a support bundle's) leaves no ledger file behind; reads see
// nothing until then. The cache's lock, held first, keeps two processes
// from creating it at once.
func (s *Store) openLedger(opts Options) error {
	s.ledgerOpts = opts
	if _, err := os.Stat(LedgerPath(s.path)); err == nil {
		if err := s.createLedger(); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("plan ledger: %w", err)
	}
	if opts.ReadOnly {
		return nil
	}
	return s.moveLegacyPlans()
}

// createLedger opens (creating unless read-only) the ledger file.
func (s *Store) createLedger() error {
	s.ledgerMu.Lock()
	defer s.ledgerMu.Unlock()
	if s.ledger != nil {
		return nil
	}
	path := LedgerPath(s.path)
	db, err := openBolt(path, s.ledgerOpts)
	if err != nil {
		return fmt.Errorf("plan ledger: %w", err)
	}
	if !s.ledgerOpts.ReadOnly {
		if err := os.Chmod(path, 0o600); err != nil {
			db.Close()
			return fmt.Errorf("restrict plan ledger mode: %w", err)
		}
	}
	s.ledger = db
	return nil
}

// ledgerDB is the open ledger, or nil before its first write.
func (s *Store) ledgerDB() *bbolt.DB {
	s.ledgerMu.Lock()
	defer s.ledgerMu.Unlock()
	return s.ledger
}

// legacyAudit keeps the audit entries of caches that predate the ledger:
// they were not hash-chained, so they are kept apart, unaltered.
var bLegacyAudit = []byte("audit_legacy")

// moveLegacyPlans moves the plans, plan_journal and audit buckets of an
// older cache file into the ledger (audit as audit_legacy): copied in
// one ledger transaction, then deleted from the cache in one cache
// transaction, so a crash in between leaves a copy in both and the next
// open finishes the move without duplicating anything.
func (s *Store) moveLegacyPlans() error {
	moves := []struct{ from, to []byte }{{bPlans, bPlans}, {bPlanJournal, bPlanJournal}, {bAudit, bLegacyAudit}}
	type kv struct{ k, v []byte }
	found := map[string][]kv{}
	err := s.view(func(tx *bbolt.Tx) error {
		for _, m := range moves {
			b := tx.Bucket(m.from)
			if b == nil {
				continue
			}
			found[string(m.from)] = []kv{}
			if err := b.ForEach(func(k, v []byte) error {
				found[string(m.from)] = append(found[string(m.from)], kv{bytes.Clone(k), bytes.Clone(v)})
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || len(found) == 0 {
		return err
	}
	err = s.updateLedger(func(tx *bbolt.Tx) error {
		for _, m := range moves {
			rows, ok := found[string(m.from)]
			if !ok {
				continue
			}
			b, err := tx.CreateBucketIfNotExists(m.to)
			if err != nil {
				return err
			}
			for _, r := range rows {
				if b.Get(r.k) == nil {
					if err := b.Put(r.k, r.v); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("move plans into the ledger: %w", err)
	}
	return s.update(func(tx *bbolt.Tx) error {
		for _, m := range moves {
			if tx.Bucket(m.from) != nil {
				if err := tx.DeleteBucket(m.from); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// viewLedger runs fn in a read transaction of the ledger; without a
// ledger file (none written yet) fn is not called.
func (s *Store) viewLedger(fn func(*bbolt.Tx) error) (err error) {
	db := s.ledgerDB()
	if db == nil {
		return nil
	}
	defer s.recoverCorrupt(&err)
	return db.View(fn)
}

// updateLedger is viewLedger's writing twin; the first write creates the
// ledger file.
func (s *Store) updateLedger(fn func(*bbolt.Tx) error) (err error) {
	if s.readOnly {
		return fmt.Errorf("write plan ledger of %s: %w", s.path, ErrReadOnly)
	}
	if err := s.createLedger(); err != nil {
		return err
	}
	defer s.recoverCorrupt(&err)
	return s.ledgerDB().Update(fn)
}
