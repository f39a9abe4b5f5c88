package tui

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/internal/fixture"
	"github.com/dirdeck/dirdeck/tui/msgs"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/pane/panetest"
	"github.com/dirdeck/dirdeck/tui/users"
)

// shared is the fixture cache every test reads (read-only use).
var shared *store.Store

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dirdeck-tui-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s, _, err := fixture.Build(dir, fixture.Options{Users: 250, Seed: 1, Hostile: true, Resync: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	shared = s
	code := m.Run()
	s.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// harness drives the root model (see panetest.Harness) under the names
// the package's tests use.
type harness struct {
	*panetest.Harness[*Model]
	t  *testing.T
	tm *teatest.TestModel
}

func start(t *testing.T, w, h int, o Options) *harness {
	t.Helper()
	if o.Store == nil {
		o.Store = shared
	}
	if o.Now == nil {
		o.Now = func() time.Time { return fixture.Now }
	}
	if o.Profile == "" {
		o.Profile = "acme"
		o.OrgURL = "https://acme.okta.com"
	}
	o.Static = true
	o.LookupEnv = func(string) (string, bool) { return "", false }
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ph := panetest.Start(t, m, m, w, h, func(m *Model) bool { return !m.Busy() }, busyReason)
	hs := &harness{Harness: ph, t: t, tm: ph.TM}
	hs.settle()
	return hs
}

// waitUntil blocks until pred holds for the model.
func (h *harness) waitUntil(what string, pred func(*Model) bool) {
	h.t.Helper()
	h.WaitUntil(what, pred)
}

// settle waits until no cache read or filter is outstanding.
func (h *harness) settle() {
	h.t.Helper()
	h.Settle()
}

func busyReason(m *Model) string {
	var r []string
	if m.headBusy {
		r = append(r, "header")
	}
	if len(m.prefetch) > 0 {
		r = append(r, fmt.Sprintf("%d prefetches for pane %d (active %d)", len(m.prefetch), m.prefetchFor, m.active))
	}
	for _, p := range m.panes {
		if p.Busy() {
			r = append(r, p.Name())
		}
	}
	return strings.Join(r, ", ")
}

func (h *harness) keys(ks ...string) {
	h.t.Helper()
	h.Keys(ks...)
}

func (h *harness) typeText(s string) {
	h.t.Helper()
	h.Type(s)
}

// final quits and returns the last frame.
func (h *harness) final() (*Model, string) {
	h.t.Helper()
	m := h.Final()
	return m, m.View().Content
}

// frame reads the current frame on the event loop.
func (h *harness) frame() string {
	h.t.Helper()
	var out string
	h.waitUntil("a frame", func(m *Model) bool { out = m.View().Content; return true })
	return out
}

func TestGoldenPanes(t *testing.T) {
	steps := []struct {
		name string
		do   func(h *harness)
	}{
		{"overview", func(h *harness) {}},
		{"users", func(h *harness) { h.keys("2") }},
		{"users_filtered", func(h *harness) { h.keys("2", "/"); h.typeText("dept:sales ali"); h.keys("enter") }},
		{"user_detail", func(h *harness) { h.keys("2", "down", "down", "enter") }},
		{"groups", func(h *harness) { h.keys("3") }},
		{"group_detail", func(h *harness) { h.keys("3", "enter") }},
		{"apps", func(h *harness) { h.keys("4") }},
		{"app_detail", func(h *harness) { h.keys("4", "down", "down", "enter") }},
		{"help", func(h *harness) { h.keys("2", "?") }},
		{"group_staged", stageSales},
		{"submit_form", func(h *harness) { stageSales(h); h.keys("S") }},
		{"group_refused", func(h *harness) { h.keys("3", "enter"); h.keys("d") }},
		{"user_staged", func(h *harness) {
			h.keys("2", "down", "down", "enter")
			h.keys("down", "d", "g")
			h.typeText("vpn")
			h.keys("enter")
		}},
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, theme := range []string{"dark", "no-color"} {
			for _, st := range steps {
				name := fmt.Sprintf("%s_%dx%d_%s", st.name, size[0], size[1], theme)
				t.Run(name, func(t *testing.T) {
					// A session that can sync: s is in the help.
					h := start(t, size[0], size[1], Options{Theme: theme, ReadOnly: true, SyncNow: func() tea.Cmd { return nil }})
					st.do(h)
					_, view := h.final()
					panetest.CheckFrame(t, view, size[0], size[1], true)
					golden.RequireEqual(t, view)
				})
			}
		}
	}
}

// stageSales stages two removals and an add in Dept - Sales.
func stageSales(h *harness) {
	h.keys("3", "down", "enter")
	h.keys("space", "space", "d", "a")
	h.typeText("user1")
	h.keys("enter")
}

// sgr matches the only escape sequences the TUI itself emits in a frame:
// Select Graphic Rendition (colours and attributes).
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

func TestHostileDataIsInert(t *testing.T) {
	// filter=x filters the pane for x: users are listed by name, so the
	// fixture's hostile ones are found by what they hold.
	for _, step := range [][]string{{"2", "filter=user1@example.com"}, {"2", "filter=mallory", "enter"}, {"3", "end", "enter"}, {"1"}} {
		t.Run(strings.Join(step, "_"), func(t *testing.T) {
			h := start(t, 120, 40, Options{Theme: "dark"})
			for _, k := range step {
				switch text, filter := strings.CutPrefix(k, "filter="); {
				case filter:
					h.keys("/")
					h.typeText(text)
					h.keys("enter")
				case k == "end":
					h.tm.Send(tea.KeyPressMsg{Code: tea.KeyEnd})
				default:
					h.keys(k)
				}
			}
			h.settle()
			frame := h.frame()
			rest := sgr.ReplaceAllString(frame, "")
			if i := strings.IndexAny(rest, "\x1b\x07\x00\u009b\u202e"); i >= 0 {
				t.Fatalf("frame holds a raw control character from data at %d: %q", i, rest[max(i-20, 0):min(i+40, len(rest))])
			}
			plain := ansi.Strip(frame)
			switch step[0] {
			case "2":
				if len(step) == 2 {
					for _, want := range []string{"␛]52;c;", "␛[2J␛[HChief", "<script>alert"} {
						if !strings.Contains(plain, want) {
							t.Errorf("users table should show %q as text:\n%s", want, plain)
						}
					}
				} else if !strings.Contains(plain, "Mallory Clip") || !strings.Contains(plain, "␇") {
					t.Errorf("detail should show the hostile name inertly:\n%s", plain)
				}
			case "3":
				if !strings.Contains(plain, "␛[31mRed Team␛[0m") {
					t.Errorf("hostile group name not shown inertly:\n%s", plain)
				}
			}
			h.final()
		})
	}
}

func TestPaletteAndNavigation(t *testing.T) {
	h := start(t, 100, 30, Options{Theme: "no-color"})
	h.keys(":")
	h.typeText("gro")
	h.keys("tab", "enter") // tab accepts the completion "groups"
	h.waitUntil("groups pane", func(m *Model) bool { return m.activeName() == "groups" })
	h.keys(":")
	h.typeText("u")
	h.keys("enter") // alias
	h.waitUntil("users pane via alias", func(m *Model) bool { return m.activeName() == "users" })
	h.keys("tab")
	h.waitUntil("tab to groups", func(m *Model) bool { return m.activeName() == "groups" })
	h.keys("shift+tab", "shift+tab")
	h.waitUntil("shift+tab twice to overview", func(m *Model) bool { return m.activeName() == "overview" })
	h.keys(":")
	h.typeText("theme light")
	h.keys("enter")
	h.waitUntil("light theme", func(m *Model) bool { return m.ctx.Theme.Name == "light" })
	h.keys(":")
	h.typeText("bogus")
	h.keys("enter")
	if f := ansi.Strip(h.frame()); !strings.Contains(f, `unknown command "bogus"`) {
		t.Errorf("footer lacks the palette error:\n%s", f)
	}
	h.keys("s")
	if f := ansi.Strip(h.frame()); !strings.Contains(f, "sync is not available") {
		t.Errorf("s without SyncNow should say so:\n%s", f)
	}
	h.keys(":")
	h.typeText("q")
	h.tm.Send(pane.KeyPress("enter")) // quits: nothing left to settle
	h.tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestQuitKeys(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			h := start(t, 80, 24, Options{Theme: "dark"})
			h.tm.Send(pane.KeyPress(k))
			h.tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
		})
	}
	// q while typing a filter is text, not quit.
	h := start(t, 80, 24, Options{Theme: "dark", StartPane: "users"})
	h.keys("/")
	h.typeText("q")
	h.waitUntil("q typed into the filter", func(m *Model) bool { return m.pane("users").Capturing() })
	m, _ := h.final()
	if q := usersPane(m).Browser().Table.Query(); q != "q" {
		t.Errorf("filter = %q, want q", q)
	}
}

