package tui

import (
	"fmt"
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dirdeck/dirdeck/tui/pane"
)

// keyMap holds the root model's global bindings.
type keyMap struct {
	Quit, Help, Palette, Next, Prev, Back, Sync, Submit, Pane key.Binding
}

func defaultKeys() keyMap {
	return keyMap{
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Palette: key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "command")),
		Next:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		Prev:    key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Sync:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sync now")),
		Submit:  key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "submit staged changes")),
		Pane:    key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1-9", "switch pane")),
	}
}

// yield says whether a pane may have a global key while it has focus.
type yield int

const (
	// reserved keys always do the root's action: quitting, help and the
	// palette must work on every screen, and so must switching panes by
	// number.
	reserved yield = iota
	// claimable keys go to the focused pane when it claims them
	// (pane.Claimer) and advertises them in its current state.
	claimable
	// delegated keys are the root's, but the root asks the pane first
	// (esc calls the pane's Back), so a pane advertising one is served.
	delegated
)

// globalKey is one entry of the root's keymap registry.
type globalKey struct {
	b     *key.Binding // points into the keyMap, so the help shows the same binding
	yield yield
}

// registry lists every global key with how it yields to panes: the one
// place that decides whether a pane's key reaches the pane.
func (k *keyMap) registry() []globalKey {
	return []globalKey{
		{&k.Quit, reserved}, {&k.Help, reserved}, {&k.Palette, reserved}, {&k.Pane, reserved},
		{&k.Next, claimable}, {&k.Prev, claimable}, {&k.Sync, claimable}, {&k.Submit, claimable},
		{&k.Back, delegated},
	}
}

// checkClaims refuses a pane's claim on a key the root never yields, or
// on a key that is not global at all (a claim that does nothing hides a
// typo).
func (k *keyMap) checkClaims(p pane.Pane) error {
	c, ok := p.(pane.Claimer)
	if !ok {
		return nil
	}
	for _, b := range c.Claims() {
		for _, name := range b.Keys() {
			g := k.lookup(pane.KeyPress(name))
			switch {
			case g == nil:
				return fmt.Errorf("tui: pane %s claims %q, which is not a global key", p.Name(), name)
			case g.yield != claimable:
				return fmt.Errorf("tui: pane %s claims %q, which the dashboard never yields (%s)", p.Name(), name, g.b.Help().Desc)
			}
		}
	}
	return nil
}

// lookup returns the global key k presses, or nil.
func (k *keyMap) lookup(press tea.KeyPressMsg) *globalKey {
	for _, g := range k.registry() {
		if key.Matches(press, *g.b) {
			return &g
		}
	}
	return nil
}

// globalFor returns the global binding that takes press from pane p, or
// nil when p gets it: a key no global binding has, or one p claims and
// advertises right now. A delegated key (esc) is returned: the root's
// action asks the pane first.
func (k *keyMap) globalFor(p pane.Pane, press tea.KeyPressMsg) *key.Binding {
	g := k.lookup(press)
	if g == nil {
		return nil
	}
	if g.yield == claimable && claimed(p, press) {
		return nil
	}
	return g.b
}

// claimed reports whether p claims press and advertises it in its current
// state (Review claims tab only while a plan is open).
func claimed(p pane.Pane, press tea.KeyPressMsg) bool {
	c, ok := p.(pane.Claimer)
	if !ok {
		return false
	}
	shown := p.Keys()
	for _, b := range c.Claims() {
		if key.Matches(press, b) && slices.ContainsFunc(shown, func(s key.Binding) bool { return slices.Equal(s.Keys(), b.Keys()) }) {
			return true
		}
	}
	return false
}

// globalHelp is the dashboard's own keys for the action menu, grouped
// in columns: moving between panes, and what the session can do (no s or
// S where it cannot).
func (k *keyMap) globalHelp(ctx *pane.Context, staging bool) [][]key.Binding {
	actions := []key.Binding{k.Palette}
	if !ctx.NoSync {
		actions = append(actions, k.Sync)
	}
	if staging {
		actions = append(actions, k.Submit)
	}
	return [][]key.Binding{
		{k.Pane, k.Next, k.Prev, k.Back},
		append(actions, k.Help, k.Quit),
	}
}

// menuActions are the bindings of pane p that the action menu lists and
// runs: the enabled ones with help text.
func menuActions(p pane.Pane) []key.Binding {
	var out []key.Binding
	for _, b := range p.Keys() {
		if b.Enabled() && b.Help().Key != "" && len(b.Keys()) > 0 {
			out = append(out, b)
		}
	}
	return out
}
