package textsafe

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestCleanHostile(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Alice Smith", "Alice Smith"},
		{"osc52 clipboard write", "x\x1b]52;c;cm0gLXJmIH4=\x07y", "x␛]52;c;cm0gLXJmIH4=␇y"},
		{"osc52 with ST", "\x1b]52;c;Zm9v\x1b\\", "␛]52;c;Zm9v␛\\"},
		{"clear screen", "\x1b[2Jboom", "␛[2Jboom"},
		{"sgr", "\x1b[31mred\x1b[0m", "␛[31mred␛[0m"},
		{"dcs", "\x1bP1$r0m\x1b\\", "␛P1$r0m␛\\"},
		{"8-bit CSI", "a\u009b2Jb", "a\uFFFD2Jb"},
		{"C1 NEL becomes space", "a\u0085b", "a b"},
		{"newlines and tabs", "a\nb\r\nc\td", "a b  c d"},
		{"NUL and DEL", "a\x00b\x7fc", "a␀b␡c"},
		{"backspace overwrite trick", "admin\b\b\b\b\buser", "admin␈␈␈␈␈user"},
		{"bidi override", "abc\u202egnp.exe", "abc\uFFFDgnp.exe"},
		{"bidi isolate", "\u2066x\u2069", "\uFFFDx\uFFFD"},
		{"deprecated format control", "a\u206ab", "a\uFFFDb"},
		{"interlinear annotation hides text", "Ana\ufff9x\ufffaadmin\ufffb", "Ana\uFFFDx\uFFFDadmin\uFFFD"},
		{"direction marks dropped", "\u200fשלום\u200e", "שלום"},
		{"html stays text", "<script>alert(1)</script>", "<script>alert(1)</script>"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"line separator", "a\u2028b", "a b"},
		{"cjk untouched", "山田太郎", "山田太郎"},
		{"combining untouched", "Zoe\u0308", "Zoe\u0308"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.in)
			if got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.ContainsAny(got, "\x1b\x07\x00\u009b\u202e") {
				t.Errorf("Clean(%q) left a control character: %q", tt.in, got)
			}
			if ansi.Strip(got) != got {
				t.Errorf("Clean(%q) = %q still parses as containing escape sequences", tt.in, got)
			}
		})
	}
}

func TestFitWidths(t *testing.T) {
	tests := []struct {
		name, in string
		w        int
		want     string
	}{
		{"pad ascii", "Bob", 6, "Bob   "},
		{"exact", "Robert", 6, "Robert"},
		{"truncate ascii", "Roberta Long", 6, "Rober…"},
		{"cjk pads by cells", "山田", 6, "山田  "},
		{"cjk truncates whole chars", "山田太郎さん", 7, "山田太…"},
		{"cjk straddling char dropped", "山田太郎さん", 8, "山田太… "},
		{"combining counts zero", "Zoe\u0308 Ba", 8, "Zoe\u0308 Ba  "},
		{"zwj emoji counts per rune like wcwidth", "👩‍💻 dev", 8, "👩‍💻 dev"},
		{"devanagari vowel signs take cells", "शर्मा", 6, "शर्मा  "},
		{"zero width", "abc", 0, ""},
		{"one cell", "abc", 1, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fit(tt.in, tt.w)
			if got != tt.want {
				t.Errorf("Fit(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
			}
			if tt.w > 0 && Width(got) != tt.w {
				t.Errorf("Fit(%q, %d) is %d cells wide", tt.in, tt.w, Width(got))
			}
		})
	}
}

func TestFitRight(t *testing.T) {
	if got := FitRight("42", 5); got != "   42" {
		t.Errorf("FitRight = %q", got)
	}
}

func TestLineNeutralisesAndFits(t *testing.T) {
	got := Line("\x1b]52;c;ZXZpbA==\x07 Mallory", 12)
	if strings.Contains(got, "\x1b") || Width(got) != 12 {
		t.Errorf("Line = %q (%d cells)", got, Width(got))
	}
}

func BenchmarkCleanASCII(b *testing.B) {
	for b.Loop() {
		Clean("alice.smith@example.com")
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 250000: "250,000", 1000000: "1,000,000", -1234: "-1,234"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestList(t *testing.T) {
	if got := List(nil); got != "none" {
		t.Errorf("List(nil) = %q", got)
	}
	if got, want := List([]string{"okta.users.read", "a\x1b[2Jb"}), "okta.users.read, a␛[2Jb"; got != want {
		t.Errorf("List = %q, want %q", got, want)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		r    rune
		want Class
	}{
		{'a', Safe}, {'山', Safe}, {'\u200d', Safe}, {'é', Safe},
		{'\t', Break}, {'\n', Break}, {'\r', Break}, {'\u0085', Break}, {'\u2028', Break},
		{0x00, Control}, {0x07, Control}, {0x1b, Control}, {0x7f, Control},
		{0x80, C1}, {0x9b, C1}, {0x9d, C1}, {0x9f, C1},
		{'\u202a', Bidi}, {'\u202e', Bidi}, {'\u2066', Bidi}, {'\u2069', Bidi}, {'\u206f', Bidi},
		{'\ufff9', Hidden}, {'\ufffb', Hidden},
		{'\u200e', Mark}, {'\u200f', Mark}, {'\u061c', Mark},
	}
	for _, tt := range tests {
		if got := Classify(tt.r); got != tt.want {
			t.Errorf("Classify(%U) = %d, want %d", tt.r, got, tt.want)
		}
		if want := tt.want != Safe && tt.want != Mark; Dangerous(tt.r) != want {
			t.Errorf("Dangerous(%U) = %v, want %v", tt.r, !want, want)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"osc52 \x1b]52;c;Zm9v\x07", `osc52 \u001b]52;c;Zm9v\u0007`},
		{"csi \u009b2J", `csi \u009b2J`},
		{"rlo \u202egnp.exe", `rlo \u202egnp.exe`},
		{"nul\x00 del\x7f cr\r", `nul\u0000 del\u007f cr\u000d`},
		{"tab\tand\nnewline stay", "tab\tand\nnewline stay"},
		{"rtl mark \u200f stays", "rtl mark \u200f stays"},
		{"invalid \xff", "invalid \uFFFD"},
		{"山田 👩‍💻", "山田 👩‍💻"},
	}
	for _, tt := range tests {
		got := Escape(tt.in)
		if got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, r := range got {
			if r != '\t' && r != '\n' && Dangerous(r) {
				t.Errorf("Escape(%q) left %U", tt.in, r)
			}
		}
	}
}

func TestColumnsAlignWideScripts(t *testing.T) {
	rows := [][]string{
		{"NAME", "OWNER", "EXPIRES"},
		{"CI deploy", "ada@example.com", "2026-12-10"},
		{"विकास टीम सिंक", "priya@example.com", "2026-12-11"}, // Devanagari: combining marks take no cell
		{"人事システム", "hina@example.com", "2026-12-12"},          // CJK: two cells a rune
	}
	lines := Columns(rows, 2)
	col := func(line, cell string) int { return Width(line[:strings.Index(line, cell)]) }
	for i, line := range lines {
		if got, want := col(line, rows[i][1]), col(lines[0], "OWNER"); got != want {
			t.Errorf("row %d: OWNER column starts at cell %d, header at %d:\n%s", i, got, want, strings.Join(lines, "\n"))
		}
		if got, want := col(line, rows[i][2]), col(lines[0], "EXPIRES"); got != want {
			t.Errorf("row %d: EXPIRES column starts at cell %d, header at %d", i, got, want)
		}
	}
}
