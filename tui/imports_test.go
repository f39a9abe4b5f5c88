package tui

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoTUIPackageImportsOkta holds the dashboard to its side of the
// dependency rule: cmd builds the Okta client and hands the panes the
// checks, the identity lookup and the sync runner as small interfaces or
// functions, and the client writes error hints into the journal, so no
// package under tui imports okta. (Tests may: they talk to oktasim through
// the real client.) plan and sync still do, so transitively the dashboard
// depends on okta; only the direct import is refused here.
func TestNoTUIPackageImportsOkta(t *testing.T) {
	const okta = "github.com/dirdeck/dirdeck/okta"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "github.com/dirdeck/dirdeck/tui/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var n int
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		n++
		for _, imp := range fields[1:] {
			if imp == okta || strings.HasPrefix(imp, okta+"/") {
				t.Errorf("%s imports %s", fields[0], imp)
			}
		}
	}
	if n < 10 {
		t.Fatalf("go list named %d tui packages, want all of them:\n%s", n, out)
	}
}
