package export

import "testing"

func TestDefuseFormula(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ana", "Ana"},
		{"", ""},
		{"+1 555 0100", "+1 555 0100"},
		{"+44 (0)20 7946 0958", "+44 (0)20 7946 0958"},
		{"-12", "-12"},
		{"1+1", "1+1"},
		{"=1+1", "'=1+1"},
		{"  =1+1", "'  =1+1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"+HYPERLINK(\"http://x\")", "'+HYPERLINK(\"http://x\")"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"+", "'+"},
		{"-", "'-"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
	}
	for _, tt := range tests {
		if got := defuseFormula(tt.in); got != tt.want {
			t.Errorf("defuseFormula(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
