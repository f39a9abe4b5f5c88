package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/store"
)

func newHistoryCmd() *cobra.Command {
	since := sinceValue(24 * time.Hour)
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Show what changed in the org between syncs",
		Long: `List the sync runs that changed something since --since ago (default 24h),
each with its changes: users, groups and apps added, updated (each changed
field with its old and new value, "department: Sales → Finance"), removed
or archived; memberships and app assignments added or removed, named by
group name, login and app label. The first full sync records only totals.

--json prints [{"run":{...},"changes":[{"kind","op","id","label","parent",
"child","fields","values":[{"field","old","new"}]}]}]; parent and child
label the two ends of a membership or assignment.`,
		Example: `  dirdeck history
  dirdeck history --since 7d --json | jq '.[].changes[] | select(.kind=="member")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, st, done, err := openProfileForReading(cmd)
			if err != nil {
				return err
			}
			defer done()
			var runs []store.RunChanges
			err = st.View(func(rd *store.Reader) error {
				runs = rd.ChangesSince(time.Now().Add(-time.Duration(since)))
				return nil
			})
			if err != nil {
				return withCode(exitFailed, fmt.Errorf("read history: %w", err))
			}
			if asJSON {
				if runs == nil {
					runs = []store.RunChanges{}
				}
				return printJSON(cmd.OutOrStdout(), runs)
			}
			printHistory(cmd.OutOrStdout(), runs, time.Duration(since))
			return nil
		},
	}
	cmd.Flags().Var(&since, "since", "how far back to look (e.g. 1h, 36h, 7d)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document on stdout")
	return cmd
}

func printHistory(w io.Writer, runs []store.RunChanges, since time.Duration) {
	if len(runs) == 0 {
		fmt.Fprintf(w, "No changes recorded in the last %s.\n", since)
		return
	}
	for _, rc := range runs {
		fmt.Fprintf(w, "%s  %s sync #%d", rc.Run.Finished.Local().Format("2006-01-02 15:04:05"), rc.Run.Mode, rc.Run.ID)
		for _, k := range slices.Sorted(maps.Keys(rc.Run.Changes)) {
			fmt.Fprintf(w, "  %s %d", k, rc.Run.Changes[k])
		}
		fmt.Fprintln(w)
		for _, c := range rc.Changes {
			fmt.Fprintf(w, "  %-8s %-9s %s\n", c.Op, c.Kind, textsafe.Truncate(textsafe.Clean(c.Subject()), 100))
			for _, d := range c.Details() {
				fmt.Fprintf(w, "  %19s%s\n", "", textsafe.Truncate(textsafe.Clean(d), 100))
			}
		}
	}
}
