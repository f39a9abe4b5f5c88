package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dirdeck/dirdeck/access"
	"github.com/dirdeck/dirdeck/bundle"
	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui"
)

func newBundleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Make, inspect and replay redacted support bundles",
		Example: `  dirdeck bundle export --out support.tar.gz
  dirdeck bundle inspect support.tar.gz
  dirdeck bundle replay support.tar.gz --json`,
		Long: `A support bundle lets support reproduce a sync problem without seeing
personal data or secrets: versions, the profile's settings without
secrets, the last sync runs with their request journals, scope and token
reports, and a pseudonymised snapshot of the cache (same structure, fake
names and addresses). The customer runs "bundle export"; support runs
"bundle inspect", "bundle replay" and "bundle open" on the file.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newBundleExportCmd(), newBundleInspectCmd(), newBundleReplayCmd(), newBundleOpenCmd())
	return cmd
}

func newBundleExportCmd() *cobra.Command {
	var out string
	var runs int
	var show, offline bool
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write a redacted support bundle of the active profile",
		Long: `Write a support bundle (a .tar.gz of JSON files with a manifest of
SHA-256 sums) from the active profile's cache.

Ids, logins, emails, names, phone numbers and every other text value are
pseudonymised with a keyed HMAC; the key (bundle.key, 0600, next to the
cache) never leaves this machine, so only you can tell who a pseudonym is.
Before anything is written, every file is scanned for API and Bearer
tokens, email addresses, phone numbers and every login, email and name of
the cache; a hit aborts the export with its location and leaves no file.

Unless --offline, the scope and token checks of "dirdeck scopes" and
"dirdeck tokens" are run and included (a few read requests to Okta).
--show prints what would be included and writes nothing.

