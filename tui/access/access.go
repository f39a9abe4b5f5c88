// Package access is the Access pane: the scope matrix (dirdeck's features
// × needed scope, what the credential is granted, what a live probe
// returned), excess privilege, and the org's API tokens sorted by days
// left, each problem with a one-line fix. It also builds the header
// banner shown on every pane while a token needs attention or a core
// scope is missing.
//
// The pane never calls Okta: the wiring gives it a Check function whose
// command runs the checks (package access) off the UI goroutine and
// answers with a ResultMsg.
//
// The banner and the pointer from a failed sync are the pane's too: it
// implements pane.Bannerer (the root shows the banner on every pane, and
// enter on it switches here) and pane.SyncErrorGuide, so the root knows
// nothing of access.
package access

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	chk "github.com/dirdeck/dirdeck/access"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/tui/pane"
)

// Name is the pane's palette command.
const Name = "access"

// Result is one run of the checks. Either report may be nil when its check
// could not run; Err then says why (free of tokens).
type Result struct {
	Scopes *chk.ScopeReport
	Tokens *chk.TokenReport
	Err    string
	At     time.Time // when the checks ran (local clock, like pane.Context.Now)
}

// ResultMsg delivers a Result; the pane updates its banner from it
// (BannerFor).
type ResultMsg Result

// Model is the Access pane.
type Model struct {
	ctx      *pane.Context
	check    func() tea.Cmd
	banner   Banner
	vp       viewport.Model
	res      *Result
	checking bool
	started  bool
	refresh  key.Binding
	scroll   key.Binding
}

// Options are what cmd gives the pane.
type Options struct {
	// Check starts the checks and returns the command that answers with a
	// ResultMsg (Checker); nil means no org to check (a replayed bundle),
	// which the pane says.
	Check func() tea.Cmd
	// Banner is the banner to start with (IdleBanner for a profile not
	// used for a long time), until the first check answers.
	Banner Banner
}

// New returns the pane.
func New(ctx *pane.Context, o Options) *Model {
	return &Model{
		ctx: ctx, check: o.Check, banner: o.Banner, vp: viewport.New(),
		refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "check again")),
		scroll:  key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "scroll")),
	}
}

// Name implements pane.Pane.
func (m *Model) Name() string { return Name }

// Aliases implements pane.Pane.
func (m *Model) Aliases() []string { return []string{"scopes", "tokens", "token"} }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Access" }

// Load implements pane.Pane. The checks run once at start (they cost a
// few requests against the org's rate limits) and again on r; a new cache
// generation does not change what the credential may do.
func (m *Model) Load() tea.Cmd {
	if m.started {
		return nil
	}
	m.started = true
	return m.run()
}

func (m *Model) run() tea.Cmd {
	if m.check == nil || m.checking {
		return nil
	}
	m.checking = true
	m.render()
	return m.check()
}

// SetSize implements pane.Pane; it also picks up a theme change.
func (m *Model) SetSize(w, h int) {
	m.vp.SetWidth(w)
	m.vp.SetHeight(h)
	m.render()
}

// Update implements pane.Pane.
func (m *Model) Update(msg tea.Msg) (pane.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case ResultMsg:
		r := Result(msg)
		m.res, m.checking = &r, false
		m.banner = BannerFor(r)
		m.render()
		return m, nil
	case tea.KeyPressMsg:
		if key.Matches(msg, m.refresh) {
			return m, m.run()
		}
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return m, cmd
	case tea.MouseMsg:
		var cmd tea.Cmd
		m.vp, cmd = m.vp.Update(msg)
		return m, cmd
	}
	return m, nil
}

// Banner implements pane.Bannerer.
func (m *Model) Banner(w int) string { return m.banner.View(m.ctx.Theme, w) }

// BannerKey implements pane.Bannerer: enter on the focused banner
// switches to this pane.
func (m *Model) BannerKey(k tea.KeyPressMsg) (tea.Cmd, bool) { return m.banner.Update(k) }

