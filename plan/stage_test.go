package plan

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/themes"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestStageAndShow(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	p, err := f.build(t, Request{Title: "Quarterly cleanup", ApprovalsRequired: 1, Changes: []Change{
		{Group: tg.group.Name, Add: tg.outsiders[:2], Remove: tg.members[:3], Rename: tg.group.Name + " (EU)"},
		{Group: "Project Falcon", Create: true, Description: "Launch team", Add: tg.outsiders[2:3]},
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Counts()
	if c != (Counts{Add: 3, Remove: 3, Create: 1, Update: 1}) {
		t.Fatalf("counts = %+v", c)
	}
	if p.Summary() != "Plan: 3 to add, 3 to remove, 1 group to create, 1 group to update." {
		t.Fatalf("summary = %q", p.Summary())
	}
	for i, op := range p.Ops {
		if op.Seq != i+1 {
			t.Fatalf("op %d has seq %d", i, op.Seq)
		}
	}
	if len(p.Impact.Apps) == 0 {
		t.Fatal("removing members from a group assigned to apps shows no app impact")
	}
	for _, a := range p.Impact.Apps {
		if len(a.Lose)+len(a.Keep) != 3 && len(a.Gain) == 0 {
			t.Errorf("app %s: %d lose + %d keep, want the 3 removed users", a.Label, len(a.Lose), len(a.Keep))
		}
	}
	h1, _ := p.Hash()
	p2 := p
	p2.Ops = append([]Op(nil), p.Ops...)
	p2.Ops[0].Login = "someone-else"
	h2, _ := p2.Hash()
	if h1 == h2 || !strings.HasPrefix(h1, "sha256:") {
		t.Fatalf("hash does not cover the ops: %s %s", h1, h2)
	}
	rec, err := Submit(f.Store, p, Keys{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != StatePending || rec.ID != IDOf(h1) {
		t.Fatalf("record = %s %s", rec.ID, rec.State)
	}
	if _, err := Submit(f.Store, p, Keys{}); !errors.Is(err, ErrRefused) {
		t.Fatalf("second submit: %v", err)
	}
	loaded, err := Load(f.Store, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The sim's port, the plan's hash and its id change per run.
	stable := strings.NewReplacer(f.Server.URL, "http://127.0.0.1:PORT", loaded.Hash, "sha256:HASH", loaded.ID, "p-ID")
	golden(t, "show.txt", stable.Replace(Render(loaded, Plain, nil)))
	dark, err := themes.ByName(themes.Dark)
	if err != nil {
		t.Fatal(err)
	}
	colour := stable.Replace(Render(loaded, dark, nil))
	if !strings.Contains(colour, "\x1b[") {
		t.Fatal("the dark theme renders no colour")
	}
	golden(t, "show_dark.txt", colour)
	collapsed := Render(loaded, Plain, map[string]bool{})
	groupsPart := collapsed[strings.Index(collapsed, "Plan: "):strings.Index(collapsed, "Impact on apps:")]
	if strings.Contains(groupsPart, tg.members[0]) || !strings.Contains(groupsPart, "3 to remove (collapsed)") {
		t.Errorf("collapsed render lists members:\n%s", collapsed)
	}
}

func TestStageRefusals(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"app group", Request{Changes: []Change{{Group: tg.appGroup.Name, Add: tg.outsiders[:1]}}}, "APP_GROUP"},
		{"built-in", Request{Changes: []Change{{Group: tg.builtIn.Name, Remove: tg.members[:1]}}}, "BUILT_IN"},
		{"unknown group", Request{Changes: []Change{{Group: "No Such Group", Add: tg.outsiders[:1]}}}, "no group"},
		{"unknown user", Request{Changes: []Change{{Group: tg.group.Name, Add: []string{"nobody@nowhere.test"}}}}, "no user"},
		{"duplicate user", Request{Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[:1], Remove: tg.outsiders[:1]}}}, "twice"},
		{"create existing", Request{Changes: []Change{{Group: tg.group.Name, Create: true}}}, "exists"},
		{"empty", Request{}, "no changes"},
		{"no-op change", Request{Changes: []Change{{Group: tg.group.Name}}}, "does nothing"},
		{"large removal", Request{Changes: []Change{{Group: tg.group.Name, Remove: tg.members}}}, "--allow-large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "large removal" {
				if len(tg.members) > LargeRemovals {
					t.Fatal("fixture group too large")
				}
				saved := largeRemovals
				largeRemovals = len(tg.members) - 1
				defer func() { largeRemovals = saved }()
			}
			_, err := f.build(t, tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrRefused) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("large removal allowed", func(t *testing.T) {
		saved := largeRemovals
		largeRemovals = len(tg.members) - 1
		defer func() { largeRemovals = saved }()
		p, err := f.build(t, Request{AllowLarge: true, Changes: []Change{{Group: tg.group.Name, Remove: tg.members}}})
		if err != nil || !strings.Contains(strings.Join(p.Warnings, "\n"), "Large change") {
			t.Fatalf("err = %v, warnings %q", err, p.Warnings)
		}
	})
	t.Run("no author", func(t *testing.T) {
		err := f.Store.View(func(r *store.Reader) error {
			_, err := Build(r, Request{Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[:1]}}})
			return err
		})
		if !errors.Is(err, ErrRefused) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestAppImpactSummaryAgrees(t *testing.T) {
	for _, tc := range []struct {
		a    AppImpact
		want string
	}{
		{AppImpact{Label: "Atlassian", Via: []string{"Marketing"}, Lose: []string{"a"}, Gain: []string{"b"}},
			"Removing 1 user from Marketing loses Atlassian for 1; 1 user gains Atlassian."},
		{AppImpact{Label: "Atlassian", Via: []string{"Marketing"}, Lose: []string{"a"}, Keep: []Keep{{Login: "c", Via: "Sales"}}, Gain: []string{"b", "d"}},
			"Removing 2 users from Marketing loses Atlassian for 1; 1 keeps it via Sales; 2 users gain Atlassian."},
	} {
		if got := tc.a.Summary(); got != tc.want {
			t.Errorf("Summary = %q, want %q", got, tc.want)
		}
	}
}