Exit codes: 0 written (or shown); 2 failed, nothing written.`,
		Example: `  dirdeck bundle export --out support.tar.gz
  dirdeck bundle export --show --offline`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBundleExport(cmd, out, runs, show, offline)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "bundle file to write (default dirdeck-bundle-<profile>-<time>.tar.gz)")
	cmd.Flags().IntVar(&runs, "runs", bundle.DefaultRuns, "number of recent sync runs to include")
	cmd.Flags().BoolVar(&show, "show", false, "print what the bundle would contain and write nothing")
	cmd.Flags().BoolVar(&offline, "offline", false, "do not ask Okta for the scope and token reports")
	return cmd
}

func runBundleExport(cmd *cobra.Command, out string, runs int, show, offline bool) error {
	if runs < 1 {
		return withCode(exitUsage, fmt.Errorf("--runs must be at least 1"))
	}
	r, err := config.Locate(profileFlag(cmd))
	if err != nil {
		return notConfigured(err)
	}
	if _, err := os.Stat(r.CachePath); err != nil {
		return withCode(exitFailed, fmt.Errorf("nothing synced yet for profile %q: run `dirdeck sync` first", r.Name))
	}
	key, err := bundle.LoadOrCreateKey(filepath.Join(filepath.Dir(r.CachePath), "bundle.key"))
	if err != nil {
		return withCode(exitFailed, err)
	}
	opts := bundle.Options{Key: key, Runs: runs, Version: dirdeckVersion(), Profile: bundle.ProfileFrom(r.Name, r.Profile)}
	// The token is only needed to make sure it is not in the bundle, and
	// for the online reports.
	full, rerr := config.Resolve(profileFlag(cmd))
	if rerr == nil {
		opts.Secrets = append(opts.Secrets, full.Token)
		if full.PrivateKeyPEM != nil {
			opts.Secrets = append(opts.Secrets, string(full.PrivateKeyPEM))
		}
		if !offline {
			opts.Reports = accessReports(cmd.Context(), full)
		}
	} else if !offline {
		opts.Reports = map[string]any{"error": "no credential: " + rerr.Error()}
	}

	st, err := store.OpenReadOnly(r.CachePath)
	if err != nil {
		return withCode(exitFailed, fmt.Errorf("open cache (is dirdeck running? close it first): %w", err))
	}
	defer st.Close()
	contents, err := bundle.Build(st, opts)
	if err != nil {
		return withCode(exitFailed, err)
	}
	w := cmd.OutOrStdout()
	if show {
		return showBundle(w, contents)
	}
	if out == "" {
		out = fmt.Sprintf("dirdeck-bundle-%s-%s.tar.gz", r.Name, time.Now().UTC().Format("20060102-150405"))
	}
	n, err := contents.Write(out)
	if err != nil {
		return withCode(exitFailed, err)
	}
	c := contents.Meta.Cache.Counts
	fmt.Fprintf(w, "Wrote %s (%s): %d users, %d groups, %d apps, %d runs; pseudonym key fingerprint %s.\n",
		out, humanBytes(n), c.Users, c.Groups, c.Apps, contents.Runs, contents.Meta.Pseudonym.KeyFingerprint)
	return nil
}

// accessReports runs the scope and token checks for the bundle; a check
// that cannot run is reported as its error.
func accessReports(ctx context.Context, r config.Resolved) map[string]any {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := newClient(ctx, r, okta.Options{})
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	out := map[string]any{}
	if rep, err := access.CheckScopes(ctx, c, access.CheckOptions{AllowWrites: r.Profile.AllowWrites, ClientID: r.Profile.ClientID}); err != nil {
		out["scopes"] = map[string]string{"error": err.Error()}
	} else {
		out["scopes"] = rep
	}
	topts, err := tokenOptions(r)
	if err != nil {
		out["token_use_record"] = err.Error()
	}
	if rep, err := access.CheckTokens(ctx, c, topts); err != nil {
		out["tokens"] = map[string]string{"error": err.Error()}
	} else {
		out["tokens"] = rep
	}
	return out
}

// showBundle prints every file with its size and hash, the metadata and
// reports in full, and the first record of each snapshot file.
func showBundle(w io.Writer, c *bundle.Contents) error {
	fmt.Fprintln(w, "The bundle would contain:")
	for _, f := range c.Files() {
		fmt.Fprintf(w, "  %-28s %10s  %s\n", f.Name, humanBytes(f.Size), f.SHA256)
	}
	for _, f := range c.Files() {
		data, _ := c.File(f.Name)
		switch {
		case f.Name == "meta.json" || f.Name == "reports.json":
			fmt.Fprintf(w, "\n== %s\n%s", f.Name, textsafe.Clean(string(data)))
		case strings.HasSuffix(f.Name, ".jsonl"):
			first, _, _ := strings.Cut(string(data), "\n")
			fmt.Fprintf(w, "\n== %s (%d records), first: %s\n", f.Name, strings.Count(string(data), "\n"), textsafe.Clean(first))
		}
	}
	fmt.Fprintln(w, "\nNothing was written (--show).")
	return nil
}

func newBundleInspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Summarise a support bundle",
		Example: `  dirdeck bundle inspect support.tar.gz
  dirdeck bundle inspect support.tar.gz --json | jq '.runs[] | {id, mode, status}'`,
		Long: `Verify a bundle against its manifest and summarise it: versions, sizes,
sync runs, errors grouped by Okta errorCode and endpoint with their likely
cause, rate-limit waits and bucket use, partial data, token and scope
findings. --json prints the summary as one document.

