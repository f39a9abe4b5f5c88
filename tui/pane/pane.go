// Package pane defines what the TUI's root model needs from a pane and
// the context it shares with them, and what the panes share: Reads (a
// pane's latest read of the cache), List (a table of cached objects),
// Listing (a List whose rows open a detail listing users) and
// ReadChunked (reading in short transactions). Each pane (overview,
// users, groups, apps, sync, …) lives in its own package and implements
// Pane; adding one is a new package plus one line in tui.New. Staging is
// a capability, not part of the Context: a pane that stages group changes
// takes the staging area (tui/staging) in its constructor, so panes that
// do not stage, and this package, do not depend on plan.
package pane

import (
	"fmt"
	"strconv"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/themes"
)

// Context is shared by the root model and every pane. The root owns it and
// hands panes a pointer, so a theme switch or resize is seen everywhere on
// the next frame. Panes read it only on the UI goroutine; commands copy
// what they need.
type Context struct {
	Store    *store.Store
	Theme    themes.Theme
	Profile  string
	OrgURL   string
	Demo     bool
	ReadOnly bool // the cache is opened read-only (another dirdeck holds it) or writes are off
	// NoSync is a session without syncing: panes do not suggest "s".
	NoSync bool
	// Now is the clock; tests inject a fixed one so ages render the same.
	Now func() time.Time
}

// Pane is one screen of the TUI.
type Pane interface {
	// Name is the palette command and breadcrumb root, e.g. "users".
	Name() string
	// Aliases are extra palette commands, e.g. "u", "user".
	Aliases() []string
	// Title is shown in the pane bar, e.g. "Users".
	Title() string
	// Load starts reading from the store: at start and whenever a new
	// generation commits. It must not block; reading happens in the Cmd.
	// Panes keep their cursor, filter and open detail across loads.
	Load() tea.Cmd
	// SetSize gives the pane its area (the screen minus header, pane bar
	// and footer). The root also calls it after a theme switch, so panes
	// re-read Context.Theme here.
	SetSize(w, h int)
	// Update receives key and mouse messages while the pane is active, and
	// every other message always (so results of its commands arrive even
	// when another pane is showing).
	Update(msg tea.Msg) (Pane, tea.Cmd)
	View() string
	// Crumbs are the breadcrumbs after the pane's name, e.g. a user's name
	// in a detail view.
	Crumbs() []string
	// Back handles esc: it closes a detail or clears a filter and reports
	// true, or reports false when there is nothing to go back from.
	Back() (bool, tea.Cmd)
	// Capturing reports that the pane is taking text input (a filter
	// prompt), so the root must pass every key through.
	Capturing() bool
	// Busy reports that the pane awaits results of its commands (a load,
	// a filter pass, a detail read); the root shows it and tests wait on it.
	Busy() bool
	// Keys are the pane's bindings for the footer and full help.
	Keys() []key.Binding
}

// Claimer is a pane that takes some of the dashboard's global keys while
// it has focus: Claims are the bindings it may take (tui.New refuses a
// claim on a key the root never yields: quit, help, the palette, 1-9),
// and it takes one only while its Keys advertise it, so Review has tab
// for "next group" in an open plan and tab still switches panes from
// its list.
type Claimer interface {
	Claims() []key.Binding
}

// FilterHelper is a Pane whose lists take "name:value" filters: the full
// help lists the names accepted by the list that has the keyboard (none
// when it has no filter).
type FilterHelper interface {
	FilterFields() []string
}

// OpenMsg asks the root to show an object in another pane: the pane named
// Pane (which must implement Opener) opens ID, and esc comes back.
type OpenMsg struct {
	Pane string
	ID   string
}

// Open returns a command that sends OpenMsg.
func Open(paneName, id string) tea.Cmd {
	return func() tea.Msg { return OpenMsg{Pane: paneName, ID: id} }
}

