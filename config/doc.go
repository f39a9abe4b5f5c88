// Package config finds out which Okta org dirdeck talks to, with which
// credential, and where that org's local files live.
//
// # Files and directories
//
// The profiles file is $XDG_CONFIG_HOME/dirdeck/config.toml and per-profile
// data (the bbolt cache <profile>.db, the log <profile>.log, and the small
// state.json that remembers when a token was added and last used) lives in
// $XDG_DATA_HOME/dirdeck/. DIRDECK_HOME=<dir> moves both under one
// directory: <dir>/config.toml and <dir>/data/. Paths are computed from the
// environment on every call, so a changed environment (t.Setenv in tests) is
// honoured. Directories dirdeck creates are 0700 and files it writes are
// 0600; looser modes found on an existing dirdeck directory are tightened
// on write.
//
// # Profiles
//
// config.toml holds `active = "name"` and one [profiles.<name>] table per
// Okta org (see [Profile] for the keys and their defaults). It never holds a
// token. Unknown keys are refused with their name and line, because a
// mistyped key such as allow_write would otherwise silently keep a default.
// Profile names match [a-z0-9][a-z0-9_-]{0,62}; "env" and names starting
// with "env-" are reserved for environment-only configuration.
//
// # Secrets
//
// SSWS API tokens are kept in the OS keyring (service "dirdeck", user = the
// profile name). Where no keyring exists — headless Linux without a D-Bus
// Secret Service, CI — the keyring functions return [ErrNoKeyring] and the
// token comes from DIRDECK_API_TOKEN instead. OAuth 2.0 service apps use a
// private key file, which must not be readable by group or others: such a
// file is refused (like ssh does), not merely warned about, because the key
// is a long-lived credential.
//
// # Environment-only configuration
//
// Scripts and CI can skip the profiles file: DIRDECK_ORG_URL with either
// DIRDECK_API_TOKEN (SSWS) or DIRDECK_CLIENT_ID + DIRDECK_PRIVATE_KEY_FILE
// (+ DIRDECK_SCOPES, DIRDECK_KEY_ID) for OAuth 2.0 private_key_jwt.
// DIRDECK_ALLOW_WRITES=1 enables writes for this configuration only; a
// profile from the file enables writes in the file, never from the
// environment, but DIRDECK_ALLOW_WRITES=0 turns writes off for any
// configuration (the environment can always say no). DIRDECK_SIGNING_KEY
// and DIRDECK_ALLOWED_SIGNERS override a profile's signing_key and
// allowed_signers. The environment configuration is named "env-" plus the org
// host (for example env-acme-okta-com, env-127-0-0-1-8707) so that two
// orgs never share a cache file. See [Resolve] for the order in which a
// configuration is chosen.
package config
