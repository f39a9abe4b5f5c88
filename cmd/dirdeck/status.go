package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/store"
)

// statusReport is `dirdeck status --json`.
type statusReport struct {
	OrgURL   string              `json:"org_url"`
	Profile  string              `json:"profile"`
	Cache    string              `json:"cache"`
	Counts   directory.Counts    `json:"counts"`
	Digest   string              `json:"digest"`
	LastSync *directory.SyncRun  `json:"last_sync"`
	LastOK   *directory.SyncRun  `json:"last_successful_sync,omitempty"`
	Partial  []directory.Partial `json:"partial"`
}

func newStatusCmd() *cobra.Command {
	var asJSON, rebuild bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what the local cache holds and how the last syncs went",
		Long: `Show the cache of the active profile: counts of users, groups, apps,
memberships and app assignments, the canonical digest (equal to the
simulated org's /__sim/truth digest after a complete sync), the last sync
runs and any partial-data flags. It reads only the cache: no token needed.

--json prints {"org_url","profile","cache","counts":{"users","groups","apps",
"memberships","app_users","app_groups"},"digest","last_sync":{...},
"partial":[...]}.

Exit codes: 0 ok; 1 the last sync was partial or failed, or nothing is
synced yet; 2 the cache cannot be read (see --rebuild).`,
		Example: `  dirdeck status
  dirdeck status --json | jq .counts
  dirdeck status --rebuild   # move a corrupt cache aside (then run dirdeck sync)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := config.Locate(profileFlag(cmd))
			if err != nil {
				return notConfigured(err)
			}
			if _, err := os.Stat(r.CachePath); errors.Is(err, os.ErrNotExist) && !rebuild {
				return withCode(exitWarnings, fmt.Errorf("nothing synced yet for profile %q: run `dirdeck sync`", r.Name))
			}
			st, done, err := openForReading(r.CachePath, rebuild, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer done()
			rep := statusReport{OrgURL: r.Profile.OrgURL, Profile: r.Name, Cache: r.CachePath, Partial: []directory.Partial{}}
			err = st.View(func(rd *store.Reader) error {
				rep.Counts = rd.Counts()
				if rd.Generation() != 0 {
					d, err := rd.Digest()
					if err != nil {
						return err
					}
					rep.Digest = d
				}
				for _, run := range rd.Runs(0) {
					if rep.LastSync == nil {
						rep.LastSync = &run
					}
					if run.Status != directory.RunFailed {
						rep.LastOK = &run
						break
					}
				}
				return nil
			})
			if err != nil {
				return withCode(exitFailed, fmt.Errorf("read cache: %w", err))
			}
			if rep.LastSync != nil && rep.LastSync.Partial != nil {
				rep.Partial = rep.LastSync.Partial
			}
			if asJSON {
				if err := printJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				printStatus(cmd.OutOrStdout(), rep, time.Now())
			}
			if rep.LastSync == nil || rep.LastSync.Status != directory.RunOK {
				return withCode(exitWarnings, nil)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document on stdout")
	cmd.Flags().BoolVar(&rebuild, "rebuild", false, "move a damaged cache file aside (then run dirdeck sync)")
	return cmd
}

func printStatus(w io.Writer, rep statusReport, now time.Time) {
	fmt.Fprintf(w, "Profile   %s (%s)\nCache     %s\n\n", rep.Profile, textsafe.Clean(rep.OrgURL), rep.Cache)
	c := rep.Counts
	fmt.Fprintf(w, "Users        %8d\nGroups       %8d\nApps         %8d\nMemberships  %8d\nApp users    %8d\nApp groups   %8d\n",
		c.Users, c.Groups, c.Apps, c.Memberships, c.AppUsers, c.AppGroups)
	if rep.Digest != "" {
		fmt.Fprintf(w, "Digest       %s\n", rep.Digest)
	}
	fmt.Fprintln(w)
	if rep.LastSync == nil {
		fmt.Fprintln(w, "Never synced: run `dirdeck sync`.")
		return
	}
	describe := func(label string, run *directory.SyncRun) {
		fmt.Fprintf(w, "%s %s sync %s, %s ago (%d requests, %s)\n", label, run.Mode, run.Status,
			now.Sub(run.Finished).Round(time.Second), run.Requests, run.Finished.Sub(run.Started).Round(time.Millisecond))
	}
	describe("Last sync:", rep.LastSync)
	if rep.LastSync.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", textsafe.Clean(rep.LastSync.Error))
	}
	if rep.LastOK != nil && rep.LastOK != rep.LastSync {
		describe("Last good:", rep.LastOK)
	}
	for _, p := range rep.Partial {
		fmt.Fprintf(w, "  partial: %s — %s\n", p.Resource, textsafe.Clean(p.Reason))
	}
}
