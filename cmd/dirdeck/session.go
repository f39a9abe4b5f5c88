package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/internal/orgurl"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/store"
)

// profileFlag returns the root's persistent --profile value.
func profileFlag(cmd *cobra.Command) string {
	if f := cmd.Flag("profile"); f != nil {
		return f.Value.String()
	}
	return ""
}

// notConfigured turns config.ErrNotConfigured into a message that says
// how to configure an org.
func notConfigured(err error) error {
	if errors.Is(err, config.ErrNotConfigured) {
		return withCode(exitFailed, fmt.Errorf("no Okta org is configured: add one with `dirdeck profile add NAME --org-url URL`, or set DIRDECK_ORG_URL and DIRDECK_API_TOKEN"))
	}
	return withCode(exitFailed, err)
}

// openCache opens the profile's cache for writing. With rebuild, a damaged
// or unwanted cache file is first moved aside (its new name is printed).
func openCache(path string, rebuild bool, stderr io.Writer) (*store.Store, error) {
	if rebuild {
		if _, err := os.Stat(path); err == nil {
			moved, err := store.Rebuild(path)
			if err != nil {
				return nil, withCode(exitFailed, fmt.Errorf("rebuild cache: %w", err))
			}
			fmt.Fprintf(stderr, "Moved the old cache to %s; a full sync rebuilds it.\n", moved)
		}
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		return nil, withCode(exitFailed, fmt.Errorf("open cache: %w", err))
	}
	return st, nil
}

// openForReading opens the profile's cache for a command that only reads
// it: with a shared lock and no pid file, so that it writes nothing (a full
// disk cannot stop it). rebuild moves a damaged cache aside first, which
// is a write (openCache). While another dirdeck holds the cache it reads
// a verified snapshot copy instead (saying so on stderr). done closes
// what was opened.
func openForReading(path string, rebuild bool, stderr io.Writer) (st *store.Store, done func(), err error) {
	if rebuild {
		st, err = openCache(path, rebuild, stderr)
	} else if st, err = store.Open(path, store.Options{ReadOnly: true}); err != nil {
		err = withCode(exitFailed, fmt.Errorf("open cache: %w", err))
	}
	if err == nil {
		return st, func() { st.Close() }, nil
	}
	if rebuild || !errors.Is(err, store.ErrLocked) {
		return nil, nil, err
	}
	dir, derr := os.MkdirTemp("", "dirdeck-snapshot-")
	if derr != nil {
		return nil, nil, err
	}
	snap, closeSnap, serr := store.OpenSnapshot(path, dir)
	if serr != nil {
		removeTempDir(dir)
		return nil, nil, err
	}
	fmt.Fprintf(stderr, "note: %v; reading a snapshot copy of it\n", errors.Unwrap(err))
	return snap, func() { closeSnap(); removeTempDir(dir) }, nil
}

// openProfileForReading opens the cache of the profile cmd names for
// reading (see openForReading), for the commands that only read it; it
// returns the profile too.
func openProfileForReading(cmd *cobra.Command) (config.Resolved, *store.Store, func(), error) {
	r, err := config.Locate(profileFlag(cmd))
	if err != nil {
		return r, nil, nil, notConfigured(err)
	}
	st, done, err := openForReading(r.CachePath, false, cmd.ErrOrStderr())
	return r, st, done, err
}

// warnLookalike warns on w when orgURL's host only looks like an ASCII
// name (orgurl.LookalikeWarning).
func warnLookalike(w io.Writer, orgURL string) {
	if msg := orgurl.LookalikeWarning(orgURL); msg != "" {
		fmt.Fprintln(w, "warning: "+textsafe.Clean(msg))
	}
}

// newClient builds the Okta client for a resolved profile.
func newClient(ctx context.Context, r config.Resolved, opts okta.Options) (*okta.Client, error) {
	creds := okta.Credentials{OrgURL: r.Profile.OrgURL, Token: r.Token}
	if r.Profile.Auth == config.AuthOAuth {
		creds = okta.Credentials{
			OrgURL: r.Profile.OrgURL, ClientID: r.Profile.ClientID, PrivateKeyPEM: r.PrivateKeyPEM,
			KeyID: r.Profile.KeyID, Scopes: r.Profile.EffectiveScopes(),
		}
	}
	if opts.BudgetShare == 0 {
		share, warning := r.Profile.RateShare()
		if warning != "" {
			fmt.Fprintln(os.Stderr, "warning: "+warning)
		}
		opts.BudgetShare = share
	}
	if opts.RateLedger == "" {
		// Every dirdeck process on this credential counts in one ledger,
		// so that together they keep within the credential's cap.
		dir, err := config.EnsureDataDir()
		if err != nil {
			return nil, withCode(exitFailed, err)
		}
		org, err := orgurl.Parse(creds.OrgURL)
		if err != nil {
			return nil, withCode(exitFailed, err)
		}
		opts.RateLedger = filepath.Join(dir, "rate-"+okta.CredentialKey(org.String(), creds)+".json")
	}
	c, err := okta.New(ctx, creds, opts)
	if err != nil {
		return nil, withCode(exitFailed, err)
	}
	return c, nil
}

// printJSON writes v as the command's one JSON document. encoding/json
// escapes C0 controls but passes DEL, C1 and bidi controls raw; those are
// escaped too (the document decodes to the same values), so piping a
// command's JSON to a terminal is as safe as its text output.
func printJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, textsafe.Escape(buf.String()))
	return err
}

// envTokenHint is what to do about a rejected token that came from the
// environment: the keyring (what `profile set-token` writes) is not read.
const envTokenHint = "put a new token in DIRDECK_API_TOKEN (this one came from the environment; `dirdeck profile set-token` writes the keyring, which is not read while DIRDECK_API_TOKEN is set)"

// tokenHint makes the hint of a rejected API token match where the token
// came from: okta's hint sends the admin to `dirdeck profile set-token`,
// which is right for a keyring token and useless for DIRDECK_API_TOKEN.
func tokenHint(err error, r config.Resolved) error {
	var ae *okta.APIError
	if err == nil || r.TokenSource != config.TokenFromEnv || !errors.As(err, &ae) || ae.Challenge != "" ||
		ae.ErrorCode != okta.CodeInvalidToken && (ae.Status != http.StatusUnauthorized || ae.ErrorCode != "") {
		return err
	}
	msg := err.Error()
	if h := ae.Hint(); h != "" && strings.Contains(msg, h) {
		msg = strings.Replace(msg, h, envTokenHint, 1)
	} else {
		msg += " — hint: " + envTokenHint
	}
	return &hintedError{err: err, msg: msg}
}

// hintedError is err with its message rewritten; errors.Is and As still
// see err.
type hintedError struct {
	err error
	msg string
}

func (e *hintedError) Error() string { return e.msg }
func (e *hintedError) Unwrap() error { return e.err }
