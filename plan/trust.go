package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/signing"
)

// DefaultApproverRoles are the Okta admin role types whose holders may
// approve a plan when the profile names none: the roles that can change
// group memberships (Super, Org, Group and Group Membership
// Administrator). A Read-only Administrator cannot approve what they could
// not do themselves.
var DefaultApproverRoles = []string{"SUPER_ADMIN", "ORG_ADMIN", "USER_ADMIN", "GROUP_MEMBERSHIP_ADMIN"}

// Keys are this machine's side of signed plans: the key that signs what
// this admin stages and reviews, the team's allowed_signers file that
// decides whose signatures count, and the roles that may approve.
//
// Without Trust, approvals made on this machine count as before and
// nothing that arrived in a file does (neither approvals nor a plan whose
// author cannot be checked). With Trust, every plan must carry its
// author's signature and every approval its reviewer's, by a key the file
// trusts for their Okta login, wherever they were made.
type Keys struct {
	Signer *signing.Signer
	Trust  *signing.AllowedSigners
	// ApproverRoles are role types, custom role labels or "CUSTOM:<label>"
	// entries; empty means DefaultApproverRoles.
	ApproverRoles []string
}

// reviewFormat tags the statement a reviewer signs.
const reviewFormat = "dirdeck-plan-review/1"

// statement is what a reviewer signs: the plan (id and content hash), the
// org, the decision, who decided (Okta admin id and login), when, and the
// comment. Changing any of it, or moving the signature to another plan,
// breaks the signature.
type statement struct {
	Format   string    `json:"format"`
	PlanID   string    `json:"plan_id"`
	Hash     string    `json:"hash"`
	Org      string    `json:"org"`
	Decision string    `json:"decision"`
	AdminID  string    `json:"admin_id"`
	Login    string    `json:"login"`
	Time     time.Time `json:"time"`
	Comment  string    `json:"comment"`
}

// statementOf is the canonical JSON a review of r signs. It takes the
// plan id, hash and org from the record, not from the review, so a
// review carried over from another plan never verifies here.
func statementOf(r *Record, rv Review) []byte {
	b, _ := json.Marshal(statement{Format: reviewFormat, PlanID: r.ID, Hash: r.Hash, Org: r.Plan.OrgURL,
		Decision: rv.Decision, AdminID: rv.Reviewer.AdminID, Login: rv.Reviewer.Login, Time: rv.Time.UTC(), Comment: rv.Comment})
	return b
}

// signedContent is what the author signs: the plan's canonical JSON, the
// bytes its hash is taken over.
func signedContent(p *Plan) ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	return b, nil
}

// requireSigner refuses to act unsigned where signatures are required,
// and refuses a key the team's file would not accept for who: better to
// hear it now than from the applier.
func (k Keys) requireSigner(who Identity, now time.Time) error {
	if k.Signer == nil {
		if k.Trust != nil {
			return refused("allowed_signers is configured, so plans and reviews must be signed: set signing_key in the profile or DIRDECK_SIGNING_KEY")
		}
		return nil
	}
	if k.Trust != nil {
		if err := k.Trust.Trusts(who.Login, k.Signer.PublicKey(), now); err != nil {
			return refused("your signing key %s would not count for %s: %v", k.Signer.Fingerprint(), who.Login, err)
		}
	}
	return nil
}

// signPlan signs p's content for Submit; ("", "") without a signer.
func (k Keys) signPlan(p *Plan) (sig, fingerprint string, err error) {
	if k.Signer == nil {
		return "", "", nil
	}
	b, err := signedContent(p)
	if err != nil {
		return "", "", err
	}
	sig, err = k.Signer.Sign(b)
	if err != nil {
		return "", "", err
	}
	return sig, k.Signer.Fingerprint(), nil
}

// signReview signs rv's statement about r in place.
func (k Keys) signReview(r *Record, rv *Review) error {
	if k.Signer == nil {
		return nil
	}
	sig, err := k.Signer.Sign(statementOf(r, *rv))
	if err != nil {
		return err
	}
	rv.Signature, rv.Key = sig, k.Signer.Fingerprint()
	return nil
}

