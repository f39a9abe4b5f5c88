package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/dirdeck/dirdeck/internal/orgurl"
)

// Where a Resolved configuration came from.
const (
	SourceProfile = "profile" // a [profiles.<name>] table in config.toml
	SourceEnv     = "env"     // DIRDECK_ORG_URL and friends
)

// Where a Resolved SSWS token came from.
const (
	TokenFromKeyring = "keyring"
	TokenFromEnv     = "env"
)

// ErrNotConfigured means there is no profile and no environment
// configuration: the TUI opens its demo org, other commands say how to
// configure dirdeck.
var ErrNotConfigured = errors.New(`dirdeck is not configured: add a profile with "dirdeck profile add NAME --org-url URL" or set DIRDECK_ORG_URL`)

// Resolved is the org dirdeck talks to now, with its credential and files.
type Resolved struct {
	// Name is the profile name, or "env-<host>" for environment-only
	// configuration; caches and token-use records are keyed by it.
	Name    string
	Profile Profile
	// Source is SourceProfile or SourceEnv.
	Source string
	// Token is the SSWS API token (auth "ssws"); empty for OAuth.
	Token string
	// TokenSource is TokenFromKeyring or TokenFromEnv when Token is set.
	TokenSource string
	// PrivateKeyPEM is the OAuth private key as a PKCS#8 "PRIVATE KEY" PEM
	// block, the form the Okta SDK accepts for both RSA and EC keys.
	PrivateKeyPEM []byte
	// CachePath is the bbolt cache file; LogPath the log file. Their
	// directory exists (0700); the files may not.
	CachePath string
	LogPath   string
}

// Locate picks the configuration like Resolve but loads no credential:
// for commands that only read the cache (status, export, history), which
// should work without a token.
func Locate(profileFlag string) (Resolved, error) {
	name, how := profileFlag, "--profile"
	if name == "" {
		name, how = os.Getenv("DIRDECK_PROFILE"), "DIRDECK_PROFILE"
	}
	var r Resolved
	switch {
	case name != "":
		cfg, err := Load()
		if err != nil {
			return Resolved{}, err
		}
		p, err := cfg.Profile(name)
		if err != nil {
			return Resolved{}, fmt.Errorf("%s: %w", how, err)
		}
		r = Resolved{Name: name, Profile: p, Source: SourceProfile}
	case os.Getenv("DIRDECK_ORG_URL") != "":
		p, err := envProfile()
		if err != nil {
			return Resolved{}, err
		}
		r = Resolved{Name: envProfileName(p.OrgURL), Profile: p, Source: SourceEnv}
	default:
		cfg, err := Load()
		if err != nil {
			return Resolved{}, err
		}
		if cfg.Active == "" {
			if len(cfg.Profiles) > 0 {
				return Resolved{}, fmt.Errorf(`no active profile: choose one with "dirdeck profile use NAME" (profiles: %s)`, strings.Join(cfg.Names(), ", "))
			}
			for _, v := range []string{"DIRDECK_API_TOKEN", "DIRDECK_CLIENT_ID", "DIRDECK_PRIVATE_KEY_FILE"} {
				if os.Getenv(v) != "" {
					return Resolved{}, fmt.Errorf("%s is set but DIRDECK_ORG_URL is not: set it to the org URL (like https://acme.okta.com)", v)
				}
			}
			return Resolved{}, ErrNotConfigured
		}
		r = Resolved{Name: cfg.Active, Profile: cfg.Profiles[cfg.Active], Source: SourceProfile}
	}
	if err := envOverrides(&r.Profile, r.Source); err != nil {
		return Resolved{}, err
	}
	dir, err := EnsureDataDir()
	if err != nil {
		return Resolved{}, err
	}
	r.CachePath = filepath.Join(dir, r.Name+".db")
	r.LogPath = filepath.Join(dir, r.Name+".log")
	return r, nil
}

