package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/internal/keyringtest"
	"github.com/zalando/go-keyring"
)

const profTestToken = "00aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcd"

// profHome gives the CLI a fresh DIRDECK_HOME and clears DIRDECK_* settings
// from the developer's shell.
func profHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("DIRDECK_HOME", home)
	for _, v := range []string{"DIRDECK_PROFILE", "DIRDECK_ORG_URL", "DIRDECK_API_TOKEN", "DIRDECK_CLIENT_ID",
		"DIRDECK_PRIVATE_KEY_FILE", "DIRDECK_SCOPES", "DIRDECK_KEY_ID", "DIRDECK_ALLOW_WRITES"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	return home
}

// profMockKeyring swaps in go-keyring's in-memory provider. A bus address must
// be set so that config does not conclude there is no keyring before asking
// the provider; the mock never dials it.
func profMockKeyring(t *testing.T) {
	t.Helper()
	keyring.MockInit()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "unused"))
}

type profResult struct {
	stdout, stderr string
	code           int
	err            error
}

// profRun runs dirdeck in-process with args and stdin.
func profRun(t *testing.T, stdin string, args ...string) profResult {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader(stdin))
	err := root.Execute()
	return profResult{stdout: out.String(), stderr: errb.String(), code: exitCode(err), err: err}
}

func (r profResult) errText() string {
	if r.err == nil {
		return ""
	}
	return r.err.Error()
}

func profWriteP256Key(t *testing.T, path string, perm os.FileMode) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func profFileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

type profListJSON struct {
	Active   string             `json:"active"`
	Profiles []profileListEntry `json:"profiles"`
}

func profList(t *testing.T) profListJSON {
	t.Helper()
	r := profRun(t, "", "profile", "list", "--json")
	if r.code != 0 {
		t.Fatalf("profile list --json: exit %d: %v", r.code, r.err)
	}
	var l profListJSON
	if err := json.Unmarshal([]byte(r.stdout), &l); err != nil {
		t.Fatalf("profile list --json is not JSON: %v\n%s", err, r.stdout)
	}
	return l
}

