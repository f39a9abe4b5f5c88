// Package tui is dirdeck's dashboard: a Bubble Tea v2 root model that owns
// the header, the pane bar with breadcrumbs, the footer with key hints and
// the k9s-style ":" command palette and the "?" action menu, the staging
// line and the submit form (S), and routes messages to eight panes, one
// per sub-package:
//
//   - overview: what the cache holds, the last syncs, partial data and
//     recent changes
//   - users: every user, a user's profile, groups and apps; stages
//     membership changes
//   - groups: every group, a group's apps and members; stages member
//     changes, new groups and edits
//   - apps: every app and who is assigned to it
//   - syncs: the running sync's progress, past runs and their request
//     journals
//   - access: the credential's scopes and the org's API tokens, with a
//     banner on every pane while one needs attention
//   - review: change plans, their diff, approvals, apply and the audit log
//   - signature: e-mail signature previews and their coverage
//
// A pane joins with one line in New. The root knows panes only through
// package pane: Pane, and the optional interfaces a pane implements to
// reach the dashboard's chrome (Claimer for global keys it takes,
// Bannerer for a line under the header, SyncErrorGuide for the footer's
// pointer from a failed sync, Opener and OpenMsg, ShowMsg, Activator).
// The panes that stage are handed the staging area (tui/staging); a pane
// with options of its own takes them from Options.PaneOptions, which cmd
// builds. Global keys live in one registry (keys.go) that decides which
// keys a pane may claim. The root reads only the bbolt cache, always
// inside tea.Cmds, and learns about syncs through the messages in
// tui/msgs.
package tui

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/themes"
	accesspane "github.com/dirdeck/dirdeck/tui/access"
	"github.com/dirdeck/dirdeck/tui/apps"
	"github.com/dirdeck/dirdeck/tui/groups"
	"github.com/dirdeck/dirdeck/tui/msgs"
	"github.com/dirdeck/dirdeck/tui/overview"
	"github.com/dirdeck/dirdeck/tui/pane"
	"github.com/dirdeck/dirdeck/tui/review"
	sigpane "github.com/dirdeck/dirdeck/tui/signature"
	"github.com/dirdeck/dirdeck/tui/staging"
	"github.com/dirdeck/dirdeck/tui/syncs"
	"github.com/dirdeck/dirdeck/tui/users"
)

// Options configure the dashboard.
type Options struct {
	Store    *store.Store // required
	Theme    string       // explicit theme name; "" follows NO_COLOR and the terminal background
	Profile  string
	OrgURL   string
	Demo     bool // in-process simulated org: shows the DEMO badge and Hint
	Bundle   bool // a replayed support bundle: shows the BUNDLE badge
	ReadOnly bool // shows READ-ONLY instead of WRITE
	// NoStaging is a session that cannot submit plans (a support bundle,
	// a read-only snapshot): there is no staging area, and staging keys
	// are neither offered nor taken.
	NoStaging bool
	// SnapshotAt is when the cache's snapshot was taken (a support
	// bundle): the header shows its age instead of the last sync's.
	SnapshotAt time.Time
	// Hint is a one-line message under the header (e.g. how to add a real
	// org in demo mode, or why the cache is read-only).
	Hint string
	// StartPane is the pane to open on ("users", ...); "" = overview.
	StartPane string
	// SyncNow starts a sync when the user presses s or types :sync. It
	// returns a command so that starting never blocks Update; nil means
	// syncing is not available here.
	SyncNow func() tea.Cmd
	// SwitchProfile handles ":profile <name>"; nil means switching is not
	// available (the palette says so). It is called from Update, so it must
	// return at once and leave the work to the returned command.
	SwitchProfile func(name string) tea.Cmd
	// Profiles completes ":profile <name>" in the palette.
	Profiles []string
	// Attach, when set, is called by Run with the program's Send before the
	// program starts, so background work (the sync scheduler) can deliver
	// msgs.* messages. send blocks until the program takes the message;
	// call it from your own goroutines, never from a tea.Cmd's caller.
	Attach func(send func(tea.Msg))
	// PaneOptions are the panes' own options, built by cmd: each pane
	// takes the one of its type (accesspane.Options, review.Actions), so
	// these Options name no pane. New fails on one that no pane takes.
	PaneOptions []any
	// Staging is what submitting staged group changes as a plan needs
	// (the admin, approvals, signing keys, live warnings); the dashboard
	// fills in OrgURL and Now. With Staging.Who nil, staging works but
	// submitting says it is not available.
	Staging staging.Options
	// Now is the clock (tests inject a fixed one); nil = time.Now.
	Now func() time.Time
	// LookupEnv reads NO_COLOR; nil = os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Static freezes the spinner so frames are reproducible (golden tests).
	Static bool
}

