package config

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeKey writes a PEM file with the given mode and returns its path.
func writeKey(t *testing.T, dir, name string, block *pem.Block, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	return path
}

func ecKey(t *testing.T, curve elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pkcs8(t *testing.T, key any) *pem.Block {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &pem.Block{Type: "PRIVATE KEY", Bytes: der}
}

func TestLoadPrivateKey(t *testing.T) {
	dir := t.TempDir()
	p256 := ecKey(t, elliptic.P256())
	sec1, err := x509.MarshalECPrivateKey(p256)
	if err != nil {
		t.Fatal(err)
	}
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	certAndKey := filepath.Join(dir, "bundle.pem")
	bundle := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not parsed")}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsa2048)})...)
	if err := os.WriteFile(certAndKey, bundle, 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, path, errHas string
		wantKey            any
	}{
		{name: "ec pkcs8", path: writeKey(t, dir, "ec8.pem", pkcs8(t, p256), 0o600), wantKey: p256},
		{name: "ec sec1", path: writeKey(t, dir, "ec1.pem", &pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}, 0o400), wantKey: p256},
		{name: "rsa pkcs1 after a certificate", path: certAndKey, wantKey: rsa2048},
		{name: "group readable", path: writeKey(t, dir, "g.pem", pkcs8(t, p256), 0o640), errHas: "chmod 600"},
		{name: "world readable", path: writeKey(t, dir, "w.pem", pkcs8(t, p256), 0o604), errHas: "accessible by group or others"},
		{name: "missing", path: filepath.Join(dir, "nope.pem"), errHas: "no such file"},
		{name: "directory", path: dir, errHas: "not a regular file"},
		{name: "not pem", path: garbage, errHas: "no PEM private key"},
		{name: "encrypted pkcs8", path: writeKey(t, dir, "enc.pem", &pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}, 0o600), errHas: "encrypted"},
		{name: "legacy encrypted", path: writeKey(t, dir, "leg.pem", &pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}}, 0o600), errHas: "encrypted"},
		{name: "p384", path: writeKey(t, dir, "p384.pem", pkcs8(t, ecKey(t, elliptic.P384())), 0o600), errHas: "P-256"},
		{name: "rsa 1024", path: writeKey(t, dir, "r1024.pem", pkcs8(t, rsa1024), 0o600), errHas: "at least 2048"},
		{name: "corrupt der", path: writeKey(t, dir, "bad.pem", &pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0x30, 1, 2}}, 0o600), errHas: "parse PRIVATE KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := LoadPrivateKey(tt.path)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("LoadPrivateKey = %v, want error containing %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			block, rest := pem.Decode(out)
			if block == nil || block.Type != "PRIVATE KEY" || len(rest) != 0 {
				t.Fatalf("output is not one PKCS#8 PEM block:\n%s", out)
			}
			key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if !key.(interface{ Equal(crypto.PrivateKey) bool }).Equal(tt.wantKey) {
				t.Fatal("round-tripped key differs from the original")
			}
		})
	}
}

