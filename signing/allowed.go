package signing

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// AllowedSigners is a parsed OpenSSH allowed_signers file (ssh-keygen(1),
// section ALLOWED SIGNERS): one key per line with the principals allowed
// to sign with it and options:
//
//	ana@acme.com,ana.admin@acme.com namespaces="dirdeck-plan" ssh-ed25519 AAAA... comment
//
// Principals and namespaces are pattern lists ('*' and '?' wildcards, a
// leading '!' negates). valid-after and valid-before bound the key's
// validity. cert-authority lines are kept out: dirdeck verifies plain keys
// only, so a CA line never vouches for anything.
type AllowedSigners struct {
	entries []allowed
	// Path is the file the entries came from, for messages.
	Path string
}

type allowed struct {
	principals  []string
	namespaces  []string // nil: any namespace (as OpenSSH reads a line without the option)
	validAfter  time.Time
	validBefore time.Time
	key         ssh.PublicKey
	line        int
}

// LoadAllowedSigners reads the allowed_signers file at path.
func LoadAllowedSigners(path string) (*AllowedSigners, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("allowed signers: %w", err)
	}
	defer f.Close()
	a, err := ParseAllowedSigners(f)
	if err != nil {
		return nil, fmt.Errorf("allowed signers %s: %w", path, err)
	}
	a.Path = path
	return a, nil
}

// ParseAllowedSigners parses allowed_signers lines. A malformed line is an
// error (naming the line): a trust file half understood is worse than one
// refused.
func ParseAllowedSigners(r io.Reader) (*AllowedSigners, error) {
	a := &AllowedSigners{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, skip, err := parseAllowedLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if !skip {
			e.line = n
			a.entries = append(a.entries, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return a, nil
}

// fields splits a line at blanks outside double quotes.
func fields(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	quoted, in := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			in = true
			cur.WriteRune(r)
		case (r == ' ' || r == '\t') && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quoted {
		return nil, errors.New("unterminated quote")
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}

func parseAllowedLine(line string) (e allowed, skip bool, err error) {
	fs, err := fields(line)
	if err != nil {
		return e, false, err
	}
	if len(fs) < 3 {
		return e, false, errors.New("want principals, [options,] key type and key")
	}
	e.principals = splitList(unquote(fs[0]))
	rest := fs[1:]
	// Options are present when the second field is not a key type.
	if _, kerr := parseKey(rest); kerr != nil {
		for _, opt := range splitOptions(rest[0]) {
			name, val, hasVal := strings.Cut(opt, "=")
			switch strings.ToLower(name) {
			case "cert-authority":
				skip = true
			case "namespaces":
				e.namespaces = splitList(unquote(val))
			case "valid-after", "valid-before":
				t, terr := parseSSHTime(unquote(val))
				if terr != nil || !hasVal {
					return e, false, fmt.Errorf("option %s: %q is not YYYYMMDD[HHMM[SS]][Z]", name, val)
				}
				if strings.EqualFold(name, "valid-after") {
					e.validAfter = t
				} else {
					e.validBefore = t
				}
			default:
				return e, false, fmt.Errorf("unknown option %q", name)
			}
		}
		rest = rest[1:]
	}
	e.key, err = parseKey(rest)
	if err != nil {
		return e, false, err
	}
	return e, skip, nil
}

func parseKey(fs []string) (ssh.PublicKey, error) {
	if len(fs) < 2 {
		return nil, errors.New("missing key")
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(fs[0] + " " + fs[1]))
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	return k, nil
}

// splitOptions splits comma-separated options, keeping commas inside
// quotes (namespaces="a,b").
func splitOptions(s string) []string {
	var out []string
	quoted, start := false, 0
	for i, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseSSHTime reads OpenSSH's YYYYMMDD[HHMM[SS]][Z] (local time unless Z).
func parseSSHTime(s string) (time.Time, error) {
	loc := time.Local
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		s, loc = s[:len(s)-1], time.UTC
	}
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	l, ok := layouts[len(s)]
	if !ok {
		return time.Time{}, fmt.Errorf("bad time %q", s)
	}
	return time.ParseInLocation(l, s, loc)
}

// matchPattern is OpenSSH's match_pattern: '*' any run, '?' one character.
func matchPattern(s, p string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if matchPattern(s[i:], p[1:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			s, p = s[1:], p[1:]
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
			s, p = s[1:], p[1:]
		}
	}
	return s == ""
}

// matchList is OpenSSH's match_pattern_list: true when some pattern
// matches and no negated one does.
func matchList(s string, patterns []string) bool {
	ok := false
	for _, p := range patterns {
		if neg, found := strings.CutPrefix(p, "!"); found {
			if matchPattern(s, neg) {
				return false
			}
			continue
		}
		if matchPattern(s, p) {
			ok = true
		}
	}
	return ok
}

// Trusts reports (nil) whether key may sign dirdeck statements as
// principal at time at: some line names the key, a principal pattern
// matching principal, a namespaces option matching "dirdeck-plan" (a line
// without the option allows any namespace, as in OpenSSH), and a validity
// window holding at. The error says why not, for the reviewer to fix.
func (a *AllowedSigners) Trusts(principal string, key ssh.PublicKey, at time.Time) error {
	if a == nil {
		return errors.New("no allowed_signers file is configured (DIRDECK_ALLOWED_SIGNERS or the profile's allowed_signers)")
	}
	want := key.Marshal()
	fp := ssh.FingerprintSHA256(key)
	var why string
	for _, e := range a.entries {
		if !bytes.Equal(e.key.Marshal(), want) {
			continue
		}
		switch {
		case !matchList(principal, e.principals):
			why = fmt.Sprintf("key %s is trusted for %s, not %s (%s line %d)", fp, strings.Join(e.principals, ","), principal, a.name(), e.line)
		case e.namespaces != nil && !matchList(Namespace, e.namespaces):
			why = fmt.Sprintf("key %s of %s is not trusted for namespace %s (%s line %d)", fp, principal, Namespace, a.name(), e.line)
		case !e.validAfter.IsZero() && at.Before(e.validAfter):
			why = fmt.Sprintf("key %s of %s is valid only after %s", fp, principal, e.validAfter.UTC().Format(time.RFC3339))
		case !e.validBefore.IsZero() && !at.Before(e.validBefore):
			why = fmt.Sprintf("key %s of %s expired at %s", fp, principal, e.validBefore.UTC().Format(time.RFC3339))
		default:
			return nil
		}
	}
	if why == "" {
		why = fmt.Sprintf("key %s is not in %s", fp, a.name())
	}
	return errors.New("untrusted key: " + why)
}

func (a *AllowedSigners) name() string {
	if a.Path != "" {
		return a.Path
	}
	return "allowed_signers"
}
