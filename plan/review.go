package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/signing"
	"github.com/dirdeck/dirdeck/store"
)

// WhoAmI is the identity behind a client: the admin user of an API token
// (/api/v1/users/me) with their ACTIVE admin roles
// (/api/v1/users/{id}/roles; none recorded when the credential may not
// read them, and then it may not approve), or "client:<oauthClientID>"
// for an OAuth service app, which has no user; plus the local OS user and
// host.
func WhoAmI(ctx context.Context, c *okta.Client, oauthClientID string) (Identity, error) {
	id := Local()
	if c.IsOAuth() {
		if oauthClientID == "" {
			return Identity{}, errors.New("identify OAuth service app: no client id")
		}
		id.AdminID, id.Login = "client:"+oauthClientID, oauthClientID
		return id, nil
	}
	me, err := c.CurrentUser(ctx)
	if err != nil {
		return Identity{}, fmt.Errorf("identify the admin behind the token: %w", err)
	}
	id.AdminID, id.Login, id.Name = me.ID, me.Login, me.Name()
	roles, err := c.UserRoles(ctx, me.ID)
	switch {
	case err == nil:
		id.Roles = roleNames(roles)
	case !okta.IsForbidden(err):
		return Identity{}, fmt.Errorf("read the admin roles of %s: %w", me.Login, err)
	}
	return id, nil
}

// Local is the local part of an identity: OS user and host name.
func Local() Identity {
	var id Identity
	if u, err := user.Current(); err == nil {
		id.OSUser = u.Username
	} else {
		id.OSUser = os.Getenv("USER")
	}
	id.Host, _ = os.Hostname()
	return id
}

// Submit stores a built plan as pending, signed by its author with
// keys.Signer (required when keys.Trust is set), and audits it. A plan with
// the same content (hence id) already in the cache is refused.
func Submit(st *store.Store, p Plan, keys Keys) (*Record, error) {
	h, err := p.Hash()
	if err != nil {
		return nil, err
	}
	if err := keys.requireSigner(p.Author, time.Now()); err != nil {
		return nil, err
	}
	sig, fp, err := keys.signPlan(&p)
	if err != nil {
		return nil, err
	}
	r := &Record{ID: IDOf(h), Hash: h, Plan: p, State: StatePending, Reviews: []Review{}, Updated: p.Created, AuthorSig: sig, AuthorKey: fp}
	if _, err := st.Plan(r.ID); err == nil {
		return nil, refused("plan %s already exists", r.ID)
	} else if !errors.Is(err, store.ErrPlanNotFound) {
		return nil, err
	}
	if err := save(st, r); err != nil {
		return nil, err
	}
	c := p.Counts()
	err = appendAudit(st, AuditEntry{Time: p.Created, Action: ActionStaged, Actor: p.Author, PlanID: r.ID, Hash: h, Title: p.Title,
		Key: fp, Signature: sig,
		Detail: fmt.Sprintf("%d to add, %d to remove, %d to create, %d to update", c.Add, c.Remove, c.Create, c.Update)})
	return r, err
}

func save(st *store.Store, r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode plan %s: %w", r.ID, err)
	}
	if err := st.PutPlan(r.ID, b); err != nil {
		return fmt.Errorf("save plan %s: %w", r.ID, err)
	}
	return nil
}

// Approve records reviewer's approval of plan id, signed with
// keys.Signer. Refused: the author (ErrSelfApproval), an admin who already
// approved, a reviewer without an approver role (reviewer.Roles, see
// WhoAmI and Keys.ApproverRoles), a plan whose author cannot be verified,
// an unsigned approval where keys.Trust is set, and plans that are not
// pending or approved. The plan becomes approved when enough distinct
// admins approved its hash. An approval from the OS account that staged
// the plan (another admin's credential on the author's machine) is
// allowed but marked on the review and in the audit log.
func Approve(st *store.Store, id string, reviewer Identity, comment string, now time.Time, keys Keys) (*Record, error) {
	return review(st, id, DecisionApprove, reviewer, comment, now, keys)
}

// Reject records a rejection (signed like an approval); the plan becomes
// rejected (final: stage a new plan). The author may reject (withdraw)
// their own plan.
func Reject(st *store.Store, id string, reviewer Identity, comment string, now time.Time, keys Keys) (*Record, error) {
	return review(st, id, DecisionReject, reviewer, comment, now, keys)
}