func TestResolve(t *testing.T) {
	const fileWithActive = `active = "work"
[profiles.work]
org_url = "https://acme.okta.com"
[profiles.home]
org_url = "https://home.okta.com"
allow_writes = true
`
	tests := []struct {
		name      string
		file      string
		flag      string
		env       map[string]string
		tokens    map[string]string // keyring contents
		errIs     error
		errHas    string
		wantName  string
		wantURL   string
		wantSrc   string
		wantToken string
		wantTSrc  string
		wantWrite bool
	}{
		{name: "nothing configured", errIs: ErrNotConfigured},
		{name: "token without org url", env: map[string]string{"DIRDECK_API_TOKEN": testToken}, errHas: "DIRDECK_API_TOKEN is set but DIRDECK_ORG_URL is not"},
		{name: "active profile from keyring", file: fileWithActive, tokens: map[string]string{"work": testToken},
			wantName: "work", wantURL: "https://acme.okta.com", wantSrc: SourceProfile, wantToken: testToken, wantTSrc: TokenFromKeyring},
		{name: "flag beats env profile and org url", file: fileWithActive, flag: "home", tokens: map[string]string{"home": testToken},
			env:      map[string]string{"DIRDECK_PROFILE": "work", "DIRDECK_ORG_URL": "https://other.okta.com"},
			wantName: "home", wantURL: "https://home.okta.com", wantSrc: SourceProfile, wantToken: testToken, wantTSrc: TokenFromKeyring, wantWrite: true},
		{name: "DIRDECK_PROFILE beats org url", file: fileWithActive, tokens: map[string]string{"home": testToken},
			env:      map[string]string{"DIRDECK_PROFILE": "home", "DIRDECK_ORG_URL": "https://other.okta.com"},
			wantName: "home", wantURL: "https://home.okta.com", wantSrc: SourceProfile, wantToken: testToken, wantTSrc: TokenFromKeyring, wantWrite: true},
		{name: "unknown profile flag", file: fileWithActive, flag: "nope", errIs: ErrUnknownProfile, errHas: "--profile: unknown profile \"nope\" (profiles: home, work)"},
		{name: "unknown DIRDECK_PROFILE", file: fileWithActive, env: map[string]string{"DIRDECK_PROFILE": "nope"}, errIs: ErrUnknownProfile, errHas: "DIRDECK_PROFILE"},
		{name: "env beats active", file: fileWithActive, tokens: map[string]string{"work": "00keyringtoken0000"},
			env:      map[string]string{"DIRDECK_ORG_URL": "https://acme.okta.com/", "DIRDECK_API_TOKEN": testToken},
			wantName: "env-acme-okta-com", wantURL: "https://acme.okta.com", wantSrc: SourceEnv, wantToken: testToken, wantTSrc: TokenFromEnv},
		{name: "env only, writes on", env: map[string]string{"DIRDECK_ORG_URL": "http://127.0.0.1:8707", "DIRDECK_API_TOKEN": testToken, "DIRDECK_ALLOW_WRITES": "1"},
			wantName: "env-127-0-0-1-8707", wantURL: "http://127.0.0.1:8707", wantSrc: SourceEnv, wantToken: testToken, wantTSrc: TokenFromEnv, wantWrite: true},
		{name: "env allow writes does not apply to profiles", file: fileWithActive, tokens: map[string]string{"work": testToken},
			env:      map[string]string{"DIRDECK_ALLOW_WRITES": "1"},
			wantName: "work", wantURL: "https://acme.okta.com", wantSrc: SourceProfile, wantToken: testToken, wantTSrc: TokenFromKeyring},
		{name: "env says no to a profile that writes", file: fileWithActive, flag: "home", tokens: map[string]string{"home": testToken},
			env:      map[string]string{"DIRDECK_ALLOW_WRITES": "0"},
			wantName: "home", wantURL: "https://home.okta.com", wantSrc: SourceProfile, wantToken: testToken, wantTSrc: TokenFromKeyring},
		{name: "env says false to a profile that writes", file: fileWithActive, flag: "home", tokens: map[string]string{"home": testToken},
			env:      map[string]string{"DIRDECK_ALLOW_WRITES": "false"},
			wantName: "home", wantURL: "https://home.okta.com", wantSrc: SourceProfile, wantToken: testToken, wantTSrc: TokenFromKeyring},
		{name: "profile bad allow writes in env", file: fileWithActive, tokens: map[string]string{"work": testToken},
			env: map[string]string{"DIRDECK_ALLOW_WRITES": "nah"}, errHas: "DIRDECK_ALLOW_WRITES"},
		{name: "profile token falls back to env", file: fileWithActive, env: map[string]string{"DIRDECK_API_TOKEN": testToken},
			wantName: "work", wantURL: "https://acme.okta.com", wantSrc: SourceProfile, wantToken: testToken, wantTSrc: TokenFromEnv},
		{name: "profile without token", file: fileWithActive, errIs: ErrNoToken, errHas: "dirdeck profile set-token work"},
		{name: "bad env token", env: map[string]string{"DIRDECK_ORG_URL": "https://acme.okta.com", "DIRDECK_API_TOKEN": "Bearer xyz"}, errHas: "DIRDECK_API_TOKEN:"},
		{name: "env http non-loopback", env: map[string]string{"DIRDECK_ORG_URL": "http://acme.okta.com", "DIRDECK_API_TOKEN": testToken}, errHas: "DIRDECK_ORG_URL: "},
		{name: "env no credential", env: map[string]string{"DIRDECK_ORG_URL": "https://acme.okta.com"}, errHas: "no credential"},
		{name: "env both credentials", env: map[string]string{"DIRDECK_ORG_URL": "https://acme.okta.com", "DIRDECK_API_TOKEN": testToken, "DIRDECK_CLIENT_ID": "0oa1"}, errHas: "not both"},
		{name: "env client id without key", env: map[string]string{"DIRDECK_ORG_URL": "https://acme.okta.com", "DIRDECK_CLIENT_ID": "0oa1"}, errHas: "must be set together"},
		{name: "env scopes with token", env: map[string]string{"DIRDECK_ORG_URL": "https://acme.okta.com", "DIRDECK_API_TOKEN": testToken, "DIRDECK_SCOPES": "okta.users.read"}, errHas: "DIRDECK_SCOPES is only used with DIRDECK_CLIENT_ID"},
		{name: "env bad allow writes", env: map[string]string{"DIRDECK_ORG_URL": "https://acme.okta.com", "DIRDECK_API_TOKEN": testToken, "DIRDECK_ALLOW_WRITES": "maybe"}, errHas: "DIRDECK_ALLOW_WRITES"},
		{name: "no active profile", file: "[profiles.work]\norg_url = \"https://acme.okta.com\"\n", errHas: "dirdeck profile use NAME"},
		{name: "broken file", file: "bogus = 1\n", errHas: `unknown key "bogus" on line 1`},
		{name: "broken file ignored with env config", file: "bogus = 1\n", env: map[string]string{"DIRDECK_ORG_URL": "https://acme.okta.com", "DIRDECK_API_TOKEN": testToken},
			wantName: "env-acme-okta-com", wantURL: "https://acme.okta.com", wantSrc: SourceEnv, wantToken: testToken, wantTSrc: TokenFromEnv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := isolate(t)
			useMockKeyring(t)
			if tt.file != "" {
				writeConfig(t, home, tt.file)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			for p, tok := range tt.tokens {
				if err := SetToken(p, tok); err != nil {
					t.Fatal(err)
				}
			}
			r, err := Resolve(tt.flag)
			if tt.errIs != nil || tt.errHas != "" {
				if err == nil {
					t.Fatalf("Resolve succeeded with %+v, want an error", r)
				}
				if tt.errIs != nil && !errors.Is(err, tt.errIs) {
					t.Fatalf("Resolve = %v, want errors.Is %v", err, tt.errIs)
				}
				if !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("Resolve = %v, want it to contain %q", err, tt.errHas)
				}
				if strings.Contains(err.Error(), "xyz") || strings.Contains(err.Error(), testToken) {
					t.Fatalf("error echoes a token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Name != tt.wantName || r.Profile.OrgURL != tt.wantURL || r.Source != tt.wantSrc ||
				r.Token != tt.wantToken || r.TokenSource != tt.wantTSrc || r.Profile.AllowWrites != tt.wantWrite {
				t.Fatalf("Resolve = name %q url %q source %q token? %v tsrc %q writes %v",
					r.Name, r.Profile.OrgURL, r.Source, r.Token == tt.wantToken, r.TokenSource, r.Profile.AllowWrites)
			}
			data := filepath.Join(home, "data")
			if r.CachePath != filepath.Join(data, r.Name+".db") || r.LogPath != filepath.Join(data, r.Name+".log") {
				t.Fatalf("paths = %q, %q", r.CachePath, r.LogPath)
			}
			if m := mode(t, data); m != 0o700 {
				t.Fatalf("data dir mode %o, want 700", m)
			}
		})
	}
}

func TestResolveSigningOverrides(t *testing.T) {
	const file = `active = "work"
[profiles.work]
org_url = "https://acme.okta.com"
signing_key = "/keys/profile_ed25519"
allowed_signers = "/team/allowed_signers"
approver_roles = ["SUPER_ADMIN", "cr0groupwriter"]
`
	tests := []struct {
		name               string
		env                map[string]string
		wantKey, wantTrust string
	}{
		{name: "profile", wantKey: "/keys/profile_ed25519", wantTrust: "/team/allowed_signers"},
		{name: "environment wins", env: map[string]string{"DIRDECK_SIGNING_KEY": "/env/id_ed25519", "DIRDECK_ALLOWED_SIGNERS": "/env/allowed"},
			wantKey: "/env/id_ed25519", wantTrust: "/env/allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := isolate(t)
			useMockKeyring(t)
			writeConfig(t, home, file)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			r, err := Locate("")
			if err != nil {
				t.Fatal(err)
			}
			if r.Profile.SigningKey != tt.wantKey || r.Profile.AllowedSigners != tt.wantTrust || len(r.Profile.ApproverRoles) != 2 {
				t.Fatalf("signing_key %q allowed_signers %q approver_roles %v", r.Profile.SigningKey, r.Profile.AllowedSigners, r.Profile.ApproverRoles)
			}
		})
	}
}

func TestResolveOAuth(t *testing.T) {
	home := isolate(t)
	useMockKeyring(t)
	key := writeKey(t, home, "svc.pem", pkcs8(t, ecKey(t, elliptic.P256())), 0o600)
	loose := writeKey(t, home, "loose.pem", pkcs8(t, ecKey(t, elliptic.P256())), 0o644)
	writeConfig(t, home, `active = "svc"
[profiles.svc]
org_url = "https://acme.okta.com"
auth = "oauth"
client_id = "0oa123"
private_key_file = "`+key+`"
key_id = "kid-1"
[profiles.loose]
org_url = "https://acme.okta.com"
auth = "oauth"
client_id = "0oa123"
private_key_file = "`+loose+`"
`)
	r, err := Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if r.Profile.Auth != AuthOAuth || r.Token != "" || !strings.HasPrefix(string(r.PrivateKeyPEM), "-----BEGIN PRIVATE KEY-----") ||
		r.Profile.KeyID != "kid-1" || strings.Join(r.Profile.EffectiveScopes(), " ") != strings.Join(DefaultOAuthScopes, " ") {
		t.Fatalf("Resolve oauth = %+v", r)
	}
	if _, err := Resolve("loose"); err == nil || !strings.Contains(err.Error(), `profile "loose"`) || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("Resolve with a 0644 key = %v", err)
	}

	// Locate needs no credential: cache-only commands work without a key.
	l, err := Locate("loose")
	if err != nil || l.Name != "loose" || l.PrivateKeyPEM != nil || l.CachePath == "" {
		t.Fatalf("Locate = %+v, %v", l, err)
	}

	t.Setenv("DIRDECK_ORG_URL", "http://localhost:8707")
	t.Setenv("DIRDECK_CLIENT_ID", "0oaENV")
	t.Setenv("DIRDECK_PRIVATE_KEY_FILE", key)
	t.Setenv("DIRDECK_SCOPES", "okta.users.read okta.groups.read")
	t.Setenv("DIRDECK_KEY_ID", "kid-env")
	r, err = Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != SourceEnv || r.Name != "env-localhost-8707" || r.Profile.ClientID != "0oaENV" || r.Profile.KeyID != "kid-env" ||
		strings.Join(r.Profile.EffectiveScopes(), ",") != "okta.users.read,okta.groups.read" || len(r.PrivateKeyPEM) == 0 || r.Profile.AllowWrites {
		t.Fatalf("Resolve env oauth = %+v", r)
	}
	t.Setenv("DIRDECK_SCOPES", "okta.users.read,groups")
	if _, err := Resolve(""); err == nil || !strings.Contains(err.Error(), "DIRDECK_SCOPES") {
		t.Fatalf("Resolve with a bad scope = %v", err)
	}
}
