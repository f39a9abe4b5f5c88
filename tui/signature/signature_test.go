package signature

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	sigs "github.com/dirdeck/dirdeck/signature"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
	"github.com/dirdeck/dirdeck/themes"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/pane/panetest"
)

// shared is scenario S synced through the real SDK, with a sales
// template and rules that overlap, so coverage has something to show.
var shared *store.Store

const salesTemplate = `<p><strong style="color:#0a7d32">{{.DisplayName}}</strong> <i>{{.Title}}</i><br>
{{.Department}} · <a href="{{tel .MobilePhone}}">{{phone .MobilePhone}}</a><br>
<a href="mailto:{{.Email}}">{{.Email}}</a></p>`

const rules = `rules:
  - name: sales
    template: sales
    when:
      department: {in: [Sales, Vertrieb]}
  - name: seniors
    template: sales
    when:
      title: {prefix: Senior}
  - name: contractors
    template: default
    when:
      attr:
        userType: {equals: Contractor}
`

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dirdeck-tui-signature")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code, err := setup(dir, m)
	os.RemoveAll(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(code)
}

func setup(dir string, m *testing.M) (int, error) {
	os.Setenv("HOME", dir) // the Okta SDK must not read a real ~/.okta
	sim, err := oktasim.New(oktasim.Options{Scenario: "S", Seed: 1})
	if err != nil {
		return 0, err
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	ctx := context.Background()
	c, err := okta.New(ctx, okta.Credentials{OrgURL: srv.URL, Token: sim.Token("readonly")}, okta.Options{})
	if err != nil {
		return 0, err
	}
	st, err := store.Open(filepath.Join(dir, "cache.db"), store.Options{})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	if _, err := dsync.Run(ctx, c, st, dsync.Options{}); err != nil {
		return 0, err
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	if _, err := sigs.SaveTemplate(st, "sales", salesTemplate, now); err != nil {
		return 0, err
	}
	set, err := sigs.Load(st)
	if err != nil {
		return 0, err
	}
	r, err := sigs.ParseRules([]byte(rules), sigs.YAML)
	if err != nil {
		return 0, err
	}
	if err := sigs.SaveRules(st, set, r, now); err != nil {
		return 0, err
	}
	shared = st
	return m.Run(), nil
}

// host gives the pane a window of its own, as the root model would:
// sizes, loads, and esc going back.
type host struct {
	p *Model
}

func (h *host) Init() tea.Cmd { return tea.Batch(h.p.Load(), h.p.Activate()) }

func (h *host) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		h.p.SetSize(msg.Width, msg.Height)
	case tea.KeyPressMsg:
		if msg.Code == tea.KeyEscape && !h.p.Capturing() {
			_, cmd = h.p.Back()
			break
		}
		_, cmd = h.p.Update(msg)
	default:
		_, cmd = h.p.Update(msg)
	}
	return h, cmd
}

func (h *host) View() tea.View { return tea.NewView(h.p.View()) }

type harness struct {
	*panetest.Harness[*Model]
	p *Model
}

func start(t *testing.T, w, hgt int, theme string) *harness {
	t.Helper()
	th, err := themes.ByName(theme)
	if err != nil {
		t.Fatal(err)
	}
	ctx := &pane.Context{Store: shared, Theme: th, Now: func() time.Time { return time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC) }}
	p := New(ctx)
	hs := &harness{Harness: panetest.Start(t, &host{p: p}, p, w, hgt, func(m *Model) bool { return !m.Busy() }, nil), p: p}
	hs.WaitUntil("loaded", func(m *Model) bool { return m.Data() != nil && !m.Busy() })
	return hs
}

// frame quits and returns the pane's last frame.
func (h *harness) frame() string {
	h.T.Helper()
	var out string
	h.WaitUntil("a frame", func(m *Model) bool { out = m.View(); return true })
	if err := h.TM.Quit(); err != nil {
		h.T.Fatal(err)
	}
	h.TM.WaitFinished(h.T, teatest.WithFinalTimeout(panetest.Timeout))
	return out
}