func usersPane(m *Model) *users.Model { return m.pane("users").(*users.Model) }

func runAt(t time.Time) directory.SyncRun {
	return directory.SyncRun{Mode: "full", Status: directory.RunOK, Started: t.Add(-time.Minute), Finished: t}
}

func TestGenerationCommittedKeepsCursorAndFilter(t *testing.T) {
	s, org := panetest.Fixture(t, fixture.Options{Users: 80, Seed: 3})
	h := start(t, 100, 30, Options{Store: s, Theme: "no-color", StartPane: "users"})
	h.keys("/")
	h.typeText("status:active")
	h.keys("enter", "down", "down")
	var before string
	h.waitUntil("selection", func(m *Model) bool {
		r, ok := usersPane(m).Browser().Table.Selected()
		before = r.Key
		return ok
	})
	// A sync commits a new generation: one more active user sorts first.
	org.Users[0].FirstName, org.Users[0].DisplayName = "Aardvark", ""
	org.Users[0].Status = "ACTIVE"
	org.Users[0].LastUpdated = fixture.Now
	if _, err := fixture.Write(s, org, runAt(fixture.Now)); err != nil {
		t.Fatal(err)
	}
	h.tm.Send(msgs.GenerationCommittedMsg{Generation: 2})
	h.settle()
	h.waitUntil("reload kept state", func(m *Model) bool {
		b := usersPane(m).Browser()
		r, _ := b.Table.Selected()
		return b.Table.Query() == "status:active" && r.Key == before
	})
	_, view := h.final()
	if !strings.Contains(ansi.Strip(view), "/status:active") {
		t.Errorf("filter line lost after reload:\n%s", ansi.Strip(view))
	}
}

