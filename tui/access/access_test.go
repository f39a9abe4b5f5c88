package access

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	chk "github.com/dirdeck/dirdeck/access"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/themes"
	"github.com/dirdeck/dirdeck/tui/pane"
)

// checkedAt is the fixed clock of the golden frames.
var checkedAt = time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)

// simResult runs the real checks against a simulated org with an SSWS
// token ("readonly", "superadmin", "noapps", or a revoked literal) or a
// service app ("oauth:usersonly").
func simResult(t *testing.T, cred string, writes bool, faults ...oktasim.FaultRule) Result {
	t.Helper()
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 1})
	srv.Sim.SetFaults(faults)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	creds := okta.Credentials{OrgURL: srv.URL, Token: srv.Token(cred)}
	var clientID string
	if app, ok := strings.CutPrefix(cred, "oauth:"); ok {
		clients, err := srv.Sim.Clients()
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range clients {
			if sc.Name == app {
				creds = okta.Credentials{OrgURL: srv.URL, ClientID: sc.ClientID, PrivateKeyPEM: []byte(sc.PrivateKeyPEM), Scopes: sc.Scopes}
				clientID = sc.ClientID
			}
		}
	} else if creds.Token == "" {
		creds.Token = cred
	}
	c, err := okta.New(ctx, creds, okta.Options{MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := chk.CheckScopes(ctx, c, chk.CheckOptions{AllowWrites: writes, ClientID: clientID})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := chk.CheckTokens(ctx, c, chk.TokenOptions{ClientID: clientID})
	if err != nil {
		t.Fatal(err)
	}
	return Result{Scopes: s, Tokens: tk, At: checkedAt}
}

// host stands in for the root model: the pane's banner above the pane,
// keys to the banner first.
type host struct {
	p       *Model
	w, h    int
	quitOn  func(tea.Msg) bool
	results int
}

func (h *host) Init() tea.Cmd { return h.p.Load() }

func (h *host) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		h.w, h.h = msg.Width, msg.Height
		h.p.SetSize(h.w, h.h-1)
		return h, nil
	case ResultMsg:
		h.results++
		h.p.Update(msg)
	case tea.KeyPressMsg:
		if cmd, handled := h.p.BannerKey(msg); handled {
			return h, cmd
		}
		_, cmd := h.p.Update(msg)
		return h, cmd
	}
	if h.quitOn != nil && h.quitOn(msg) {
		return h, tea.Quit
	}
	return h, nil
}

func (h *host) View() tea.View {
	return tea.NewView(h.p.Banner(h.w) + "\n" + fitLines(h.p.View(), h.h-1))
}

func fitLines(s string, n int) string {
	if n <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	for len(lines) < n {
		lines = append(lines, "")
	}
	return strings.Join(lines[:n], "\n")
}

func newPane(t *testing.T, theme string, check func() tea.Cmd) *Model {
	t.Helper()
	th, err := themes.ByName(theme)
	if err != nil {
		t.Fatal(err)
	}
	return New(&pane.Context{Theme: th, Profile: "acme", Now: func() time.Time { return checkedAt }}, Options{Check: check})
}

func answer(r Result) func() tea.Cmd {
	return func() tea.Cmd { return func() tea.Msg { return ResultMsg(r) } }
}

func TestGoldenPaneAndBanner(t *testing.T) {
	forbidden := oktasim.FaultRule{Method: "GET", Path: "/api/v1/api-tokens", Probability: 1, Status: 403}
	cases := []struct {
		name   string
		cred   string
		writes bool
		faults []oktasim.FaultRule
		banner string // level of the banner; "" = none
		text   string // in the banner
	}{
		{"readonly", "readonly", false, nil, chk.LevelWarning, `API token "Legacy SCIM connector" idles out in 5 days`},
		{"noapps", "noapps", false, nil, chk.LevelWarning, `API token "Legacy SCIM connector" idles out in 5 days`},
		{"reviewer", "reviewer", false, nil, chk.LevelWarning, `API token "Legacy SCIM connector" idles out in 5 days`},
		// Four tokens of one owner: each may be this profile's.
		{"superadmin", "superadmin", false, nil, chk.LevelWarning, `this profile's token may be "Legacy SCIM connector", which idles out in 5 days`},
		{"oauth_usersonly", "oauth:usersonly", false, nil, chk.LevelCritical, "browse groups and memberships: missing okta.groups.read"},
		{"revoked", "00revokedTokenOktaNoLongerKnows", false, nil, chk.LevelCritical, "Okta refuses the credential"},
		{"inventory_forbidden", "readonly", false, []oktasim.FaultRule{forbidden}, chk.LevelWarning, "this profile's credential is warning: idle expiry unknown"},
	}
	for _, c := range cases {
		res := simResult(t, c.cred, c.writes, c.faults...)
		if b := BannerFor(res); b.Level != c.banner || !strings.Contains(b.Text, c.text) || strings.Contains(b.Text, `""`) {
			t.Errorf("%s: banner %q %q, want level %q with %q", c.name, b.Level, b.Text, c.banner, c.text)
		}
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			for _, theme := range []string{"dark", "no-color"} {
				t.Run(fmt.Sprintf("%s_%dx%d_%s", c.name, size[0], size[1], theme), func(t *testing.T) {
					h := &host{p: newPane(t, theme, answer(res)), quitOn: func(m tea.Msg) bool { _, ok := m.(ResultMsg); return ok }}
					tm := teatest.NewTestModel(t, h, teatest.WithInitialTermSize(size[0], size[1]))
					fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*host)
					view := fm.View().Content
					lines := strings.Split(view, "\n")
					if len(lines) != size[1] {
						t.Errorf("frame has %d lines, want %d", len(lines), size[1])
					}
					for i, l := range lines {
						if w := ansi.StringWidthWc(l); w > size[0] {
							t.Errorf("line %d is %d cells wide (> %d): %q", i, w, size[0], ansi.Strip(l))
						}
					}
					if fm.p.Busy() || fm.results != 1 {
						t.Fatalf("busy %v after %d results", fm.p.Busy(), fm.results)
					}
					golden.RequireEqual(t, view)
				})
			}
		}
	}
}