Exit codes: 0 ok; 2 the bundle is damaged or altered.`,
		Args: needArgs("bundle file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := bundle.Open(args[0])
			if err != nil {
				return withCode(exitFailed, err)
			}
			sum := bundle.Inspect(b)
			if asJSON {
				return printJSON(cmd.OutOrStdout(), sum)
			}
			printSummary(cmd.OutOrStdout(), sum)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

func printSummary(w io.Writer, s bundle.Summary) {
	m := s.Meta
	c := textsafe.Clean
	fmt.Fprintf(w, "Bundle %s (%s), made %s by dirdeck %s (%s, %s/%s)\n", c(s.File), humanBytes(s.Bytes),
		m.Created.Format(time.RFC3339), c(m.Dirdeck), c(m.Go), c(m.OS), c(m.Arch))
	fmt.Fprintln(w, "Integrity: every file matches the manifest. That is not authenticity: the manifest is not signed,\n"+
		"so anyone can edit a bundle and recompute it. Trust what it says only as far as you trust who handed it to you.")
	fmt.Fprintf(w, "Profile %s: %s, auth %s, budget share %.0f%%, writes %v\n", textsafe.Clean(m.Profile.Name),
		textsafe.Clean(m.Profile.OrgURL), textsafe.Clean(m.Profile.Auth), m.Profile.BudgetShare*100, m.Profile.AllowWrites)
	n := m.Cache.Counts
	fmt.Fprintf(w, "Cache schema %d, generation %d, %s on disk: %d users, %d groups, %d apps, %d memberships, %d app users, %d app groups\n",
		m.Cache.SchemaVersion, m.Cache.Generation, humanBytes(m.Cache.FileBytes), n.Users, n.Groups, n.Apps, n.Memberships, n.AppUsers, n.AppGroups)
	fmt.Fprintf(w, "Pseudonymised (%s, key %s)\n", c(m.Pseudonym.Method), c(m.Pseudonym.KeyFingerprint))
	for _, r := range s.Runs {
		j := r.Journal
		fmt.Fprintf(w, "\nRun %d  %s  %s  %s  %d requests, %d retries, %d waits (%s held), %d rate-limited\n", r.ID, c(r.Mode),
			c(strings.ToUpper(r.Status)), r.Started.Format(time.RFC3339), j.Requests, j.Retries, j.Waits,
			(time.Duration(j.WaitedMS) * time.Millisecond).Round(time.Millisecond), j.RateLimited)
		if r.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", textsafe.Clean(r.Error))
		}
		for _, p := range r.Partial {
			fmt.Fprintf(w, "  partial: %s (%s)\n", c(p.Resource), c(p.ErrorCode))
		}
		for _, e := range j.Errors {
			fmt.Fprintf(w, "  %-8s %3d ×%-4d %s\n", textsafe.Clean(e.ErrorCode), e.Status, e.Count, textsafe.Clean(e.Endpoint))
			if e.Hint != "" {
				fmt.Fprintf(w, "           %s\n", c(e.Hint))
			}
		}
		for _, bu := range j.Buckets {
			if bu.Limit > 0 && bu.Limit < 1_000_000 {
				fmt.Fprintf(w, "  bucket %-22s %5d requests, limit %d/min, lowest remaining %d\n", textsafe.Clean(bu.Bucket), bu.Requests, bu.Limit, bu.MinRemaining)
			}
		}
	}
	if len(s.Reports) > 0 {
		fmt.Fprintf(w, "\nScope and token findings (%d; full reports with --json)\n", len(s.Findings))
		for _, f := range s.Findings {
			fmt.Fprintf(w, "  %s\n", textsafe.Clean(f))
		}
	}
}

func newBundleReplayCmd() *cobra.Command {
	var asJSON, fast bool
	var runID uint64
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Replay a bundle's sync against a simulated org",
		Example: `  dirdeck bundle replay support.tar.gz             # the newest sync run
  dirdeck bundle replay support.tar.gz --run 3 --json
  dirdeck bundle replay support.tar.gz --ignore-rate-limits`,
		Long: `Serve the bundle's pseudonymised snapshot from a simulated Okta org on
loopback, with a fault script derived from the run's journal (the same
statuses — 429, 403, 5xx, 401 — at the same per-endpoint request
positions, slow answers delayed alike, the rate limits the customer's org
reported), run the same kind of sync with the profile's budget share, and
compare it with the customer's run: status, partial data, Okta error codes
per endpoint and (full runs) request count within 5%.

