package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/store"
)

// Format is the version tag of a plan's JSON; a plan with another format
// is refused rather than half-understood.
const Format = "dirdeck-plan/1"

// Operation kinds, in the order a plan applies them within a group.
const (
	OpCreate = "create" // create an OKTA_GROUP
	OpUpdate = "update" // replace a group's name and description
	OpAdd    = "add"    // add a user to a group
	OpRemove = "remove" // remove a user from a group
)

// Plan states.
const (
	StateDraft    = "draft" // staged in the TUI, not submitted
	StatePending  = "pending"
	StateApproved = "approved"
	StateRejected = "rejected"
	StateApplying = "applying"
	StateApplied  = "applied"
	StateFailed   = "failed"
)

// LargeRemovals is the large-change guard: a plan removing more members
// than this needs Request.AllowLarge.
const LargeRemovals = 100

// largeRemovals is the guard in force; tests lower it to exercise the
// guard on the small scenario.
var largeRemovals = LargeRemovals

// NewGroupPrefix starts the group reference of a group the plan creates
// (it has no id until the plan is applied).
const NewGroupPrefix = "new:"

// Errors callers tell apart with errors.Is. A CLI maps all of them to
// exit code 2 (refused).
var (
	// ErrRefused: the plan, the request or the credential does not allow
	// what was asked (wraps a reason).
	ErrRefused = errors.New("refused")
	// ErrTampered: a plan's content does not match its hash.
	ErrTampered = errors.New("plan content does not match its hash (edited or corrupted); it cannot be reviewed or applied")
	// ErrSelfApproval: the four-eyes rule.
	ErrSelfApproval = errors.New("four eyes: the author of a plan cannot approve it; ask another admin")
	// ErrDrift: the live org changed under the plan since staging.
	ErrDrift = errors.New("the org changed since the plan was staged")
	// ErrApplyFailed: an operation failed; apply again to resume.
	ErrApplyFailed = errors.New("apply stopped at a failed operation; fix the cause and apply again to resume")
)

