package signature

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTemplateErrors(t *testing.T) {
	for _, c := range []struct {
		name      string
		src       string
		line, col int
		msg       string
	}{
		{"unclosed action", "<p>{{.DisplayName}}</p>\n<p>{{.Title}</p>", 2, 4, "bad character"},
		{"unknown field", "<p>{{.DisplayName}}</p>\n<p>{{or .Titel \"x\"}}</p>", 2, 9, "unknown field .Titel"},
		{"unknown field via $", "{{with .Title}}<i>{{$.Departmnt}}</i>{{end}}", 1, 22, "unknown field .Departmnt"},
		{"unknown function", "<p>\n  ok {{.Title}} {{shout .Title}}\n</p>", 2, 17, `function "shout" not defined`},
		{"missing end", "<p>{{if .Title}}{{.Title}}</p>", 1, 0, "unexpected EOF"},
		{"unterminated quote", "<p>{{or .Title \"x}}</p>", 1, 4, "unterminated quoted string"},
		{"bad helper argument", "<p>{{truncate .Title 3}}</p>", 1, 14, "wrong type"},
		{"ambiguous URL context", "<a href=\"{{if .Title}}x{{else}}", 1, 0, ""},
		{"only a text variant", `{{define "text"}}{{.DisplayName}}{{end}}`, 1, 1, "no HTML signature"},
		{"empty", "  \n", 0, 0, "empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t", c.src)
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a *TemplateError", err)
			}
			if te.Line != c.line || (c.col != 0 && te.Col != c.col) {
				t.Errorf("position %d:%d, want %d:%d (%v)", te.Line, te.Col, c.line, c.col, err)
			}
			if !strings.Contains(te.Msg, c.msg) {
				t.Errorf("message %q does not mention %q", te.Msg, c.msg)
			}
		})
	}
}

func TestTemplateNames(t *testing.T) {
	for _, name := range []string{"", "../etc", "a b", strings.Repeat("x", 65), "-x"} {
		if _, err := Parse(name, "<p>{{.DisplayName}}</p>"); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
}

func TestTextVariant(t *testing.T) {
	tm, err := Parse("t", `{{define "html"}}<b>{{.DisplayName}}</b>{{end}}{{define "text"}}** {{.DisplayName}} **{{end}}`)
	if err != nil {
		t.Fatal(err)
	}
	d := NewData(sharedDir.Users[1], nil)
	d.DisplayName = `A & <B>`
	h, txt, err := newRenderer([]*Template{tm}).render(tm, d)
	if err != nil {
		t.Fatal(err)
	}
	if h != "<b>A &amp; &lt;B&gt;</b>" || txt != "** A & <B> **" {
		t.Errorf("html %q text %q", h, txt)
	}
	if !tm.OwnText {
		t.Error("OwnText is false")
	}
}

// TestSaveTemplate checks that a bad template is reported before anything
// is saved, and that a good one survives a reopen.
func TestSaveTemplate(t *testing.T) {
	st := freshStore(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	if _, err := SaveTemplate(st, "bad", "<p>{{.Nope}}</p>", now); err == nil {
		t.Fatal("bad template saved")
	}
	if ts, _ := st.SignatureTemplates(); len(ts) != 0 {
		t.Fatalf("stored %d templates after a failed save", len(ts))
	}
	if _, err := SaveTemplate(st, "sales", salesTemplate, now); err != nil {
		t.Fatal(err)
	}
	set, err := Load(st)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(set.Names(), ","); got != "default,sales" {
		t.Fatalf("templates %s", got)
	}
	// A stored "default" replaces the built-in one.
	if _, err := SaveTemplate(st, DefaultName, "<i>{{.DisplayName}}</i>", now); err != nil {
		t.Fatal(err)
	}
	set, err = Load(st)
	if err != nil {
		t.Fatal(err)
	}
	res, err := set.Render(sharedDir, sharedDir.Users[2])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.HTML, "<i>") {
		t.Errorf("stored default not used: %q", res.HTML)
	}
	if found, err := st.DeleteSignatureTemplate("sales"); err != nil || !found {
		t.Fatalf("delete: %v %v", found, err)
	}
	if found, _ := st.DeleteSignatureTemplate("sales"); found {
		t.Fatal("deleted twice")
	}
}