// ProfileSwitchedMsg answers an Options.SwitchProfile that switched in
// place (the demo's two admins) rather than by restarting: the header
// shows Profile, and the footer says who the dashboard now acts as, or
// why it could not switch.
type ProfileSwitchedMsg struct {
	Profile string
	As      string // the admin now acting, for the footer
	Err     error
}

// Model is the root model. Create it with New.
type Model struct {
	ctx       *pane.Context
	opts      Options
	panes     []pane.Pane
	active    int
	keys      keyMap
	help      help.Model
	fullHelp  bool // the action menu (?) is open
	menuAt    int  // its cursor, into menuActions of the focused pane
	palette   textinput.Model
	inPalette bool
	message   string // one-shot footer message (palette errors, sync unavailable)
	spin      spinner.Model
	themeAuto bool
	// area holds the group changes staged in the panes that stage until
	// they are submitted as a plan; nil when the session cannot submit.
	area *staging.Area
	// submit is the form S opens over the active pane.
	submit *staging.Submit
	// stagingShown is whether the staging line is laid out.
	stagingShown bool
	// banners is how many panes' notices are laid out (pane.Bannerer).
	banners int

	width, height int

	sync     msgs.SyncState
	syncErr  string
	progress map[string]msgs.SyncProgressMsg
	lastRun  *directory.SyncRun
	headErr  string
	headBusy bool
	// back is the panes to return to on esc after an OpenMsg jump.
	back []int
	// prefetch holds the loads of the inactive panes until the active one
	// has its data, so they do not compete for the first frame.
	prefetch    []tea.Cmd
	prefetchFor int // the pane that was active when prefetch was queued
}

// New builds the root model. It fails only on a bad option (no store, an
// unknown theme or start pane).
func New(o Options) (*Model, error) {
	if o.Store == nil {
		return nil, fmt.Errorf("tui: no cache store")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	th, err := themes.Choose(o.Theme, o.LookupEnv)
	if err != nil {
		return nil, err
	}
	ctx := &pane.Context{
		Store: o.Store, Theme: th, Profile: o.Profile, OrgURL: o.OrgURL,
		Demo: o.Demo, ReadOnly: o.ReadOnly, Now: o.Now, NoSync: o.SyncNow == nil,
	}
	var area *staging.Area
	if !o.NoStaging {
		so := o.Staging
		so.OrgURL, so.Now = o.OrgURL, o.Now
		area = staging.New(so)
	}
	m := &Model{
		ctx:       ctx,
		area:      area,
		opts:      o,
		keys:      defaultKeys(),
		help:      help.New(),
		spin:      spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		themeAuto: o.Theme == "" && themes.IsAuto(th),
		progress:  map[string]msgs.SyncProgressMsg{},
		width:     80,
		height:    24,
	}
	// Adding a pane: implement pane.Pane in a sub-package and list it here;
	// a pane that stages group changes is handed the staging area, one
	// with options of its own takes them from o.PaneOptions.
	po := newPaneOptions(o.PaneOptions)
	m.panes = []pane.Pane{
		overview.New(ctx),
		users.New(ctx, area),
		groups.New(ctx, area),
		apps.New(ctx),
		syncs.New(ctx),
		accesspane.New(ctx, optionFor[accesspane.Options](po)),
		review.New(ctx, optionFor[review.Actions](po)),
		sigpane.New(ctx),
	}
	if err := po.unused(); err != nil {
		return nil, err
	}
	for _, p := range m.panes {
		if err := m.keys.checkClaims(p); err != nil {
			return nil, err
		}
	}
	if o.StartPane != "" {
		i := m.paneIndex(o.StartPane)
		if i < 0 {
			return nil, fmt.Errorf("tui: unknown pane %q", o.StartPane)
		}
		m.active = i
	}
	m.palette = textinput.New()
	m.palette.Prompt = ":"
	m.palette.ShowSuggestions = true
	m.palette.SetSuggestions(m.commands())
	m.applyTheme(th)
	m.layout()
	return m, nil
}

// Run starts the dashboard in the alternate screen with mouse support and
// returns when the user quits or ctx is cancelled.
func Run(ctx context.Context, o Options, progOpts ...tea.ProgramOption) error {
	m, err := New(o)
	if err != nil {
		return err
	}
	p := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(ctx)}, progOpts...)...)
	if o.Attach != nil {
		o.Attach(p.Send)
	}
	if _, err := p.Run(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("run dashboard: %w", err)
	}
	return nil
}

