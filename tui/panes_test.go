package tui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	accesspane "github.com/dirdeck/dirdeck/tui/access"
	"github.com/dirdeck/dirdeck/tui/internal/fixture"
	"github.com/dirdeck/dirdeck/tui/msgs"
	"github.com/dirdeck/dirdeck/tui/review"
)

// TestRootNamesNoPane holds the root to "a pane joins with one line in
// tui.New": outside New, no code of package tui (Options included)
// refers to a pane's package, so the root can have no pane-specific
// option, message case or footer text; the panes reach it through the
// interfaces of package pane (Bannerer, SyncErrorGuide, ShowMsg, …).
// Nor does a string name a pane ("sync" is also the palette's command
// that starts a sync, so it is allowed).
func TestRootNamesNoPane(t *testing.T) {
	m, err := New(Options{Store: shared})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, p := range m.panes {
		names[p.Name()] = true
	}
	delete(names, "sync")
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var checked int
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		// The names this file imports the pane packages under.
		paneImports := map[string]string{}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, p := range panePackages {
				if path == module+"tui/"+p {
					local := filepath.Base(path)
					if imp.Name != nil {
						local = imp.Name.Name
					}
					paneImports[local] = path
				}
			}
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "New" {
				continue // the list of panes
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if id, ok := n.X.(*ast.Ident); ok && paneImports[id.Name] != "" {
						t.Errorf("%s: %s.%s outside New: the root special-cases pane %s", fset.Position(n.Pos()), id.Name, n.Sel.Name, paneImports[id.Name])
					}
				case *ast.BasicLit:
					if s, err := strconv.Unquote(n.Value); n.Kind == token.STRING && err == nil && names[s] {
						t.Errorf("%s: the string %q names a pane", fset.Position(n.Pos()), s)
					}
				}
				return true
			})
		}
	}
	if checked < 2 {
		t.Fatalf("checked %d files of package tui", checked)
	}
}

// TestPaneBanner: a pane's banner (the Access pane's idle-token warning)
// shows on every pane, takes one line from the pane below it, and enter
// right after it appears switches to its pane; any other key first
// blurs it and does what it does.
func TestPaneBanner(t *testing.T) {
	idle := accesspane.IdleBanner(fixture.Now.Add(-25*24*time.Hour), fixture.Now)
	tests := []struct {
		name   string
		keys   []string
		active string
		hint   string
	}{
		{"enter opens the pane", []string{"enter"}, accesspane.Name, ":access for details"},
		{"another key first", []string{"4", "enter"}, "apps", ":access for details"},
		{"untouched", nil, "overview", "enter: open Access"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, 120, 40, Options{Theme: "no-color", PaneOptions: []any{accesspane.Options{Banner: idle}}})
			h.keys(tt.keys...)
			h.settle()
			m, view := h.final()
			if got := m.activeName(); got != tt.active {
				t.Errorf("active pane %q, want %q", got, tt.active)
			}
			lines := strings.Split(ansi.Strip(view), "\n")
			if len(lines) != 40 {
				t.Fatalf("%d lines, want 40", len(lines))
			}
			if !strings.Contains(lines[1], "token idles out in 5 days") || !strings.Contains(lines[1], tt.hint) {
				t.Errorf("line 2 is not the banner with %q: %q", tt.hint, lines[1])
			}
		})
	}
	// No banner: the pane gets the line back.
	h := start(t, 120, 40, Options{Theme: "no-color"})
	_, view := h.final()
	if strings.Contains(view, "idles out") || !strings.HasPrefix(strings.Split(ansi.Strip(view), "\n")[1], " 1 Overview") {
		t.Errorf("a banner without a warning:\n%s", ansi.Strip(view))
	}
}

// TestSyncErrorGuide: a failed sync the Access pane explains gets its
// pointer first in the footer; others show the error alone.
func TestSyncErrorGuide(t *testing.T) {
	tests := []struct {
		err, want string
	}{
		{"list users page 1: 401 E0000011 Invalid token provided", "sync failed: credential problem, see :access — list users page 1: 401"},
		{"list users page 3: 503 Service Unavailable", "sync failed: list users page 3: 503"},
	}
	for _, tt := range tests {
		h := start(t, 120, 40, Options{Theme: "no-color"})
		h.tm.Send(msgs.SyncStateMsg{State: msgs.SyncFailed, Err: tt.err})
		h.waitFrame("sync failed")
		_, view := h.final()
		lines := strings.Split(ansi.Strip(view), "\n")
		if footer := lines[len(lines)-1]; !strings.HasPrefix(footer, tt.want) {
			t.Errorf("footer %q, want it to start %q", footer, tt.want)
		}
	}
}

// TestPaneOptions: each pane takes the options of its type; options no
// pane takes are refused rather than dropped.
func TestPaneOptions(t *testing.T) {
	tests := []struct {
		name string
		opts []any
		ok   bool
	}{
		{"none", nil, true},
		{"one each", []any{accesspane.Options{}, review.Actions{}}, true},
		{"a pointer", []any{&accesspane.Options{}}, false},
		{"twice", []any{review.Actions{}, review.Actions{}}, false},
		{"no such pane", []any{"users"}, false},
	}
	for _, tt := range tests {
		_, err := New(Options{Store: shared, PaneOptions: tt.opts})
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
	// The pane that took them uses them: the banner cmd gave shows.
	m, err := New(Options{Store: shared, Theme: "no-color", PaneOptions: []any{
		accesspane.Options{Banner: accesspane.IdleBanner(fixture.Now.Add(-29*24*time.Hour), fixture.Now)}}})
	if err != nil {
		t.Fatal(err)
	}
	if v := ansi.Strip(m.View().Content); !strings.Contains(v, "token idles out in 1 day") {
		t.Errorf("the banner from the options does not show:\n%s", v)
	}
}
