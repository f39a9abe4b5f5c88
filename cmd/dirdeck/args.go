package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dirdeck/dirdeck/internal/textsafe"
)

// maxEcho is how much of an argument an error message quotes back: a
// 100 KB "plan ID" must not become a 100 KB error line.
const maxEcho = 64

// echo quotes an argument for an error message: cleaned of control
// characters and cut to maxEcho cells.
func echo(s string) string {
	return strconv.Quote(textsafe.Truncate(textsafe.Clean(s), maxEcho))
}

// commandName is the command's path without the program name
// ("plan show"), as error messages start.
func commandName(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// needArgs is cobra.ExactArgs with errors that name what is missing or
// extra ("plan show: missing plan ID") instead of "accepts 1 arg(s),
// received 0". They exit with the usage code.
func needArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return withCode(exitUsage, fmt.Errorf("%s: missing %s", commandName(cmd), strings.Join(names[len(args):], " and ")))
		case len(args) > len(names):
			return withCode(exitUsage, fmt.Errorf("%s: unexpected argument %s (takes %s)", commandName(cmd), echo(args[len(names)]), strings.Join(names, " and ")))
		}
		return nil
	}
}

// oneOf checks a single argument, named what, against its valid choices
// and lists them when it is not one: `export: unknown kind "widgets"
// (users, groups, apps, memberships, assignments)`.
func oneOf(what string, choices []string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := needArgs(what)(cmd, args); err != nil {
			return err
		}
		for _, c := range choices {
			if args[0] == c {
				return nil
			}
		}
		return withCode(exitUsage, fmt.Errorf("%s: unknown %s %s (%s)", commandName(cmd), what, echo(args[0]), strings.Join(choices, ", ")))
	}
}

// sinceValue is a --since flag: a Go duration (90m, 36h) or a number of
// days (7d), never negative. Satisfies pflag.Value.
type sinceValue time.Duration

func (v *sinceValue) String() string { return time.Duration(*v).String() }

// Type names the value in help texts.
func (v *sinceValue) Type() string { return "duration" }

// Set parses s: "7d" is seven days, anything else time.ParseDuration;
// a negative duration looks into the future and is refused.
func (v *sinceValue) Set(s string) error {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n > 100*365 {
			return fmt.Errorf("%s is not a duration (e.g. 12h, 7d)", echo(s))
		}
		d = time.Duration(n * float64(24*time.Hour))
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return fmt.Errorf("%s is not a duration (e.g. 12h, 7d)", echo(s))
		}
	}
	if d < 0 {
		return fmt.Errorf("%s is negative: --since looks back, give how far (e.g. 5h)", echo(s))
	}
	*v = sinceValue(d)
	return nil
}

// planIDArg takes one plan ID. Plan IDs are short ("p-" and twelve hex
// digits); one longer than maxEcho or holding control characters is
// refused here, quoted cut short, rather than echoed whole by every error
// on the way down.
func planIDArg(cmd *cobra.Command, args []string) error {
	if err := needArgs("plan ID")(cmd, args); err != nil {
		return err
	}
	if len(args[0]) > maxEcho || strings.ContainsFunc(args[0], textsafe.Dangerous) {
		return withCode(exitUsage, fmt.Errorf("%s: %s is not a plan ID (see `dirdeck plan list`)", commandName(cmd), echo(args[0])))
	}
	return nil
}
