package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

var (
	// ErrUnknownProfile is returned (wrapped, with the known names) when a
	// profile name is not in config.toml.
	ErrUnknownProfile = errors.New("unknown profile")
	// ErrProfileExists is returned by Config.Add for a name already in use.
	ErrProfileExists = errors.New("profile already exists")
)

// Config is the content of config.toml: the profiles and the active one.
type Config struct {
	// Active names the profile used when neither --profile nor
	// DIRDECK_PROFILE nor DIRDECK_ORG_URL picks one; empty when none.
	Active string
	// Profiles by name.
	Profiles map[string]Profile

	path string
}

// fileFormat is config.toml's layout.
type fileFormat struct {
	Active   string             `toml:"active,omitempty"`
	Profiles map[string]Profile `toml:"profiles"`
}

const fileHeader = `# dirdeck profiles, one [profiles.<name>] table per Okta org.
# Written by "dirdeck profile add|use|remove"; hand edits are fine.
# API tokens are never stored here: see "dirdeck profile set-token".

`

// Load reads config.toml for the current environment. A missing file is
// an empty configuration, not an error.
func Load() (*Config, error) {
	p, err := CurrentPaths()
	if err != nil {
		return nil, err
	}
	return loadFile(p.ConfigFile)
}

func loadFile(path string) (*Config, error) {
	c := &Config{Profiles: map[string]Profile{}, path: path}
	data, err := readRegular(path, maxConfigFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var ff fileFormat
	md, err := toml.Decode(string(data), &ff)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		lines := keyLines(data)
		msgs := make([]string, 0, len(und))
		reported := map[string]bool{}
		for _, k := range und {
			// An unknown table's own keys are unknown too; name the table only.
			if len(k) > 1 && reported[k[:len(k)-1].String()] {
				reported[k.String()] = true
				continue
			}
			reported[k.String()] = true
			where := ""
			if n, ok := lines[k.String()]; ok {
				where = fmt.Sprintf(" on line %d", n)
			}
			msgs = append(msgs, fmt.Sprintf("unknown key %q%s", k.String(), where))
		}
		return nil, fmt.Errorf("%s: %s (known keys: active, and in [profiles.<name>]: %s)",
			path, strings.Join(msgs, "; "), strings.Join(profileKeys, ", "))
	}
	c.Active = ff.Active
	for name, prof := range ff.Profiles {
		if err := ValidateProfileName(name); err != nil {
			return nil, fmt.Errorf("%s: [profiles.%s]: %w", path, name, err)
		}
		// A key the table leaves out takes DefaultProfile's value.
		set, def := reflect.ValueOf(&prof).Elem(), reflect.ValueOf(DefaultProfile())
		for i, key := range profileKeys {
			if !md.IsDefined("profiles", name, key) {
				set.Field(i).Set(def.Field(i))
			}
		}
		if err := prof.Validate(); err != nil {
			return nil, fmt.Errorf("%s: [profiles.%s] %w", path, name, err)
		}
		c.Profiles[name] = prof
	}
	if c.Active != "" {
		if _, ok := c.Profiles[c.Active]; !ok {
			return nil, fmt.Errorf("%s: active = %q names no profile (%s)", path, c.Active, c.knownNames())
		}
	}
	return c, nil
}

// profileKeys are the keys of a [profiles.<name>] table (Profile's toml
// tags), in Profile's field order.
var profileKeys = func() []string {
	t := reflect.TypeFor[Profile]()
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i], _, _ = strings.Cut(t.Field(i).Tag.Get("toml"), ",")
	}
	return keys
}()

// Path is the file the configuration was loaded from and is saved to.
func (c *Config) Path() string { return c.path }

// Save writes the configuration back to its file (0600, atomically).
func (c *Config) Save() error {
	if c.path == "" {
		return errors.New("save config: configuration was not loaded from a file")
	}
	for name, p := range c.Profiles {
		if err := ValidateProfileName(name); err != nil {
			return fmt.Errorf("save config: %w", err)
		}
		if err := p.Validate(); err != nil {
			return fmt.Errorf("save config: profile %q: %w", name, err)
		}
	}
	var buf bytes.Buffer
	buf.WriteString(fileHeader)
	enc := toml.NewEncoder(&buf)
	enc.Indent = ""
	if err := enc.Encode(fileFormat{Active: c.Active, Profiles: c.Profiles}); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	return writePrivateFile(c.path, buf.Bytes())
}

