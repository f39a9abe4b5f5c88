package tui

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/dirdeck/dirdeck/"

// tuiImports is what each package under tui imports directly (not its
// tests), by import path, from go list.
func tuiImports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"tui/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		if fields := strings.Fields(line); len(fields) > 0 {
			imports[fields[0]] = fields[1:]
		}
	}
	if len(imports) < 10 {
		t.Fatalf("go list named %d tui packages, want all of them:\n%s", len(imports), out)
	}
	return imports
}

// TestNoTUIPackageImportsOkta holds the dashboard to its side of the
// dependency rule: cmd builds the Okta client and hands the panes the
// checks, the identity lookup and the sync runner as small interfaces or
// functions, and the client writes error hints into the journal, so no
// package under tui imports okta. (Tests may: they talk to oktasim through
// the real client.) plan and sync still do, so transitively the dashboard
// depends on okta; only the direct import is refused here.
func TestNoTUIPackageImportsOkta(t *testing.T) {
	const okta = module + "okta"
	for pkg, imps := range tuiImports(t) {
		for _, imp := range imps {
			if imp == okta || strings.HasPrefix(imp, okta+"/") {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}

// panePackages are the packages that each hold one pane of the dashboard.
var panePackages = []string{"overview", "users", "groups", "apps", "syncs", "access", "review", "signature"}

// TestNoPaneImportsAnotherPane keeps the panes side by side: what two
// panes share (the user rows of the Users list and the Groups member
// picker, the staging area) lives in a package of its own, so a pane can
// change without reaching into another.
func TestNoPaneImportsAnotherPane(t *testing.T) {
	imports := tuiImports(t)
	for _, p := range panePackages {
		path := module + "tui/" + p
		imps, ok := imports[path]
		if !ok {
			t.Fatalf("pane package %s is not under tui", path)
		}
		for _, other := range panePackages {
			if other != p && slices.Contains(imps, module+"tui/"+other) {
				t.Errorf("pane %s imports pane %s", p, other)
			}
		}
	}
}