func TestSyncMessagesInHeader(t *testing.T) {
	h := start(t, 120, 30, Options{Theme: "no-color", SyncNow: func() tea.Cmd {
		return func() tea.Msg { return msgs.SyncStateMsg{State: msgs.SyncRunning} }
	}})
	h.keys("s")
	h.waitUntil("running", func(m *Model) bool { return m.sync == msgs.SyncRunning })
	h.tm.Send(msgs.SyncProgressMsg{Resource: "users", Pages: 2, Items: 400})
	h.waitUntil("progress", func(m *Model) bool { return m.progress["users"].Items == 400 })
	if f := ansi.Strip(h.frame()); !strings.Contains(f, "syncing 400 items") {
		t.Errorf("header lacks sync progress:\n%s", strings.SplitN(f, "\n", 2)[0])
	}
	h.keys("s")
	if f := ansi.Strip(h.frame()); !strings.Contains(f, "a sync is already running") {
		t.Errorf("second s should say a sync runs")
	}
	h.tm.Send(msgs.SyncStateMsg{State: msgs.SyncFailed, Err: "list users page 3: 500 \x1b[2J"})
	h.waitUntil("failure", func(m *Model) bool { return m.sync == msgs.SyncFailed })
	f := ansi.Strip(h.frame())
	if !strings.Contains(f, "sync failed: list users page 3: 500 ␛[2J") || !strings.Contains(f, "⚠ 2") {
		t.Errorf("failure not shown (inertly) with a warning count:\n%s", f)
	}
	h.final()
}

