package plan

import (
	"encoding/json"
	"fmt"
	"time"

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

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"time"`
	Action string    `json:"action"`
	Actor  Identity  `json:"actor"`
	PlanID string    `json:"plan_id"`
	Hash   string    `json:"hash"`
	Title  string    `json:"title,omitempty"`
	// Detail says what happened: a review comment, counts of operations
	// done, the refusal or failure.
	Detail string `json:"detail,omitempty"`
}

// appendAudit records an entry; the sequence number is the store's.
func appendAudit(st *store.Store, e AuditEntry) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	if _, err := st.AppendAudit(b); err != nil {
		return err
	}
	return nil
}

// Audit returns the audit log, oldest first, with sequence numbers.
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
		e.Seq = uint64(i + 1)
		out = append(out, e)
	}
	return out, nil
}