// Init loads every pane and the header and asks the terminal for its
// background colour (to pick dark or light).
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.loadHeader()}
	if m.themeAuto {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	return tea.Batch(append(cmds, m.loadPanes()...)...)
}

// loadPanes loads the active pane now and queues the others.
func (m *Model) loadPanes() []tea.Cmd {
	m.prefetch, m.prefetchFor = m.prefetch[:0], m.active
	for i, p := range m.panes {
		if i != m.active {
			m.prefetch = append(m.prefetch, p.Load())
		}
	}
	return []tea.Cmd{m.panes[m.active].Load()}
}

// headerMsg carries what the header shows about the last sync.
type headerMsg struct {
	run *directory.SyncRun
	err error
}

func (m *Model) loadHeader() tea.Cmd {
	m.headBusy = true
	s := m.ctx.Store
	return func() tea.Msg {
		var hm headerMsg
		hm.err = s.View(func(r *store.Reader) error {
			if run, ok := r.LastRun(); ok {
				hm.run = &run
			}
			return nil
		})
		return hm
	}
}

// Busy reports whether any read from the cache is still outstanding.
func (m *Model) Busy() bool {
	if m.headBusy || len(m.prefetch) > 0 {
		return true
	}
	for _, p := range m.panes {
		if p.Busy() {
			return true
		}
	}
	return false
}

func (m *Model) paneIndex(name string) int {
	name = strings.ToLower(name)
	for i, p := range m.panes {
		if p.Name() == name || slices.Contains(p.Aliases(), name) {
			return i
		}
	}
	return -1
}

// commands lists palette completions.
func (m *Model) commands() []string {
	var c []string
	for _, p := range m.panes {
		c = append(c, p.Name())
	}
	c = append(c, "sync", "help", "quit")
	for _, p := range m.opts.Profiles {
		c = append(c, "profile "+p)
	}
	for _, t := range themes.Names() {
		c = append(c, "theme "+t)
	}
	return c
}

func (m *Model) applyTheme(th themes.Theme) {
	m.ctx.Theme = th
	hs := help.DefaultStyles(th.IsDark)
	hs.ShortKey, hs.FullKey = th.HelpKey, th.HelpKey
	hs.ShortDesc, hs.FullDesc = th.HelpDesc, th.HelpDesc
	hs.ShortSeparator, hs.FullSeparator = th.HelpSep, th.HelpSep
	m.help.Styles = hs
	st := textinput.DefaultStyles(th.IsDark)
	st.Cursor.Blink = false
	st.Focused.Prompt, st.Blurred.Prompt = th.Prompt, th.Prompt
	st.Focused.Suggestion = th.Muted
	m.palette.SetStyles(st)
	m.spin.Style = th.HeaderDim
	// Panes restyle from the shared context; a resize makes them pick it up.
	m.layout()
}

// chrome is the number of lines around the pane: header, pane bar, footer
// and, when set, the hint line.
func (m *Model) chrome() int {
	n := 3
	if m.stagingShown {
		n++
	}
	if m.opts.Hint != "" {
		n++
	}
	return n + m.banners
}

func (m *Model) layout() {
	m.banners = len(m.paneBanners())
	m.help.SetWidth(m.width)
	m.palette.SetWidth(max(m.width-4, 10))
	for _, p := range m.panes {
		p.SetSize(m.width, max(m.height-m.chrome(), 3))
	}
	if m.submit != nil {
		m.submit.SetSize(m.width, max(m.height-m.chrome(), 3))
	}
}