func refused(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// Identity is who staged, reviewed or applied a plan.
type Identity struct {
	// AdminID is the Okta user id of the admin behind the credential, or
	// "client:<client id>" for an OAuth service app. Four eyes compares it.
	AdminID string `json:"admin_id"`
	Login   string `json:"login,omitempty"`
	Name    string `json:"name,omitempty"`
	// OSUser and Host are the local account, for the audit trail only.
	OSUser string `json:"os_user,omitempty"`
	Host   string `json:"host,omitempty"`
	// Roles are the admin's ACTIVE Okta roles when they were read (role
	// types; custom roles as "CUSTOM:<label>"): who may approve.
	Roles []string `json:"roles,omitempty"`
	// Key is the fingerprint of the signing key this admin works with on
	// this machine, for the audit trail (what a signature was made with
	// is the signature's own key).
	Key string `json:"key,omitempty"`
}

// String is the identity for messages: "Name <login> (os user@host)".
func (i Identity) String() string {
	s := i.Login
	if s == "" {
		s = i.AdminID
	}
	if i.Name != "" {
		s = i.Name + " <" + s + ">"
	}
	if i.OSUser != "" {
		local := i.OSUser
		if i.Host != "" {
			local += "@" + i.Host
		}
		s += " (" + local + ")"
	}
	return s
}

// GroupBase is a target group as the cache saw it when the plan was
// staged; the drift check compares the live group with it.
type GroupBase struct {
	// Ref is the group's id, or NewGroupPrefix+name for a group to create.
	Ref                   string    `json:"ref"`
	Name                  string    `json:"name"`
	Description           string    `json:"description,omitempty"`
	Type                  string    `json:"type"`
	LastUpdated           time.Time `json:"last_updated"`
	LastMembershipUpdated time.Time `json:"last_membership_updated"`
	Members               int       `json:"members"`
	Create                bool      `json:"create,omitempty"`
}

// Op is one operation of a plan.
type Op struct {
	Seq       int    `json:"seq"` // from 1, the apply order
	Kind      string `json:"kind"`
	Group     string `json:"group"` // GroupBase.Ref
	GroupName string `json:"group_name"`
	// UserID, Login and UserName name the member of add/remove.
	UserID   string `json:"user_id,omitempty"`
	Login    string `json:"login,omitempty"`
	UserName string `json:"user_name,omitempty"`
	// BaseMember is whether the user was a member at staging.
	BaseMember bool `json:"base_member,omitempty"`
	// Name and Description are the group's new profile (create, update).
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// Plan is the reviewed content of a change plan. Everything in it is
// covered by its hash.
type Plan struct {
	Format            string      `json:"format"`
	OrgURL            string      `json:"org_url"`
	Title             string      `json:"title"`
	Author            Identity    `json:"author"`
	Created           time.Time   `json:"created"`
	ApprovalsRequired int         `json:"approvals_required"`
	AllowLarge        bool        `json:"allow_large,omitempty"`
	Groups            []GroupBase `json:"groups"`
	Ops               []Op        `json:"ops"`
	Impact            Impact      `json:"impact"`
	Warnings          []string    `json:"warnings"`
}

// Hash is "sha256:" + hex of the sha256 of the plan's canonical JSON
// (encoding/json of the struct: fixed field order, sorted map keys, UTC
// times).
func (p *Plan) Hash() (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode plan: %w", err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// IDOf derives a plan id from its hash: short enough to type, stable
// across machines (an imported plan keeps its id).
func IDOf(hash string) string {
	h := strings.TrimPrefix(hash, "sha256:")
	if len(h) > 12 {
		h = h[:12]
	}
	return "p-" + h
}

// Base returns the base of a group reference.
func (p *Plan) Base(ref string) (GroupBase, bool) {
	for _, g := range p.Groups {
		if g.Ref == ref {
			return g, true
		}
	}
	return GroupBase{}, false
}

// Counts are the summary line's numbers.
type Counts struct {
	Add    int `json:"add"`
	Remove int `json:"remove"`
	Create int `json:"create"`
	Update int `json:"update"`
}

// Counts counts the plan's operations by kind.
func (p *Plan) Counts() Counts {
	var c Counts
	for _, op := range p.Ops {
		switch op.Kind {
		case OpAdd:
			c.Add++
		case OpRemove:
			c.Remove++
		case OpCreate:
			c.Create++
		case OpUpdate:
			c.Update++
		}
	}
	return c
}

// Review is one approval or rejection.
type Review struct {
	Decision string    `json:"decision"` // approve or reject
	Reviewer Identity  `json:"reviewer"`
	Hash     string    `json:"hash"` // the plan hash reviewed
	Comment  string    `json:"comment,omitempty"`
	Time     time.Time `json:"time"`
	Imported bool      `json:"imported,omitempty"` // arrived in a plan file
	// Signature is the reviewer's SSHSIG signature of the review's
	// statement (plan id, hash, org, decision, admin, time, comment) and
	// Key its key's fingerprint.
	Signature string `json:"signature,omitempty"`
	Key       string `json:"key,omitempty"`
	// Status says why the review does not count, as this machine's keys
	// last saw it ("" when it counts); Apply checks again.
	Status string `json:"status,omitempty"`
	// SameOSUser marks an approval made by the OS account that staged the
	// plan, under another Okta admin's credential: allowed, but visible.
	SameOSUser bool `json:"same_os_user,omitempty"`
}

// Review decisions.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"
)

// Record is a plan as the cache keeps it: content, hash, state, reviews
// and what applying it has learnt.
type Record struct {
	ID      string    `json:"id"`
	Hash    string    `json:"hash"`
	Plan    Plan      `json:"plan"`
	State   string    `json:"state"`
	Reviews []Review  `json:"reviews"`
	Updated time.Time `json:"updated"`
	// Stamps holds, per group id, the lastMembershipUpdated read after
	// dirdeck's own writes (or accepted with Rebase), so a resumed apply
	// does not take them for drift.
	Stamps map[string]time.Time `json:"stamps,omitempty"`
	// Error is the last apply failure.
	Error string `json:"error,omitempty"`
	// AuthorSig is the author's SSHSIG signature of the plan's canonical
	// content, AuthorKey its key's fingerprint, AuthorStatus why the
	// author cannot be verified here ("" when they can).
	AuthorSig    string `json:"author_sig,omitempty"`
	AuthorKey    string `json:"author_key,omitempty"`
	AuthorStatus string `json:"author_status,omitempty"`
	// Imported is set when the plan arrived in a file rather than being
	// staged on this machine.
	Imported bool `json:"imported,omitempty"`
}

// Approvals are the distinct admins (other than the author) whose
// approval of the current hash counts as this machine last checked it
// (Review.Status empty). Apply verifies them again.
func (r *Record) Approvals() []Review {
	var out []Review
	for _, rv := range r.Reviews {
		if rv.Decision != DecisionApprove || rv.Hash != r.Hash || rv.Status != "" || sameAdmin(rv.Reviewer, r.Plan.Author) ||
			slices.ContainsFunc(out, func(o Review) bool { return sameAdmin(o.Reviewer, rv.Reviewer) }) {
			continue
		}
		out = append(out, rv)
	}
	return out
}

// verify checks the record's hash and id against its content.
func (r *Record) verify() error {
	if r.Plan.Format != Format {
		return fmt.Errorf("plan %s: format %q, this dirdeck reads %q", r.ID, r.Plan.Format, Format)
	}
	h, err := r.Plan.Hash()
	if err != nil {
		return err
	}
	if h != r.Hash || IDOf(h) != r.ID {
		return fmt.Errorf("plan %s: %w", r.ID, ErrTampered)
	}
	return nil
}

func decodeRecord(b []byte) (*Record, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Record
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode plan record: %w", err)
	}
	return &r, nil
}

// Load reads plan id from the cache and verifies its hash.
func Load(st *store.Store, id string) (*Record, error) {
	b, err := st.Plan(id)
	if err != nil {
		return nil, err
	}
	r, err := decodeRecord(b)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", id, err)
	}
	if err := r.verify(); err != nil {
		return nil, err
	}
	return r, nil
}

// List returns every plan in the cache, newest first. Records that fail
// verification are listed with their error instead of hiding them.
func List(st *store.Store) ([]*Record, []error, error) {
	raw, err := st.Plans()
	if err != nil {
		return nil, nil, fmt.Errorf("list plans: %w", err)
	}
	var out []*Record
	var bad []error
	for _, b := range raw {
		r, err := decodeRecord(b)
		if err == nil {
			err = r.verify()
		}
		if err != nil {
			bad = append(bad, err)
			continue
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b *Record) int { return b.Plan.Created.Compare(a.Plan.Created) })
	return out, bad, nil
}

// update runs fn on the stored record of id in one cache transaction.
func update(st *store.Store, id string, fn func(r *Record) error) (*Record, error) {
	var out *Record
	err := st.UpdatePlan(id, func(b []byte) ([]byte, error) {
		r, err := decodeRecord(b)
		if err != nil {
			return nil, fmt.Errorf("plan %s: %w", id, err)
		}
		if err := r.verify(); err != nil {
			return nil, err
		}
		if err := fn(r); err != nil {
			return nil, err
		}
		out = r
		return json.Marshal(r)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