func TestProfileLifecycle(t *testing.T) {
	home := profHome(t)
	profMockKeyring(t)

	if l := profList(t); l.Active != "" || len(l.Profiles) != 0 {
		t.Fatalf("empty list = %+v", l)
	}
	if r := profRun(t, "", "profile", "list"); r.code != 0 || !strings.Contains(r.stdout, "No profiles") {
		t.Fatalf("empty human list: %+v", r)
	}

	r := profRun(t, "", "profile", "add", "work", "--org-url", "https://acme.okta.com/api/v1/")
	if r.code != 0 || !strings.Contains(r.stdout, "Added profile work: https://acme.okta.com, auth ssws, writes off") ||
		!strings.Contains(r.stdout, "work is the active profile") || !strings.Contains(r.stdout, "dirdeck profile set-token work") {
		t.Fatalf("add work: %+v", r)
	}
	cfgFile := filepath.Join(home, "config.toml")
	if m := profFileMode(t, cfgFile); m != 0o600 {
		t.Fatalf("config.toml mode %o, want 600", m)
	}
	if m := profFileMode(t, home); m != 0o700 {
		t.Fatalf("DIRDECK_HOME mode %o, want 700", m)
	}

	keyFile := filepath.Join(t.TempDir(), "svc.pem")
	profWriteP256Key(t, keyFile, 0o600)
	r = profRun(t, "", "profile", "add", "sim", "--org-url", "http://127.0.0.1:8707", "--client-id", "0oa1",
		"--private-key-file", keyFile, "--key-id", "kid-1", "--scopes", "okta.users.read,okta.groups.read", "--allow-writes", "--use")
	if r.code != 0 || !strings.Contains(r.stdout, "auth oauth, writes on") || !strings.Contains(r.stdout, "sim is the active profile") ||
		strings.Contains(r.stdout, "set-token") {
		t.Fatalf("add sim: %+v", r)
	}
	if r := profRun(t, "", "profile", "add", "work", "--org-url", "https://other.okta.com"); r.code != exitFailed ||
		!errors.Is(r.err, config.ErrProfileExists) {
		t.Fatalf("duplicate add: exit %d, %v", r.code, r.err)
	}

	// set-token from a pipe, for the SSWS profile.
	r = profRun(t, profTestToken+"\n", "profile", "set-token", "work")
	if r.code != 0 || !strings.Contains(r.stdout, "Stored the API token for profile work") || strings.Contains(r.stdout+r.stderr, profTestToken) {
		t.Fatalf("set-token: %+v", r)
	}
	if got, err := config.Token("work"); err != nil || got != profTestToken {
		t.Fatalf("keyring holds the token: %v, %v", got == profTestToken, err)
	}
	data, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), profTestToken) || strings.Contains(string(data), "token =") {
		t.Fatalf("config.toml mentions the token:\n%s", data)
	}
	for _, want := range []string{`active = "sim"`, "[profiles.work]", `org_url = "https://acme.okta.com"`, "[profiles.sim]",
		`auth = "oauth"`, `private_key_file = "` + keyFile + `"`, "allow_writes = true"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("config.toml lacks %s:\n%s", want, data)
		}
	}

	l := profList(t)
	want := profListJSON{Active: "sim", Profiles: []profileListEntry{
		{Name: "sim", OrgURL: "http://127.0.0.1:8707", Auth: "oauth", Active: true, AllowWrites: true, Token: profileTokenOAuth},
		{Name: "work", OrgURL: "https://acme.okta.com", Auth: "ssws", Token: profileTokenStored},
	}}
	if got, _ := json.Marshal(l); string(got) != profMustJSON(t, want) {
		t.Fatalf("list --json = %s\nwant %s", got, profMustJSON(t, want))
	}
	r = profRun(t, "", "profile", "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[1], "*") || !strings.Contains(lines[1], "sim") ||
		!strings.Contains(lines[2], "work") || !strings.Contains(lines[2], "stored") {
		t.Fatalf("human list:\n%s", r.stdout)
	}

	t.Setenv("DIRDECK_ORG_URL", "https://other.okta.com")
	if r := profRun(t, "", "profile", "list"); r.code != 0 || !strings.Contains(r.stderr, "DIRDECK_ORG_URL is set") {
		t.Fatalf("list with DIRDECK_ORG_URL set does not say it wins: %+v", r)
	}
	os.Unsetenv("DIRDECK_ORG_URL")

	if r := profRun(t, "", "profile", "use", "work"); r.code != 0 || !strings.Contains(r.stdout, "Active profile: work (https://acme.okta.com)") {
		t.Fatalf("use: %+v", r)
	}
	if r := profRun(t, "", "profile", "use", "nope"); r.code != exitFailed || !strings.Contains(r.errText(), `unknown profile "nope" (profiles: sim, work)`) {
		t.Fatalf("use unknown: exit %d, %v", r.code, r.err)
	}
	if res, err := config.Resolve(""); err != nil || res.Name != "work" || res.Token != profTestToken {
		t.Fatalf("Resolve after use: %+v, %v", res.Name, err)
	}

	// remove deletes the keyring entry and says so; the cache is kept.
	if err := os.WriteFile(filepath.Join(home, "data", "work.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r = profRun(t, "", "profile", "remove", "work")
	if r.code != 0 || !strings.Contains(r.stdout, "Removed profile work (https://acme.okta.com)") ||
		!strings.Contains(r.stdout, "It was the active profile") || !strings.Contains(r.stdout, "Deleted its API token") ||
		!strings.Contains(r.stdout, "Kept its cache") {
		t.Fatalf("remove: %+v", r)
	}
	if _, err := config.Token("work"); !errors.Is(err, config.ErrNoToken) {
		t.Fatalf("token still in keyring after remove: %v", err)
	}
	if r := profRun(t, "", "profile", "remove", "work"); r.code != exitFailed || !errors.Is(r.err, config.ErrUnknownProfile) {
		t.Fatalf("remove again: exit %d, %v", r.code, r.err)
	}
	if l := profList(t); l.Active != "" || len(l.Profiles) != 1 || l.Profiles[0].Name != "sim" {
		t.Fatalf("after remove: %+v", l)
	}
}

func profMustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestProfileAddRejects(t *testing.T) {
	looseKey := filepath.Join(t.TempDir(), "loose.pem")
	profWriteP256Key(t, looseKey, 0o644)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		errHas   string
	}{
		{"missing org url", []string{"work"}, exitUsage, "org-url"},
		{"no name", []string{"--org-url", "https://acme.okta.com"}, exitUsage, "profile add: missing profile name"},
		{"bad name", []string{"Work", "--org-url", "https://acme.okta.com"}, exitUsage, "invalid profile name"},
		{"reserved name", []string{"env-ci", "--org-url", "https://acme.okta.com"}, exitUsage, "reserved"},
		{"http non-loopback", []string{"work", "--org-url", "http://acme.okta.com"}, exitUsage, "--org-url: "},
		{"admin url", []string{"work", "--org-url", "https://acme-admin.okta.com"}, exitUsage, "https://acme.okta.com"},
		{"url with path", []string{"work", "--org-url", "https://acme.okta.com/app/UserHome"}, exitUsage, "without a path"},
		{"token flag does not exist", []string{"work", "--org-url", "https://acme.okta.com", "--token", profTestToken}, exitUsage, "unknown flag"},
		{"bad auth", []string{"work", "--org-url", "https://acme.okta.com", "--auth", "basic"}, exitUsage, "--auth:"},
		{"oauth without key", []string{"work", "--org-url", "https://acme.okta.com", "--auth", "oauth", "--client-id", "0oa1"}, exitUsage, "--private-key-file: required"},
		{"ssws with scopes", []string{"work", "--org-url", "https://acme.okta.com", "--scopes", "okta.users.read"}, exitUsage, "--scopes: only used with"},
		{"bad scope", []string{"work", "--org-url", "https://acme.okta.com", "--client-id", "0oa1", "--private-key-file", looseKey, "--scopes", "admin"}, exitUsage, "--scopes:"},
		{"loose key file", []string{"work", "--org-url", "https://acme.okta.com", "--client-id", "0oa1", "--private-key-file", looseKey}, exitFailed, "chmod 600"},
		{"missing key file", []string{"work", "--org-url", "https://acme.okta.com", "--client-id", "0oa1", "--private-key-file", looseKey + ".nope"}, exitFailed, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := profHome(t)
			r := profRun(t, "", append([]string{"profile", "add"}, tt.args...)...)
			if r.code != tt.wantCode || !strings.Contains(r.errText(), tt.errHas) {
				t.Fatalf("exit %d, err %q; want exit %d and an error containing %q", r.code, r.errText(), tt.wantCode, tt.errHas)
			}
			if strings.Contains(r.errText(), profTestToken) {
				t.Fatal("error echoes the token")
			}
			if _, err := os.Stat(filepath.Join(home, "config.toml")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused add wrote config.toml (%v)", err)
			}
		})
	}
}

