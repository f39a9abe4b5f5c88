package table

import (
	"testing"

	"charm.land/lipgloss/v2"
)

// TestCellStylesRenderAsLipgloss: a cached cell style renders every cell
// exactly as lipgloss does, whether it takes the fast way (sequences
// around the text) or not (spaces styled apart, a width).
func TestCellStylesRenderAsLipgloss(t *testing.T) {
	tests := []struct {
		name  string
		style lipgloss.Style
		fast  bool
	}{
		{"plain", lipgloss.NewStyle(), true},
		{"colour", lipgloss.NewStyle().Foreground(lipgloss.Color("#5fd75f")), true},
		{"bold reverse", lipgloss.NewStyle().Bold(true).Reverse(true), true},
		{"underline", lipgloss.NewStyle().Underline(true), false},
		{"padding", lipgloss.NewStyle().PaddingLeft(1), true},
		{"width", lipgloss.NewStyle().Width(20), false},
	}
	cells := []string{"ACTIVE       ", "", "Åse Jørgensen ", "山田 太郎", "␛[2J text", " a  b "}
	for _, tt := range tests {
		cs := cellStyles{}
		for _, cell := range cells {
			if got, want := cs.render(tt.name, tt.style, cell), tt.style.Render(cell); got != want {
				t.Errorf("%s: %q rendered %q, lipgloss %q", tt.name, cell, got, want)
			}
		}
		if cs[tt.name].ok != tt.fast {
			t.Errorf("%s: fast way %v, want %v", tt.name, cs[tt.name].ok, tt.fast)
		}
	}
}
