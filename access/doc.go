// Package access tells an Okta admin, before it hurts, whether dirdeck's
// credential can do what each feature needs and whether a token is about
// to die. Okta integrations break in two boring ways: the credential lacks
// a permission (403, E0000006), or the token silently dies (30 days
// without use, or with its owner). They are also often over-privileged.
//
// # Using it
//
//	rep, err := access.CheckScopes(ctx, client, access.CheckOptions{AllowWrites: prof.AllowWrites})
//	os.Exit(rep.ExitCode()) // 0 ok, 1 degraded/excess/optional missing, 2 core missing or refused
//
//	added, lastUsed, _ := config.TokenUse(profile)
//	trep, err := access.CheckTokens(ctx, client, access.TokenOptions{Added: added, LastUsed: lastUsed, Rotation: 90 * 24 * time.Hour})
//	os.Exit(trep.ExitCode()) // 0 none, 1 warnings, 2 critical/expired
//
//	level, text := access.IdleNotice(lastUsed, time.Now()) // start-up warning, no request
//
// The reports marshal to the `dirdeck scopes --json` and `dirdeck tokens
// --json` documents. Errors are returned only when Okta cannot be asked
// (cancelled context, network); Okta's refusals are in the reports.
//
// # Scope checks
//
// Features lists dirdeck's features with the Okta operations they call.
// The scope each operation needs comes from the security section of the
// SDK module's okta/api/openapi.yaml, generated into package
// internal/oktaspec by `go generate ./internal/oktaspec` (the okta client
// names scopes in its error hints from the same table); a test there
// regenerates the table in memory and fails when it and the spec disagree.
//
// What the credential has is inferred first — for OAuth service apps the
// scopes of the token response, for SSWS tokens the token owner's admin
// roles (/api/v1/users/me, /api/v1/users/{id}/roles) mapped to permissions;
// custom roles are not inferred — and then confirmed by one limit=1 GET per
// readable feature. A probe result beats an inference; both are reported.
// Writes are never probed. Missing System Log access or token inventory
// degrades (full membership refreshes; only the own token checked) rather
// than breaks. Write scopes or write-capable admin roles on a profile with
// writes disabled are excess privilege, reported with the least-privilege
// alternative.
//
// # Token age
//
// Days are counted on the org's clock (okta.Client.ServerTime, from Date
// headers), to the minute, rounded up: a token is warning with 7 days left
// or less or past the rotation age, critical with 2 days or less or with
// its owner deactivated or suspended, expired once its idle expiry has
// passed. A check through a token renews that token's idle window, so the
// profile's own token is judged after the renewal, and the local record
// (config.TokenUse) says how close it had come.
package access