// Resolve picks the configuration to use — the --profile flag, else
// DIRDECK_PROFILE, else environment-only configuration (DIRDECK_ORG_URL),
// else the active profile in config.toml — and loads its credential: the
// SSWS token from the keyring or, when the keyring has none or there is no
// keyring, from DIRDECK_API_TOKEN; or the OAuth private key file. It
// returns ErrNotConfigured when there is nothing to pick.
func Resolve(profileFlag string) (Resolved, error) {
	r, err := Locate(profileFlag)
	if err != nil {
		return Resolved{}, err
	}
	switch r.Profile.Auth {
	case AuthOAuth:
		key, err := LoadPrivateKey(r.Profile.PrivateKeyFile)
		if err != nil {
			return Resolved{}, fmt.Errorf("profile %q: %w", r.Name, err)
		}
		r.PrivateKeyPEM = key
	default:
		if err := r.loadToken(); err != nil {
			return Resolved{}, err
		}
	}
	return r, nil
}

func (r *Resolved) loadToken() error {
	env := os.Getenv("DIRDECK_API_TOKEN")
	if r.Source == SourceEnv {
		if env == "" {
			return errNoEnvCredential
		}
		if err := ValidateToken(env); err != nil {
			return fmt.Errorf("DIRDECK_API_TOKEN: %w", err)
		}
		r.Token, r.TokenSource = strings.TrimSpace(env), TokenFromEnv
		return nil
	}
	tok, err := Token(r.Name)
	switch {
	case err == nil:
		if verr := ValidateToken(tok); verr != nil {
			return fmt.Errorf("the token stored for profile %q is damaged (%v): store it again with \"dirdeck profile set-token %s\"", r.Name, verr, r.Name)
		}
		r.Token, r.TokenSource = tok, TokenFromKeyring
		return nil
	case errors.Is(err, ErrNoToken) || errors.Is(err, ErrNoKeyring):
		if env == "" {
			if errors.Is(err, ErrNoKeyring) {
				return fmt.Errorf("profile %q needs an API token: %w", r.Name, err)
			}
			return fmt.Errorf("profile %q: %w: store one with \"dirdeck profile set-token %s\" or set DIRDECK_API_TOKEN", r.Name, err, r.Name)
		}
		if verr := ValidateToken(env); verr != nil {
			return fmt.Errorf("DIRDECK_API_TOKEN: %w", verr)
		}
		r.Token, r.TokenSource = strings.TrimSpace(env), TokenFromEnv
		return nil
	default:
		return err
	}
}

// errNoEnvCredential: environment configuration with an org URL and
// nothing to sign in with.
var errNoEnvCredential = errors.New("DIRDECK_ORG_URL is set but there is no credential: set DIRDECK_API_TOKEN, or DIRDECK_CLIENT_ID and DIRDECK_PRIVATE_KEY_FILE")

// envProfile builds the environment-only configuration.
func envProfile() (Profile, error) {
	p := DefaultProfile()
	u, err := orgurl.Normalize(os.Getenv("DIRDECK_ORG_URL"))
	if err != nil {
		return Profile{}, fmt.Errorf("DIRDECK_ORG_URL: %w", err)
	}
	p.OrgURL = u
	tok := os.Getenv("DIRDECK_API_TOKEN")
	cid := os.Getenv("DIRDECK_CLIENT_ID")
	keyFile := os.Getenv("DIRDECK_PRIVATE_KEY_FILE")
	switch {
	case tok != "" && (cid != "" || keyFile != ""):
		return Profile{}, errors.New("set either DIRDECK_API_TOKEN or DIRDECK_CLIENT_ID with DIRDECK_PRIVATE_KEY_FILE, not both")
	case cid != "" || keyFile != "":
		if cid == "" || keyFile == "" {
			return Profile{}, errors.New("DIRDECK_CLIENT_ID and DIRDECK_PRIVATE_KEY_FILE must be set together (OAuth 2.0 service app with private_key_jwt)")
		}
		p.Auth, p.ClientID, p.PrivateKeyFile = AuthOAuth, cid, keyFile
		p.KeyID = os.Getenv("DIRDECK_KEY_ID")
		scopes, err := ParseScopes(os.Getenv("DIRDECK_SCOPES"))
		if err != nil {
			return Profile{}, fmt.Errorf("DIRDECK_SCOPES: %w", err)
		}
		p.Scopes = scopes
	case tok != "":
		for _, v := range []string{"DIRDECK_SCOPES", "DIRDECK_KEY_ID"} {
			if os.Getenv(v) != "" {
				return Profile{}, fmt.Errorf("%s is only used with DIRDECK_CLIENT_ID (OAuth), not with DIRDECK_API_TOKEN", v)
			}
		}
	}
	// No credential at all is fine for Locate (reading the cache needs
	// none); Resolve refuses it (errNoEnvCredential).
	if err := p.Validate(); err != nil {
		return Profile{}, fmt.Errorf("environment configuration: %w", err)
	}
	return p, nil
}