The run replayed is the newest full or incremental sync in the bundle (a
plan apply's re-sync of a few groups is skipped); --run ID picks another
(bundle inspect lists the runs with their ids).

--json prints {"reproduced":true|false,"original":{...},"replay":{...},
"differences":[...]} with per-endpoint status counts, partial flags and
error codes. --ignore-rate-limits skips the customer's limits (faster).
Progress goes to stderr; scripted delays are capped (5 s each, 60 s in
all) and --timeout (default 10m) bounds the whole replay.

Exit codes: 0 reproduced; 1 not reproduced; 2 the replay could not run.`,
		Args: needArgs("bundle file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := bundle.Open(args[0])
			if err != nil {
				return withCode(exitFailed, err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			n := b.Meta.Cache.Counts
			pp := newProgressPrinter(cmd.ErrOrStderr(), n.Users+n.Groups+n.Apps+n.Memberships+n.AppUsers+n.AppGroups, "the replaying simulated org")
			rep, err := bundle.Replay(ctx, b, bundle.ReplayOptions{Run: runID, IgnoreRateLimits: fast, Seed: 1, Progress: pp.update})
			pp.finish()
			if err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					err = fmt.Errorf("replay stopped after --timeout %s: %w", timeout, err)
				}
				return withCode(exitFailed, err)
			}
			w := cmd.OutOrStdout()
			if asJSON {
				if err := printJSON(w, rep); err != nil {
					return err
				}
			} else {
				printReplay(w, rep)
			}
			if !rep.Reproduced {
				return withCode(exitWarnings, nil)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the comparison as JSON")
	cmd.Flags().Uint64Var(&runID, "run", 0, "run id to replay (default: the newest full or incremental sync; bundle inspect lists them)")
	cmd.Flags().BoolVar(&fast, "ignore-rate-limits", false, "do not enforce the rate limits the customer's org reported")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "give up a replay that runs longer")
	return cmd
}

func printReplay(w io.Writer, r *bundle.ReplayReport) {
	verdict := "REPRODUCED"
	if !r.Reproduced {
		verdict = "NOT REPRODUCED"
	}
	fmt.Fprintf(w, "%s (%d scripted faults)\n\n", verdict, r.Script)
	fmt.Fprintf(w, "%-22s %-28s %s\n", "", "customer", "replay")
	row := func(k, a, b string) { fmt.Fprintf(w, "%-22s %-28s %s\n", k, textsafe.Clean(a), textsafe.Clean(b)) }
	row("mode", r.Original.Mode, r.Replay.Mode)
	row("status", r.Original.Status, r.Replay.Status)
	row("requests", fmt.Sprint(r.Original.Requests), fmt.Sprint(r.Replay.Requests))
	row("retries", fmt.Sprint(r.Original.Retries), fmt.Sprint(r.Replay.Retries))
	row("partial", fmt.Sprint(r.Original.Partial), fmt.Sprint(r.Replay.Partial))
	codes := func(d bundle.RunDigest) map[string]string {
		out := map[string]string{}
		for _, e := range d.Errors {
			out[e.Endpoint] += fmt.Sprintf("%s×%d ", e.ErrorCode, e.Count)
		}
		return out
	}
	ca, cb := codes(r.Original), codes(r.Replay)
	keys := map[string]bool{}
	for k := range ca {
		keys[k] = true
	}
	for k := range cb {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		fmt.Fprintf(w, "  %s\n", textsafe.Clean(k))
		row("", ca[k], cb[k])
	}
	for _, d := range r.Differences {
		fmt.Fprintf(w, "difference: %s\n", textsafe.Clean(d))
	}
}

func newBundleOpenCmd() *cobra.Command {
	var theme string
	cmd := &cobra.Command{
		Use:     "open FILE",
		Short:   "Browse a bundle's snapshot in the dashboard (read-only)",
		Example: `  dirdeck bundle open support.tar.gz`,
		Long: `Open the dashboard on the bundle's pseudonymised snapshot, read-only and
marked BUNDLE, with the customer's sync runs and journals in the Sync pane.
The snapshot is loaded into a temporary cache that is removed on exit.`,
		Args: needArgs("bundle file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := bundle.Open(args[0])
			if err != nil {
				return withCode(exitFailed, err)
			}
			dir, err := os.MkdirTemp("", "dirdeck-bundle-")
			if err != nil {
				return withCode(exitFailed, err)
			}
			defer removeTempDir(dir)
			st, err := bundle.LoadCache(b, filepath.Join(dir, "bundle.db"))
			if err != nil {
				return withCode(exitFailed, err)
			}
			defer st.Close()
			err = tui.Run(cmd.Context(), tui.Options{Store: st, Theme: theme, Profile: b.Meta.Profile.Name,
				OrgURL: b.Meta.Profile.OrgURL, Bundle: true, ReadOnly: true, NoStaging: true, SnapshotAt: b.Meta.Created,
				Hint: "Support bundle " + filepath.Base(args[0]) + ": pseudonymised snapshot, read-only"})
			if err != nil && !errors.Is(err, context.Canceled) {
				return withCode(exitFailed, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&theme, "theme", "", "dashboard theme: dark, light, high-contrast or no-color")
	return cmd
}

// humanBytes formats a size for people.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
