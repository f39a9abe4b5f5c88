package main

import (
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/export"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/plan"
	"github.com/dirdeck/dirdeck/themes"
)

// addCompletions teaches shell completion (`dirdeck completion bash|zsh|
// fish|powershell`) the values dirdeck knows: plan ids from the profile's
// cache, profile names from the config, and each enumerated flag's values.
func addCompletions(root *cobra.Command) {
	fixed := func(vals ...string) cobra.CompletionFunc {
		return cobra.FixedCompletions(vals, cobra.ShellCompDirectiveNoFileComp)
	}
	flag := func(path, name string, fn cobra.CompletionFunc) {
		c, _, err := root.Find(strings.Fields(path))
		if err != nil || c.Flags().Lookup(name) == nil {
			panic("completion for a missing flag: dirdeck " + path + " --" + name)
		}
		if err := c.RegisterFlagCompletionFunc(name, fn); err != nil {
			panic(err)
		}
	}
	args := func(fn cobra.CompletionFunc, paths ...string) {
		for _, path := range paths {
			c, _, err := root.Find(strings.Fields(path))
			if err != nil || c == root {
				panic("completion for a missing command: dirdeck " + path)
			}
			c.ValidArgsFunction = fn
		}
	}
	_ = root.RegisterFlagCompletionFunc("profile", completeProfiles)
	flag("", "theme", fixed(themes.Names()...))
	flag("export", "format", fixed(export.CSV, export.JSONL))
	flag("sim serve", "scenario", fixed("S", "M", "L", "XL"))
	flag("sim serve", "rate-limits", fixed("off", "realistic", "dev"))
	for _, path := range []string{"signature rules show", "signature rules export", "signature rules import"} {
		flag(path, "format", fixed("yaml", "toml"))
	}
	args(completeProfiles, "profile use", "profile remove", "profile set-token")
	args(completePlanIDs, "plan show", "plan approve", "plan reject", "plan apply", "plan export")
}

// completeProfiles offers the configured profiles' names, each with its
// org URL.
func completeProfiles(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	cfg, err := config.Load()
	if len(args) > 0 || err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, name := range slices.Sorted(maps.Keys(cfg.Profiles)) {
		out = append(out, cobra.CompletionWithDesc(name, textsafe.Clean(cfg.Profiles[name].OrgURL)))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completePlanIDs offers the ids of the profile's plans, newest first,
// each with its state and title. It reads the cache read-only and quietly:
// completion must never write or print.
func completePlanIDs(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	r, err := config.Locate(profileFlag(cmd))
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	st, done, err := openForReading(r.CachePath, false, io.Discard)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer done()
	recs, _, err := plan.List(st)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	out := make([]cobra.Completion, 0, len(recs))
	for _, rec := range recs {
		out = append(out, cobra.CompletionWithDesc(rec.ID, textsafe.Clean(rec.ApprovalLine()+" · "+rec.Plan.Title)))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