// ShowMsg asks the root to switch to the pane named Pane, as its palette
// command would (an explicit switch: esc does not come back).
type ShowMsg struct {
	Pane string
}

// Show returns a command that sends ShowMsg.
func Show(paneName string) tea.Cmd {
	return func() tea.Msg { return ShowMsg{Pane: paneName} }
}

// Bannerer is a pane with a notice that must be seen wherever the admin
// is (the Access pane's expiring tokens and missing scopes): the root
// shows it as one line under the header of every pane.
type Bannerer interface {
	// Banner is the notice, exactly w cells wide; "" when there is none.
	Banner(w int) string
	// BannerKey sees each key before the dashboard's global keys while
	// no pane is taking text; handled stops the key there.
	BannerKey(k tea.KeyPressMsg) (cmd tea.Cmd, handled bool)
}

// SyncErrorGuide is a pane that knows what some sync failures mean: the
// footer puts its pointer before the error, where the error itself may
// be cut at the screen's edge.
type SyncErrorGuide interface {
	// SyncErrorHint is the pointer for a sync error ("credential
	// problem, see :access"), or "" when the pane has nothing to say.
	SyncErrorHint(errText string) string
}

// Opener is a pane that can show one object on request (users open a
// user's detail).
type Opener interface {
	Open(id string) tea.Cmd
}

// Activator is implemented by panes whose data is costly to read and
// that read it only once shown: their Load only notes that the data is
// stale until then. The root calls Activate after every update while the
// pane is active; it returns the deferred load once, and nil otherwise.
type Activator interface {
	Activate() tea.Cmd
}

// Age renders how long ago t was, coarsely, for "synced 5m ago".
func Age(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h ago"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d ago"
}

// Scroller is a viewport with a position line under it ("lines 1–20 of
// 48 ↓"), so a detail taller than the screen says there is more.
type Scroller struct {
	VP viewport.Model
}

// NewScroller returns an empty scroller.
func NewScroller() Scroller { return Scroller{VP: viewport.New()} }

// SetSize sets the outer size; the last line is the position line.
func (s *Scroller) SetSize(w, h int) {
	s.VP.SetWidth(w)
	s.VP.SetHeight(max(h-1, 1))
}

// View renders the visible lines and the position line.
func (s Scroller) View(th themes.Theme) string {
	total := s.VP.TotalLineCount()
	first := s.VP.YOffset() + 1
	last := min(s.VP.YOffset()+s.VP.Height(), total)
	pos := ""
	if total > s.VP.Height() {
		pos = fmt.Sprintf("lines %d–%d of %d", first, last, total)
		if !s.VP.AtBottom() {
			pos += " ↓"
		}
	}
	return s.VP.View() + "\n" + th.Muted.Render(pos)
}

// KeyPress returns the press of the key named as in key bindings
// ("enter", "esc", "tab", "shift+tab", "down", "pgup", "ctrl+b",
// "space", a character, …), for code that drives the TUI without a
// terminal (tests, benchmarks, the action menu). Its String() is name.
func KeyPress(name string) tea.KeyPressMsg {
	if code, ok := namedKeys[name]; ok {
		if code == tea.KeySpace {
			return tea.KeyPressMsg{Code: code, Text: " "} // text inputs type it
		}
		return tea.KeyPressMsg{Code: code}
	}
	switch {
	case name == "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case name == "ctrl+space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Mod: tea.ModCtrl}
	case len(name) > 5 && name[:5] == "ctrl+":
		return tea.KeyPressMsg{Code: []rune(name[5:])[0], Mod: tea.ModCtrl}
	}
	r := []rune(name)
	return tea.KeyPressMsg{Code: r[0], Text: name}
}

// namedKeys are the keys without modifiers that KeyPress knows by name.
var namedKeys = map[string]rune{
	"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "space": tea.KeySpace,
	"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
	"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
	"backspace": tea.KeyBackspace,
}