// authorProblem says why r's author cannot be taken at their word, or ""
// when they can: the author's signature must verify over the content, by
// a key trusted for the author's login; a plan staged on this machine
// needs it only where allowed_signers is configured.
func (k Keys) authorProblem(r *Record, now time.Time) string {
	if r.AuthorSig == "" {
		switch {
		case r.Imported:
			return "the plan arrived in a file without its author's signature"
		case k.Trust != nil:
			return "the plan is not signed by its author (allowed_signers is configured)"
		}
		return ""
	}
	b, err := signedContent(&r.Plan)
	if err != nil {
		return err.Error()
	}
	key, err := signing.Verify(b, r.AuthorSig)
	if err != nil {
		return "the author's signature does not verify (the plan or its author was edited): " + err.Error()
	}
	if k.Trust == nil {
		if r.Imported {
			return fmt.Sprintf("no allowed_signers file is configured to check the author's key %s", signing.Fingerprint(key))
		}
		return ""
	}
	if err := k.Trust.Trusts(r.Plan.Author.Login, key, now); err != nil {
		return "author: " + err.Error()
	}
	return ""
}

// reviewProblem says why rv does not count for r, or "" when it does
// (signature-wise: who may approve is checked apart).
func (k Keys) reviewProblem(r *Record, rv Review, now time.Time) string {
	if rv.Hash != r.Hash {
		return fmt.Sprintf("transplanted: it reviews content with hash %s, not this plan's", rv.Hash)
	}
	if rv.Signature == "" {
		switch {
		case rv.Imported:
			return "unsigned: a review from a file counts only when signed"
		case k.Trust != nil:
			return "unsigned: allowed_signers is configured, so every review must be signed"
		}
		return ""
	}
	key, err := signing.Verify(statementOf(r, rv), rv.Signature)
	if err != nil {
		return "edited or transplanted: " + err.Error()
	}
	if k.Trust == nil {
		if rv.Imported {
			return fmt.Sprintf("untrusted: no allowed_signers file is configured to check key %s", signing.Fingerprint(key))
		}
		return ""
	}
	if err := k.Trust.Trusts(rv.Reviewer.Login, key, now); err != nil {
		return err.Error()
	}
	// The roles a review records are the reviewer's word (Apply reads
	// them from the org); a reviewer who says they cannot approve here
	// is taken at it.
	if rv.Decision == DecisionApprove && !k.mayApprove(rv.Reviewer.Roles) {
		return fmt.Sprintf("%s holds %s, which cannot change groups", rv.Reviewer.Login, rolesText(rv.Reviewer.Roles))
	}
	return ""
}

// rolesText lists roles for messages.
func rolesText(roles []string) string {
	if len(roles) == 0 {
		return "no admin role"
	}
	return strings.Join(roles, ", ")
}

// mark records each review's standing (Review.Status) as this machine's
// keys see it, for display and for the state; Apply checks again.
func (k Keys) mark(r *Record, now time.Time) {
	for i := range r.Reviews {
		r.Reviews[i].Status = k.reviewProblem(r, r.Reviews[i], now)
	}
	r.AuthorStatus = k.authorProblem(r, now)
}

// notCounted lists, for a refusal, the approvals that did not count and
// why, and a plan author who could not be verified.
func notCounted(r *Record) string {
	var b strings.Builder
	if r.AuthorStatus != "" {
		fmt.Fprintf(&b, "; author not verified: %s", r.AuthorStatus)
	}
	for _, rv := range r.Reviews {
		if rv.Decision == DecisionApprove && rv.Status != "" {
			fmt.Fprintf(&b, "; approval by %s not counted: %s", rv.Reviewer.Login, rv.Status)
		}
	}
	return b.String()
}

func sameAdmin(a, b Identity) bool {
	return a.AdminID == b.AdminID || (a.Login != "" && strings.EqualFold(a.Login, b.Login))
}

// approverRoles is the roles in force.
func (k Keys) approverRoles() []string {
	if len(k.ApproverRoles) > 0 {
		return k.ApproverRoles
	}
	return DefaultApproverRoles
}

// mayApprove reports whether roles (Identity.Roles form) include one that
// may approve.
func (k Keys) mayApprove(roles []string) bool {
	for _, have := range roles {
		label, custom := strings.CutPrefix(have, "CUSTOM:")
		for _, want := range k.approverRoles() {
			if strings.EqualFold(have, want) || (custom && strings.EqualFold(label, want)) {
				return true
			}
		}
	}
	return false
}

