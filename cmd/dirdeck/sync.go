package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"charm.land/bubbles/v2/progress"
	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
	"github.com/dirdeck/dirdeck/tui/userindex"
)

// syncReport is `dirdeck sync --json`.
type syncReport struct {
	Mode           string              `json:"mode"`
	Reason         string              `json:"reason,omitempty"`
	Status         string              `json:"status"`
	Requests       int                 `json:"requests"`
	DurationMS     int64               `json:"duration_ms"`
	ThrottledWaits int                 `json:"throttled_waits"`
	Retries        int                 `json:"retries"`
	Changes        map[string]int      `json:"changes"`
	Partial        []directory.Partial `json:"partial"`
	Error          string              `json:"error,omitempty"`
}

func newSyncCmd() *cobra.Command {
	var full, asJSON, rebuild bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Sync the org into the local cache now",
		Long: `Sync the active profile's org into its local cache. The first sync (and one a
week after, to reconcile) lists everything; later ones ask Okta only for what
changed, using lastUpdated filters and the System Log. dirdeck keeps to its
share of each rate-limit bucket (budget_share in the profile, default 50%).

Progress goes to stderr (a bar on a terminal). --json prints one document:
{"mode","status","requests","duration_ms","throttled_waits","retries",
"changes":{...},"partial":[{"resource","reason","error_code"}]}.

Exit codes: 0 synced; 1 synced with partial data (e.g. 403 on apps: the
token lacks okta.apps.read), the cache keeps what it had for that part;
2 failed, nothing committed (the previous sync stays readable).`,
		Example: `  dirdeck sync
  dirdeck sync --full --json | jq .requests
  DIRDECK_ORG_URL=https://acme.okta.com DIRDECK_API_TOKEN=... dirdeck sync
  dirdeck sync --rebuild     # move a damaged cache aside and sync from scratch`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			r, err := config.Resolve(profileFlag(cmd))
			if err != nil {
				return notConfigured(err)
			}
			warnLookalike(cmd.ErrOrStderr(), r.Profile.OrgURL)
			_, statErr := os.Stat(r.CachePath)
			st, err := openCache(r.CachePath, rebuild, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer func() {
				// A first sync that read nothing (a wrong URL, a refused
				// token) leaves no empty cache behind: there is nothing in
				// it but the failure, which the error already reports.
				if st.Close() == nil && errors.Is(statErr, os.ErrNotExist) && neverCommitted(r.CachePath) {
					os.Remove(r.CachePath)
				}
			}()
			var hadSync bool
			_ = st.View(func(rd *store.Reader) error { hadSync = rd.Generation() != 0; return nil })
			pp := newProgressPrinter(cmd.ErrOrStderr(), expectedItems(st), r.Profile.OrgURL)
			c, err := newClient(ctx, r, okta.Options{OnRetry: pp.retry, OnThrottle: pp.throttle})
			if err != nil {
				return err
			}
			run, syncErr := dsync.Run(ctx, c, st, dsync.Options{Full: full || rebuild, Progress: pp.update})
			pp.finish()
			if syncErr == nil {
				// Only the org's clock says when the token was last used.
				if err := config.RecordTokenUse(r.Name, c.ServerTime()); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: could not record token use: %v\n", err)
				}
				// The next dashboard maps these instead of building them.
				if err := userindex.WriteIndex(st); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: the dashboard will index the users itself: %v\n", err)
				}
			}
			report := syncReport{
				Mode: run.Mode, Reason: run.Reason, Status: run.Status, Requests: run.Requests,
				DurationMS: run.Finished.Sub(run.Started).Milliseconds(), ThrottledWaits: run.ThrottledWaits,
				Retries: run.Retries, Changes: run.Changes, Partial: run.Partial, Error: run.Error,
			}
			if report.Changes == nil {
				report.Changes = map[string]int{}
			}
			if report.Partial == nil {
				report.Partial = []directory.Partial{}
			}
			if asJSON {
				if err := printJSON(cmd.OutOrStdout(), report); err != nil {
					return err
				}
			} else {
				printSyncSummary(cmd.ErrOrStderr(), report)
			}
			switch {
			case syncErr != nil:
				if asJSON {
					return withCode(exitFailed, nil)
				}
				return withCode(exitFailed, tokenHint(syncError(syncErr, hadSync, r.Profile.OrgURL), r))
			case run.Status == directory.RunPartial:
				return withCode(exitWarnings, nil)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&full, "full", false, "list everything instead of only what changed")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document on stdout")
	cmd.Flags().BoolVar(&rebuild, "rebuild", false, "move the current cache file aside and sync from scratch")
	return cmd
}

