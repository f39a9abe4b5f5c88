package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dirdeck/dirdeck/access"
	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/okta"
)

func newScopesCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "scopes",
		Short: "Check what the credential can do for each dirdeck feature",
		Long: `Check, per dirdeck feature, which Okta scopes or admin permissions it needs
(taken from Okta's API spec), what the credential has (the token owner's
admin roles, or the OAuth service app's granted scopes) and what one cheap
read (limit=1) per feature actually returns. A probe result beats an
inference; both are shown. Write and admin privileges on a profile with
writes disabled are flagged as excess, with the least-privilege choice.

--json prints {"auth","principal","roles","granted","features":[{"feature",
"status","needed","missing","probe",...}],"excess":[...]}.

Exit codes: 0 everything ok; 1 a feature degraded or optional one missing,
or excess privilege; 2 a core feature (browse users or groups) is missing or
Okta refuses the credential.`,
		Example: `  dirdeck scopes
  dirdeck scopes --json | jq '.features[] | select(.status != "ok")'`,
		Args: cobra.NoArgs,
		RunE: credentialCheck[access.CheckOptions, *access.ScopeReport]{
			options: func(_ *cobra.Command, r config.Resolved) access.CheckOptions {
				return access.CheckOptions{AllowWrites: r.Profile.AllowWrites, ClientID: r.Profile.ClientID}
			},
			check:    access.CheckScopes,
			accepted: func(rep *access.ScopeReport) bool { return rep.Rejected == nil },
			print:    printScopes,
		}.runE(&asJSON),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document on stdout")
	return cmd
}

func newTokensCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Check token age, idle expiry and rotation",
		Long: `Check the profile's own credential — when it was added and last used, when it
idles out (Okta revokes an API token after 30 days without use), its age
against the rotation policy (rotation_days, default 90) and whether its owner
is still active — and, where the credential may list them
(okta.apiTokens.read), every API token of the org, so that another
integration's token about to expire shows up too. Days are counted on the
org's clock (its Date header), not the local one.

Levels: warning at 7 days left or less, or past the rotation age; critical
at 2 days or less, or with the owner deactivated; expired.

--json prints {"self":{...},"tokens":[{"name","owner","created","expires_at",
"days_left","age_days","status","reasons",...}],...}.

Exit codes: 0 no problem; 1 warnings; 2 a token critical or expired.`,
		Example: `  dirdeck tokens
  dirdeck tokens --json | jq '.tokens[] | select(.status != "ok") | .name'`,
		Args: cobra.NoArgs,
		RunE: credentialCheck[access.TokenOptions, *access.TokenReport]{
			options: func(cmd *cobra.Command, r config.Resolved) access.TokenOptions {
				opts, err := tokenOptions(r)
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: could not read the token-use record: %v\n", err)
				}
				return opts
			},
			check:    access.CheckTokens,
			accepted: func(rep *access.TokenReport) bool { return rep.Self.Rejected == nil },
			print:    printTokens,
		}.runE(&asJSON),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document on stdout")
	return cmd
}

// tokenOptions are the token-age check's inputs for profile r: the local
// record of the token's use and the profile's rotation policy. With an
// error (no readable record) the options are still usable.
func tokenOptions(r config.Resolved) (access.TokenOptions, error) {
	added, lastUsed, err := config.TokenUse(r.Name)
	if added.IsZero() && r.Profile.Auth == config.AuthOAuth {
		// No record of when the key was stored: the key file's
		// modification time is the best estimate of its age.
		if fi, serr := os.Stat(r.Profile.PrivateKeyFile); serr == nil {
			added = fi.ModTime()
		}
	}
	return access.TokenOptions{
		Added: added, LastUsed: lastUsed, ClientID: r.Profile.ClientID,
		Rotation: time.Duration(r.Profile.RotationDays) * 24 * time.Hour,
	}, err
}

// credentialCheck is what scopes and tokens share: the profile's
// credential is checked against Okta and the report printed. O are the
// check's inputs, R its report.
type credentialCheck[O any, R interface{ ExitCode() int }] struct {
	// options derives the check's inputs from the resolved profile; it
	// runs before the client is built.
	options  func(cmd *cobra.Command, r config.Resolved) O
	check    func(ctx context.Context, c *okta.Client, opts O) (R, error)
	accepted func(rep R) bool // Okta accepted the credential
	print    func(w io.Writer, rep R)
}

// runE is the command body; asJSON points at the --json flag, which is
// bound after the body is built. When Okta accepted the credential its use
// is recorded on the org's clock (the check itself renewed Okta's 30-day
// idle window); the report is printed as JSON or text, and its exit code
// is the command's.
func (k credentialCheck[O, R]) runE(asJSON *bool) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		r, err := config.Resolve(profileFlag(cmd))
		if err != nil {
			return notConfigured(err)
		}
		warnLookalike(cmd.ErrOrStderr(), r.Profile.OrgURL)
		opts := k.options(cmd, r)
		c, err := newClient(ctx, r, okta.Options{})
		if err != nil {
			return err
		}
		rep, err := k.check(ctx, c, opts)
		if err != nil {
			return withCode(exitFailed, tokenHint(err, r))
		}
		if k.accepted(rep) {
			if err := config.RecordTokenUse(r.Name, c.ServerTime()); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: could not record token use: %v\n", err)
			}
		}
		if *asJSON {
			if err := printJSON(cmd.OutOrStdout(), rep); err != nil {
				return err
			}
		} else {
			k.print(cmd.OutOrStdout(), rep)
		}
		if code := rep.ExitCode(); code != exitOK {
			return withCode(code, nil)
		}
		return nil
	}
}

