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
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/store"
)

// WhoAmI is the identity behind a client: the admin user of an API token
// (/api/v1/users/me), or "client:<oauthClientID>" for an OAuth service
// app, which has no user; plus the local OS user and host.
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

// Submit stores a built plan as pending and audits it. A plan with the
// same content (hence id) already in the cache is refused.
func Submit(st *store.Store, p Plan) (*Record, error) {
	h, err := p.Hash()
	if err != nil {
		return nil, err
	}
	r := &Record{ID: IDOf(h), Hash: h, Plan: p, State: StatePending, Reviews: []Review{}, Updated: p.Created}
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

// Approve records reviewer's approval of plan id. The author cannot
// approve (ErrSelfApproval), an admin approves once, and only pending or
// approved plans can be approved. The plan becomes approved when enough
// distinct admins approved its hash.
func Approve(st *store.Store, id string, reviewer Identity, comment string, now time.Time) (*Record, error) {
	return review(st, id, DecisionApprove, reviewer, comment, now)
}

// Reject records a rejection; the plan becomes rejected (final: stage a
// new plan). The author may reject (withdraw) their own plan.
func Reject(st *store.Store, id string, reviewer Identity, comment string, now time.Time) (*Record, error) {
	return review(st, id, DecisionReject, reviewer, comment, now)
}

func review(st *store.Store, id, decision string, reviewer Identity, comment string, now time.Time) (*Record, error) {
	if reviewer.AdminID == "" {
		return nil, refused("the reviewer has no identity")
	}
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Millisecond)
	comment = strings.TrimSpace(comment)
	var refusal error
	rec, err := update(st, id, func(r *Record) error {
		if refusal = CheckReview(r, decision, reviewer); refusal != nil {
			return refusal
		}
		r.Reviews = append(r.Reviews, Review{Decision: decision, Reviewer: reviewer, Hash: r.Hash, Comment: comment, Time: now})
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
		if comment != "" {
			detail += ": " + comment
		}
	}
	err = appendAudit(st, AuditEntry{Time: now, Action: action, Actor: reviewer, PlanID: id, Hash: rec.Hash, Title: rec.Plan.Title, Detail: detail})
	return rec, err
}

// CheckReview returns why reviewer may not record decision on r (an
// ErrRefused: the plan's state, four eyes, a second approval by the same
// admin), or nil. Approve and Reject apply it; the dashboard asks it
// before it asks for a comment, so a refusal comes first.
func CheckReview(r *Record, decision string, reviewer Identity) error {
	switch r.State {
	case StatePending, StateApproved, StateDraft:
	default:
		return refused("plan %s is %s: only pending or approved plans can be reviewed", r.ID, r.State)
	}
	if decision != DecisionApprove {
		return nil
	}
	if reviewer.AdminID == r.Plan.Author.AdminID {
		return fmt.Errorf("%w: %w (author %s)", ErrRefused, ErrSelfApproval, r.Plan.Author)
	}
	for _, a := range r.Approvals() {
		if a.Reviewer.AdminID == reviewer.AdminID {
			return refused("%s already approved plan %s", reviewer, r.ID)
		}
	}
	return nil
}

// stateAfterReviews derives a reviewable plan's state from its reviews.
func stateAfterReviews(r *Record) string {
	for _, rv := range r.Reviews {
		if rv.Decision == DecisionReject && rv.Hash == r.Hash {
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
}

// Export writes plan id as a File (indented JSON) and audits it.
func Export(st *store.Store, id string, w io.Writer, actor Identity) error {
	r, err := Load(st, id)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(File{Format: Format, ID: r.ID, Hash: r.Hash, Plan: r.Plan, Reviews: r.Reviews}); err != nil {
		return fmt.Errorf("export plan %s: %w", id, err)
	}
	return appendAudit(st, AuditEntry{Action: ActionExported, Actor: actor, PlanID: id, Hash: r.Hash, Title: r.Plan.Title})
}

// maxFile bounds an imported plan file (a plan of 100k operations is a
// few tens of MB).
const maxFile = 64 << 20

// Import reads a plan File, refuses it unless its plan matches its hash
// and id (ErrTampered) and belongs to orgURL, and merges it into the
// cache: a new plan is added with its reviews; a known one gains the
// reviews it did not have. Reviews of another hash are dropped.
func Import(st *store.Store, rd io.Reader, orgURL string, actor Identity, now time.Time) (*Record, error) {
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
		if rv.Hash == f.Hash && (rv.Decision == DecisionApprove || rv.Decision == DecisionReject) && rv.Reviewer.AdminID != "" {
			rv.Imported = true
			reviews = append(reviews, rv)
		}
	}
	added := 0
	merge := func(r *Record) {
		for _, rv := range reviews {
			dup := false
			for _, have := range r.Reviews {
				if have.Decision == rv.Decision && have.Reviewer.AdminID == rv.Reviewer.AdminID && have.Hash == rv.Hash {
					dup = true
				}
			}
			if !dup {
				r.Reviews = append(r.Reviews, rv)
				added++
			}
		}
	}
	var rec *Record
	if _, err := st.Plan(f.ID); errors.Is(err, store.ErrPlanNotFound) {
		rec = &Record{ID: f.ID, Hash: f.Hash, Plan: f.Plan, State: StatePending, Reviews: []Review{}, Updated: now}
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
	err = appendAudit(st, AuditEntry{Time: now, Action: ActionImported, Actor: actor, PlanID: rec.ID, Hash: rec.Hash, Title: rec.Plan.Title,
		Detail: fmt.Sprintf("%d reviews added, state %s", added, rec.State)})
	return rec, err
}