// syncError is a failed sync in one line with Okta's error code and hint.
// Only a cache that held a sync can keep serving the previous one; an org
// that never answered is most often a wrong URL.
func syncError(err error, hadCache bool, orgURL string) error {
	var ae *okta.APIError
	var ne *okta.NetworkError
	switch {
	case errors.As(err, &ae), errors.Is(err, store.ErrCorrupt), errors.Is(err, store.ErrNewerSchema):
		return fmt.Errorf("sync failed: %w", err)
	case errors.As(err, &ne):
		kept := "nothing was cached"
		if hadCache {
			kept = "the previous sync is still in the cache"
		}
		return fmt.Errorf("sync failed, no answer from %s (%s): %w; check the org URL (the profile's org_url or DIRDECK_ORG_URL) and the network", orgURL, kept, err)
	case hadCache:
		return fmt.Errorf("sync failed (the previous sync is still in the cache): %w", err)
	}
	return fmt.Errorf("sync failed: %w", err)
}

// neverCommitted reports whether the closed cache at path holds no
// committed sync (only failed runs, or nothing).
func neverCommitted(path string) bool {
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return false
	}
	defer st.Close()
	gen := uint64(1)
	_ = st.View(func(r *store.Reader) error { gen = r.Generation(); return nil })
	return gen == 0
}

// expectedItems estimates how many items a sync will read, from what the
// cache holds now (0 when empty: no bar then, just counts).
func expectedItems(st *store.Store) int {
	var n int
	_ = st.View(func(r *store.Reader) error {
		c := r.Counts()
		n = c.Users + c.Groups + c.Apps + c.Memberships + c.AppUsers + c.AppGroups
		return nil
	})
	return n
}

func printSyncSummary(w io.Writer, rep syncReport) {
	fmt.Fprintf(w, "%s sync %s: %d requests in %s", rep.Mode, rep.Status, rep.Requests, time.Duration(rep.DurationMS)*time.Millisecond)
	if rep.ThrottledWaits > 0 {
		fmt.Fprintf(w, ", %d waits for the rate budget", rep.ThrottledWaits)
	}
	fmt.Fprintln(w)
	if rep.Reason != "" {
		fmt.Fprintf(w, "why %s: %s\n", rep.Mode, textsafe.Clean(rep.Reason))
	}
	if len(rep.Changes) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(rep.Changes)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, rep.Changes[k]))
		}
		fmt.Fprintf(w, "changes: %s\n", strings.Join(parts, ", "))
	}
	for _, p := range rep.Partial {
		// The reason quotes the org's error summary: the org's text.
		fmt.Fprintf(w, "partial: %s not read completely: %s\n", p.Resource, textsafe.Clean(p.Reason))
	}
}

// progressPrinter shows sync progress on stderr: a redrawn line with a bar
// on a terminal, one line per finished resource otherwise.
// Retries and rate-limit waits show as a note: on the line on a terminal,
// as lines of their own otherwise (at most one a second, so a run with many
// retries does not flood the log).
type progressPrinter struct {
	mu       gosync.Mutex // update, retry and throttle come from several goroutines
	w        io.Writer
	tty      bool
	width    int // terminal columns: a longer line would wrap and pile up
	expected int
	orgURL   string
	bar      progress.Model
	drawn    time.Time
	done     map[string]bool
	last     dsync.Progress
	note     string    // the latest retry or wait, shown until progress moves on
	noted    time.Time // when a note was last printed (no terminal)
	until    time.Time // the rate-limit window end last announced
}

