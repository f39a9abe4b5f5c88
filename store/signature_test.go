package store

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestSignatureRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A cache that never stored signatures reads as empty.
	if ts, err := s.SignatureTemplates(); err != nil || len(ts) != 0 {
		t.Fatalf("templates %v %v", ts, err)
	}
	if _, ok, err := s.SignatureRulesStored(); ok || err != nil {
		t.Fatalf("rules %v %v", ok, err)
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for _, name := range []string{"zeta", "alpha"} {
		if err := s.PutSignatureTemplate(SignatureTemplate{Name: name, Source: "<p>{{.Title}}</p>\x1b", Updated: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutSignatureTemplate(SignatureTemplate{Name: "bad\nname"}); !errors.Is(err, ErrInvalidID) {
		t.Fatalf("control character in a name: %v", err)
	}
	rules := json.RawMessage(`{"default":"default","rules":[]}`)
	if err := s.PutSignatureRules(SignatureRules{JSON: rules, Updated: now}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// They survive a reopen, read-only included.
	s, err = OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := s.SignatureTemplates()
	if err != nil || len(ts) != 2 || ts[0].Name != "alpha" || ts[1].Source != "<p>{{.Title}}</p>\x1b" || !ts[0].Updated.Equal(now) {
		t.Fatalf("templates %+v %v", ts, err)
	}
	r, ok, err := s.SignatureRulesStored()
	if err != nil || !ok || string(r.JSON) != string(rules) {
		t.Fatalf("rules %s %v %v", r.JSON, ok, err)
	}
	if err := s.PutSignatureTemplate(SignatureTemplate{Name: "x"}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write to a read-only cache: %v", err)
	}
	s.Close()

	// A damaged record is reported as corruption, not a panic.
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bSigTemplates).Put([]byte("alpha"), []byte("{not json")) })
	db.Close()
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.SignatureTemplates(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged template: %v", err)
	}
}
