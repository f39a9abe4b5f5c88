package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/signature"
)

func TestSignatureCommandsAgainstSim(t *testing.T) {
	simEnv(t, oktasim.Options{Scenario: "S", Seed: 3}, "readonly")
	if res := profRun(t, "", "signature", "coverage"); res.code != exitFailed || !strings.Contains(res.errText(), "dirdeck sync") {
		t.Fatalf("coverage before a sync: exit %d %v", res.code, res.err)
	}
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("sync exit %d: %v", res.code, res.err)
	}

	// The default template works out of the box.
	cov := decode[signature.Coverage](t, profRun(t, "", "signature", "coverage", "--json").stdout)
	if cov.Users == 0 || cov.ByTemplate[signature.DefaultName] != cov.Users || cov.MissingFields == nil || cov.Conflicts == nil {
		t.Fatalf("coverage %+v", cov)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.html")
	os.WriteFile(bad, []byte("<p>{{.DisplayName}}</p>\n<p>{{.Titel}}</p>\n"), 0o600)
	res := profRun(t, "", "signature", "template", "add", "sales", bad)
	if res.code != exitFailed || !strings.Contains(res.errText(), "line 2, column 6: unknown field .Titel") {
		t.Fatalf("bad template: exit %d %q", res.code, res.errText())
	}
	good := "<p><b>{{.DisplayName}}</b><br>{{.Title}} · {{.Department}}<br>{{phone .MobilePhone}}</p>\n" +
		`{{define "text"}}{{.DisplayName}} | {{.Title}} | {{phone .MobilePhone}}{{end}}`
	if res := profRun(t, good, "signature", "template", "add", "sales", "-"); res.code != exitOK || !strings.Contains(res.stdout, "requires: Department, DisplayName, MobilePhone, Title") {
		t.Fatalf("template add: exit %d %v %s", res.code, res.err, res.stdout)
	}
	if res := profRun(t, "", "signature", "template", "list"); !strings.Contains(res.stdout, "built-in") || !strings.Contains(res.stdout, "sales") {
		t.Fatalf("template list:\n%s", res.stdout)
	}
	if res := profRun(t, "", "signature", "template", "export", "sales"); res.stdout != good {
		t.Fatalf("template export: %q", res.stdout)
	}

	rules := "rules:\n  - name: sales\n    template: sales\n    when:\n      department: {in: [Sales, Vertrieb]}\n" +
		"  - name: all\n    template: default\n    when:\n      group: {equals: Everyone}\n"
	rulesFile := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rulesFile, []byte(rules), 0o600)
	if res := profRun(t, "", "signature", "rules", "import", rulesFile); res.code != exitOK {
		t.Fatalf("rules import: exit %d %v", res.code, res.err)
	}
	if res := profRun(t, "", "signature", "template", "remove", "sales"); res.code != exitFailed {
		t.Fatalf("removing a template in use: exit %d", res.code)
	}
	tomlOut := filepath.Join(dir, "rules.toml")
	if res := profRun(t, "", "signature", "rules", "export", "--out", tomlOut); res.code != exitOK {
		t.Fatalf("rules export: %v", res.err)
	}
	if b, _ := os.ReadFile(tomlOut); !strings.Contains(string(b), "[[rules]]") {
		t.Fatalf("TOML export:\n%s", b)
	}
	if res := profRun(t, "", "signature", "rules", "import", tomlOut); res.code != exitOK {
		t.Fatalf("TOML re-import: %v", res.err)
	}
	if res := profRun(t, "", "signature", "rules", "show"); !strings.Contains(res.stdout, "- name: sales") {
		t.Fatalf("rules show:\n%s", res.stdout)
	}
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", "sed -i s/Vertrieb/Sales/")
	if res := profRun(t, "", "signature", "rules", "edit"); res.code != exitOK {
		t.Fatalf("rules edit: exit %d %v %s", res.code, res.err, res.stderr)
	}
	if res := profRun(t, "", "signature", "rules", "show"); strings.Contains(res.stdout, "Vertrieb") {
		t.Fatalf("the edit was not saved:\n%s", res.stdout)
	}
	t.Setenv("EDITOR", "sed -i s/template:.sales/template:_nope/")
	if res := profRun(t, "", "signature", "rules", "edit"); res.code != exitFailed || !strings.Contains(res.errText(), "kept in") {
		t.Fatalf("invalid edit: exit %d %v", res.code, res.err)
	}

	cov = decode[signature.Coverage](t, profRun(t, "", "signature", "coverage", "--json").stdout)
	sum := 0
	for _, n := range cov.ByTemplate {
		sum += n
	}
	if sum != cov.Users || cov.ByTemplate["sales"] == 0 || len(cov.Conflicts) == 0 {
		t.Fatalf("coverage after rules %+v", cov)
	}
	if res := profRun(t, "", "signature", "coverage"); !strings.Contains(res.stdout, "missing for") || !strings.Contains(res.stdout, "overlap: first match wins") {
		t.Fatalf("coverage text:\n%s", res.stdout)
	}

	// Render a Sales user in both variants.
	login := cov.Conflicts[0].Users[0]
	res = profRun(t, "", "signature", "render", "--user", strings.ToUpper(login), "--html")
	if res.code != exitOK || !strings.HasPrefix(res.stdout, "<p><b>") || !strings.Contains(res.stderr, `rule 1 "sales"`) {
		t.Fatalf("render --html: exit %d %v\n%s\n%s", res.code, res.err, res.stdout, res.stderr)
	}
	if res := profRun(t, "", "signature", "render", "--user", login); !strings.Contains(res.stdout, " | ") {
		t.Fatalf("render text: %q", res.stdout)
	}
	if res := profRun(t, "", "signature", "render", "--user", "nobody@nowhere"); res.code != exitFailed {
		t.Fatalf("unknown user: exit %d", res.code)
	}
	if res := profRun(t, "", "signature", "render"); res.code != exitUsage {
		t.Fatalf("render without --user: exit %d", res.code)
	}

	out := filepath.Join(dir, "gallery")
	res = profRun(t, "", "signature", "export", "--dir", out)
	if res.code != exitOK || !strings.Contains(res.stdout, "index.html") {
		t.Fatalf("export: exit %d %v", res.code, res.err)
	}
	pages, _ := filepath.Glob(filepath.Join(out, "users", "*.html"))
	if len(pages) != cov.Users {
		t.Fatalf("%d pages, %d active users", len(pages), cov.Users)
	}
}
