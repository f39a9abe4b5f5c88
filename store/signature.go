package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// Signature records live outside the generations: they are the admins'
// own configuration, not synced directory data, so a full sync must not
// replace them. The buckets are created on first write, which keeps older
// files (and files another helper's code created) valid without a
// migration; readers treat a missing bucket as empty.
//
//	sig_templates/  name → JSON SignatureTemplate
//	sig_rules/      "rules" → JSON SignatureRules
var (
	bSigTemplates = []byte("sig_templates")
	bSigRules     = []byte("sig_rules")
	kSigRules     = []byte("rules")
)

// SignatureTemplate is a stored signature template: its source as the
// admin wrote it. The store keeps it opaque; package signature parses it.
type SignatureTemplate struct {
	Name    string    `json:"name"`
	Source  string    `json:"source"`
	Updated time.Time `json:"updated"`
}

// SignatureRules is the stored rule list, as canonical JSON produced by
// package signature.
type SignatureRules struct {
	JSON    json.RawMessage `json:"json"`
	Updated time.Time       `json:"updated"`
}

// PutSignatureTemplate saves (or replaces) a template.
func (s *Store) PutSignatureTemplate(t SignatureTemplate) error {
	if err := checkID("signature template", t.Name); err != nil {
		return fmt.Errorf("save signature template %q: %w", t.Name, err)
	}
	v, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode signature template %q: %w", t.Name, err)
	}
	err = s.update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bSigTemplates)
		if err != nil {
			return err
		}
		return b.Put([]byte(t.Name), v)
	})
	if err != nil {
		return fmt.Errorf("save signature template %q: %w", t.Name, err)
	}
	return nil
}

// DeleteSignatureTemplate removes a template; it reports false when there
// was none by that name.
func (s *Store) DeleteSignatureTemplate(name string) (bool, error) {
	var found bool
	err := s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bSigTemplates)
		if b == nil || b.Get([]byte(name)) == nil {
			return nil
		}
		found = true
		return b.Delete([]byte(name))
	})
	if err != nil {
		return false, fmt.Errorf("delete signature template %q: %w", name, err)
	}
	return found, nil
}

// SignatureTemplates returns every stored template, sorted by name.
func (s *Store) SignatureTemplates() ([]SignatureTemplate, error) {
	var out []SignatureTemplate
	err := s.view(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bSigTemplates)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var t SignatureTemplate
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("%w: signature template %q: %w", ErrCorrupt, k, err)
			}
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read signature templates: %w", err)
	}
	slices.SortFunc(out, func(a, b SignatureTemplate) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// PutSignatureRules replaces the rule list.
func (s *Store) PutSignatureRules(r SignatureRules) error {
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode signature rules: %w", err)
	}
	err = s.update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bSigRules)
		if err != nil {
			return err
		}
		return b.Put(kSigRules, v)
	})
	if err != nil {
		return fmt.Errorf("save signature rules: %w", err)
	}
	return nil
}

// SignatureRulesStored returns the stored rule list; ok is false when no
// rules were ever saved.
func (s *Store) SignatureRulesStored() (r SignatureRules, ok bool, err error) {
	err = s.view(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bSigRules)
		if b == nil {
			return nil
		}
		v := b.Get(kSigRules)
		if v == nil {
			return nil
		}
		ok = true
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%w: signature rules: %w", ErrCorrupt, err)
		}
		return nil
	})
	if err != nil {
		return SignatureRules{}, false, fmt.Errorf("read signature rules: %w", err)
	}
	return r, ok, nil
}