// envOverrides applies the environment variables that speak for any
// configuration: DIRDECK_ALLOW_WRITES (the environment can always say no;
// it says yes only for the environment-only configuration, since a
// profile enables writes explicitly), DIRDECK_SIGNING_KEY and
// DIRDECK_ALLOWED_SIGNERS.
func envOverrides(p *Profile, source string) error {
	if w := os.Getenv("DIRDECK_ALLOW_WRITES"); w != "" {
		allow, err := strconv.ParseBool(w)
		if err != nil {
			return fmt.Errorf("DIRDECK_ALLOW_WRITES: %q is not 1/0 or true/false", w)
		}
		if !allow || source == SourceEnv {
			p.AllowWrites = allow
		}
	}
	if k := os.Getenv("DIRDECK_SIGNING_KEY"); k != "" {
		p.SigningKey = k
	}
	if a := os.Getenv("DIRDECK_ALLOWED_SIGNERS"); a != "" {
		p.AllowedSigners = a
	}
	return nil
}

// envProfileName derives the name of an environment configuration from
// its org host, so that two orgs never share a cache or token-use record:
// https://acme.okta.com → env-acme-okta-com.
func envProfileName(orgURL string) string {
	host := orgURL[strings.Index(orgURL, "://")+3:]
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(host) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	const maxLen = 63 - len("env-")
	if len(s) > maxLen {
		sum := sha256.Sum256([]byte(host))
		s = strings.TrimRight(s[:maxLen-9], "-") + "-" + hex.EncodeToString(sum[:4])
	}
	return "env-" + s
}

// maxKeyFileSize bounds what LoadPrivateKey reads; PEM keys are a few KiB.
const maxKeyFileSize = 64 << 10

// LoadPrivateKey reads an OAuth private key file and returns the key as a
// PKCS#8 PEM block. The file must be a regular file not accessible by
// group or others (refused, not warned about, on Unix), hold an unencrypted
// PEM RSA (≥ 2048 bits) or EC P-256 private key (PKCS#1, SEC 1 or PKCS#8),
// the algorithms the Okta SDK signs client assertions with (RS256, ES256).
// "~/" at the start of path is the home directory.
func LoadPrivateKey(path string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("private key file %s: %w", path, err)
		}
		path = filepath.Join(home, rest)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("private key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("private key file %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("private key file %s is accessible by group or others (mode %04o): restrict it with \"chmod 600 %s\"", path, fi.Mode().Perm(), path)
	}
	if fi.Size() > maxKeyFileSize {
		return nil, fmt.Errorf("private key file %s is %d bytes, too big for a PEM private key", path, fi.Size())
	}
	data, err := readRegular(path, maxKeyFileSize)
	if err != nil {
		return nil, fmt.Errorf("private key file: %w", err)
	}
	key, err := parsePrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("private key file %s: %w", path, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("private key file %s: %w", path, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// parsePrivateKeyPEM finds the first private key block (a file may also
// hold certificates) and checks that Okta and the SDK can use the key.
func parsePrivateKeyPEM(data []byte) (any, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM private key found (expected -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)")
		}
		if !strings.HasSuffix(block.Type, "PRIVATE KEY") {
			continue
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, errors.New(`the private key is encrypted; dirdeck needs it unencrypted in a 0600 file ("openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem")`)
		}
		var key any
		var err error
		switch block.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		default:
			return nil, fmt.Errorf("unsupported PEM block %q (expected an RSA or EC private key)", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", block.Type, err)
		}
		switch k := key.(type) {
		case *rsa.PrivateKey:
			if k.N.BitLen() < 2048 {
				return nil, fmt.Errorf("the RSA key has %d bits; Okta requires at least 2048", k.N.BitLen())
			}
		case *ecdsa.PrivateKey:
			if k.Curve != elliptic.P256() {
				return nil, fmt.Errorf("the EC key uses curve %s; the Okta SDK signs with ES256, which needs P-256", k.Curve.Params().Name)
			}
		default:
			return nil, fmt.Errorf("unsupported key type %T: use an RSA (2048 bits or more) or EC P-256 key", key)
		}
		return key, nil
	}
}
