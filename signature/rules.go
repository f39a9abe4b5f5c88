package signature

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"
)

// Match is one comparison: exactly one of Equals, In and Prefix is set.
// Comparisons ignore case (directory values are typed by people).
type Match struct {
	Equals string   `json:"equals,omitempty" yaml:"equals,omitempty" toml:"equals,omitempty"`
	In     []string `json:"in,omitempty" yaml:"in,omitempty" toml:"in,omitempty"`
	Prefix string   `json:"prefix,omitempty" yaml:"prefix,omitempty" toml:"prefix,omitempty"`
}

// When holds a rule's conditions; all that are set must hold. Group
// matches when any of the user's groups (by name) matches. Attr compares
// profile attributes by their Okta names (costCenter, a custom one, ...).
type When struct {
	Group      *Match           `json:"group,omitempty" yaml:"group,omitempty" toml:"group,omitempty"`
	Department *Match           `json:"department,omitempty" yaml:"department,omitempty" toml:"department,omitempty"`
	Title      *Match           `json:"title,omitempty" yaml:"title,omitempty" toml:"title,omitempty"`
	Status     *Match           `json:"status,omitempty" yaml:"status,omitempty" toml:"status,omitempty"`
	Attr       map[string]Match `json:"attr,omitempty" yaml:"attr,omitempty" toml:"attr,omitempty"`
}

// Rule sends the users it matches to a template.
type Rule struct {
	Name     string `json:"name" yaml:"name" toml:"name"`
	Template string `json:"template" yaml:"template" toml:"template"`
	When     When   `json:"when" yaml:"when" toml:"when"`
}

// Rules is the ordered rule list: the first rule that matches a user
// picks their template; users no rule matches get Default.
type Rules struct {
	Default string `json:"default" yaml:"default" toml:"default"`
	Rules   []Rule `json:"rules" yaml:"rules" toml:"rules"`
}

// Formats for rule files.
const (
	YAML = "yaml"
	TOML = "toml"
)

// ParseRules reads a rule file in YAML or TOML (format "" guesses from the
// content) and validates it. Unknown keys are errors, so a typo does not
// silently drop a condition.
func ParseRules(data []byte, format string) (Rules, error) {
	if format == "" {
		format = guessFormat(data)
	}
	var r Rules
	switch format {
	case YAML:
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&r); err != nil && !errors.Is(err, io.EOF) {
			return Rules{}, fmt.Errorf("read YAML rules: %w", err)
		}
	case TOML:
		md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&r)
		if err != nil {
			return Rules{}, fmt.Errorf("read TOML rules: %w", err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			return Rules{}, fmt.Errorf("read TOML rules: unknown keys %s", strings.Join(keys, ", "))
		}
	default:
		return Rules{}, fmt.Errorf("unknown rules format %q (want yaml or toml)", format)
	}
	if r.Default == "" {
		r.Default = DefaultName
	}
	if err := r.Validate(); err != nil {
		return Rules{}, err
	}
	return r, nil
}

// guessFormat tells TOML from YAML by the first meaningful line: TOML
// writes "key = value" or "[[table]]", YAML "key: value" or "- item".
func guessFormat(data []byte) string {
	for line := range strings.SplitSeq(string(data), "\n") {
		l := strings.TrimSpace(line)
		if l == "" || strings.HasPrefix(l, "#") || l == "---" {
			continue
		}
		if strings.HasPrefix(l, "[") {
			return TOML
		}
		eq, colon := strings.Index(l, "="), strings.Index(l, ":")
		if eq >= 0 && (colon < 0 || eq < colon) {
			return TOML
		}
		return YAML
	}
	return YAML
}

// FormatFor picks the format of a rule file from its name.
func FormatFor(path string) string {
	switch {
	case strings.HasSuffix(path, ".toml"):
		return TOML
	case strings.HasSuffix(path, ".yaml"), strings.HasSuffix(path, ".yml"):
		return YAML
	}
	return ""
}

// Validate checks the rule list's shape (not whether its templates
// exist: see Set.CheckRules).
func (r Rules) Validate() error {
	seen := map[string]bool{}
	for i, rule := range r.Rules {
		where := fmt.Sprintf("rule %d", i+1)
		if rule.Name != "" {
			where += fmt.Sprintf(" %q", rule.Name)
		}
		switch {
		case strings.TrimSpace(rule.Name) == "":
			return fmt.Errorf("%s: name is missing", where)
		case seen[rule.Name]:
			return fmt.Errorf("%s: another rule has the same name", where)
		case rule.Template == "":
			return fmt.Errorf("%s: template is missing", where)
		}
		seen[rule.Name] = true
		w := rule.When
		n := 0
		for _, c := range []struct {
			name string
			m    *Match
		}{{"group", w.Group}, {"department", w.Department}, {"title", w.Title}, {"status", w.Status}} {
			if c.m == nil {
				continue
			}
			n++
			if err := c.m.validate(); err != nil {
				return fmt.Errorf("%s: when.%s: %w", where, c.name, err)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(w.Attr)) {
			n++
			m := w.Attr[k]
			if strings.TrimSpace(k) == "" {
				return fmt.Errorf("%s: when.attr: empty attribute name", where)
			}
			if err := m.validate(); err != nil {
				return fmt.Errorf("%s: when.attr.%s: %w", where, k, err)
			}
		}
		if n == 0 {
			return fmt.Errorf("%s: no conditions (when: group, department, title, status or attr); use default for a catch-all", where)
		}
	}
	return nil
}

func (m Match) validate() error {
	n := 0
	if m.Equals != "" {
		n++
	}
	if len(m.In) > 0 {
		n++
	}
	if m.Prefix != "" {
		n++
	}
	if n != 1 {
		return fmt.Errorf("set exactly one of equals, in, prefix")
	}
	return nil
}

func (m Match) matches(v string) bool {
	switch {
	case m.Equals != "":
		return strings.EqualFold(v, m.Equals)
	case len(m.In) > 0:
		return slices.ContainsFunc(m.In, func(s string) bool { return strings.EqualFold(v, s) })
	case m.Prefix != "":
		return len(v) >= len(m.Prefix) && strings.EqualFold(v[:len(m.Prefix)], m.Prefix)
	}
	return false
}

// Matches reports whether the rule's conditions all hold for a user
// whose profile is d and whose group names are groups.
func (r Rule) Matches(d *Data, groups []string) bool {
	w := r.When
	if w.Group != nil && !slices.ContainsFunc(groups, w.Group.matches) {
		return false
	}
	if w.Department != nil && !w.Department.matches(d.Department) {
		return false
	}
	if w.Title != nil && !w.Title.matches(d.Title) {
		return false
	}
	if w.Status != nil && !w.Status.matches(d.Status) {
		return false
	}
	for k, m := range w.Attr {
		if !m.matches(d.Attr(k)) {
			return false
		}
	}
	return true
}

// Encode writes the rules as YAML or TOML.
func (r Rules) Encode(format string) ([]byte, error) {
	var buf bytes.Buffer
	switch format {
	case YAML, "":
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(r); err != nil {
			return nil, fmt.Errorf("encode rules as YAML: %w", err)
		}
		enc.Close()
	case TOML:
		if err := toml.NewEncoder(&buf).Encode(r); err != nil {
			return nil, fmt.Errorf("encode rules as TOML: %w", err)
		}
	default:
		return nil, fmt.Errorf("unknown rules format %q (want yaml or toml)", format)
	}
	return buf.Bytes(), nil
}

// MarshalCanonical is the JSON form the cache stores.
func (r Rules) MarshalCanonical() ([]byte, error) {
	return json.Marshal(r)
}
