package signature

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// NoDepartment is the by_department key for users without a department.
const NoDepartment = "(no department)"

// Coverage says who gets which template and where the directory data is
// incomplete. Users counts active users (see Active); ByTemplate adds up
// to it.
type Coverage struct {
	Users         int            `json:"users"`
	ByTemplate    map[string]int `json:"by_template"`
	MissingFields []MissingField `json:"missing_fields"`
	Conflicts     []Conflict     `json:"conflicts"`
}

// MissingField counts users whose template requires a field they lack.
type MissingField struct {
	Field        string         `json:"field"`
	Count        int            `json:"count"`
	ByDepartment map[string]int `json:"by_department"`
}

// Conflict kinds.
const (
	// ConflictOverlap: users matched by more than one rule; the first wins.
	ConflictOverlap = "overlap"
	// ConflictUnused: a rule that matches no active user.
	ConflictUnused = "unused"
	// ConflictShadowed: a rule that matches users but never wins, because
	// earlier rules take all of them.
	ConflictShadowed = "shadowed"
)

// Conflict is one finding about the rules.
type Conflict struct {
	Kind   string   `json:"kind"`
	Rules  []string `json:"rules"`
	Winner string   `json:"winner,omitempty"`
	Reason string   `json:"reason"`
	Count  int      `json:"count"`
	Users  []string `json:"users,omitempty"` // logins, sorted
}

// Issue is one active user with a coverage problem, for lists that jump to
// the user (the TUI's coverage view).
type Issue struct {
	UserID     string
	Login      string
	Name       string
	Department string
	Template   string
	Missing    []string
	Matched    []string // the rules that match, when more than one
}

// Coverage computes the coverage report over the directory's active users.
func (s *Set) Coverage(d *Directory) Coverage {
	c, _ := s.CoverageIssues(d)
	return c
}

// CoverageIssues computes the report and the users behind it, sorted by
// department then name.
func (s *Set) CoverageIssues(d *Directory) (Coverage, []Issue) {
	cov := Coverage{ByTemplate: map[string]int{}, MissingFields: []MissingField{}, Conflicts: []Conflict{}}
	cov.ByTemplate[s.defaultName()] = 0
	for _, r := range s.Rules.Rules {
		cov.ByTemplate[r.Template] = 0
	}
	missing := map[string]*MissingField{}
	overlaps := map[string]*Conflict{}
	matchedBy := make([]int, len(s.Rules.Rules))
	wonBy := make([]int, len(s.Rules.Rules))
	var issues []Issue
	for _, u := range d.Users {
		if !Active(u) {
			continue
		}
		cov.Users++
		data := d.DataFor(u)
		ch := s.Choose(data, d.GroupsOf(u.ID))
		cov.ByTemplate[ch.Template]++
		if ch.RuleNum > 0 {
			wonBy[ch.RuleNum-1]++
		}
		for i, r := range s.Rules.Rules {
			if slices.Contains(ch.Matched, r.Name) {
				matchedBy[i]++
			}
		}
		dept := data.Department
		if dept == "" {
			dept = NoDepartment
		}
		iss := Issue{UserID: u.ID, Login: data.Login, Name: data.DisplayName, Department: dept, Template: ch.Template}
		if t := s.Templates[ch.Template]; t != nil {
			for _, f := range t.Required {
				if data.Field(f) != "" {
					continue
				}
				mf := missing[f]
				if mf == nil {
					mf = &MissingField{Field: f, ByDepartment: map[string]int{}}
					missing[f] = mf
				}
				mf.Count++
				mf.ByDepartment[dept]++
				iss.Missing = append(iss.Missing, f)
			}
		}
		if len(ch.Matched) > 1 {
			key := strings.Join(ch.Matched, "\x00")
			o := overlaps[key]
			if o == nil {
				o = &Conflict{Kind: ConflictOverlap, Rules: ch.Matched, Winner: ch.Rule,
					Reason: fmt.Sprintf("first match wins: rule %d %q comes before %s", ch.RuleNum, ch.Rule, s.ruleRefs(ch.Matched[1:]))}
				overlaps[key] = o
			}
			o.Count++
			o.Users = append(o.Users, data.Login)
			iss.Matched = ch.Matched
		}
		if len(iss.Missing) > 0 || len(iss.Matched) > 0 {
			issues = append(issues, iss)
		}
	}
	for _, f := range slices.Sorted(maps.Keys(missing)) {
		cov.MissingFields = append(cov.MissingFields, *missing[f])
	}
	slices.SortStableFunc(cov.MissingFields, func(a, b MissingField) int { return b.Count - a.Count })
	for _, k := range slices.Sorted(maps.Keys(overlaps)) {
		o := overlaps[k]
		slices.Sort(o.Users)
		cov.Conflicts = append(cov.Conflicts, *o)
	}
	slices.SortStableFunc(cov.Conflicts, func(a, b Conflict) int { return b.Count - a.Count })
	for i, r := range s.Rules.Rules {
		switch {
		case matchedBy[i] == 0:
			cov.Conflicts = append(cov.Conflicts, Conflict{Kind: ConflictUnused, Rules: []string{r.Name},
				Reason: fmt.Sprintf("rule %d %q matches no active user", i+1, r.Name)})
		case wonBy[i] == 0:
			cov.Conflicts = append(cov.Conflicts, Conflict{Kind: ConflictShadowed, Rules: []string{r.Name}, Count: matchedBy[i],
				Reason: fmt.Sprintf("rule %d %q matches %d users, but earlier rules win for all of them", i+1, r.Name, matchedBy[i])})
		}
	}
	slices.SortStableFunc(issues, func(a, b Issue) int {
		if c := strings.Compare(a.Department, b.Department); c != 0 {
			return c
		}
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return cov, issues
}

// ruleRefs names rules with their positions: `rule 3 "emea"`.
func (s *Set) ruleRefs(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		pos := slices.IndexFunc(s.Rules.Rules, func(r Rule) bool { return r.Name == n })
		parts[i] = fmt.Sprintf("rule %d %q", pos+1, n)
	}
	return strings.Join(parts, ", ")
}

// Summary lines for people: "Title missing for 312 users in Sales".
func (c Coverage) Summary() []string {
	var out []string
	for _, mf := range c.MissingFields {
		for _, dept := range slices.Sorted(maps.Keys(mf.ByDepartment)) {
			n := mf.ByDepartment[dept]
			where := "in " + dept
			if dept == NoDepartment {
				where = "without a department"
			}
			out = append(out, fmt.Sprintf("%s missing for %d %s %s", mf.Field, n, plural(n, "user", "users"), where))
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
