// Package bundle makes and reads dirdeck support bundles: what support
// needs to reproduce a customer's sync problem, without the customer's
// personal data or secrets.
//
// # Export (customer side)
//
// Build reads the cache and produces, in memory, a gzipped tar of JSON
// files: meta.json (dirdeck, Go and OS versions, the profile's settings
// without secrets, cache schema version, counts and digest), runs.json
// (the newest sync runs with their request journals), reports.json (scope
// and token reports) and snapshot/*.jsonl (users, groups, apps,
// memberships, app users, app groups), plus manifest.json with the size
// and SHA-256 of every other file.
//
// The snapshot is pseudonymised with HMAC-SHA256 under a key that stays
// with the customer (LoadOrCreateKey: bundle.key, 0600, in dirdeck's data
// directory; the bundle carries only a fingerprint). Ids keep their length
// and type prefix and map consistently, so the membership graph, group
// types, app assignment paths, status distribution and timestamps are
// exactly those of the cache. Logins become user-<tag>@redacted.invalid,
// plain Latin names "Person <tag>", phone numbers keep their format with
// zeroed digits, and every other text value (titles, departments, group
// names, names in other scripts or with markup) is redrawn rune by rune
// from the same character class, so lengths, scripts, HTML-like content
// and escape sequences survive while the words do not. Empty fields stay
// empty; equal values stay equal.
//
// Before anything is written, a Scanner checks every file for API tokens,
// Bearer tokens, email addresses, phone numbers and every login, email,
// name and phone number of the cache. A finding aborts the export with its
// file and line (never the value); Write goes through a temporary file and
// a rename, so no partial bundle is ever left.
//
// # Inspect, replay, open (support side)
//
// Open verifies a bundle against its manifest (missing, extra, resized or
// altered files, truncated archives) before anything reads it. Inspect
// summarises it. Replay serves the snapshot from a simulated org
// (oktasim.FromSnapshot) with a fault script derived from the journal —
// the same statuses at the same per-endpoint request positions, slow
// answers delayed alike, the customer's observed rate limits — runs the
// same kind of sync with the same budget share, and compares the two runs.
// LoadCache writes the snapshot into a cache file for the read-only TUI.
package bundle