func TestProfileSetTokenRejects(t *testing.T) {
	home := profHome(t)
	profMockKeyring(t)
	if r := profRun(t, profTestToken, "profile", "set-token"); r.code != exitUsage || !strings.Contains(r.errText(), "no active profile") {
		t.Fatalf("set-token without profiles: exit %d, %v", r.code, r.err)
	}
	keyFile := filepath.Join(home, "k.pem")
	profWriteP256Key(t, keyFile, 0o600)
	for _, args := range [][]string{
		{"profile", "add", "work", "--org-url", "https://acme.okta.com"},
		{"profile", "add", "svc", "--org-url", "https://acme.okta.com", "--client-id", "0oa1", "--private-key-file", keyFile, "--no-check"},
	} {
		if r := profRun(t, "", args...); r.code != 0 {
			t.Fatalf("%v: %v", args, r.err)
		}
	}
	tests := []struct {
		name, stdin string
		args        []string
		wantCode    int
		errHas      string
	}{
		{"empty stdin", "", nil, exitFailed, "empty"},
		{"not a token", "Bearer abcdefghijkl\n", []string{"work"}, exitFailed, "spaces"},
		{"two lines", profTestToken + "\n" + profTestToken + "\n", []string{"work"}, exitFailed, "spaces"},
		{"huge input", strings.Repeat("0", 5000), []string{"work"}, exitFailed, "more than 4096 bytes"},
		{"oauth profile", profTestToken, []string{"svc"}, exitFailed, "not an API token"},
		{"unknown profile", profTestToken, []string{"nope"}, exitFailed, "unknown profile"},
		{"two args", profTestToken, []string{"work", "svc"}, exitUsage, "accepts at most 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := profRun(t, tt.stdin, append([]string{"profile", "set-token"}, tt.args...)...)
			if r.code != tt.wantCode || !strings.Contains(r.errText(), tt.errHas) {
				t.Fatalf("exit %d, err %q; want exit %d and an error containing %q", r.code, r.errText(), tt.wantCode, tt.errHas)
			}
			if strings.Contains(r.errText(), "abcdefghijkl") || strings.Contains(r.errText(), profTestToken) {
				t.Fatalf("error echoes the input: %v", r.err)
			}
			if _, err := config.Token("work"); !errors.Is(err, config.ErrNoToken) {
				t.Fatalf("a refused set-token stored something: %v", err)
			}
		})
	}
	// The active profile is the default.
	if r := profRun(t, " "+profTestToken+" \n", "profile", "set-token"); r.code != 0 || !strings.Contains(r.stdout, "profile work") {
		t.Fatalf("set-token for the active profile: %+v", r)
	}
}