func newProgressPrinter(w io.Writer, expected int, orgURL string) *progressPrinter {
	tty, width := false, 80
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			width = cols
		}
	}
	return &progressPrinter{w: w, tty: tty, width: width, expected: expected, orgURL: orgURL, done: map[string]bool{},
		bar: progress.New(progress.WithWidth(30), progress.WithoutPercentage())}
}

// retry reports a failed attempt that will be retried: what failed, how,
// and — when the org did not answer at all — which URL was tried.
func (p *progressPrinter) retry(failed directory.Request, backoff time.Duration) {
	what := fmt.Sprintf("HTTP %d", failed.Status)
	if failed.ErrorCode != "" {
		what += " " + failed.ErrorCode
	}
	if failed.Status == 0 {
		what = "no answer from " + p.orgURL + ": " + failed.Network
	}
	p.setNote(fmt.Sprintf("retrying %s %s in %s (attempt %d failed: %s)", failed.Method, failed.Path,
		backoff.Round(100*time.Millisecond), failed.Attempt, what), false)
}

// throttle reports that dirdeck's budget share of a bucket is used up
// until its rate-limit window resets.
func (p *progressPrinter) throttle(bucket string, until time.Time) {
	p.mu.Lock()
	same := until.Equal(p.until)
	p.until = until
	p.mu.Unlock()
	if same {
		return
	}
	p.setNote(fmt.Sprintf("waiting for the rate-limit window of %s: dirdeck's budget share is used up until it resets at %s (in %s)",
		bucket, until.Format("15:04:05"), time.Until(until).Round(time.Second)), true)
}

func (p *progressPrinter) setNote(note string, always bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.note = note
	if p.tty {
		p.drawn = time.Now()
		fmt.Fprint(p.w, "\r\x1b[K"+ansi.Truncate(p.line(p.last), p.width-1, "…"))
		return
	}
	if always || time.Since(p.noted) >= time.Second {
		p.noted = time.Now()
		fmt.Fprintln(p.w, note)
	}
}

func (p *progressPrinter) update(pr dsync.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr.Requests != p.last.Requests {
		p.note = "" // progress again: the retry or wait is over
	}
	p.last = pr
	if !p.tty {
		for _, rp := range pr.Resources {
			if rp.Done && !p.done[rp.Resource] {
				p.done[rp.Resource] = true
				fmt.Fprintf(p.w, "%s: %d in %d pages\n", rp.Resource, rp.Items, rp.Pages)
			}
		}
		return
	}
	if time.Since(p.drawn) < 100*time.Millisecond && !pr.Done {
		return
	}
	p.drawn = time.Now()
	fmt.Fprint(p.w, "\r\x1b[K"+ansi.Truncate(p.line(pr), p.width-1, "…"))
}

func (p *progressPrinter) line(pr dsync.Progress) string {
	items := 0
	var parts []string
	for _, rp := range pr.Resources {
		items += rp.Items
		parts = append(parts, fmt.Sprintf("%s %d", rp.Resource, rp.Items))
	}
	// Requests and waits first: the resource list is what a narrow
	// terminal cuts.
	mode := pr.Mode
	if mode == "" {
		mode = "starting"
	}
	s := fmt.Sprintf("%s sync · %d requests", mode, pr.Requests)
	if pr.ThrottledWaits > 0 {
		s += fmt.Sprintf(" · %d rate waits", pr.ThrottledWaits)
	}
	if len(parts) > 0 {
		s += " · " + strings.Join(parts, " · ")
	}
	if p.note != "" {
		s += " · " + p.note
	}
	if p.expected > 0 && pr.Mode == dsync.ModeFull {
		s = p.bar.ViewAs(min(1, float64(items)/float64(p.expected))) + " " + s
	}
	return s
}

func (p *progressPrinter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && !p.drawn.IsZero() {
		fmt.Fprintln(p.w)
	}
}