func TestGoldenSignaturePane(t *testing.T) {
	steps := []struct {
		name string
		do   func(h *harness)
	}{
		{"list", func(h *harness) {}},
		{"filtered", func(h *harness) { h.Keys("/"); h.Type("tmpl:sales jo"); h.Keys("enter") }},
		{"preview", func(h *harness) { h.Keys("/"); h.Type("tmpl:sales"); h.Keys("enter", "enter") }},
		{"preview_raw", func(h *harness) { h.Keys("/"); h.Type("tmpl:sales"); h.Keys("enter", "enter", "h") }},
		{"preview_default", func(h *harness) { h.Keys("down", "down", "enter") }},
		{"coverage", func(h *harness) { h.Keys("c") }},
		{"coverage_jump", func(h *harness) { h.Keys("c", "down", "enter") }},
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, theme := range []string{themes.Dark, themes.NoColor} {
			for _, st := range steps {
				name := fmt.Sprintf("%s_%dx%d_%s", st.name, size[0], size[1], theme)
				t.Run(name, func(t *testing.T) {
					h := start(t, size[0], size[1], theme)
					st.do(h)
					view := h.frame()
					panetest.CheckFrame(t, view, size[0], size[1], false)
					golden.RequireEqual(t, view)
				})
			}
		}
	}
}

// TestCoverageJump checks that enter in the coverage view opens the
// preview of the user under the cursor, and esc goes back to coverage.
func TestCoverageJump(t *testing.T) {
	h := start(t, 120, 40, themes.Dark)
	h.Keys("c", "down", "down")
	want, ok := h.p.issues.Table.Selected()
	if !ok {
		t.Fatal("no issue rows")
	}
	h.Keys("enter")
	h.WaitUntil("the preview", func(m *Model) bool { return m.mode == modePreview && m.preview != nil && m.preview.id == want.Key })
	if got := h.p.Crumbs(); len(got) != 2 || got[0] != "coverage" {
		t.Errorf("crumbs %q", got)
	}
	h.Keys("esc")
	h.WaitUntil("coverage again", func(m *Model) bool { return m.mode == modeCoverage })
	h.frame()
}

var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// TestHostilePreviewsInert previews every active user, hostile profiles
// included: a frame holds no escape sequence but colours.
func TestHostilePreviewsInert(t *testing.T) {
	data, err := LoadData(shared)
	if err != nil {
		t.Fatal(err)
	}
	th, _ := themes.ByName(themes.Dark)
	m := New(&pane.Context{Store: shared, Theme: th, Now: time.Now})
	m.data = data
	m.SetSize(100, 30)
	for _, raw := range []bool{false, true} {
		m.raw = raw
		for i := range data.Users.Len() {
			row := data.Users.Row(i)
			m.openPreview(row.Key)
			if m.preview.err != nil {
				t.Fatalf("%s: %v", row.Key, m.preview.err)
			}
			view := m.preview.vp.GetContent()
			if i := strings.IndexAny(sgr.ReplaceAllString(view, ""), "\x1b\x07\u009b\u202e"); i >= 0 {
				t.Fatalf("%s: control character in the preview: %q", row.Key, view)
			}
			for _, l := range strings.Split(view, "\n") {
				if w := ansi.StringWidthWc(l); w > 100 {
					t.Fatalf("%s: line %d cells wide: %q", row.Key, w, ansi.Strip(l))
				}
			}
		}
	}
}

func TestHTMLToTerminal(t *testing.T) {
	th, _ := themes.ByName(themes.NoColor)
	got := HTMLToTerminal(`<style>p{color:red}</style><table><tr><td><div>AK</div></td><td>
<div><b>Ana  Kim</b> <span>(she/her)</span></div>
<div style="color:#555">Engineer · R&amp;D</div>
<div><a href="mailto:ana@example.com">ana@example.com</a></div></td></tr></table>`, 60, th)
	want := []string{"AK", "Ana Kim (she/her)", "Engineer · R&D", "ana@example.com <mailto:ana@example.com>"}
	plain := make([]string, len(got))
	for i, l := range got {
		plain[i] = ansi.Strip(l)
	}
	if strings.Join(plain, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", plain, want)
	}
	if !strings.Contains(got[1], "\x1b[1m") {
		t.Errorf("bold lost: %q", got[1])
	}
	dark, _ := themes.ByName(themes.Dark)
	if c := HTMLToTerminal(`<div style="color:#0a7d32">x</div>`, 20, dark); !strings.Contains(c[0], "38;2;10;125;50") {
		t.Errorf("colour lost: %q", c)
	}
	if w := HTMLToTerminal("<div>"+strings.Repeat("long", 100)+"</div>", 30, th); len(w) < 10 {
		t.Errorf("a long word was not wrapped: %d lines", len(w))
	}
}