func TestBannerEnterJumpsOtherKeysPass(t *testing.T) {
	res := simResult(t, "oauth:usersonly", false)
	tests := []struct {
		name   string
		keys   []tea.KeyPressMsg
		jumped bool
	}{
		{"enter on the banner", []tea.KeyPressMsg{{Code: tea.KeyEnter}}, true},
		{"another key first", []tea.KeyPressMsg{{Code: tea.KeyDown}, {Code: tea.KeyEnter}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := BannerFor(res)
			if !b.Focused() || !strings.Contains(ansi.Strip(b.View(noColor(t), 100)), "enter: open Access") {
				t.Fatalf("banner %+v", b)
			}
			jumped := false
			for _, k := range tt.keys {
				cmd, handled := b.Update(k)
				if handled {
					show, ok := cmd().(pane.ShowMsg)
					jumped = ok && show.Pane == Name
				}
			}
			if jumped != tt.jumped {
				t.Fatalf("jumped = %v, want %v", jumped, tt.jumped)
			}
		})
	}
	if BannerFor(Result{}).Active() || BannerFor(simResult(t, "oauth:readonly", false)).Level != chk.LevelWarning {
		t.Fatal("banner levels")
	}
}

func noColor(t *testing.T) themes.Theme {
	t.Helper()
	th, err := themes.ByName("no-color")
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func TestRefreshAndHostileText(t *testing.T) {
	res := simResult(t, "readonly", false)
	res.Scopes.Principal = "evil\x1b]52;c;aGk=\x07@example.com"
	res.Tokens.Tokens[0].Name = "token\x1b[2J\u202eeman"
	calls := 0
	check := func() tea.Cmd {
		calls++
		r := res
		return func() tea.Msg { return ResultMsg(r) }
	}
	p := newPane(t, "no-color", check)
	p.SetSize(100, 40)
	if cmd := p.Load(); cmd == nil || !p.Busy() {
		t.Fatal("first load did not start the checks")
	} else {
		p.Update(cmd())
	}
	if p.Load() != nil || calls != 1 {
		t.Fatal("a new cache generation re-ran the checks")
	}
	_, cmd := p.Update(tea.KeyPressMsg{Code: 'r', Text: "r"})
	if cmd == nil || !p.Busy() || !strings.Contains(p.View(), "checking again") {
		t.Fatalf("r did not re-check:\n%s", p.View())
	}
	p.Update(cmd())
	if p.Busy() || calls != 2 || p.Result() == nil {
		t.Fatalf("busy %v after %d checks", p.Busy(), calls)
	}
	view := p.View()
	if strings.ContainsAny(view, "\x07\u202e") || strings.Contains(view, "\x1b]52") || strings.Contains(view, "\x1b[2J") ||
		!strings.Contains(view, "␛]52") {
		t.Fatalf("untrusted text reached the screen raw:\n%q", view)
	}
	none := New(&pane.Context{Theme: noColor(t), Now: time.Now}, Options{})
	none.SetSize(80, 10)
	if none.Load() != nil || !strings.Contains(none.View(), "no org to check") {
		t.Fatalf("pane without a checker: %q", none.View())
	}
}

func TestLinksHere(t *testing.T) {
	tests := []struct {
		err  string
		want bool
	}{
		{"list apps page 1: 403 E0000006 You do not have permission", true},
		{"list users page 1: 401 E0000011 Invalid token provided — hint: …", true},
		{"get OAuth access token: 400 invalid_scope The requested scope is invalid", true},
		{"list users page 3: 503 Service Unavailable", false},
		{"open cache: database is locked", false},
	}
	for _, tt := range tests {
		if got := LinksHere(tt.err); got != tt.want {
			t.Errorf("LinksHere(%q) = %v", tt.err, got)
		}
	}
}

func TestCheckerAgainstSim(t *testing.T) {
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 1})
	tests := []struct {
		name  string
		token string
		used  bool
		err   bool
	}{
		{"noapps", srv.Token("noapps"), true, false},
		{"revoked", "00revokedTokenOktaNoLongerKnows", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := okta.New(t.Context(), okta.Credentials{OrgURL: srv.URL, Token: tt.token}, okta.Options{MaxRetries: 1})
			if err != nil {
				t.Fatal(err)
			}
			var used time.Time
			check := Checker(t.Context(), chk.Org{Client: c}, CheckerOptions{Used: func(at time.Time) { used = at }})
			msg, ok := check()().(ResultMsg)
			if !ok || msg.Scopes == nil || msg.Tokens == nil || (msg.Err != "") != tt.err || msg.At.IsZero() {
				t.Fatalf("result %+v", msg)
			}
			if !used.IsZero() != tt.used {
				t.Fatalf("used = %v, want recorded %v", used, tt.used)
			}
		})
	}
	// A cancelled dashboard: the checks stop and say so.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c, _ := okta.New(t.Context(), okta.Credentials{OrgURL: srv.URL, Token: srv.Token("readonly")}, okta.Options{})
	if msg := Checker(ctx, chk.Org{Client: c}, CheckerOptions{})()().(ResultMsg); msg.Err == "" || BannerFor(Result(msg)).Active() {
		t.Fatalf("cancelled check: %+v", msg)
	}
}
