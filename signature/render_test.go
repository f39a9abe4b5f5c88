package signature

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/exp/golden"
	"golang.org/x/net/html"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
)

// goldenUsers picks scenario S users worth pinning: every hostile or
// non-ASCII profile and every 25th user, so the golden file covers the
// default template's branches (phones, pronouns, missing title) too.
func goldenUsers(d *Directory) []directory.User {
	var out []directory.User
	for i, u := range d.Users {
		if hostileUser(u) {
			out = append(out, u)
			continue
		}
		if !Active(u) {
			continue
		}
		if i%25 == 0 || (!isASCII(u.Name()) && len(out) < 40) {
			out = append(out, u)
		}
	}
	return out
}

func hostileUser(u directory.User) bool {
	for _, v := range []string{u.Name(), u.FirstName, u.LastName, u.Title, u.Department, u.City} {
		if strings.ContainsAny(v, "<>\"\x1b") || len(v) > 500 {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func renderAll(t *testing.T, set *Set, users []directory.User) string {
	t.Helper()
	var b strings.Builder
	r := set.NewRenderer(sharedDir)
	for _, u := range users {
		res, err := r.Render(u)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "=== %s template=%s rule=%q matched=%v missing=%v fellback=%v\n--- html\n%s--- text\n%s\n",
			u.Login, res.Template, res.Rule, res.Matched, res.Missing, res.FellBack, res.HTML, res.Text)
	}
	return b.String()
}

func TestGoldenDefault(t *testing.T) {
	set, err := Load(shared)
	if err != nil {
		t.Fatal(err)
	}
	users := goldenUsers(sharedDir)
	if len(users) < 20 {
		t.Fatalf("only %d golden users", len(users))
	}
	golden.RequireEqual(t, renderAll(t, set, users))
}

// salesTemplate exercises attr, manager, phone, initials, fallbacks and a
// text variant of its own.
const salesTemplate = `<div style="font-family:Georgia,serif">
<p><strong title="{{.FirstName}} {{.LastName}}">{{.DisplayName}}</strong> <span style="color:#888">{{initials .DisplayName}}</span><br>
{{.Title}}, {{.Department}}<br>
Cost centre {{or (attr "costCenter") "n/a"}} · reports to {{or .Manager "nobody"}}{{with .ManagerEmail}} &lt;<a href="mailto:{{.}}">{{.}}</a>&gt;{{end}}<br>
<a href="{{tel .MobilePhone}}">{{phone .MobilePhone}}</a></p>
</div>
{{define "text"}}{{.DisplayName}} ({{initials .DisplayName}})
{{.Title}}, {{.Department}}
Cost centre {{or (attr "costCenter") "n/a"}} · reports to {{or .Manager "nobody"}}
{{phone .MobilePhone}}
{{end}}`

func salesSet(t *testing.T) *Set {
	t.Helper()
	set, err := Load(shared)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := Parse("sales", salesTemplate)
	if err != nil {
		t.Fatal(err)
	}
	set.Templates["sales"] = tm
	set.Rules = Rules{Default: DefaultName, Rules: []Rule{
		{Name: "sales", Template: "sales", When: When{Department: &Match{In: []string{"Sales", "Vertrieb"}}}},
		{Name: "engineers", Template: "sales", When: When{Title: &Match{Prefix: "senior"}}},
	}}
	if err := set.CheckRules(set.Rules); err != nil {
		t.Fatal(err)
	}
	return set
}

func TestGoldenRules(t *testing.T) {
	set := salesSet(t)
	golden.RequireEqual(t, renderAll(t, set, goldenUsers(sharedDir)))
}

func TestRequiredFields(t *testing.T) {
	set := salesSet(t)
	if got, want := strings.Join(set.Templates["sales"].Required, ","), "Department,DisplayName,FirstName,LastName,MobilePhone,Title"; got != want {
		t.Errorf("sales requires %s, want %s", got, want)
	}
	if got, want := strings.Join(set.Templates[DefaultName].Required, ","), "DisplayName,Email"; got != want {
		t.Errorf("default requires %s, want %s", got, want)
	}
	for _, c := range []struct{ src, required, fields string }{
		{`<p>{{attr "costCenter"}} {{or (attr "pronouns") "-"}}</p>`, "costCenter", "costCenter,pronouns"},
		{`<p>{{.Attr "hireDate"}} {{.Field "Title"}}</p>`, "Title,hireDate", "Title,hireDate"},
		{`<p>{{if .Title}}{{.Title}}{{else}}{{.Department}}{{end}}</p>`, "Department", "Department,Title"},
		{`<p>{{with .MobilePhone}}{{phone .}}{{end}}{{with $.Email}}{{$.Login}}{{end}}</p>`, "Login", "Email,Login,MobilePhone"},
		{`<a title="{{.City}}" href="mailto:{{.Email}}">{{upper (or .State "x")}}</a>`, "City,Email", "City,Email,State"},
		{`{{define "html"}}<b>{{.DisplayName}}</b>{{end}}{{define "text"}}{{.Title}}{{end}}`, "DisplayName,Title", "DisplayName,Title"},
	} {
		tm, err := Parse("t", c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if got := strings.Join(tm.Required, ","); got != c.required {
			t.Errorf("%s: requires %s, want %s", c.src, got, c.required)
		}
		if got := strings.Join(tm.Fields, ","); got != c.fields {
			t.Errorf("%s: reads %s, want %s", c.src, got, c.fields)
		}
	}
}

// TestHostileInert parses every rendered signature of scenario S with a
// real HTML parser: no script elements, no event-handler attributes, no
// javascript: URLs and no control characters, whatever the profile holds.
func TestHostileInert(t *testing.T) {
	for _, set := range []*Set{salesSet(t), mustLoad(t)} {
		r := set.NewRenderer(sharedDir)
		hostile := 0
		for _, u := range sharedDir.Users {
			res, err := r.Render(u)
			if err != nil {
				t.Fatal(err)
			}
			if hostileUser(u) {
				hostile++
			}
			checkInert(t, u.Login, res.HTML)
			if strings.ContainsFunc(res.Text, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f || (r >= 0x80 && r <= 0x9f) }) {
				t.Errorf("%s: control character in the text variant: %q", u.Login, res.Text)
			}
			if !utf8.ValidString(res.HTML) || !utf8.ValidString(res.Text) {
				t.Errorf("%s: invalid UTF-8", u.Login)
			}
		}
		if hostile < 5 {
			t.Fatalf("scenario S has only %d hostile profiles; the test would prove nothing", hostile)
		}
	}
}

func mustLoad(t *testing.T) *Set {
	t.Helper()
	s, err := Load(shared)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func checkInert(t *testing.T, who, doc string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "img", "iframe", "object", "embed", "style", "svg":
				t.Errorf("%s: <%s> element in a signature", who, tok.Data)
			}
			for _, a := range tok.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					t.Errorf("%s: event handler attribute %s=%q", who, a.Key, a.Val)
				}
				if (a.Key == "href" || a.Key == "src") && a.Val != "" && !strings.HasPrefix(a.Val, "mailto:") && !strings.HasPrefix(a.Val, "tel:") {
					t.Errorf("%s: unexpected URL %s=%q", who, a.Key, a.Val)
				}
			}
		case html.TextToken:
			if strings.ContainsAny(string(z.Text()), "\x1b\x07") {
				t.Errorf("%s: escape sequence in text", who)
			}
		}
	}
}