// Update routes a message: global keys first (unless a pane or the
// palette is taking text), then the active pane; non-input messages go to
// every pane so that their loads land even while hidden.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := m.update(msg)
	// The staging line comes and goes with staged changes; the panes get
	// the height it takes or gives back.
	if shown := m.area != nil && m.area.Active(); shown != m.stagingShown {
		m.stagingShown = shown
		m.layout()
	}
	// So do the panes' banners.
	if len(m.paneBanners()) != m.banners {
		m.layout()
	}
	// Release the queued loads once the pane they waited for has its data,
	// or at once when the user moved on to a pane whose load is queued.
	if len(m.prefetch) > 0 && (m.active != m.prefetchFor || !m.panes[m.active].Busy()) {
		cmd = tea.Batch(append([]tea.Cmd{cmd}, m.prefetch...)...)
		m.prefetch = nil
	}
	if a, ok := m.panes[m.active].(pane.Activator); ok {
		if load := a.Activate(); load != nil {
			cmd = tea.Batch(cmd, load)
		}
	}
	return m, cmd
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.BackgroundColorMsg:
		if m.themeAuto {
			m.applyTheme(themes.ForBackground(msg.Color))
		}
		return m, nil
	case pane.ShowMsg:
		if i := m.paneIndex(msg.Pane); i >= 0 {
			m.switchTo(i)
		}
		return m, nil
	case ProfileSwitchedMsg:
		if msg.Err != nil {
			m.message = "profile: " + msg.Err.Error()
			return m, nil
		}
		m.ctx.Profile = msg.Profile
		m.message = "now acting as " + msg.As
		return m, nil
	case headerMsg:
		m.headBusy = false
		m.lastRun = msg.run
		m.headErr = ""
		if msg.err != nil {
			m.headErr = msg.err.Error()
		}
		return m, nil
	case msgs.GenerationCommittedMsg:
		cmds := append([]tea.Cmd{m.loadHeader()}, m.loadPanes()...)
		return m, tea.Batch(append(cmds, m.broadcast(msg))...)
	case msgs.SyncStateMsg:
		prev := m.sync
		m.sync, m.syncErr = msg.State, msg.Err
		m.message = "" // the new state supersedes "a sync is already running"
		var cmd tea.Cmd
		if msg.State == msgs.SyncRunning {
			if prev != msgs.SyncRunning {
				clear(m.progress)
				if !m.opts.Static {
					cmd = m.spin.Tick
				}
			}
		}
		return m, tea.Batch(cmd, m.broadcast(msg))
	case msgs.SyncProgressMsg:
		m.progress[msg.Resource] = msg
		return m, m.broadcast(msg)
	case spinner.TickMsg:
		if m.sync != msgs.SyncRunning {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case staging.SubmittedMsg:
		if m.area != nil {
			m.area.Submitted(msg)
		}
		return m, m.broadcast(msg)
	case pane.OpenMsg:
		i := m.paneIndex(msg.Pane)
		op, ok := m.paneAt(i).(pane.Opener)
		if !ok {
			return m, nil
		}
		if i != m.active {
			prev := m.active
			m.switchTo(i)
			m.back = append(m.back, prev)
		}
		return m, op.Open(msg.ID)
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.MouseMsg:
		return m, m.updateActive(msg)
	}
	cmd := m.broadcast(msg)
	if m.submit != nil {
		// the form's own messages (focus, validation) come this way
		done, c := m.submit.Update(msg, m.ctx.Store)
		if done {
			m.submit = nil
		}
		cmd = tea.Batch(cmd, c)
	}
	return m, cmd
}

func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for i, p := range m.panes {
		var cmd tea.Cmd
		m.panes[i], cmd = p.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

func (m *Model) updateActive(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	m.panes[m.active], cmd = m.panes[m.active].Update(msg)
	return cmd
}

func (m *Model) handleKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if k.String() == "ctrl+c" {
		return m, tea.Quit
	}
	if m.inPalette {
		return m.paletteKey(k)
	}
	m.message = ""
	if m.area != nil {
		m.area.ClearNote()
	}
	if m.submit != nil {
		done, cmd := m.submit.Update(k, m.ctx.Store)
		if done {
			m.submit = nil
		}
		return m, cmd
	}
	if m.fullHelp {
		if cmd, ok := m.menuKey(k); ok {
			return m, cmd
		}
	}
	if m.panes[m.active].Capturing() {
		return m, m.updateActive(k)
	}
	for _, p := range m.panes {
		if b, ok := p.(pane.Bannerer); ok {
			if cmd, handled := b.BannerKey(k); handled {
				return m, cmd
			}
		}
	}
	g := m.keys.globalFor(m.panes[m.active], k)
	if g == nil {
		return m, m.updateActive(k)
	}
	switch g {
	case &m.keys.Quit:
		return m, tea.Quit
	case &m.keys.Help:
		m.fullHelp, m.menuAt = true, 0
		return m, nil
	case &m.keys.Palette:
		m.inPalette = true
		m.palette.SetValue("")
		return m, m.palette.Focus()
	case &m.keys.Next:
		m.switchTo((m.active + 1) % len(m.panes))
	case &m.keys.Prev:
		m.switchTo((m.active + len(m.panes) - 1) % len(m.panes))
	case &m.keys.Pane:
		if i := int(k.Code - '1'); i >= 0 && i < len(m.panes) {
			m.switchTo(i)
		}
	case &m.keys.Sync:
		return m, m.syncNow()
	case &m.keys.Submit:
		return m, m.openSubmit()
	case &m.keys.Back:
		handled, cmd := m.panes[m.active].Back()
		if !handled && len(m.back) > 0 {
			m.active, m.back = m.back[len(m.back)-1], m.back[:len(m.back)-1]
		}
		return m, cmd
	}
	return m, nil
}

