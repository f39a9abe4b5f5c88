package orgurl

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
)

// LookalikeWarning says what is suspicious about orgURL's host name, or
// "" when nothing is. Okta org host names are ASCII (subdomains of
// okta.com, oktapreview.com… and custom domains chosen by the customer),
// so any other letter deserves a look: "аcme.okta.com" with a Cyrillic а
// reads as acme.okta.com but is another host, where a token would be sent.
// The warning names the scripts mixed and shows the punycode, the host
// name DNS and TLS actually use.
func LookalikeWarning(orgURL string) string {
	u, err := url.Parse(orgURL)
	if err != nil {
		return ""
	}
	host := u.Hostname()
	ascii := true
	var scripts []string
	for _, r := range host {
		if r < 0x80 {
			if unicode.IsLetter(r) && !slices.Contains(scripts, "Latin") {
				scripts = append(scripts, "Latin")
			}
			continue
		}
		ascii = false
		if s := scriptOf(r); s != "" && !slices.Contains(scripts, s) {
			scripts = append(scripts, s)
		}
	}
	if ascii {
		return ""
	}
	puny, err := idna.Lookup.ToASCII(host)
	if err != nil {
		puny = "not a valid international domain name: " + err.Error()
	}
	what := "has letters outside ASCII"
	if len(scripts) > 1 {
		what = "mixes " + strings.Join(scripts, " and ") + " letters"
	}
	return fmt.Sprintf("the org URL's host %s %s: it is %s in DNS, which only looks like an ASCII name. Okta org hosts are ASCII: check this is your org before a token is sent to it",
		host, what, puny)
}

// scriptOf names the script of a letter for LookalikeWarning: the scripts
// whose letters pass for Latin ones, or "other".
func scriptOf(r rune) string {
	for _, s := range []struct {
		name  string
		table *unicode.RangeTable
	}{{"Latin", unicode.Latin}, {"Cyrillic", unicode.Cyrillic}, {"Greek", unicode.Greek}, {"Armenian", unicode.Armenian}, {"Cherokee", unicode.Cherokee}} {
		if unicode.Is(s.table, r) {
			return s.name
		}
	}
	if unicode.IsLetter(r) {
		return "other"
	}
	return ""
}
