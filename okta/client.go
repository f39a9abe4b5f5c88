package okta

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	oktasdk "github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/orgurl"
)

// Credentials say which org to talk to and how to authenticate: either an
// SSWS API token, or an OAuth 2.0 service app (private_key_jwt).
type Credentials struct {
	// OrgURL is the org's base URL, e.g. https://acme.okta.com. Plain http
	// is accepted only for loopback addresses (the simulated org).
	OrgURL string
	// Token is an SSWS API token. Leave empty to use OAuth.
	Token string
	// ClientID, PrivateKeyPEM (PKCS#1 or PKCS#8), KeyID (the JWK kid, may
	// be empty) and Scopes configure an OAuth 2.0 service app.
	ClientID      string
	PrivateKeyPEM []byte
	KeyID         string
	Scopes        []string
}

// Options tune the client; the zero value is a good default.
type Options struct {
	// BudgetShare is the share of each rate-limit bucket dirdeck may use
	// per window (default 0.5): other integrations live on the same limits.
	BudgetShare float64
	// MaxRetries bounds the retries of one request (default 6).
	MaxRetries int
	// BaseBackoff is the first retry delay; later ones double, jittered
	// (default 250ms).
	BaseBackoff time.Duration
	// AttemptTimeout bounds one HTTP attempt including its body; a timed
	// out attempt is retried like a network error (default 2 minutes).
	AttemptTimeout time.Duration
	// MaxPerBucket bounds concurrent requests per bucket (default 6);
	// MaxConcurrent bounds them overall (default 24, well under Okta's 75).
	MaxPerBucket  int
	MaxConcurrent int
	// Logger receives debug lines per attempt (never tokens or bodies).
	Logger *slog.Logger
	// HTTPClient replaces the default HTTP client (tests). Its transport
	// runs under the governor; a *http.Transport gets TLS 1.2 minimum.
	HTTPClient *http.Client
	// Journal receives an entry per HTTP attempt (default: a new one; see
	// SetJournal).
	Journal *Journal
	// RateLedger is a file that the dirdeck processes using one credential
	// share (name it with CredentialKey, in the data directory): their
	// requests together stay within BudgetShare of each bucket, as Okta
	// caps the credential (see ledger.go). Empty: this process counts
	// alone.
	RateLedger string
	// OnThrottle is called when the governor starts holding a request back
	// for the rate budget, with the local time the bucket's window ends
	// (progress displays).
	OnThrottle func(bucket string, until time.Time)
	// OnRetry is called before a failed attempt is retried, with the
	// attempt's journal entry (status or network error) and the backoff
	// before the next one (progress displays: a sync to an unreachable org
	// says what it is retrying instead of going quiet).
	OnRetry func(failed directory.Request, backoff time.Duration)
}

// Client is dirdeck's Okta client. It is safe for concurrent use; share one
// per org so that its governor sees all of dirdeck's requests.
type Client struct {
	api    *oktasdk.APIClient
	tr     *transport
	orgURL string
	oauth  bool

	authMu sync.Mutex // see firstAuth
	authed atomic.Bool
}

// New checks the credentials and builds a client. ctx bounds the requests
// the SDK makes without a context of its own (OAuth token requests); cancel
// it when the client is no longer used. New does no I/O.
func New(ctx context.Context, creds Credentials, opts Options) (*Client, error) {
	if ctx == nil {
		return nil, errors.New("okta client: nil context")
	}
	org, err := orgurl.Parse(creds.OrgURL)
	if err != nil {
		return nil, fmt.Errorf("okta client: %w", err)
	}
	token := strings.TrimSpace(creds.Token)
	oauth := creds.ClientID != "" || len(creds.PrivateKeyPEM) > 0
	switch {
	case token != "" && oauth:
		return nil, errors.New("okta credentials: give either an API token or an OAuth client id and private key, not both")
	case token != "":
		if strings.ContainsAny(token, " \t\r\n") {
			return nil, errors.New("okta credentials: the API token contains whitespace; paste it again")
		}
	case oauth:
		if creds.ClientID == "" {
			return nil, errors.New("okta credentials: OAuth needs a client id")
		}
		if blk, _ := pem.Decode(creds.PrivateKeyPEM); blk == nil {
			return nil, errors.New("okta credentials: the OAuth private key is not PEM (expected -----BEGIN PRIVATE KEY----- or RSA PRIVATE KEY)")
		}
		if len(creds.Scopes) == 0 {
			return nil, errors.New("okta credentials: OAuth needs at least one scope, e.g. okta.users.read")
		}
	default:
		return nil, errors.New("okta credentials: no API token and no OAuth client configured")
	}

	if opts.BudgetShare == 0 {
		opts.BudgetShare = 0.5
	}
	if opts.BudgetShare < 0 || opts.BudgetShare > 1 {
		return nil, fmt.Errorf("okta budget share %.2f: must be between 0 and 1", opts.BudgetShare)
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 6
	}
	if opts.BaseBackoff == 0 {
		opts.BaseBackoff = 250 * time.Millisecond
	}
	if opts.AttemptTimeout == 0 {
		opts.AttemptTimeout = 2 * time.Minute
	}
	if opts.MaxPerBucket == 0 {
		opts.MaxPerBucket = 6
	}
	if opts.MaxConcurrent == 0 {
		opts.MaxConcurrent = 24
	}
	if opts.Journal == nil {
		opts.Journal = NewJournal()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}

	base := http.RoundTripper(defaultTransport())
	var jar http.CookieJar
	if opts.HTTPClient != nil {
		jar = opts.HTTPClient.Jar
		if opts.HTTPClient.Transport != nil {
			base = opts.HTTPClient.Transport
		}
		if ht, ok := base.(*http.Transport); ok {
			ht = ht.Clone()
			if ht.TLSClientConfig == nil {
				ht.TLSClientConfig = &tls.Config{}
			}
			ht.TLSClientConfig.MinVersion = max(ht.TLSClientConfig.MinVersion, tls.VersionTLS12)
			base = ht
		}
	}
	tr := &transport{
		base:           base,
		gov:            newGovernor(opts.BudgetShare, opts.MaxPerBucket, opts.MaxConcurrent),
		maxRetries:     opts.MaxRetries,
		backoff:        opts.BaseBackoff,
		attemptTimeout: opts.AttemptTimeout,
		logger:         opts.Logger,
		onThrottle:     opts.OnThrottle,
		onRetry:        opts.OnRetry,
		lifetime:       ctx,
	}
	tr.journal.Store(opts.Journal)
	if opts.RateLedger != "" {
		if err := checkLedger(opts.RateLedger); err != nil {
			return nil, err
		}
		tr.gov.ledger = &ledger{path: opts.RateLedger}
		tr.gov.serverNow = tr.serverNow
		var once sync.Once
		tr.gov.ledgerErr = func(err error) {
			once.Do(func() { opts.Logger.Warn("okta rate ledger unusable; counting this process alone", "err", err) })
		}
	}

	cfg := sdkConfig(org, token, creds, &http.Client{Transport: tr, Jar: jar, CheckRedirect: noRedirects})
	return &Client{api: oktasdk.NewAPIClient(cfg), tr: tr, orgURL: org.String(), oauth: oauth}, nil
}