// menuKey handles a key while the action menu is open: ↑/↓ choose an
// action of the focused pane, enter runs it (its key goes straight to the
// pane, so a key the dashboard also has, like Review's tab, runs the
// pane's action), esc or ? close the menu. Any other key closes it and
// does what it does (ok false).
func (m *Model) menuKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	acts := menuActions(m.panes[m.active])
	switch k.String() {
	case "up", "k":
		m.menuAt = max(m.menuAt-1, 0)
	case "down", "j":
		m.menuAt = max(min(m.menuAt+1, len(acts)-1), 0)
	case "enter":
		m.fullHelp = false
		if m.menuAt < len(acts) {
			return m.updateActive(pane.KeyPress(acts[m.menuAt].Keys()[0])), true
		}
	case "esc", "?":
		m.fullHelp = false
	default:
		m.fullHelp = false
		return nil, false
	}
	return nil, true
}

// menuView is the action menu: the focused pane's actions, one a line
// with the chosen one marked, beside the dashboard's own keys, and below
// them the filter syntax of the list that has the keyboard.
func (m *Model) menuView() string {
	th := m.ctx.Theme
	acts := menuActions(m.panes[m.active])
	kw := 0
	for _, b := range acts {
		kw = max(kw, textsafe.Width(b.Help().Key))
	}
	lines := make([]string, 0, len(acts))
	for i, b := range acts {
		k := b.Help().Key + strings.Repeat(" ", kw-textsafe.Width(b.Help().Key))
		if i == m.menuAt {
			lines = append(lines, th.RowSelected.Render("› "+k+" "+b.Help().Desc))
		} else {
			lines = append(lines, "  "+th.HelpKey.Render(k)+" "+th.HelpDesc.Render(b.Help().Desc))
		}
	}
	title := th.Title.Render(m.panes[m.active].Title()+" actions") + th.Muted.Render("  ↑/↓ choose · enter run · esc close")
	global := m.keys.globalHelp(m.ctx, m.area != nil)
	if m.opts.SwitchProfile != nil && len(m.opts.Profiles) > 0 {
		// Where switching is in place (the demo's second admin), it is
		// part of what one can do here; it sits with the pane switches,
		// whose key column is as wide.
		global[0] = append(global[0], key.NewBinding(key.WithKeys(":"),
			key.WithHelp(":profile", textsafe.Truncate(textsafe.Clean(strings.Join(m.opts.Profiles, "|")), 16))))
	}
	body := lipgloss.JoinHorizontal(lipgloss.Top, strings.Join(lines, "\n"), "   ", m.help.FullHelpView(global))
	return title + "\n\n" + body + filterHelp(m.panes[m.active], th)
}

func (m *Model) paneAt(i int) pane.Pane {
	if i < 0 || i >= len(m.panes) {
		return nil
	}
	return m.panes[i]
}

// switchTo shows pane i; an explicit switch forgets the esc-back trail.
func (m *Model) switchTo(i int) {
	m.active = i
	m.fullHelp = false
	m.back = m.back[:0]
}

// openSubmit opens the form that submits (or discards) what is staged.
func (m *Model) openSubmit() tea.Cmd {
	if m.area == nil {
		m.message = "staging is not available in this session"
		return nil
	}
	if m.area.Count() == 0 {
		m.message = "nothing staged — stage group changes in :groups (space d a e n) or a user's detail (g d)"
		return nil
	}
	m.fullHelp = false
	m.submit = staging.NewSubmit(m.area, m.width, max(m.height-m.chrome(), 3))
	return m.submit.Init()
}

