// Command dirdeck is a terminal dashboard for Okta administrators: a local
// cache of an Okta org's directory, kept fresh by background syncs, with
// panes for browsing, scope checks, change review and signature previews.
//
// This package only wires flags and subcommands to the packages that do the
// work, and maps their outcomes to exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"charm.land/fang/v2"
	"github.com/spf13/cobra"

	"github.com/dirdeck/dirdeck/internal/textsafe"
)

// Exit codes, as documented in the README and docs/DESIGN.md.
const (
	exitOK       = 0
	exitWarnings = 1
	exitFailed   = 2
	exitUsage    = 64
)

// exitError carries a specific exit code out of a command. A command that
// finished its work but wants exit 1 (warnings) returns one with a nil err.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that dirdeck exits with code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

func newRootCmd() *cobra.Command {
	var theme string
	root := &cobra.Command{
		Use:   "dirdeck",
		Short: "A terminal dashboard for Okta administrators",
		Long: `dirdeck keeps a local cache of an Okta org's users, groups, memberships,
apps and app assignments, syncs it in the background within the org's rate
limits, and lets you browse it, check the credential's scopes and token age,
review group changes before they are pushed, and preview email signatures.`,
		Example: `  # open the dashboard (a simulated demo org when nothing is configured)
  dirdeck

  # serve a simulated Okta org for scripts and tests
  dirdeck sim serve --addr 127.0.0.1:0 --scenario M --seed 7`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDashboard(cmd, theme)
		},
	}
	root.Flags().StringVar(&theme, "theme", "", "dashboard theme: dark, light, high-contrast or no-color (default: follow the terminal and NO_COLOR)")
	root.PersistentFlags().String("profile", "", "profile to use (default: DIRDECK_PROFILE, the environment configuration, or the active profile)")
	root.AddCommand(newVersionCmd())
	root.AddCommand(newSyncCmd(), newStatusCmd(), newExportCmd(), newHistoryCmd())
	root.AddCommand(newProfileCmd())
	root.AddCommand(newSimCmd())
	root.AddCommand(newPlanCmd(), newAuditCmd())
	root.AddCommand(newSignatureCmd())
	root.AddCommand(newScopesCmd(), newTokensCmd())
	root.AddCommand(newBundleCmd())
	addCompletions(root)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print dirdeck's version",
		Example: `  dirdeck version
  dirdeck --version`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "dirdeck %s\n", dirdeckVersion())
			return err
		},
	}
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:]))
}

// run executes the CLI with args and returns the process exit code.
func run(ctx context.Context, args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	// SIGTERM (kill, a service manager) and SIGHUP (the terminal closed)
	// cancel the command's context like Ctrl-C instead of killing the
	// process outright, so that deferred clean-ups run: replay and bundle
	// temp directories, the demo's temp cache, the cache's pid file.
	err := fang.Execute(ctx, root, fang.WithVersion(dirdeckVersion()), fang.WithNotifySignal(os.Interrupt, syscall.SIGTERM, syscall.SIGHUP),
		fang.WithErrorHandler(printError))
	return exitCode(err)
}

// printError shows a command's error as one readable line (more only when
// the message itself has several), except for a bare exit code: a command
// that already reported its outcome (warnings, a JSON document) and only
// wants a non-zero exit status has nothing more to say. Unlike fang's
// default handler it keeps the message verbatim (no Title-Casing of
// DIRDECK_API_TOKEN, paths or --flags), draws no padded box when stderr
// is not a terminal, and cleans the text: an error can quote directory
// values or a bundle's contents, whose control characters (BEL, OSC
// sequences) must not reach the terminal.
func printError(w io.Writer, styles fang.Styles, err error) {
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return
	}
	lines := strings.Split(strings.TrimRight(err.Error(), "\n"), "\n")
	for i, l := range lines {
		lines[i] = textsafe.Clean(l)
	}
	if isUsageError(err) {
		lines = append(lines, "Try --help for usage.")
	}
	head := "Error:"
	if isTerminal(w) {
		head = styles.ErrorHeader.UnsetMargins().SetString("ERROR").String()
	}
	fmt.Fprintln(w, head, strings.Join(lines, "\n"))
}

// exitCode maps a command's error to the documented exit codes.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isUsageError(err) {
		return exitUsage
	}
	return exitFailed
}

// isUsageError reports whether cobra rejected the command line itself
// (unknown command or flag, bad flag value, wrong number of arguments).
func isUsageError(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{
		"unknown command", "unknown flag", "unknown shorthand flag",
		"flag needs an argument", "invalid argument", "accepts ",
		"requires at least", "requires at most", "required flag",
		"if any flags in the group",
	} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}