func TestResizeLive(t *testing.T) {
	h := start(t, 80, 24, Options{Theme: "dark", StartPane: "users"})
	for _, sz := range [][2]int{{160, 50}, {60, 15}, {80, 24}} {
		h.tm.Send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		var view string
		h.waitUntil("resize", func(m *Model) bool { view = m.View().Content; return m.width == sz[0] })
		panetest.CheckFrame(t, view, sz[0], sz[1], true)
	}
	h.final()
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no store", Options{}, "no cache store"},
		{"bad theme", Options{Store: shared, Theme: "neon"}, "unknown theme"},
		{"bad pane", Options{Store: shared, StartPane: "billing"}, "unknown pane"},
	}
	for _, tt := range tests {
		if _, err := New(tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestThemeFollowsBackground(t *testing.T) {
	tests := []struct {
		name  string
		theme string
		env   map[string]string
		bg    color.Color
		want  string
	}{
		{"light terminal", "", nil, color.RGBA{0xfa, 0xfa, 0xfa, 0xff}, "light"},
		{"dark terminal", "", nil, color.RGBA{0x10, 0x10, 0x10, 0xff}, "dark"},
		{"NO_COLOR ignores the background", "", map[string]string{"NO_COLOR": ""}, color.RGBA{0xff, 0xff, 0xff, 0xff}, "no-color"},
		{"explicit theme stays", "high-contrast", nil, color.RGBA{0xff, 0xff, 0xff, 0xff}, "high-contrast"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(Options{Store: shared, Theme: tt.theme, LookupEnv: func(k string) (string, bool) {
				v, ok := tt.env[k]
				return v, ok
			}})
			if err != nil {
				t.Fatal(err)
			}
			if m.ctx.Theme.Name != "dark" && tt.theme == "" && tt.env == nil {
				t.Errorf("before an answer the theme is %q, want dark", m.ctx.Theme.Name)
			}
			m.Update(tea.BackgroundColorMsg{Color: tt.bg})
			if m.ctx.Theme.Name != tt.want {
				t.Errorf("theme = %q, want %q", m.ctx.Theme.Name, tt.want)
			}
		})
	}
}

func TestMouseWheelAndBack(t *testing.T) {
	h := start(t, 100, 30, Options{Theme: "dark", StartPane: "users"})
	h.tm.Send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	h.waitUntil("wheel scrolled", func(m *Model) bool { return usersPane(m).Browser().Table.Cursor() == 3 })
	h.keys("enter")
	h.waitUntil("detail open", func(m *Model) bool { return len(m.pane("users").Crumbs()) == 1 })
	h.keys("esc")
	h.waitUntil("back to the list", func(m *Model) bool {
		return len(m.pane("users").Crumbs()) == 0 && usersPane(m).Browser().Table.Cursor() == 3
	})
	h.keys("/")
	h.typeText("zzzz")
	h.keys("esc") // leaves the prompt and clears the filter
	h.waitUntil("filter cleared", func(m *Model) bool {
		b := usersPane(m).Browser()
		return !b.Typing() && b.Table.Query() == "" && b.Table.Len() == b.Table.Total()
	})
	h.final()
}

func TestRunWithAttach(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	delivered := make(chan struct{})
	err := Run(ctx, Options{Store: shared, Theme: "no-color", Attach: func(send func(tea.Msg)) {
		go func() {
			send(msgs.SyncStateMsg{State: msgs.SyncRunning})
			send(msgs.GenerationCommittedMsg{Generation: 2})
			close(delivered)
			send(pane.KeyPress("q"))
		}()
	}}, tea.WithInput(&bytes.Buffer{}), tea.WithOutput(io.Discard), tea.WithWindowSize(80, 24), tea.WithoutSignals())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-delivered:
	default:
		t.Error("Run returned before the attached sender delivered")
	}
	if ctx.Err() != nil {
		t.Error("Run ended by timeout, not by q")
	}
}