func (m *Model) syncNow() tea.Cmd {
	if m.opts.SyncNow == nil {
		m.message = "sync is not available in this session"
		return nil
	}
	if m.sync == msgs.SyncRunning {
		m.message = "a sync is already running"
		return nil
	}
	return m.opts.SyncNow()
}

func (m *Model) paletteKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch k.String() {
	case "esc":
		m.inPalette = false
		m.palette.Blur()
		return m, nil
	case "enter":
		m.inPalette = false
		m.palette.Blur()
		return m, m.run(m.palette.Value())
	}
	var cmd tea.Cmd
	m.palette, cmd = m.palette.Update(k)
	return m, cmd
}

// run executes a palette command line.
func (m *Model) run(line string) tea.Cmd {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return nil
	}
	// Commands are case-insensitive; arguments (profile names) are not.
	cmd, args := strings.ToLower(fields[0]), fields[1:]
	switch cmd {
	case "q", "q!", "quit", "exit":
		return tea.Quit
	case "help", "?":
		m.fullHelp, m.menuAt = true, 0
		return nil
	case "sync":
		return m.syncNow()
	case "profile":
		switch {
		case m.opts.SwitchProfile == nil:
			m.message = "switching profiles is not available here; restart with --profile NAME"
		case len(args) != 1:
			m.message = "usage: :profile NAME"
		default:
			return m.opts.SwitchProfile(args[0])
		}
		return nil
	case "theme":
		if len(args) != 1 {
			m.message = "usage: :theme " + strings.Join(themes.Names(), "|")
			return nil
		}
		th, err := themes.ByName(args[0]) // ByName folds case
		if err != nil {
			m.message = err.Error()
			return nil
		}
		m.themeAuto = false
		m.applyTheme(th)
		return nil
	}
	if i := m.paneIndex(cmd); i >= 0 {
		m.switchTo(i)
		return nil
	}
	m.message = fmt.Sprintf("unknown command %q — try :users, :groups, :apps, :overview, :sync, :profile <name>, :theme <name>, :q", textsafe.Clean(cmd))
	return nil
}

// View draws header, pane bar with breadcrumbs, the active pane (or full
// help) and the footer, each exactly the terminal's width.
func (m *Model) View() tea.View {
	th := m.ctx.Theme
	var b strings.Builder
	b.WriteString(m.header())
	b.WriteByte('\n')
	if m.opts.Hint != "" {
		b.WriteString(th.Muted.Render(textsafe.Line(m.opts.Hint, m.width)))
		b.WriteByte('\n')
	}
	for _, banner := range m.paneBanners() {
		b.WriteString(banner)
		b.WriteByte('\n')
	}
	b.WriteString(m.paneBar())
	b.WriteByte('\n')
	bodyH := max(m.height-m.chrome(), 3)
	var body string
	if m.submit != nil {
		body = m.submit.View(th)
	} else if m.fullHelp {
		body = m.menuView()
	} else {
		body = m.panes[m.active].View()
	}
	b.WriteString(fitBlock(body, m.width, bodyH))
	b.WriteByte('\n')
	if m.stagingShown {
		b.WriteString(ansi.TruncateWc(m.area.StatusLine(th, m.width), m.width, ""))
		b.WriteByte('\n')
	}
	b.WriteString(m.footer())
	v := tea.NewView(b.String())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "dirdeck"
	return v
}

// paneBanners are the notices of the panes that have one now
// (pane.Bannerer), one line each, in pane order.
func (m *Model) paneBanners() []string {
	var out []string
	for _, p := range m.panes {
		if b, ok := p.(pane.Bannerer); ok {
			if line := b.Banner(m.width); line != "" {
				out = append(out, line)
			}
		}
	}
	return out
}

// syncErrorHint is the first pane's pointer for the failed sync's error
// (pane.SyncErrorGuide), or "".
func (m *Model) syncErrorHint() string {
	for _, p := range m.panes {
		if g, ok := p.(pane.SyncErrorGuide); ok {
			if hint := g.SyncErrorHint(m.syncErr); hint != "" {
				return hint
			}
		}
	}
	return ""
}