func TestProfileHelpHasExamples(t *testing.T) {
	profHome(t)
	for _, sub := range []string{"add", "list", "use", "remove", "set-token"} {
		r := profRun(t, "", "profile", sub, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "dirdeck profile "+sub) {
			t.Errorf("profile %s --help lacks examples:\n%s", sub, r.stdout)
		}
	}
}

// TestProfileNoKeyring runs the commands against this machine's real
// keyring code — no mock — in a child process (keyring.MockInit in this
// process cannot be undone), with a session bus address that leads nowhere,
// as on headless Linux and CI.
func TestProfileNoKeyring(t *testing.T) { keyringtest.RunChild(t, "TestProfileNoKeyringChild") }

func TestProfileNoKeyringChild(t *testing.T) {
	if !keyringtest.InChild() {
		t.Skip("run by TestProfileNoKeyring in a child process")
	}
	home := profHome(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	if r := profRun(t, "", "profile", "add", "work", "--org-url", "https://acme.okta.com"); r.code != 0 {
		t.Fatal(r.err)
	}
	r := profRun(t, profTestToken+"\n", "profile", "set-token", "work")
	if r.code != exitFailed || !errors.Is(r.err, config.ErrNoKeyring) || !strings.Contains(r.errText(), "DIRDECK_API_TOKEN") ||
		strings.Contains(r.errText()+r.stdout+r.stderr, profTestToken) {
		t.Fatalf("set-token without keyring: exit %d, %v", r.code, r.err)
	}
	if l := profList(t); len(l.Profiles) != 1 || l.Profiles[0].Token != profileTokenNoKeyring {
		t.Fatalf("list without keyring: %+v", l)
	}
	r = profRun(t, "", "profile", "remove", "work")
	if r.code != 0 || !strings.Contains(r.stdout, "No OS keyring on this machine") {
		t.Fatalf("remove without keyring: %+v", r)
	}
	files, _ := filepath.Glob(filepath.Join(home, "*"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if strings.Contains(string(data), profTestToken) {
			t.Fatalf("%s contains the token", f)
		}
	}
}
