package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/dirdeck/dirdeck/oktasim"
)

// TestEveryCommandHasExamples walks the command tree: every command a
// person can run (hidden ones and cobra's own help aside) shows EXAMPLES
// in its --help, each naming the command.
func TestEveryCommandHasExamples(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.Hidden || c.Name() == "help" || !c.IsAvailableCommand() && c.HasParent() {
			return
		}
		if !strings.Contains(c.Example, c.CommandPath()) {
			t.Errorf("%s: no example naming %q", c.CommandPath(), c.CommandPath())
		}
	}
	walk(newRootCmd())
}

// TestCompletion asks the shell-completion command what it offers: plan
// ids from the cache, profile names, and enumerated flag values.
func TestCompletion(t *testing.T) {
	simEnv(t, oktasim.Options{Scenario: "S", Seed: 7}, "readonly")
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("sync: exit %d %v", res.code, res.err)
	}
	res := profRun(t, "", "plan", "new", "--group", "Marketing", "--add", "robert.johnson4@example.com", "--title", "completion")
	if res.code != exitOK {
		t.Fatalf("plan new: exit %d %v", res.code, res.err)
	}
	id := strings.TrimSpace(res.stdout)
	complete := func(args ...string) string {
		t.Helper()
		res := profRun(t, "", append([]string{cobra.ShellCompRequestCmd}, args...)...)
		if res.code != exitOK {
			t.Fatalf("complete %v: exit %d %v", args, res.code, res.err)
		}
		return res.stdout
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"plan", "approve", ""}, []string{id + "\t", "completion"}},
		{[]string{"plan", "show", ""}, []string{id}},
		{[]string{"export", "users", "--format", ""}, []string{"csv", "jsonl"}},
		{[]string{"sim", "serve", "--scenario", ""}, []string{"S\n", "XL\n"}},
		{[]string{"sim", "serve", "--rate-limits", ""}, []string{"realistic"}},
		{[]string{"--theme", ""}, []string{"high-contrast"}},
	} {
		if got := complete(tc.args...); !containsAll(got, tc.want) {
			t.Errorf("completing %q offers:\n%s\nwant %q", tc.args, got, tc.want)
		}
	}

	if res := profRun(t, "", "profile", "add", "acme", "--org-url", "https://acme.okta.com"); res.code != exitOK {
		t.Fatalf("profile add: exit %d %v", res.code, res.err)
	}
	for _, args := range [][]string{{"profile", "use", ""}, {"status", "--profile", ""}} {
		if got := complete(args...); !containsAll(got, []string{"acme\thttps://acme.okta.com"}) {
			t.Errorf("completing %q offers:\n%s", args, got)
		}
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