// fitBlock makes s exactly h lines of at most w cells, so a pane can never
// push the footer off screen.
func fitBlock(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidthWc(l) > w {
			lines[i] = ansi.TruncateWc(l, w, "")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func (m *Model) header() string {
	th := m.ctx.Theme
	var left []string
	left = append(left, th.Header.Render(" dirdeck "))
	if m.opts.Demo {
		left = append(left, th.BadgeDemo.Render("DEMO"))
	}
	if m.opts.Bundle {
		left = append(left, th.BadgeBundle.Render("BUNDLE"))
	}
	if m.ctx.ReadOnly {
		left = append(left, th.BadgeReadOnly.Render("READ-ONLY"))
	} else {
		left = append(left, th.BadgeWrite.Render("WRITE"))
	}
	org := textsafe.Clean(m.ctx.OrgURL)
	if m.ctx.Profile != "" {
		org += " (" + textsafe.Clean(m.ctx.Profile) + ")"
	}
	var right []string
	switch m.sync {
	case msgs.SyncRunning:
		s := "⣾"
		if !m.opts.Static {
			s = m.spin.View()
		}
		right = append(right, s+" syncing"+m.progressText())
	case msgs.SyncFailed:
		right = append(right, th.Error.Render("sync failed"))
	}
	switch {
	case !m.opts.SnapshotAt.IsZero():
		right = append(right, "snapshot taken "+pane.Age(m.ctx.Now(), m.opts.SnapshotAt))
	case m.lastRun != nil:
		right = append(right, "synced "+pane.Age(m.ctx.Now(), m.lastRun.Finished))
	case m.sync != msgs.SyncRunning:
		right = append(right, "never synced")
	}
	if n := m.warnings(); n > 0 {
		right = append(right, th.Warning.Render(fmt.Sprintf("⚠ %d", n)))
	}
	l := strings.Join(left, " ")
	r := strings.Join(right, " · ") + " "
	space := m.width - ansi.StringWidthWc(l) - ansi.StringWidthWc(r) - 2
	if space > 4 {
		org = textsafe.Truncate(org, space)
		l += "  " + th.HeaderDim.Render(org)
	}
	gap := m.width - ansi.StringWidthWc(l) - ansi.StringWidthWc(r)
	line := l + th.HeaderDim.Render(strings.Repeat(" ", max(gap, 1))) + r
	return ansi.TruncateWc(line, m.width, "")
}

func (m *Model) progressText() string {
	items := 0
	for _, p := range m.progress {
		items += p.Items
	}
	if items == 0 {
		return ""
	}
	return fmt.Sprintf(" %d items", items)
}

// warnings counts what needs attention: partial data in the last run and
// a failed sync.
func (m *Model) warnings() int {
	n := 0
	if m.lastRun != nil {
		n += len(m.lastRun.Partial)
	}
	if m.sync == msgs.SyncFailed || m.headErr != "" {
		n++
	}
	return n
}

// paneBar shows the panes with their numbers and the breadcrumbs. When
// the full titles and the crumbs do not fit (many panes at 80 columns),
// inactive panes shrink to an abbreviation, and only when even those do
// not fit to their number, so the crumbs stay readable.
func (m *Model) paneBar() string {
	th := m.ctx.Theme
	crumbs := append([]string{m.panes[m.active].Name()}, m.panes[m.active].Crumbs()...)
	for i, c := range crumbs {
		crumbs[i] = textsafe.Clean(c)
	}
	trail := strings.Join(crumbs, " › ")
	tabs := func(short int) (string, int) {
		var b strings.Builder
		w := 0
		for i, p := range m.panes {
			title := p.Title()
			if i != m.active && short >= 0 {
				title = textsafe.Truncate(title, short)
				title = strings.TrimSuffix(title, "…")
			}
			label := strings.TrimRight(fmt.Sprintf(" %d %s", i+1, title), " ") + " "
			w += textsafe.Width(label)
			if i == m.active {
				b.WriteString(th.RowSelected.Render(label))
			} else {
				b.WriteString(th.Muted.Render(label))
			}
		}
		return b.String(), w
	}
	var bar string
	var w int
	// Full titles, then abbreviations of 3 letters, then numbers only.
	for _, short := range []int{-1, 4, 0} {
		bar, w = tabs(short)
		if w+1+min(textsafe.Width(trail), 30) <= m.width {
			break
		}
	}
	trail = textsafe.Truncate(trail, max(m.width-w-1, 1))
	line := bar + " " + th.Breadcrumb.Render(trail)
	if pad := m.width - w - 1 - textsafe.Width(trail); pad > 0 {
		line += strings.Repeat(" ", pad)
	}
	return ansi.TruncateWc(line, m.width, "")
}

func (m *Model) footer() string {
	th := m.ctx.Theme
	var line, hint string
	if m.sync == msgs.SyncFailed {
		hint = m.syncErrorHint()
	}
	switch {
	case m.inPalette:
		line = m.palette.View()
	case m.message != "":
		line = th.Warning.Render(textsafe.Clean(m.message))
	case hint != "":
		// Put the pointer first: the error itself may be cut at the edge.
		line = th.Error.Render("sync failed: " + hint + " — " + textsafe.Clean(m.syncErr))
	case m.sync == msgs.SyncFailed && m.syncErr != "":
		line = th.Error.Render("sync failed: " + textsafe.Clean(m.syncErr))
	case m.headErr != "":
		line = th.Error.Render("cache: " + textsafe.Clean(m.headErr))
	case m.submit != nil:
		line = m.help.ShortHelpView(m.submit.KeyBinds())
	default:
		line = m.hintLine()
	}
	return ansi.TruncateWc(line, m.width, "…")
}

// hintLine is the focused pane's keys followed by ": command • ? help •
// q quit", which always stay in sight (unless the pane is taking text):
// the pane's keys get the width that is left, and bubbles/help ends them
// with "…" where they are cut.
func (m *Model) hintLine() string {
	if m.panes[m.active].Capturing() {
		// The pane takes every key as text: ": ? q" would be typed, so
		// only its own keys are true.
		return m.help.ShortHelpView(m.panes[m.active].Keys())
	}
	global := m.help.ShortHelpView([]key.Binding{m.keys.Palette, m.keys.Help, m.keys.Quit})
	sep := m.help.Styles.ShortSeparator.Render(m.help.ShortSeparator)
	room := m.width - ansi.StringWidthWc(global) - ansi.StringWidthWc(sep)
	if room < 8 {
		return global
	}
	m.help.SetWidth(room)
	defer m.help.SetWidth(m.width)
	// bubbles/help may overrun its width by the "…" it appends, and the
	// footer's own cut would then take the global keys: cut to room here.
	keys := ansi.TruncateWc(m.help.ShortHelpView(m.panes[m.active].Keys()), room, "…")
	if keys == "" {
		return global
	}
	return keys + sep + global
}

// filterHelp explains the filter of the list that has the keyboard, for
// the full help: how free text matches and which "name:value" fields this
// list takes. Empty when the pane shows no filterable list.
func filterHelp(p pane.Pane, th themes.Theme) string {
	fh, ok := p.(pane.FilterHelper)
	if !ok {
		return ""
	}
	fields := fh.FilterFields()
	if len(fields) == 0 {
		return ""
	}
	row := func(k, desc string) string {
		return "\n" + th.HelpKey.Render(fmt.Sprintf("%-12s", k)) + th.HelpDesc.Render(desc)
	}
	return "\n\n" + th.Title.Render("Filter (/)") +
		row("words", "match anywhere; word starts rank first (jsm finds John Smith)") +
		row("name:value", "one field contains it: "+strings.Join(fields, " ")) +
		row("name:=value", `a whole value of the field: group:="Sales"`) +
		row(`"…"`, `keeps spaces: dept:"Human Resources"`)
}

// paneOptions hands each pane its options from Options.PaneOptions.
type paneOptions struct {
	all   []any
	taken []bool
}

func newPaneOptions(all []any) *paneOptions {
	return &paneOptions{all: all, taken: make([]bool, len(all))}
}

// optionFor takes the options of type T (the zero T when cmd gave none).
func optionFor[T any](po *paneOptions) T {
	for i, o := range po.all {
		if v, ok := o.(T); ok && !po.taken[i] {
			po.taken[i] = true
			return v
		}
	}
	var zero T
	return zero
}

// unused refuses options no pane took (a pointer where a pane takes a
// value, a second value of one type): they would be dropped silently.
func (po *paneOptions) unused() error {
	for i, o := range po.all {
		if !po.taken[i] {
			return fmt.Errorf("tui: no pane takes options of type %T (or they are given twice)", o)
		}
	}
	return nil
}