// SyncErrorHint implements pane.SyncErrorGuide: a sync refused for the
// credential points here.
func (m *Model) SyncErrorHint(errText string) string {
	if LinksHere(errText) {
		return "credential problem, see :" + Name
	}
	return ""
}

// Result is the latest result (nil before the first one arrives).
func (m *Model) Result() *Result { return m.res }

// View implements pane.Pane.
func (m *Model) View() string { return m.vp.View() }

// Crumbs implements pane.Pane.
func (m *Model) Crumbs() []string { return nil }

// Back implements pane.Pane.
func (m *Model) Back() (bool, tea.Cmd) { return false, nil }

// Busy implements pane.Pane.
func (m *Model) Busy() bool { return m.checking }

// Capturing implements pane.Pane.
func (m *Model) Capturing() bool { return false }

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding { return []key.Binding{m.refresh, m.scroll} }

func (m *Model) render() {
	m.vp.SetContentLines(Render(m.res, m.checking, m.check != nil, m.ctx, m.vp.Width()))
}

// Column widths of the scope matrix and the token table.
const (
	featureW = 30
	statusW  = 9
	neededW  = 20
	grantedW = 8
	probeW   = 7
	leftW    = 6
	ageW     = 6
	nameW    = 32
)

// Render lays the pane out as lines of at most w cells.
func Render(res *Result, checking, available bool, ctx *pane.Context, w int) []string {
	th := ctx.Theme
	var out []string
	add := func(s string) { out = append(out, textsafe.Truncate(s, w)) }
	fix := func(s string) { add(th.Muted.Render("    fix: " + s)) }
	switch {
	case !available:
		return []string{th.Muted.Render(textsafe.Truncate("no org to check: scope and token checks need a live Okta org", w))}
	case res == nil:
		return []string{th.Muted.Render("checking scopes and tokens…")}
	}
	state := "checked " + pane.Age(ctx.Now(), res.At)
	if checking {
		state = "checking again…"
	}
	if res.Err != "" {
		add(th.Error.Render("⚠ the checks could not run: " + textsafe.Clean(res.Err)))
		add(th.Muted.Render("  " + state + " · r: check again"))
		out = append(out, "")
	}

	if s := res.Scopes; s != nil {
		add(th.Title.Render("Credential") + "  " + credential(s) + th.Muted.Render("  · "+state))
		if s.Rejected != nil {
			add(th.Error.Render("  ⚠ Okta refuses the credential: " + textsafe.Clean(s.Rejected.Error)))
			fix(s.Rejected.Fix)
		}
		out = append(out, "")
		add(th.Title.Render("Scopes"))
		add(th.TableHeader.Render("  " + textsafe.Fit("FEATURE", featureW) + " " + textsafe.Fit("STATUS", statusW) + " " +
			textsafe.Fit("NEEDED", neededW) + " " + textsafe.Fit("GRANTED", grantedW) + " " + textsafe.Fit("PROBE", probeW)))
		for _, f := range s.Features {
			st := th.OK
			switch {
			case f.Expected:
				st = th.Muted
			case f.Status == chk.StatusMissing && f.Core:
				st = th.Error
			case f.Status != chk.StatusOK:
				st = th.Warning
			}
			granted := map[string]string{chk.StatusOK: "yes", chk.StatusMissing: "no"}[f.Inferred]
			if granted == "" {
				granted = "?"
			}
			line := "  " + textsafe.Fit(f.Feature, featureW) + " " + st.Render(textsafe.Fit(f.Status, statusW)) + " " +
				textsafe.Fit(strings.Join(f.Needed, ","), neededW) + " " + textsafe.Fit(granted, grantedW) + " " + textsafe.Fit(f.Probe, probeW)
			add(line)
			if f.Expected {
				add(th.Muted.Render("    expected: writes are disabled for this profile"))
			}
			if f.Status != chk.StatusOK && !f.Expected && s.Rejected == nil {
				fix(f.Fix)
			}
		}
		out = append(out, "")
		add(th.Title.Render("Excess privilege"))
		if len(s.Excess) == 0 {
			add(th.Muted.Render("  none — the credential has no more than this profile uses"))
		}
		for _, e := range s.Excess {
			add(th.Warning.Render("  ⚠ "+textsafe.Clean(e.Privilege)) + " " + e.Reason)
			fix(e.Fix)
		}
	}

	if t := res.Tokens; t != nil {
		out = append(out, "")
		add(th.Title.Render("This profile's credential") + "  " + selfLine(t.Self))
		for _, r := range t.Self.Reasons {
			add("  " + levelStyle(t.Self.Status, th.OK, th.Warning, th.Error).Render("⚠ "+textsafe.Clean(r)))
		}
		if t.Self.Status != chk.LevelOK && t.Self.Fix != "" {
			fix(t.Self.Fix)
		}
		for _, n := range t.Self.Notes {
			add(th.Muted.Render("  note: " + n))
		}
		if t.SkewNote != "" {
			add(th.Warning.Render("  ⚠ " + t.SkewNote))
		}
		out = append(out, "")
		add(th.Title.Render("API tokens") + th.Muted.Render("  soonest expiry first"))
		if t.Inventory != "ok" {
			add(th.Muted.Render("  " + t.Inventory))
		} else {
			add(th.TableHeader.Render("  " + textsafe.Fit("STATUS", statusW) + " " + textsafe.FitRight("LEFT", leftW) + " " +
				textsafe.FitRight("AGE", ageW) + "  " + textsafe.Fit("NAME", nameW) + " OWNER"))
			for _, tc := range t.Tokens {
				name := textsafe.Clean(tc.Name) + tc.SelfMark()
				st := levelStyle(tc.Status, th.OK, th.Warning, th.Error)
				left := "—"
				if tc.ExpiresAt != nil {
					left = fmt.Sprintf("%dd", tc.DaysLeft)
				}
				add("  " + st.Render(textsafe.Fit(tc.Status, statusW)) + " " + textsafe.FitRight(left, leftW) + " " +
					textsafe.FitRight(fmt.Sprintf("%dd", tc.AgeDays), ageW) + "  " + textsafe.Fit(name, nameW) + " " + textsafe.Clean(tc.Owner))
				if tc.Status != chk.LevelOK {
					add(th.Muted.Render("    " + textsafe.Clean(strings.Join(tc.Reasons, "; "))))
					fix(tc.Fix)
				}
			}
		}
	}
	return out
}

