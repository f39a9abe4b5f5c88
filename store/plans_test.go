package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

func TestPlanBuckets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Plan("p-1"); !errors.Is(err, ErrPlanNotFound) {
		t.Fatalf("missing plan: %v", err)
	}
	if err := s.PutPlan("p-1", []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdatePlan("p-1", func(b []byte) ([]byte, error) { return append(b[:len(b)-2], '2', '}'), nil }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := s.UpdatePlan("p-1", func([]byte) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("update error: %v", err)
	}
	if err := s.UpdatePlan("p-2", func(b []byte) ([]byte, error) { return b, nil }); !errors.Is(err, ErrPlanNotFound) {
		t.Fatalf("update missing: %v", err)
	}
	for seq, v := range []string{`a`, `b`, `c`} {
		if err := s.PutPlanJournal("p-1", seq+1, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutPlanJournal("p-10", 1, []byte("other")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPlanJournal("p-1", 2, []byte("b2")); err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"one", "two"} {
		if _, err := s.AppendAudit(appendAfter(t, e)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutPlan("bad\nid", nil); !errors.Is(err, ErrInvalidID) {
		t.Fatalf("bad id: %v", err)
	}
	s.Close()

	s, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec, err := s.Plan("p-1")
	if err != nil || string(rec) != `{"v":2}` {
		t.Fatalf("plan = %s, %v", rec, err)
	}
	all, err := s.Plans()
	if err != nil || len(all) != 1 {
		t.Fatalf("plans = %d, %v", len(all), err)
	}
	j, err := s.PlanJournal("p-1")
	if err != nil || len(j) != 3 || string(j[1]) != "a" || string(j[2]) != "b2" || string(j[3]) != "c" {
		t.Fatalf("journal = %v, %v", j, err)
	}
	audit, err := s.Audit()
	if err != nil || len(audit) != 2 || string(audit[0]) != "1:one" || string(audit[1]) != "2:two" {
		t.Fatalf("audit = %q, %v", audit, err)
	}
	if _, err := s.AppendAudit(appendAfter(t, "x")); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only append: %v", err)
	}
}

// appendAfter is an AppendAudit callback writing "<seq>:<entry>" and
// checking that it sees the entry before it.
func appendAfter(t *testing.T, entry string) func([]byte, uint64) ([]byte, error) {
	return func(last []byte, seq uint64) ([]byte, error) {
		if want := fmt.Sprint(seq-1, ":"); (seq == 1) != (last == nil) || (last != nil && !strings.HasPrefix(string(last), want)) {
			t.Errorf("entry %d sees last %q", seq, last)
		}
		return fmt.Appendf(nil, "%d:%s", seq, entry), nil
	}
}

// TestLedgerOutlivesTheCache: plans, journals and the audit log live in
// the ledger file, which neither Rebuild nor a damaged cache file loses,
// and an older cache's plan buckets move into it.
func TestLedgerOutlivesTheCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A cache that holds no plan has no ledger file.
	if _, err := os.Stat(LedgerPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ledger before the first plan: %v", err)
	}
	if err := s.PutPlan("p-1", []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(LedgerPath(path)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ledger after the first plan: %v %v", fi, err)
	}
	if _, err := s.AppendAudit(appendAfter(t, "staged")); err != nil {
		t.Fatal(err)
	}
	// A cache written before the ledger: plan buckets in the cache file.
	if err := s.update(func(tx *bbolt.Tx) error {
		for name, kv := range map[string][2]string{"plans": {"p-old", `{"old":1}`}, "plan_journal": {"p-old\tx", "j"}, "audit": {"k", "legacy"}} {
			b, err := tx.CreateBucketIfNotExists([]byte(name))
			if err != nil {
				return err
			}
			if err := b.Put([]byte(kv[0]), []byte(kv[1])); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := s.Plan("p-old"); err != nil || string(rec) != `{"old":1}` {
		t.Fatalf("legacy plan after the move: %s, %v", rec, err)
	}
	if err := s.view(func(tx *bbolt.Tx) error {
		for _, name := range []string{"plans", "plan_journal", "audit"} {
			if tx.Bucket([]byte(name)) != nil {
				t.Errorf("bucket %s still in the cache file", name)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	for _, damage := range []string{"rebuild", "corrupt"} {
		switch damage {
		case "rebuild":
			if _, err := Rebuild(path); err != nil {
				t.Fatal(err)
			}
		case "corrupt":
			if err := os.WriteFile(path, bytes.Repeat([]byte{0xAB}, 1<<16), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(path, Options{}); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("corrupt cache opened: %v", err)
			}
			if _, err := Rebuild(path); err != nil {
				t.Fatal(err)
			}
		}
		s, err = Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		plans, err := s.Plans()
		if err != nil || len(plans) != 2 {
			t.Fatalf("after %s: %d plans, %v", damage, len(plans), err)
		}
		audit, err := s.Audit()
		if err != nil || len(audit) != 1 || string(audit[0]) != "1:staged" {
			t.Fatalf("after %s: audit %q, %v", damage, audit, err)
		}
		s.Close()
	}
}