func review(st *store.Store, id, decision string, reviewer Identity, comment string, now time.Time, keys Keys) (*Record, error) {
	if reviewer.AdminID == "" {
		return nil, refused("the reviewer has no identity")
	}
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Millisecond)
	comment = strings.TrimSpace(comment)
	var refusal error
	var added Review
	rec, err := update(st, id, func(r *Record) error {
		if refusal = CheckReview(r, decision, reviewer, keys, now); refusal != nil {
			return refusal
		}
		rv := Review{Decision: decision, Reviewer: reviewer, Hash: r.Hash, Comment: comment, Time: now,
			SameOSUser: decision == DecisionApprove && reviewer.OSUser != "" && reviewer.OSUser == r.Plan.Author.OSUser && reviewer.Host == r.Plan.Author.Host}
		if err := keys.signReview(r, &rv); err != nil {
			return err
		}
		r.Reviews = append(r.Reviews, rv)
		added = rv
		r.Updated = now
		r.State = stateAfterReviews(r)
		return nil
	})
	if err != nil {
		if refusal != nil {
			auditRefusal(st, id, reviewer, decision+": "+refusal.Error(), now)
		}
		return nil, err
	}
	action := ActionApproved
	if decision == DecisionReject {
		action = ActionRejected
	}
	detail := comment
	if decision == DecisionApprove {
		detail = fmt.Sprintf("%d/%d approvals", len(rec.Approvals()), rec.Plan.ApprovalsRequired)
		if added.SameOSUser {
			detail += fmt.Sprintf(", same OS user %s@%s as the author", reviewer.OSUser, reviewer.Host)
		}
		if comment != "" {
			detail += ": " + comment
		}
	}
	err = appendAudit(st, AuditEntry{Time: now, Action: action, Actor: reviewer, PlanID: id, Hash: rec.Hash, Title: rec.Plan.Title, Detail: detail,
		Key: added.Key, Signature: added.Signature, Signed: signedIf(added.Signature, statementOf(rec, added))})
	return rec, err
}

// CheckReview returns why reviewer may not record decision on r (an
// ErrRefused: the plan's state; for approvals four eyes, a reviewer
// without an approver role, a second approval by the same admin, an
// author who cannot be verified with keys; an unsigned review where keys
// require signatures), or nil. Approve and Reject apply it; the dashboard
// asks it before it asks for a comment, so a refusal comes first.
func CheckReview(r *Record, decision string, reviewer Identity, keys Keys, now time.Time) error {
	switch r.State {
	case StatePending, StateApproved, StateDraft:
	default:
		return refused("plan %s is %s: only pending or approved plans can be reviewed", r.ID, r.State)
	}
	if decision == DecisionApprove {
		if sameAdmin(reviewer, r.Plan.Author) {
			return fmt.Errorf("%w: %w (author %s)", ErrRefused, ErrSelfApproval, r.Plan.Author)
		}
		if err := keys.checkApprover(reviewer); err != nil {
			return err
		}
		for _, a := range r.Approvals() {
			if sameAdmin(a.Reviewer, reviewer) {
				return refused("%s already approved plan %s", reviewer, r.ID)
			}
		}
		if p := keys.authorProblem(r, now); p != "" {
			return refused("plan %s cannot be approved: %s", r.ID, p)
		}
	}
	return keys.requireSigner(reviewer, now)
}

// signedIf is msg when there is a signature of it to keep.
func signedIf(sig string, msg []byte) string {
	if sig == "" {
		return ""
	}
	return string(msg)
}

// stateAfterReviews derives a reviewable plan's state from its reviews.
func stateAfterReviews(r *Record) string {
	for _, rv := range r.Reviews {
		if rv.Decision == DecisionReject && rv.Hash == r.Hash && rv.Status == "" {
			return StateRejected
		}
	}
	if len(r.Approvals()) >= r.Plan.ApprovalsRequired {
		return StateApproved
	}
	return StatePending
}

// auditRefusal records a refused action; the refusal itself is what the
// caller reports, so a failure to audit it is not worth a second error.
func auditRefusal(st *store.Store, id string, actor Identity, detail string, now time.Time) {
	e := AuditEntry{Time: now, Action: ActionRefused, Actor: actor, PlanID: id, Detail: detail}
	if r, err := Load(st, id); err == nil {
		e.Hash, e.Title = r.Hash, r.Plan.Title
	}
	_ = appendAudit(st, e)
}

// File is a plan as exported for reviewers on other machines.
type File struct {
	Format  string   `json:"format"`
	ID      string   `json:"id"`
	Hash    string   `json:"hash"`
	Plan    Plan     `json:"plan"`
	Reviews []Review `json:"reviews"`
	// AuthorSig is the author's signature of the plan's content.
	AuthorSig string `json:"author_sig,omitempty"`
}

// Export writes plan id as a File (indented JSON) and audits it.
func Export(st *store.Store, id string, w io.Writer, actor Identity) error {
	r, err := Load(st, id)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(File{Format: Format, ID: r.ID, Hash: r.Hash, Plan: r.Plan, Reviews: exportReviews(r.Reviews), AuthorSig: r.AuthorSig}); err != nil {
		return fmt.Errorf("export plan %s: %w", id, err)
	}
	return appendAudit(st, AuditEntry{Action: ActionExported, Actor: actor, PlanID: id, Hash: r.Hash, Title: r.Plan.Title})
}

// exportReviews strips what only this machine concluded (whether a
// review counts here): the importer decides with its own keys.
func exportReviews(in []Review) []Review {
	out := make([]Review, len(in))
	for i, rv := range in {
		rv.Status, rv.Imported = "", false
		out[i] = rv
	}
	return out
}