// Names returns the profile names in order.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Profiles))
	for n := range c.Profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Profile returns the named profile or an ErrUnknownProfile error.
func (c *Config) Profile(name string) (Profile, error) {
	p, ok := c.Profiles[name]
	if !ok {
		return Profile{}, c.unknown(name)
	}
	return p, nil
}

// Add validates p (normalising its org URL) and adds it as name.
func (c *Config) Add(name string, p Profile) error {
	if err := ValidateProfileName(name); err != nil {
		return err
	}
	if _, ok := c.Profiles[name]; ok {
		return fmt.Errorf("%w: %q (remove it first, or choose another name)", ErrProfileExists, name)
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("profile %q: %w", name, err)
	}
	if c.Profiles == nil {
		c.Profiles = map[string]Profile{}
	}
	c.Profiles[name] = p
	return nil
}

// Use makes name the active profile.
func (c *Config) Use(name string) error {
	if _, ok := c.Profiles[name]; !ok {
		return c.unknown(name)
	}
	c.Active = name
	return nil
}

// Remove deletes a profile; removing the active profile leaves none active.
// The profile's token and cache are not touched: see DeleteToken.
func (c *Config) Remove(name string) error {
	if _, ok := c.Profiles[name]; !ok {
		return c.unknown(name)
	}
	delete(c.Profiles, name)
	if c.Active == name {
		c.Active = ""
	}
	return nil
}

func (c *Config) unknown(name string) error {
	return fmt.Errorf("%w %q (%s)", ErrUnknownProfile, name, c.knownNames())
}

func (c *Config) knownNames() string {
	if len(c.Profiles) == 0 {
		return `no profiles yet: add one with "dirdeck profile add NAME --org-url URL"`
	}
	return "profiles: " + strings.Join(c.Names(), ", ")
}

// keyLines maps each key of a TOML document (as toml.Key.String() spells
// it) to the line where it first appears. The toml package knows these
// positions but does not export them; this scanner understands table
// headers, dotted and quoted keys and skips multi-line strings, which covers
// what a config file holds.
func keyLines(doc []byte) map[string]int {
	out := map[string]int{}
	var table []string
	inMulti := ""
	for i, line := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(line)
		if inMulti != "" {
			if strings.Count(t, inMulti)%2 == 1 {
				inMulti = ""
			}
			continue
		}
		if t == "" || t[0] == '#' {
			continue
		}
		if t[0] == '[' {
			inner := strings.TrimLeft(t, "[")
			if end := strings.Index(inner, "]"); end >= 0 {
				inner = inner[:end]
			}
			table = splitKey(inner)
			for n := 1; n <= len(table); n++ {
				record(out, table[:n], i+1)
			}
			continue
		}
		eq := indexOutsideQuotes(t, '=')
		if eq < 0 {
			continue
		}
		parts := splitKey(t[:eq])
		full := append(append([]string(nil), table...), parts...)
		for n := len(table) + 1; n <= len(full); n++ {
			record(out, full[:n], i+1)
		}
		for _, delim := range []string{`"""`, `'''`} {
			if strings.Count(t[eq+1:], delim)%2 == 1 {
				inMulti = delim
			}
		}
	}
	return out
}

func record(m map[string]int, key []string, line int) {
	k := toml.Key(key).String()
	if _, ok := m[k]; !ok {
		m[k] = line
	}
}

// splitKey splits a (possibly dotted, possibly quoted) TOML key.
func splitKey(s string) []string {
	var parts []string
	for {
		dot := indexOutsideQuotes(s, '.')
		part := s
		if dot >= 0 {
			part = s[:dot]
		}
		parts = append(parts, unquoteKey(strings.TrimSpace(part)))
		if dot < 0 {
			return parts
		}
		s = s[dot+1:]
	}
}

func unquoteKey(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
	}
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return s[1 : len(s)-1]
	}
	return s
}

// indexOutsideQuotes finds the first c not inside a "..." or '...' string.
func indexOutsideQuotes(s string, c byte) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		switch {
		case quote != 0:
			if s[i] == '\\' && quote == '"' {
				i++
			} else if s[i] == quote {
				quote = 0
			}
		case s[i] == '"' || s[i] == '\'':
			quote = s[i]
		case s[i] == c:
			return i
		}
	}
	return -1
}
