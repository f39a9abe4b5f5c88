// Command bench reproduces every dirdeck performance figure, each beside a
// baseline measured in the same run and the ratio between them:
//
//	go run ./bench -scale S|M|L|XL [-only sync,cache,tui] [-json] [-realistic=false]
//
// It serves a simulated org (package oktasim) from this process and runs
// each measured phase — a dirdeck sync, the naive SDK loop it is compared
// with, the TUI — in a child process of its own binary, so that peak RSS
// and CPU time belong to that phase alone. With DIRDECK_BENCH_CPUPROFILE
// set to a directory, each phase also writes a CPU profile there. See
// README "Performance".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
)

// config is the command line.
type config struct {
	Scale string
	Only  map[string]bool
	JSON  bool
	// Markdown prints the table as Markdown (README "Performance").
	Markdown bool
	Seed     int64
	Samples  int
	// Keep leaves the work directory (the synced cache, its index files
	// and the phases' home) in place and names it, so that a phase can be
	// re-run or profiled over the same cache.
	Keep bool
	// Realistic runs the full sync under realistic rate limits (the
	// longest phase: about 17 minutes at L).
	Realistic bool
	// Progress receives one line per phase (stderr).
	Progress io.Writer
}

// sections are the groups -only selects.
var sections = []string{"sync", "cache", "tui"}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := config{Progress: stderr}
	only := fs.String("only", strings.Join(sections, ","), "comma-separated sections to run: sync, cache, tui")
	fs.StringVar(&cfg.Scale, "scale", "M", "simulated org size: S (250 users, under a minute), M (10k), L (100k), XL (1M)")
	fs.BoolVar(&cfg.JSON, "json", false, `print {"results":[...]} as JSON instead of the table`)
	fs.BoolVar(&cfg.Markdown, "markdown", false, "print the table as Markdown for the README")
	fs.Int64Var(&cfg.Seed, "seed", 1, "seed of the simulated org")
	fs.BoolVar(&cfg.Realistic, "realistic", true, "in the sync section, also sync under realistic rate limits (minutes at M, ~17 min at L)")
	fs.IntVar(&cfg.Samples, "samples", 60, "filter keystrokes timed in the TUI section")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the work directory (the synced cache) and print its path")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if cfg.JSON && cfg.Markdown {
		return cfg, errors.New("-json and -markdown: choose one")
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.Scale = strings.ToUpper(cfg.Scale)
	if !slices.Contains([]string{"S", "M", "L", "XL"}, cfg.Scale) {
		return cfg, fmt.Errorf("-scale %q: want S, M, L or XL", cfg.Scale)
	}
	if cfg.Samples < 1 {
		return cfg, fmt.Errorf("-samples %d: want at least 1", cfg.Samples)
	}
	cfg.Only = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		s = strings.TrimSpace(strings.ToLower(s))
		if s == "" {
			continue
		}
		if !slices.Contains(sections, s) {
			return cfg, fmt.Errorf("-only %q: want a comma-separated list of %s", s, strings.Join(sections, ", "))
		}
		cfg.Only[s] = true
	}
	if len(cfg.Only) == 0 {
		return cfg, errors.New("-only selects nothing")
	}
	return cfg, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// realMain is main without os.Exit, for tests.
func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if child, err := childMain(ctx, stdout); child {
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	rep, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	switch {
	case cfg.JSON:
		err = writeJSON(stdout, rep)
	case cfg.Markdown:
		err = writeMarkdown(stdout, rep, "go run ./bench "+strings.Join(args, " "))
	default:
		err = writeTable(stdout, rep)
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}
