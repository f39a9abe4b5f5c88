package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dirdeck/dirdeck/signing"
	"github.com/dirdeck/dirdeck/store"
)

// Audit actions.
const (
	ActionStaged       = "staged"
	ActionApproved     = "approved"
	ActionRejected     = "rejected"
	ActionExported     = "exported"
	ActionImported     = "imported"
	ActionApplyStarted = "apply_started"
	ActionApplied      = "applied"
	ActionApplyFailed  = "apply_failed"
	ActionRefused      = "refused"
)

// AuditEntry is one link of the hash-chained, append-only audit log.
type AuditEntry struct {
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"time"`
	Action string    `json:"action"`
	// Actor is the Okta admin with the OS user and host they acted from.
	Actor  Identity `json:"actor"`
	PlanID string   `json:"plan_id"`
	Hash   string   `json:"hash"`
	Title  string   `json:"title,omitempty"`
	// Detail says what happened: a review comment, counts of operations
	// done, the refusal or failure.
	Detail string `json:"detail,omitempty"`
	// Key is the fingerprint of the key that signed what the entry records
	// (the staged plan, the review, the imported plan's author).
	Key string `json:"key,omitempty"`
	// Signature is that signature; Signed the statement it signs (a
	// review's; a staged plan's content is its plan record's).
	Signature string `json:"signature,omitempty"`
	Signed    string `json:"signed,omitempty"`
	// Prev is the previous entry's Link ("" for the first); Link is
	// "sha256:" + hex of the sha256 of this entry's canonical JSON with
	// Link empty. Editing, removing or reordering an entry breaks every
	// link after it.
	Prev string `json:"prev"`
	Link string `json:"link"`
}

// link computes e's Link.
func (e AuditEntry) link() (string, error) {
	e.Link = ""
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encode audit entry: %w", err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// appendAudit chains e to the log's last entry and appends it, in one
// transaction of the plan ledger.
func appendAudit(st *store.Store, e AuditEntry) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	_, err := st.AppendAudit(func(last []byte, seq uint64) ([]byte, error) {
		e.Seq, e.Prev = seq, ""
		if last != nil {
			var prev AuditEntry
			if err := json.Unmarshal(last, &prev); err != nil {
				return nil, fmt.Errorf("audit entry %d: %w", seq-1, err)
			}
			e.Prev = prev.Link
		}
		l, err := e.link()
		if err != nil {
			return nil, err
		}
		e.Link = l
		return json.Marshal(e)
	})
	return err
}

// Audit returns the audit log, oldest first, as stored.
func Audit(st *store.Store) ([]AuditEntry, error) {
	raw, err := st.Audit()
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	out := make([]AuditEntry, 0, len(raw))
	for i, b := range raw {
		var e AuditEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("audit entry %d: %w", i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// ErrAuditBroken: VerifyAudit found an entry that is not what was
// written.
var ErrAuditBroken = errors.New("audit log broken")

// VerifyAudit checks the whole audit log: every entry decodes strictly,
// is numbered in order, links to the previous entry and hashes to its own
// link; every stored signature verifies (in the dirdeck-plan namespace,
// by the key whose fingerprint the entry records) over what it signs — a
// review's statement, which must name the entry's plan, hash and actor,
// or a staged plan's content as its plan record holds it. It returns the
// number of entries checked, or ErrAuditBroken naming the first broken
// entry.
func VerifyAudit(st *store.Store) (int, error) {
	raw, err := st.Audit()
	if err != nil {
		return 0, fmt.Errorf("read audit log: %w", err)
	}
	prev := ""
	for i, b := range raw {
		seq := uint64(i + 1)
		broken := func(format string, args ...any) (int, error) {
			return i, fmt.Errorf("%w at entry %d: %s", ErrAuditBroken, seq, fmt.Sprintf(format, args...))
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var e AuditEntry
		if err := dec.Decode(&e); err != nil {
			return broken("not an audit entry: %v", err)
		}
		if e.Seq != seq {
			return broken("numbered %d", e.Seq)
		}
		if e.Prev != prev {
			return broken("does not link to entry %d (removed, reordered or rewritten)", seq-1)
		}
		if l, err := e.link(); err != nil || l != e.Link {
			return broken("content does not match its link (edited)")
		}
		if err := verifyEntrySignature(st, e); err != nil {
			return broken("%v", err)
		}
		prev = e.Link
	}
	return len(raw), nil
}

// verifyEntrySignature checks an entry's stored signature, if any.
func verifyEntrySignature(st *store.Store, e AuditEntry) error {
	if e.Signature == "" {
		return nil
	}
	var msg []byte
	if e.Signed != "" {
		var s statement
		if err := json.Unmarshal([]byte(e.Signed), &s); err != nil {
			return fmt.Errorf("signed statement: %v", err)
		}
		if s.PlanID != e.PlanID || s.Hash != e.Hash || s.AdminID != e.Actor.AdminID || s.Login != e.Actor.Login {
			return errors.New("the signed statement is about another plan or admin than the entry")
		}
		msg = []byte(e.Signed)
	} else {
		r, err := Load(st, e.PlanID)
		if err != nil {
			return fmt.Errorf("plan whose signature the entry keeps: %v", err)
		}
		if r.Hash != e.Hash {
			return errors.New("the entry's hash is not its plan's")
		}
		if msg, err = signedContent(&r.Plan); err != nil {
			return err
		}
	}
	key, err := signing.Verify(msg, e.Signature)
	if err != nil {
		return err
	}
	if fp := signing.Fingerprint(key); fp != e.Key {
		return fmt.Errorf("signed by %s, the entry says %s", fp, e.Key)
	}
	return nil
}
