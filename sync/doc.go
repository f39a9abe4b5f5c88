// Package sync keeps a dirdeck cache (package store) equal to an Okta org
// (through package okta), cheaply and within the org's rate-limit budget.
//
// A full sync lists every collection — users (plus the DEPROVISIONED ones
// a plain listing leaves out), groups and each group's members, apps and
// each app's users and groups — into a new cache generation and commits it
// atomically. An incremental sync starts from the cursors the previous run
// stored and asks only for what changed:
//
//   - users with `lastUpdated gt <cursor>`;
//   - all groups and all apps (a handful of pages even at 100k users), to
//     catch renames, deletions and changed lastMembershipUpdated;
//   - the System Log since the log cursor, when the credential may read it:
//     membership and app-assignment events are applied as deltas to big
//     groups and apps, small ones (one page) are simply listed again, and
//     user deletions are archived;
//   - without the System Log it falls back to listing members of every
//     group whose lastMembershipUpdated moved, the assignments of every
//     app, and all user ids (to find deletions): slower, still exact.
//
// Cursors come from the org's clock (Date headers), never the local one,
// and are taken back by an overlap window so that an event published a
// little late is not missed; replaying an overlap is harmless because
// events are applied in order and the last one for a pair wins.
//
// Groups is the third entry point: it reads a few named groups back (their
// profiles, members and the users of their apps) after a plan apply wrote
// to them, as one incremental batch recorded as a run of mode "plan".
//
// A 403 on one resource (apps without okta.apps.read, say) does not fail
// the run: the resource is flagged partial, the cache keeps what it had for
// it, and the run ends with status "partial". Any other error fails the
// run; the previous generation stays current and the failure is recorded.
// The same policy holds for Groups (whose failure is the caller's to
// report), and a run that does not read a resource whole carries the
// resource's partial flag over from the run before.
package sync