func printScopes(w io.Writer, r *access.ScopeReport) {
	who := textsafe.Clean(r.Principal)
	if who == "" {
		who = "unknown"
	}
	switch r.Auth {
	case access.AuthOAuth:
		if r.DPoP {
			who += " (DPoP-bound tokens)"
		}
		fmt.Fprintf(w, "Credential  OAuth service app %s\nGranted     %s\n", who, textsafe.List(r.Granted))
	default:
		fmt.Fprintf(w, "Credential  API token of %s\nRoles       %s\nInferred    %s\n", who, textsafe.List(r.Roles), textsafe.List(r.Granted))
	}
	if r.Rejected != nil {
		fmt.Fprintf(w, "\nOkta refuses the credential: %s\n  fix: %s\n", textsafe.Clean(r.Rejected.Error), r.Rejected.Fix)
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "FEATURE\tSTATUS\tPROBE\tINFERRED\tNEEDED\tMISSING")
	for _, f := range r.Features {
		status := f.Status
		if f.Expected {
			status += " (expected)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Feature, status, f.Probe, f.Inferred, strings.Join(f.Needed, ", "), strings.Join(f.Missing, ", "))
	}
	tw.Flush()
	for _, f := range r.Features {
		if f.Status == access.StatusOK && f.Note == "" || f.Expected {
			continue
		}
		fmt.Fprintf(w, "\n%s: %s\n", f.Feature, f.Status)
		if f.Note != "" {
			fmt.Fprintf(w, "  note: %s\n", textsafe.Clean(f.Note))
		}
		if f.Fix != "" {
			fmt.Fprintf(w, "  fix: %s\n", f.Fix)
		}
	}
	if len(r.Excess) > 0 {
		fmt.Fprintln(w, "\nExcess privilege:")
		for _, e := range r.Excess {
			fmt.Fprintf(w, "  %s — %s\n  fix: %s\n", textsafe.Clean(e.Privilege), e.Reason, e.Fix)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\nnote: %s\n", textsafe.Clean(n))
	}
}

func printTokens(w io.Writer, r *access.TokenReport) {
	s := r.Self
	fmt.Fprintf(w, "This profile's credential (%s", s.Auth)
	if s.Name != "" {
		fmt.Fprintf(w, " %s", textsafe.Clean(s.Name))
	}
	fmt.Fprintf(w, "): %s\n", strings.ToUpper(s.Status))
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(w, "  %-12s %s\n", label, value)
		}
	}
	if len(s.Candidates) > 0 {
		line("candidates", textsafe.Clean(strings.Join(s.Candidates, ", ")))
	}
	line("added", dateOf(s.Added))
	line("last used", dateOf(s.LastUsed))
	line("created", dateOf(s.Created))
	if s.ExpiresAt != nil && s.DaysLeft != nil {
		what := "each use renews it"
		if len(s.Candidates) > 0 {
			what = "the soonest candidate"
		} else if s.TokenWindow != "" {
			what = "window " + s.TokenWindow + "; each use renews it"
		}
		line("idles out", fmt.Sprintf("%s (%d days left; %s)", dateOf(s.ExpiresAt), *s.DaysLeft, what))
	}
	if s.AgeDays != nil {
		line("age", fmt.Sprintf("%d days (rotation policy %d days)", *s.AgeDays, s.RotationDays))
	}
	if s.KeyAgeDays != nil {
		line("key age", fmt.Sprintf("%d days (rotation policy %d days)", *s.KeyAgeDays, s.RotationDays))
	}
	if s.AccessTokenSeconds > 0 {
		line("access token", fmt.Sprintf("lives %s", time.Duration(s.AccessTokenSeconds)*time.Second))
	}
	if s.Owner != "" {
		line("owner", textsafe.Clean(s.Owner)+" ("+s.OwnerStatus+")")
	}
	for _, reason := range s.Reasons {
		fmt.Fprintf(w, "  ! %s\n", textsafe.Clean(reason))
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	line("fix", s.Fix)
	fmt.Fprintf(w, "\nOrg clock   %s", r.ServerTime.Format(time.RFC3339))
	if r.SkewNote != "" {
		fmt.Fprintf(w, " (%s)", r.SkewNote)
	}
	fmt.Fprintln(w)
	if r.Inventory != "ok" {
		fmt.Fprintf(w, "\nAPI tokens: %s\n", textsafe.Clean(r.Inventory))
		return
	}
	fmt.Fprintf(w, "\nAPI tokens of the org (%d), soonest expiry first:\n", len(r.Tokens))
	// Token names and owners are the org's text, in any script: columns
	// are measured in terminal cells.
	rows := [][]string{{"STATUS", "DAYS LEFT", "AGE", "NAME", "OWNER", "EXPIRES"}}
	for _, t := range r.Tokens {
		rows = append(rows, []string{string(t.Status), fmt.Sprint(t.DaysLeft), fmt.Sprintf("%dd", t.AgeDays),
			textsafe.Clean(t.Name) + t.SelfMark(), textsafe.Clean(t.Owner), dateOf(t.ExpiresAt)})
	}
	for _, line := range textsafe.Columns(rows, 2) {
		fmt.Fprintln(w, line)
	}
	for _, t := range r.Tokens {
		if t.Status == access.LevelOK {
			continue
		}
		fmt.Fprintf(w, "\n%s: %s — %s\n  fix: %s\n", textsafe.Clean(t.Name), t.Status, textsafe.Clean(strings.Join(t.Reasons, "; ")), t.Fix)
	}
}

func dateOf(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
