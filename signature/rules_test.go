package signature

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
)

const rulesYAML = `# signature rules
default: default
rules:
  - name: sales-emea
    template: sales
    when:
      department: {equals: sales}
      attr:
        countryCode: {in: [DE, FR, GB]}
  - name: sales
    template: sales
    when:
      department: {in: [Sales, Vertrieb]}
  - name: seniors
    template: sales
    when:
      title: {prefix: Senior}
  - name: everyone-group
    template: default
    when:
      group: {equals: everyone}
  - name: nobody
    template: sales
    when:
      status: {equals: SUSPENDED}
`

const rulesTOML = `default = "default"

[[rules]]
name = "sales-emea"
template = "sales"
[rules.when.department]
equals = "sales"
[rules.when.attr.countryCode]
in = ["DE", "FR", "GB"]

[[rules]]
name = "sales"
template = "sales"
[rules.when.department]
in = ["Sales", "Vertrieb"]

[[rules]]
name = "seniors"
template = "sales"
[rules.when.title]
prefix = "Senior"

[[rules]]
name = "everyone-group"
template = "default"
[rules.when.group]
equals = "everyone"

[[rules]]
name = "nobody"
template = "sales"
[rules.when.status]
equals = "SUSPENDED"
`

func TestParseRulesFormats(t *testing.T) {
	y, err := ParseRules([]byte(rulesYAML), "")
	if err != nil {
		t.Fatal(err)
	}
	tm, err := ParseRules([]byte(rulesTOML), "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(y, tm) {
		t.Fatalf("YAML and TOML differ:\n%+v\n%+v", y, tm)
	}
	for _, f := range []string{YAML, TOML} {
		b, err := y.Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseRules(b, f)
		if err != nil {
			t.Fatalf("%s round trip: %v\n%s", f, err, b)
		}
		if !reflect.DeepEqual(y, back) {
			t.Errorf("%s round trip changed the rules:\n%s", f, b)
		}
	}
}