// maxFile bounds an imported plan file (a plan of 100k operations is a
// few tens of MB).
const maxFile = 64 << 20

// Import reads a plan File, refuses it unless its plan matches its hash
// and id (ErrTampered) and belongs to orgURL, and merges it into the
// cache: a new plan is added (marked imported) with its author's
// signature and its reviews; a known one gains the reviews it did not
// have. Every review is kept and judged with keys: one for another hash
// (transplanted), unsigned, edited or signed by a key allowed_signers
// does not trust for the reviewer's login is shown as such, never counts,
// and is recorded in the audit log as refused.
func Import(st *store.Store, rd io.Reader, orgURL string, actor Identity, now time.Time, keys Keys) (*Record, error) {
	data, err := io.ReadAll(io.LimitReader(rd, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	if len(data) > maxFile {
		return nil, refused("plan file larger than %d MiB", maxFile>>20)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, refused("not a dirdeck plan file: %v", err)
	}
	if f.Format != Format || f.Plan.Format != Format {
		return nil, refused("plan file format %q, this dirdeck reads %q", f.Format, Format)
	}
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Millisecond)
	in := &Record{ID: f.ID, Hash: f.Hash, Plan: f.Plan}
	if err := in.verify(); err != nil {
		auditRefusal(st, f.ID, actor, "import: "+err.Error(), now)
		return nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	if orgURL != "" && !sameOrg(f.Plan.OrgURL, orgURL) {
		return nil, refused("plan %s is for %s, this profile is %s", f.ID, f.Plan.OrgURL, orgURL)
	}
	var reviews []Review
	for _, rv := range f.Reviews {
		if (rv.Decision == DecisionApprove || rv.Decision == DecisionReject) && rv.Reviewer.AdminID != "" {
			rv.Imported, rv.Status = true, ""
			reviews = append(reviews, rv)
		}
	}
	var added []Review
	merge := func(r *Record) {
		for _, rv := range reviews {
			// A review is a duplicate only if all it says is the same: an
			// edited copy must not shadow the genuine one.
			dup := slices.ContainsFunc(r.Reviews, func(have Review) bool {
				return have.Decision == rv.Decision && have.Reviewer.AdminID == rv.Reviewer.AdminID && have.Reviewer.Login == rv.Reviewer.Login &&
					have.Hash == rv.Hash && have.Signature == rv.Signature && have.Time.Equal(rv.Time) && have.Comment == rv.Comment
			})
			if !dup {
				rv.Status = keys.reviewProblem(r, rv, now)
				r.Reviews = append(r.Reviews, rv)
				added = append(added, rv)
			}
		}
		keys.mark(r, now)
	}
	var rec *Record
	if _, err := st.Plan(f.ID); errors.Is(err, store.ErrPlanNotFound) {
		rec = &Record{ID: f.ID, Hash: f.Hash, Plan: f.Plan, State: StatePending, Reviews: []Review{}, Updated: now,
			AuthorSig: f.AuthorSig, Imported: true}
		if f.AuthorSig != "" {
			if key, err := verifyAuthor(rec); err == nil {
				rec.AuthorKey = key
			} else {
				auditRefusal(st, f.ID, actor, "import: "+err.Error(), now)
				return nil, fmt.Errorf("%w: plan %s: %w", ErrRefused, f.ID, err)
			}
		}
		merge(rec)
		rec.State = stateAfterReviews(rec)
		if err := save(st, rec); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	} else {
		rec, err = update(st, f.ID, func(r *Record) error {
			merge(r)
			switch r.State {
			case StatePending, StateApproved, StateDraft:
				r.State = stateAfterReviews(r)
			}
			r.Updated = now
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	counted := 0
	for _, rv := range added {
		if rv.Status == "" {
			counted++
			continue
		}
		_ = appendAudit(st, AuditEntry{Time: now, Action: ActionRefused, Actor: actor, PlanID: rec.ID, Hash: rec.Hash, Title: rec.Plan.Title,
			Detail: fmt.Sprintf("import: %s by %s (%s) does not count: %s", rv.Decision, rv.Reviewer.Login, rv.Reviewer.AdminID, rv.Status)})
	}
	detail := fmt.Sprintf("%d reviews added (%d count), state %s", len(added), counted, rec.State)
	if rec.AuthorStatus != "" {
		detail += "; author not verified: " + rec.AuthorStatus
	}
	err = appendAudit(st, AuditEntry{Time: now, Action: ActionImported, Actor: actor, PlanID: rec.ID, Hash: rec.Hash, Title: rec.Plan.Title,
		Key: rec.AuthorKey, Detail: detail})
	return rec, err
}

// verifyAuthor checks the author's signature over r's content (not
// whether the key is trusted) and returns the key's fingerprint.
func verifyAuthor(r *Record) (string, error) {
	b, err := signedContent(&r.Plan)
	if err != nil {
		return "", err
	}
	key, err := signing.Verify(b, r.AuthorSig)
	if err != nil {
		return "", fmt.Errorf("the author's signature does not verify (the plan or its author was edited): %w", err)
	}
	return signing.Fingerprint(key), nil
}