func TestUnicodeNames(t *testing.T) {
	set := mustLoad(t)
	r := set.NewRenderer(sharedDir)
	seen := 0
	for _, u := range sharedDir.Users {
		if isASCII(u.Name()) || hostileUser(u) || !Active(u) {
			continue
		}
		res, err := r.Render(u)
		if err != nil {
			t.Fatal(err)
		}
		// html/template leaves non-ASCII letters alone: the name appears
		// verbatim, not as entities or mojibake.
		if !strings.Contains(res.HTML, html.EscapeString(u.Name())) || !strings.Contains(res.Text, u.Name()) {
			t.Errorf("%s: name %q not rendered verbatim", u.Login, u.Name())
		}
		seen++
	}
	if seen < 20 {
		t.Fatalf("only %d unicode names in scenario S", seen)
	}
}

func TestHelpers(t *testing.T) {
	for _, c := range []struct{ in, phone, tel string }{
		{"+1 555 744 1238", "+1 (555) 744-1238", "tel:+15557441238"},
		{"(555) 744-1238", "+1 (555) 744-1238", "tel:5557441238"},
		{"+44 20 7946 0958", "+44 20 7946 0958", "tel:+442079460958"},
		{"+49-30-1234567 x12", "+49 30 1234567 x12", "tel:+49301234567"},
		{"030 1234567", "030 1234567", "tel:0301234567"},
		{"n/a", "n/a", ""},
		{"", "", ""},
	} {
		if got := Phone(c.in); got != c.phone {
			t.Errorf("Phone(%q) = %q, want %q", c.in, got, c.phone)
		}
		if got := Tel(c.in); got != c.tel {
			t.Errorf("Tel(%q) = %q, want %q", c.in, got, c.tel)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"Ana María Silva", "AS"}, {"山田太郎", "山"}, {"<script>alert(1)</script> Dubois", "SD"},
		{"émilie dubois", "ÉD"}, {"", ""}, {"  42  ", ""},
	} {
		if got := Initials(c.in); got != c.want {
			t.Errorf("Initials(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := Truncate(5, "abcdefgh"); got != "abcd…" {
		t.Errorf("Truncate = %q", got)
	}
	if got := clean("\x1b[31mRed\x1b[0m\u202eevil\u202c\nnext\x1b]52;c;aGVsbG8=\x07\x01"); got != "Redevil next" {
		t.Errorf("clean = %q", got)
	}
}

// TestCleanSharesTheClassifier checks that every rune the shared
// classifier calls dangerous is removed from signature values, including
// the ones the sanitiser once missed (deprecated format controls, hidden
// interlinear annotations), while direction marks that RTL names need stay.
func TestCleanSharesTheClassifier(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ana\u206aSmith", "AnaSmith"},
		{"Ana\ufff9x\ufffaadmin\ufffb", "Anaxadmin"},
		{"a\u009b2Jb", "a2Jb"},
		{"\u2067עברית\u2069", "עברית"},
		{"שלום\u200f", "שלום\u200f"},
		{"tab\there", "tab here"},
	}
	for _, tt := range tests {
		got := clean(tt.in)
		if got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, r := range got {
			if textsafe.Dangerous(r) {
				t.Errorf("clean(%q) left %U", tt.in, r)
			}
		}
	}
}
