// Package plan is the only way dirdeck writes to Okta: group change plans
// that one admin stages, another reviews and approves, and dirdeck pushes
// after re-checking the live org.
//
// # Life of a plan
//
//	p, err := plan.Build(reader, plan.Request{...})    // from the cache: ops, bases, impact, warnings
//	err = plan.FlagAdmins(ctx, c, &p)                  // live: which touched users are Okta admins
//	rec, err := plan.Submit(st, p, keys)                         // signed, persisted as pending, audited
//	rec, err = plan.Approve(st, id, reviewer, comment, now, keys) // four eyes: never the author
//	rep, err := plan.Apply(ctx, st, id, plan.ApplyOptions{Client: c, ...})
//
// A Plan is the content that is reviewed: ordered operations (add/remove a
// member, create a group, rename/describe a group), each group's base as
// the cache saw it at staging (lastMembershipUpdated, name, member
// presence of every user the plan touches), the impact on app access, and
// warnings. Its hash is the sha256 of its canonical JSON; the plan id is
// derived from the hash, reviews name the hash they approve, and any edit
// is a new plan with a new hash, so approvals never carry over to content
// nobody reviewed. A Record wraps the plan with its state and reviews.
//
// # Four eyes
//
// Identity is the Okta admin behind the credential (/api/v1/users/me; an
// OAuth service app is identified by its client id) plus the local OS user
// for the audit trail. The author cannot approve their own plan and one
// admin counts once, whatever OS account they use. The approvals required
// are fixed in the plan at staging (the profile's approvals_required) and
// an applying profile may demand more.
//
// Plans travel as files (Export/Import). Import recomputes the hash and
// refuses a file whose plan does not match it. A hash stops accidents, not
// an admin who edits the file and recomputes it, so plans and reviews are
// signed (see Keys and package signing): the author signs the plan's
// canonical content at staging, each reviewer signs a statement binding
// plan id, hash, org, decision, admin id, login, time and comment, with an
// OpenSSH key (SSHSIG, namespace dirdeck-plan). A review that arrives in a
// file counts only when its signature verifies against a key the team's
// allowed_signers file trusts for the reviewer's Okta login; transplanted,
// edited, unsigned and untrusted reviews are kept, shown with the reason,
// audited as refused and never counted. Approvers must hold a role that
// can change groups (Keys.ApproverRoles): checked when they approve, and
// in the org (their login and roles, by id) right before Apply writes,
// together with every signature.
//
// # Apply
//
// Apply refuses, before any write request, unless the plan is approved,
// its hash matches, writes are enabled for the profile and the credential
// may manage groups (an admin role that can, or the okta.groups.manage
// scope). It then checks for drift: every target group is read again; a
// deleted group, a group that is no longer OKTA_GROUP, a profile edited
// under a rename, or a name taken by a group to create always stop the
// apply; a membership that changed since staging (lastMembershipUpdated
// moved) stops it unless Rebase is set, in which case operations whose
// intent already holds become no-ops.
//
// Each operation is journaled in the cache before and after its request.
// Membership writes whose intent already holds in the live org are
// recorded as no-ops without a request. A failure stops the run with a
// report (state failed); applying again resumes from the journal, never
// repeating a done operation, and dirdeck's own earlier writes are not
// mistaken for drift (the groups' stamps are re-read after each run).
// Finally the affected groups, their members and the users of their apps
// are read back into the cache by package sync (sync.Groups), under the
// sync's policy for a 403 (the cache is flagged partial, not failed).
//
// Every step — staged, approved, rejected, exported, imported, apply
// started, applied, failed, refused — is appended to the audit log, a
// hash chain (each entry commits to the one before) that records the Okta
// admin, OS user, host and signing key's fingerprint, and keeps the
// signatures; VerifyAudit checks it. Plans, journals and the log live in
// the store's plan ledger, a file apart from the cache.
package plan