func TestPaletteProfile(t *testing.T) {
	got := make(chan string, 1)
	h := start(t, 100, 30, Options{Theme: "no-color", Profiles: []string{"Acme-Prod"}, SwitchProfile: func(name string) tea.Cmd {
		got <- name
		return nil
	}})
	h.keys(":")
	h.typeText("profile Acme-Prod")
	h.keys("enter")
	select {
	case name := <-got:
		if name != "Acme-Prod" {
			t.Errorf("switched to %q, want Acme-Prod (case kept)", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SwitchProfile not called")
	}
	h.final()

	h = start(t, 100, 30, Options{Theme: "no-color"})
	h.keys(":")
	h.typeText("profile x")
	h.keys("enter")
	if f := ansi.Strip(h.frame()); !strings.Contains(f, "switching profiles is not available") {
		t.Errorf("no SwitchProfile: footer says\n%s", f)
	}
	h.final()
}

func TestOpenUserFromGroupAndBack(t *testing.T) {
	h := start(t, 120, 40, Options{Theme: "no-color", StartPane: "groups"})
	h.keys("enter") // Everyone
	h.waitUntil("group detail", func(m *Model) bool { return len(m.pane("groups").Crumbs()) == 1 })
	h.keys("down", "enter") // the second member
	h.waitUntil("user detail in the users pane", func(m *Model) bool {
		c := m.pane("users").Crumbs()
		return m.activeName() == "users" && len(c) == 1 && strings.Contains(c[0], "Mallory Clip")
	})
	h.keys("esc") // closes the user detail
	h.keys("esc") // nothing left in users: back to the group
	h.waitUntil("back in the group detail", func(m *Model) bool {
		return m.activeName() == "groups" && len(m.pane("groups").Crumbs()) == 1
	})
	h.final()
}

func TestPaneBarCompactsWhenNarrow(t *testing.T) {
	m, err := New(Options{Store: shared, Theme: "no-color", StartPane: "groups"})
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	if bar := ansi.Strip(m.paneBar()); !strings.Contains(bar, "2 Users") || !strings.Contains(bar, "groups") {
		t.Errorf("wide bar = %q", bar)
	}
	m.Update(tea.WindowSizeMsg{Width: 44, Height: 20})
	bar := ansi.Strip(m.paneBar())
	if strings.Contains(bar, "Users") || !strings.Contains(bar, "3 Groups") || !strings.Contains(bar, "groups") {
		t.Errorf("narrow bar = %q, want numbers for inactive panes and the crumbs kept", bar)
	}
	if w := ansi.StringWidthWc(bar); w != 44 {
		t.Errorf("narrow bar is %d wide", w)
	}
}

// TestSignaturesLoadWhenShown: the Signatures pane reads its costly data
// only once it is opened, and then shows it.
func TestSignaturesLoadWhenShown(t *testing.T) {
	h := start(t, 120, 40, Options{Theme: "no-color", ReadOnly: true})
	h.keys("8")
	_, view := h.final()
	if view = ansi.Strip(view); !strings.Contains(view, "TEMPLATE") || !strings.Contains(view, "default") {
		t.Fatalf("signatures pane did not load when shown:\n%s", view)
	}
}

// TestFilterHelpFollowsTheFocusedList: the full help explains the filter
// of the list that has the keyboard, with that list's field names, and
// says nothing of filters where there is none.
func TestFilterHelpFollowsTheFocusedList(t *testing.T) {
	tests := []struct {
		name    string
		keys    []string
		section bool     // the help explains a filter
		want    []string // field names listed
		notWant []string
	}{
		{"overview", nil, false, nil, nil},
		{"users", []string{"2"}, true, []string{"dept", "group", "status", "title"}, nil},
		{"user detail", []string{"2", "enter"}, false, nil, nil},
		{"group members", []string{"3", "enter"}, true, []string{"login", "status"}, []string{"group", "type"}},
		{"apps", []string{"4"}, true, []string{"label", "status"}, []string{"login"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, 160, 50, Options{Theme: "no-color", ReadOnly: true})
			h.keys(append(tt.keys, "?")...)
			_, view := h.final()
			view = ansi.Strip(view)
			if got := strings.Contains(view, "Filter (/)"); got != tt.section {
				t.Fatalf("help explains a filter: %v, want %v\n%s", got, tt.section, view)
			}
			var fields []string
			for l := range strings.SplitSeq(view, "\n") {
				if rest, ok := strings.CutPrefix(l, "name:value"); ok {
					fields = strings.Fields(strings.TrimPrefix(strings.TrimSpace(rest), "one field:"))
				}
			}
			for _, f := range tt.want {
				if !slices.Contains(fields, f) {
					t.Errorf("help's fields %v lack %q", fields, f)
				}
			}
			for _, f := range tt.notWant {
				if slices.Contains(fields, f) {
					t.Errorf("help's fields %v include %q", fields, f)
				}
			}
		})
	}
}