// noRedirects keeps the Authorization header from following a redirect to
// another host; Okta's API does not redirect.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	t.MaxIdleConnsPerHost = 32
	return t
}

// sdkConfig builds the SDK configuration field by field instead of with
// okta.NewConfiguration, which merges ~/.okta/okta.yaml, an .okta.yaml
// next to the binary and OKTA_CLIENT_* variables (token, proxy, debug
// request dumps, extra headers) into it: none of that may reach dirdeck.
func sdkConfig(org *url.URL, token string, creds Credentials, hc *http.Client) *oktasdk.Configuration {
	cfg := &oktasdk.Configuration{
		Host:          org.Host, // keeps the port, which NewConfiguration drops
		Scheme:        org.Scheme,
		DefaultHeader: map[string]string{},
		UserAgent:     fmt.Sprintf("dirdeck okta-sdk-golang/%s golang/%s %s/%s", oktasdk.VERSION, runtime.Version(), runtime.GOOS, runtime.GOARCH),
		Servers:       oktasdk.ServerConfigurations{{URL: org.String()}},
		HTTPClient:    hc,
		Context:       context.Background(),
	}
	c := &cfg.Okta.Client
	c.OrgUrl = org.String()
	c.Cache.Enabled = false
	// The transport retries; SDK retries on top would multiply the attempts.
	c.RateLimit.MaxRetries = 0
	c.RateLimit.MaxBackoff = 0
	// Per-attempt timeouts live in the transport: an SDK deadline would
	// span the governor's waits.
	c.RequestTimeout = 0
	c.ConnectionTimeout = 0
	if token != "" {
		c.AuthorizationMode = "SSWS"
		c.Token = token
	} else {
		c.AuthorizationMode = "PrivateKey"
		c.ClientId = creds.ClientID
		c.PrivateKey = string(creds.PrivateKeyPEM)
		c.PrivateKeyId = creds.KeyID
		c.Scopes = append([]string(nil), creds.Scopes...)
	}
	return cfg
}

// OrgURL is the normalised org URL the client talks to.
func (c *Client) OrgURL() string { return c.orgURL }

// ServerTime is the org's clock: the Date of the latest response plus the
// time elapsed since it arrived (the local clock when nothing arrived yet).
// Sync cursors come from here, never from the local clock.
func (c *Client) ServerTime() time.Time { return c.tr.serverNow() }

// serverNow is the org's clock (see Client.ServerTime).
func (t *transport) serverNow() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.serverDateAt.IsZero() {
		return time.Now().UTC()
	}
	return t.serverDate.Add(time.Since(t.serverDateAt)).UTC()
}

// checkLedger makes sure the rate ledger file can be created and locked.
func checkLedger(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("okta rate ledger: %w", err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return fmt.Errorf("okta rate ledger %s: %w", path, err)
	}
	return unlockFile(f)
}

// GrantedScopes are the scopes Okta granted the OAuth access token (nil
// with an API token, or before the first token request).
func (c *Client) GrantedScopes() []string {
	c.tr.mu.Lock()
	defer c.tr.mu.Unlock()
	return append([]string(nil), c.tr.grantedScopes...)
}

// SetJournal directs the entries of later requests to j (nil stops
// journaling), so each sync run gets its own journal.
func (c *Client) SetJournal(j *Journal) { c.tr.journal.Store(j) }

// Journal returns the entries of the current journal so far.
func (c *Client) Journal() []directory.Request {
	if j := c.tr.journal.Load(); j != nil {
		return j.Entries()
	}
	return nil
}

// Stats returns the client's counters since it was created.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:       c.tr.requests.Load(),
		Cancelled:      c.tr.cancelled.Load(),
		Retries:        c.tr.retries.Load(),
		ThrottledWaits: c.tr.throttled.Load(),
		RateLimited:    c.tr.rateLimited.Load(),
		Buckets:        c.tr.gov.snapshot(),
	}
}
