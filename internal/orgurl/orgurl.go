// Package orgurl is the one policy for what an Okta org URL may be. The
// profile loader (config), the Okta client (okta) and the CLI all check a
// URL here, so a URL one accepts is never refused or read differently by
// another: https (plain http only to loopback, where a token cannot be
// sniffed), the org's base URL without path, query, fragment or user info,
// never the Admin Console's "-admin" host, and a host that looks like what
// it is (LookalikeWarning).
package orgurl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// oktaDomains are the domains of Okta-hosted orgs, whose Admin Console lives
// at <org>-admin.<domain> (an API token sent there is refused).
var oktaDomains = []string{"okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com", "okta.mil"}

// Parse checks an Okta org URL and returns it as scheme://host[:port] with
// the scheme and host lower-cased: https is required unless the host is
// loopback, a trailing "/" or "/api/v1" (the base URL Okta's API reference
// shows) is dropped, and paths, queries, fragments and user info are
// refused because the SDK would silently ignore or mangle them. Errors do
// not repeat a user name or password the URL carries.
func Parse(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, errors.New("the org URL is empty (expected something like https://acme.okta.com)")
	}
	if !strings.Contains(s, "://") {
		return nil, fmt.Errorf("%q has no scheme: did you mean https://%s?", s, strings.TrimRight(s, "/"))
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Error repeats the whole URL, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("the org URL is not a URL: %w", err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return nil, fmt.Errorf("%s://%s: the scheme must be https", scheme, u.Host)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%s://%s has no host", scheme, u.Host)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s://%s: the org URL must not contain a user name or password", scheme, u.Host)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("%s://%s: the org URL must not have a query or fragment", scheme, u.Host)
	}
	path := strings.TrimRight(u.Path, "/")
	if strings.EqualFold(path, "/api/v1") {
		path = ""
	}
	if path != "" {
		return nil, fmt.Errorf("%q: the org URL must be the org's base URL without a path (got path %q)", s, path)
	}
	host := strings.ToLower(u.Hostname())
	for _, d := range oktaDomains {
		if label, ok := strings.CutSuffix(host, "-admin."+d); ok && label != "" && !strings.Contains(label, ".") {
			return nil, fmt.Errorf("%s is the Admin Console URL: use the org URL without \"-admin\", https://%s.%s", host, label, d)
		}
	}
	if scheme == "http" && !isLoopback(host) {
		return nil, fmt.Errorf("%q: plain http is refused: http:// is only allowed for loopback hosts (127.0.0.1, ::1, localhost), elsewhere the token would cross the network unencrypted; use https://%s", s, u.Host)
	}
	hostport := host
	if strings.Contains(host, ":") {
		hostport = "[" + host + "]"
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%q: port %s is not between 1 and 65535", s, port)
		}
		hostport = net.JoinHostPort(host, port)
	}
	return &url.URL{Scheme: scheme, Host: hostport}, nil
}

// Normalize is Parse as a string, the form profiles store.
func Normalize(raw string) (string, error) {
	u, err := Parse(raw)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// isLoopback reports whether host (lower-cased, without brackets) is
// localhost or a loopback IP (127.0.0.0/8, ::1).
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
