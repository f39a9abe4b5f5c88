package store

import (
	"errors"
	"path/filepath"
	"testing"
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
		if _, err := s.AppendAudit([]byte(e)); err != nil {
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
	if err != nil || len(audit) != 2 || string(audit[0]) != "one" || string(audit[1]) != "two" {
		t.Fatalf("audit = %q, %v", audit, err)
	}
	if _, err := s.AppendAudit([]byte("x")); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only append: %v", err)
	}
}