// roleNames turns Okta role assignments into Identity.Roles: the types of
// the ACTIVE roles, custom roles as "CUSTOM:<label>".
func roleNames(roles []okta.Role) []string {
	out := []string{}
	for _, r := range roles {
		if r.Status != "" && !strings.EqualFold(r.Status, "ACTIVE") {
			continue
		}
		name := r.Type
		if r.Type == "CUSTOM" {
			name = "CUSTOM:" + r.Label
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// checkApprover refuses, at approval time, a reviewer who may not
// approve: a service app (no admin behind it), or an admin without an
// approver role.
func (k Keys) checkApprover(reviewer Identity) error {
	if strings.HasPrefix(reviewer.AdminID, "client:") {
		return refused("an OAuth service app cannot approve plans: approve with an admin's API token")
	}
	if !k.mayApprove(reviewer.Roles) {
		return refused("%s holds %s, which cannot change groups: approving needs one of %s", reviewer.Login, rolesText(reviewer.Roles), strings.Join(k.approverRoles(), ", "))
	}
	return nil
}

// liveProblem checks in the org that an approver is who their review
// says (the admin id is the login the signature was trusted for: roles
// are read by id) and still holds an approver role. A non-empty string
// says why not; an error is a failed request. The author needs no such
// check: four eyes compares ids and logins alike, and the author's
// signature binds the login.
func (k Keys) liveProblem(ctx context.Context, c *okta.Client, who Identity) (string, error) {
	if strings.HasPrefix(who.AdminID, "client:") {
		return "an OAuth service app cannot approve", nil
	}
	u, err := c.GetUser(ctx, who.AdminID)
	if okta.IsNotFound(err) {
		return fmt.Sprintf("admin %s (%s) does not exist in the org", who.AdminID, who.Login), nil
	}
	if err != nil {
		return "", fmt.Errorf("look up admin %s: %w", who.Login, err)
	}
	if !strings.EqualFold(u.Login, who.Login) {
		return fmt.Sprintf("admin id %s is %s in Okta, not %s", who.AdminID, u.Login, who.Login), nil
	}
	roles, err := c.UserRoles(ctx, who.AdminID)
	if okta.IsForbidden(err) {
		return fmt.Sprintf("the credential may not read %s's admin roles to confirm they may approve (grant okta.roles.read, or apply with an admin's token)", who.Login), nil
	}
	if err != nil {
		return "", fmt.Errorf("read the admin roles of approver %s: %w", who.Login, err)
	}
	if names := roleNames(roles); !k.mayApprove(names) {
		return fmt.Sprintf("%s holds %s, which cannot change groups", who.Login, rolesText(names)), nil
	}
	return "", nil
}

// verifyForApply re-checks, right before Apply's first write, everything
// four eyes rests on: the author's signature, each approval's signature
// and trust, that the approvers are other admins than the author, and in
// the org that each approver is who they claim and may change groups. It returns a refusal naming every approval that did
// not count and why.
func (k Keys) verifyForApply(ctx context.Context, c *okta.Client, r *Record, need int, now time.Time) error {
	if p := k.authorProblem(r, now); p != "" {
		return refused("plan %s: %s", r.ID, p)
	}
	var counted []Identity
	var ignored []string
	for _, rv := range r.Reviews {
		if rv.Decision != DecisionApprove {
			continue
		}
		why := k.reviewProblem(r, rv, now)
		if why == "" && sameAdmin(rv.Reviewer, r.Plan.Author) {
			why = "the author cannot approve their own plan"
		}
		if why == "" && slices.ContainsFunc(counted, func(c Identity) bool { return sameAdmin(c, rv.Reviewer) }) {
			continue // one admin counts once
		}
		if why == "" {
			p, err := k.liveProblem(ctx, c, rv.Reviewer)
			if err != nil {
				return err
			}
			why = p
		}
		if why != "" {
			ignored = append(ignored, fmt.Sprintf("approval by %s not counted: %s", rv.Reviewer.Login, why))
			continue
		}
		counted = append(counted, rv.Reviewer)
	}
	if len(counted) < need {
		msg := fmt.Sprintf("plan %s has %d verified approval(s) of the %d required", r.ID, len(counted), need)
		if len(ignored) > 0 {
			msg += "; " + strings.Join(ignored, "; ")
		}
		return fmt.Errorf("%w: %s", ErrRefused, msg)
	}
	return nil
}
