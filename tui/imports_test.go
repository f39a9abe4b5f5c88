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
	return goList(t, `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`)
}

// tuiDeps is what each package under tui depends on, directly or not
// (not its tests).
func tuiDeps(t *testing.T) map[string][]string {
	return goList(t, `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`)
}

// goList runs go list with format (a package's import path, then a list
// of import paths) over the packages under tui.
func goList(t *testing.T, format string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", format, module+"tui/...").Output()
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

// planUsers are the tui packages that may depend on plan: the root (it
// submits what is staged), the staging area itself, the panes that stage
// (they are handed the area by tui.New) and the Review pane, which shows
// and approves plans.
var planUsers = []string{"tui", "tui/staging", "tui/users", "tui/groups", "tui/review"}

// TestStagingIsOptIn: the staging area (and with it plan) reaches only
// the panes that stage. pane.Context does not carry it, so a pane that
// only browses, and what all panes share, build without plan.
func TestStagingIsOptIn(t *testing.T) {
	const plan = module + "plan"
	deps := tuiDeps(t)
	for pkg, ds := range deps {
		if slices.Contains(planUsers, strings.TrimPrefix(pkg, module)) {
			continue
		}
		if slices.Contains(ds, plan) {
			t.Errorf("%s depends on %s; only %v may", pkg, plan, planUsers)
		}
	}
	// Guard the guard: the panes that stage do depend on it.
	if !slices.Contains(deps[module+"tui/groups"], plan) {
		t.Errorf("tui/groups does not depend on plan: is the list of dependencies right?")
	}
}