func TestParseRulesErrors(t *testing.T) {
	for _, c := range []struct{ name, src, format, want string }{
		{"unknown key", "rules:\n  - name: a\n    template: t\n    when:\n      departement: {equals: x}\n", YAML, "departement"},
		{"unknown toml key", "[[rules]]\nname = \"a\"\ntemplate = \"t\"\n[rules.when.dept]\nequals = \"x\"\n", TOML, "rules.when.dept"},
		{"two operators", "rules:\n  - name: a\n    template: t\n    when:\n      title: {equals: x, prefix: y}\n", YAML, "exactly one of"},
		{"no operator", "rules:\n  - name: a\n    template: t\n    when:\n      title: {}\n", YAML, "exactly one of"},
		{"no conditions", "rules:\n  - name: a\n    template: t\n", YAML, "no conditions"},
		{"no name", "rules:\n  - template: t\n    when:\n      title: {equals: x}\n", YAML, "name is missing"},
		{"duplicate", "rules:\n  - {name: a, template: t, when: {title: {equals: x}}}\n  - {name: a, template: t, when: {title: {equals: y}}}\n", YAML, "same name"},
		{"no template", "rules:\n  - name: a\n    when:\n      title: {equals: x}\n", YAML, "template is missing"},
		{"bad yaml", "rules: [\n", YAML, "line"},
		{"bad format", "x", "json", "unknown rules format"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseRules([]byte(c.src), c.format)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
	if r, err := ParseRules(nil, YAML); err != nil || r.Default != DefaultName || len(r.Rules) != 0 {
		t.Errorf("empty file: %+v %v", r, err)
	}
}

func TestRulePrecedence(t *testing.T) {
	rules, err := ParseRules([]byte(rulesYAML), YAML)
	if err != nil {
		t.Fatal(err)
	}
	set := &Set{Templates: map[string]*Template{DefaultName: MustDefault()}, Rules: rules}
	for _, c := range []struct {
		name     string
		user     directory.User
		groups   []string
		template string
		rule     string
		matched  []string
	}{
		{"first of three wins", directory.User{Department: "SALES", CountryCode: "de", Title: "Senior AE", Status: "ACTIVE"}, []string{"Everyone"}, "sales", "sales-emea", []string{"sales-emea", "sales", "seniors", "everyone-group"}},
		{"attr misses, next rule", directory.User{Department: "Sales", CountryCode: "US", Status: "ACTIVE"}, nil, "sales", "sales", []string{"sales"}},
		{"prefix ignores case", directory.User{Department: "IT", Title: "senior engineer", Status: "ACTIVE"}, nil, "sales", "seniors", []string{"seniors"}},
		{"group by name", directory.User{Department: "IT", Status: "ACTIVE"}, []string{"VPN Users", "EVERYONE"}, "default", "everyone-group", []string{"everyone-group"}},
		{"no match falls to default", directory.User{Department: "IT", Status: "ACTIVE"}, []string{"VPN Users"}, "default", "", nil},
		{"status", directory.User{Status: "SUSPENDED"}, nil, "sales", "nobody", []string{"nobody"}},
		{"custom attribute", directory.User{Department: "Sales", Attributes: map[string]any{"countryCode": "x"}, CountryCode: "FR"}, nil, "sales", "sales-emea", []string{"sales-emea", "sales"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ch := set.Choose(NewData(c.user, nil), c.groups)
			if ch.Template != c.template || ch.Rule != c.rule || !slices.Equal(ch.Matched, c.matched) {
				t.Errorf("got %+v, want template %s rule %q matched %v", ch, c.template, c.rule, c.matched)
			}
		})
	}
}

func TestSaveRulesChecksTemplates(t *testing.T) {
	st := freshStore(t)
	now := time.Now()
	set, err := Load(st)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := ParseRules([]byte(rulesYAML), YAML)
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveRules(st, set, rules, now); err == nil || !strings.Contains(err.Error(), `no template "sales"`) {
		t.Fatalf("rules naming a missing template: %v", err)
	}
	if _, ok, _ := st.SignatureRulesStored(); ok {
		t.Fatal("invalid rules were stored")
	}
	if _, err := SaveTemplate(st, "sales", salesTemplate, now); err != nil {
		t.Fatal(err)
	}
	if set, err = Load(st); err != nil {
		t.Fatal(err)
	}
	if err := SaveRules(st, set, rules, now); err != nil {
		t.Fatal(err)
	}
	set, err = Load(st)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(set.Rules, rules) {
		t.Errorf("stored rules differ:\n%+v\n%+v", set.Rules, rules)
	}
}

func TestCoverage(t *testing.T) {
	set := salesSet(t)
	rules, err := ParseRules([]byte(rulesYAML), YAML)
	if err != nil {
		t.Fatal(err)
	}
	set.Rules = rules
	cov, issues := set.CoverageIssues(sharedDir)

	active := 0
	for _, u := range sharedDir.Users {
		switch u.Status {
		case directory.StatusActive, directory.StatusProvisioned, directory.StatusRecovery, directory.StatusPasswordExpired, directory.StatusLockedOut:
			active++
		}
	}
	sum := 0
	for _, n := range cov.ByTemplate {
		sum += n
	}
	if cov.Users != active || sum != active {
		t.Fatalf("users %d, by_template adds up to %d, active users %d", cov.Users, sum, active)
	}
	if cov.ByTemplate["sales"] == 0 || cov.ByTemplate[DefaultName] == 0 {
		t.Errorf("by_template %v", cov.ByTemplate)
	}

	// Missing fields: recount independently from the rendered results.
	want := map[string]map[string]int{}
	r := set.NewRenderer(sharedDir)
	for _, u := range sharedDir.Users {
		if !Active(u) {
			continue
		}
		res, err := r.Render(u)
		if err != nil {
			t.Fatal(err)
		}
		dept := NewData(u, nil).Department
		if dept == "" {
			dept = NoDepartment
		}
		for _, f := range res.Missing {
			if want[f] == nil {
				want[f] = map[string]int{}
			}
			want[f][dept]++
		}
	}
	got := map[string]map[string]int{}
	for _, mf := range cov.MissingFields {
		total := 0
		for _, n := range mf.ByDepartment {
			total += n
		}
		if total != mf.Count {
			t.Errorf("%s: by_department adds up to %d, count %d", mf.Field, total, mf.Count)
		}
		got[mf.Field] = mf.ByDepartment
	}
	if !reflect.DeepEqual(got, want) || len(got) == 0 {
		t.Errorf("missing fields %v, want %v", got, want)
	}
	if s := cov.Summary(); len(s) == 0 || !strings.Contains(strings.Join(s, "\n"), "MobilePhone missing for ") {
		t.Errorf("summary %q", s)
	}

	kinds := map[string][]Conflict{}
	for _, c := range cov.Conflicts {
		kinds[c.Kind] = append(kinds[c.Kind], c)
	}
	if len(kinds[ConflictOverlap]) == 0 {
		t.Fatal("no overlaps, though every user is in Everyone")
	}
	for _, o := range kinds[ConflictOverlap] {
		if o.Winner != o.Rules[0] || o.Count != len(o.Users) || !strings.Contains(o.Reason, "first match wins") {
			t.Errorf("overlap %+v", o)
		}
	}
	if u := kinds[ConflictUnused]; len(u) != 1 || u[0].Rules[0] != "nobody" {
		t.Errorf("unused %+v (suspended users are not active, so rule nobody matches no one)", u)
	}
	overlapUsers := 0
	for _, iss := range issues {
		if len(iss.Matched) > 1 {
			overlapUsers++
		}
	}
	n := 0
	for _, o := range kinds[ConflictOverlap] {
		n += o.Count
	}
	if n != overlapUsers {
		t.Errorf("overlaps count %d users, issues list %d", n, overlapUsers)
	}
	if !slices.IsSortedFunc(issues, func(a, b Issue) int { return strings.Compare(a.Department, b.Department) }) {
		t.Error("issues not grouped by department")
	}
}

func TestShadowedRule(t *testing.T) {
	set := salesSet(t)
	set.Rules.Rules = append(set.Rules.Rules, Rule{Name: "vertrieb", Template: DefaultName, When: When{Department: &Match{Equals: "Vertrieb"}}})
	cov := set.Coverage(sharedDir)
	i := slices.IndexFunc(cov.Conflicts, func(c Conflict) bool { return c.Kind == ConflictShadowed })
	if i < 0 || cov.Conflicts[i].Rules[0] != "vertrieb" || cov.Conflicts[i].Count == 0 {
		t.Errorf("conflicts %+v", cov.Conflicts)
	}
}
