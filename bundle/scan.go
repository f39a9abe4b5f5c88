package bundle

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Finding is one thing the redaction scanner refused: where it is and
// what kind of value it looks like. It never holds the value itself.
type Finding struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Kind string `json:"kind"` // api-token, bearer-token, email, phone, personal-value, secret
}

func (f Finding) String() string { return fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Kind) }

// ScanError is the scanner's refusal: the export is aborted and no bundle
// file is left behind.
type ScanError struct {
	Findings []Finding // the first findings, at most maxFindings
	Total    int
}

const maxFindings = 20

func (e *ScanError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "redaction check failed: %d finding(s), nothing written", e.Total)
	for _, f := range e.Findings {
		b.WriteString("; " + f.String())
	}
	return b.String()
}

// Scanner checks bundle files for values that must never leave the
// customer: API tokens (SSWS "00" + 40 characters, anywhere in the
// bytes), and in JSON string values Bearer/SSWS credentials, email
// addresses (other than @redacted.invalid), phone numbers in international
// (+44 20 …) or (555) 555-0100 form (other than the all-zero shapes
// pseudonymised numbers keep), and any personal value of the cache
// (logins, emails, names, phones), as a whole string or as one of its
// words. Bundle files are JSON, so string values hold all their text.
type Scanner struct {
	orig    originals
	secrets []string
}

// NewScanner returns a scanner that also refuses the exact secrets given
// (the profile's token, say) and the personal values in personal.
func NewScanner(personal []string, secrets ...string) *Scanner {
	o := originals{}
	o.add(personal...)
	s := &Scanner{orig: o}
	for _, x := range secrets {
		if x = strings.TrimSpace(x); x != "" {
			s.secrets = append(s.secrets, x)
		}
	}
	return s
}

func newScannerFor(o originals, secrets []string) *Scanner {
	s := NewScanner(nil, secrets...)
	s.orig = o
	return s
}

var (
	bearerRE = regexp.MustCompile(`(?i)\b(?:bearer|ssws)\s+[A-Za-z0-9\-._~+/]{16,}=*`)
	phoneRE  = regexp.MustCompile(`\+\d{1,3}[ \-.]?(?:\(\d{1,4}\)[ \-.]?)?\d{1,4}(?:[ \-.]?\d{2,5}){1,4}|\(\d{3}\)\s?\d{3}[\-. ]\d{4}`)
)

// isTokenChar is the alphabet of Okta API tokens.
func isTokenChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || c == '-'
}

// Scan checks one file and returns what it found.
func (s *Scanner) Scan(name string, data []byte) []Finding {
	var out []Finding
	line := 1
	lineAt := 0 // offset of the last newline counted
	lineOf := func(off int) int {
		if off < lineAt {
			line, lineAt = 1, 0
		}
		line += bytes.Count(data[lineAt:off], []byte{'\n'})
		lineAt = off
		return line
	}
	add := func(off int, kind string) { out = append(out, Finding{File: name, Line: lineOf(off), Kind: kind}) }

	for _, sec := range s.secrets {
		for i := 0; ; {
			j := bytes.Index(data[i:], []byte(sec))
			if j < 0 {
				break
			}
			add(i+j, "secret")
			i += j + len(sec)
		}
	}
	// SSWS tokens: runs of token characters exactly 42 long starting 00.
	for i := 0; i < len(data); {
		if !isTokenChar(data[i]) {
			i++
			continue
		}
		j := i
		for j < len(data) && isTokenChar(data[j]) {
			j++
		}
		if j-i == 42 && data[i] == '0' && data[i+1] == '0' {
			add(i, "api-token")
		}
		i = j
	}
	// The rest looks at string values only (every file is JSON, and
	// numbers, booleans and structure carry no text), with a cheap test
	// before each pattern: most values are ids and timestamps.
	jsonStrings(data, func(v string, off int) {
		if (strings.Contains(v, "earer") || strings.Contains(v, "EARER") || strings.Contains(v, "SSWS") || strings.Contains(v, "ssws")) &&
			bearerRE.MatchString(v) {
			add(off, "bearer-token")
		}
		if strings.IndexByte(v, '@') >= 0 {
			for _, m := range emailRE.FindAllString(v, -1) {
				if !strings.HasSuffix(m, "@"+RedactedDomain) {
					add(off, "email")
				}
			}
		}
		if strings.ContainsAny(v, "+(") {
			for _, m := range phoneRE.FindAllString(v, -1) {
				if strings.ContainsAny(m, "123456789") {
					add(off, "phone")
				}
			}
		}
		if s.orig.hit(v) {
			add(off, "personal-value")
		}
	})
	return out
}

// jsonStrings calls fn with every string literal of a JSON (or JSON
// lines) document, unescaped, and its offset. Anything that is not valid
// JSON string syntax is skipped rather than refused: the caller marshalled
// the data itself.
func jsonStrings(data []byte, fn func(v string, off int)) {
	for i := 0; i < len(data); i++ {
		if data[i] != '"' {
			continue
		}
		start := i
		escaped := false
		j := i + 1
		for ; j < len(data); j++ {
			c := data[j]
			if c == '\\' {
				escaped = true
				j++
				continue
			}
			if c == '"' {
				break
			}
		}
		if j >= len(data) {
			return
		}
		raw := data[start+1 : j]
		if escaped {
			fn(unescape(raw), start)
		} else {
			fn(string(raw), start)
		}
		i = j
	}
}

// unescape decodes JSON string escapes.
func unescape(raw []byte) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			b.WriteByte(c)
			continue
		}
		i++
		switch raw[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+4 < len(raw) {
				var r rune
				if _, err := fmt.Sscanf(string(raw[i+1:i+5]), "%04x", &r); err == nil {
					i += 4
					if r >= 0xD800 && r < 0xDC00 && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
						var lo rune
						if _, err := fmt.Sscanf(string(raw[i+3:i+7]), "%04x", &lo); err == nil {
							r = (r-0xD800)<<10 + (lo - 0xDC00) + 0x10000
							i += 6
						}
					}
					if !utf8.ValidRune(r) {
						r = utf8.RuneError
					}
					b.WriteRune(r)
					continue
				}
			}
			b.WriteByte('u')
		default:
			b.WriteByte(raw[i])
		}
	}
	return b.String()
}