// credential is the one-line identity of the checked credential.
func credential(s *chk.ScopeReport) string {
	who := textsafe.Clean(s.Principal)
	if who == "" {
		who = "an unknown principal"
	}
	if s.Auth == chk.AuthOAuth {
		return "OAuth service app " + who + " · granted " + textsafe.List(s.Granted)
	}
	return "API token of " + who + " · roles " + textsafe.List(s.Roles)
}

// selfLine summarises the profile's own credential.
func selfLine(s chk.SelfCheck) string {
	var parts []string
	parts = append(parts, strings.ToUpper(s.Status))
	switch {
	case s.DaysLeft != nil && len(s.Candidates) > 0:
		parts = append(parts, fmt.Sprintf("one of %d tokens of its owner; the soonest idles out in %d days", len(s.Candidates), *s.DaysLeft))
	case s.DaysLeft != nil:
		parts = append(parts, fmt.Sprintf("idles out in %d days (each use renews it)", *s.DaysLeft))
	}
	if s.AgeDays != nil {
		parts = append(parts, fmt.Sprintf("%d days old (rotate at %d)", *s.AgeDays, s.RotationDays))
	}
	if s.KeyAgeDays != nil {
		parts = append(parts, fmt.Sprintf("key %d days old (rotate at %d)", *s.KeyAgeDays, s.RotationDays))
	}
	if s.AccessTokenSeconds > 0 {
		parts = append(parts, "access tokens live "+(time.Duration(s.AccessTokenSeconds)*time.Second).String())
	}
	return strings.Join(parts, " · ")
}

// levelStyle picks the style of a token level.
func levelStyle[S any](level string, ok, warn, bad S) S {
	switch level {
	case chk.LevelWarning:
		return warn
	case chk.LevelCritical, chk.LevelExpired:
		return bad
	}
	return ok
}
