package tui

import "charm.land/bubbles/v2/key"

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

// helpKeys adapts the active pane's bindings plus the global ones to
// bubbles/help's KeyMap.
type helpKeys struct {
	pane   []key.Binding
	global keyMap
}

func (h helpKeys) ShortHelp() []key.Binding {
	return append(append([]key.Binding{}, h.pane...), h.global.Palette, h.global.Help, h.global.Quit)
}

func (h helpKeys) FullHelp() [][]key.Binding {
	g := h.global
	return [][]key.Binding{
		h.pane,
		{g.Pane, g.Next, g.Prev, g.Back},
		{g.Palette, g.Sync, g.Submit, g.Help, g.Quit},
	}
}
