package oktasim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Scopes granted to the seeded service apps.
const (
	scopeUsersRead     = "okta.users.read"
	scopeGroupsRead    = "okta.groups.read"
	scopeGroupsManage  = "okta.groups.manage"
	scopeAppsRead      = "okta.apps.read"
	scopeLogsRead      = "okta.logs.read"
	scopeAPITokensRead = "okta.apiTokens.read"
)

// ServiceClient is an OAuth 2.0 service app of the simulated org: it
// authenticates to /oauth2/v1/token with a private_key_jwt client assertion
// and may be granted the listed scopes. GET /__sim/clients hands out the
// private key so that tests and demos can play the app.
type ServiceClient struct {
	Name     string   `json:"name"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes"`
	// Roles are the admin roles assigned to the app (role types such as
	// READ_ONLY_ADMIN). On Okta a service app needs both: the scope says
	// which API calls its tokens may make, the admin role on which
	// resources; with scopes but no role every call is 403 E0000006 "You
	// do not have permission to perform the requested action"
	// (https://support.okta.com/help/s/article/how-to-assign-the-correct-admin-role-to-a-service-application).
	Roles         []string `json:"roles"`
	PrivateKeyPEM string   `json:"private_key_pem"`

	key *rsa.PrivateKey
}

// serviceClientSpecs are the seeded service apps: a least-privilege
// read-only sync app (what the seed vendors recommend), one that can only
// read users (for partial-data/403 paths), one that may also manage groups
// (for plan apply), and one with the read-only scopes but no admin role
// (the mistake Okta answers with 403 on every call).
var serviceClientSpecs = []struct {
	name   string
	scopes []string
	roles  []string
}{
	{"readonly", []string{scopeUsersRead, scopeGroupsRead, scopeAppsRead, scopeLogsRead, scopeAPITokensRead}, []string{roleReadOnly}},
	{"usersonly", []string{scopeUsersRead}, []string{roleReadOnly}},
	{"manager", []string{scopeUsersRead, scopeGroupsRead, scopeAppsRead, scopeLogsRead, scopeAPITokensRead, scopeGroupsManage}, []string{roleSuper}},
	{"norole", []string{scopeUsersRead, scopeGroupsRead, scopeAppsRead, scopeLogsRead, scopeAPITokensRead}, nil},
}

// clientKeyCache keeps the generated keys per seed and client: a 2048-bit
// key takes tens of milliseconds to find, and tests build many sims with
// the same seed.
var clientKeyCache gosync.Map // string → *rsa.PrivateKey

// newServiceClients builds the seeded service apps of a simulated org.
// Client IDs and keys derive from the seed so that a support bundle or a
// test fixture recorded against seed s stays valid.
func newServiceClients(seed int64) ([]*ServiceClient, error) {
	out := make([]*ServiceClient, 0, len(serviceClientSpecs))
	for _, spec := range serviceClientSpecs {
		key, err := deterministicRSAKey(seed, spec.name)
		if err != nil {
			return nil, fmt.Errorf("service app %s: %w", spec.name, err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("service app %s: encode key: %w", spec.name, err)
		}
		out = append(out, &ServiceClient{
			Name:          spec.name,
			ClientID:      oktaID("0oa", seed, "client/"+spec.name),
			Scopes:        slices.Clone(spec.scopes),
			Roles:         append([]string{}, spec.roles...),
			PrivateKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
			key:           key,
		})
	}
	return out, nil
}

// oktaID makes an Okta-looking object ID (3-character prefix + 17
// base62 characters) from a seed and a name.
func oktaID(prefix string, seed int64, name string) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	sum := sha256.Sum256(append(b[:], name...))
	id := []byte(prefix)
	for i := 0; i < 17; i++ {
		id = append(id, alphabet[int(sum[i])%len(alphabet)])
	}
	return string(id)
}

// deterministicRSAKey derives a 2048-bit RSA key from (seed, name). Since
// Go 1.26 rsa.GenerateKey ignores its reader, so the primes are searched
// here from a seeded ChaCha8 stream instead.
func deterministicRSAKey(seed int64, name string) (*rsa.PrivateKey, error) {
	cacheKey := fmt.Sprintf("%d/%s", seed, name)
	if k, ok := clientKeyCache.Load(cacheKey); ok {
		return k.(*rsa.PrivateKey), nil
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	rng := mrand.NewChaCha8(sha256.Sum256(append(b[:], "rsa/"+name...)))
	e := big.NewInt(65537)
	one := big.NewInt(1)
	prime := func() *big.Int {
		buf := make([]byte, 128)
		for {
			_, _ = rng.Read(buf)
			buf[0] |= 0xC0 // two top bits: p*q then has exactly 2048 bits
			buf[127] |= 1
			p := new(big.Int).SetBytes(buf)
			if !p.ProbablyPrime(20) {
				continue
			}
			if new(big.Int).GCD(nil, nil, e, new(big.Int).Sub(p, one)).Cmp(one) == 0 {
				return p
			}
		}
	}
	p, q := prime(), prime()
	if p.Cmp(q) == 0 {
		return nil, errors.New("derived equal primes")
	}
	phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
	d := new(big.Int).ModInverse(e, phi)
	if d == nil {
		return nil, errors.New("derived primes have no private exponent")
	}
	key := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: 65537},
		D:         d,
		Primes:    []*big.Int{p, q},
	}
	key.Precompute()
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("derived key: %w", err)
	}
	actual, _ := clientKeyCache.LoadOrStore(cacheKey, key)
	return actual.(*rsa.PrivateKey), nil
}

// accessTokenTTL is how long the org authorization server's access tokens
// live, on the simulator's clock.
const accessTokenTTL = time.Hour

// oauthServer is the org authorization server of the simulated org: its
// service apps and the client assertions it has seen. Issued access tokens
// live in Sim.accessTokens, where authenticate finds them.
type oauthServer struct {
	seed int64

	once    gosync.Once
	loadErr error
	clients map[string]*ServiceClient // by client_id
	order   []*ServiceClient

	mu   gosync.Mutex
	jtis map[string]time.Time // assertion id → when it may be forgotten
}

func newOAuthServer(seed int64) *oauthServer {
	return &oauthServer{seed: seed, jtis: map[string]time.Time{}}
}

// load derives the service apps on first use: finding three RSA keys takes
// a moment, and most sims never see an OAuth client.
func (o *oauthServer) load() error {
	o.once.Do(func() {
		clients, err := newServiceClients(o.seed)
		if err != nil {
			o.loadErr = err
			return
		}
		o.order = clients
		o.clients = map[string]*ServiceClient{}
		for _, c := range clients {
			o.clients[c.ClientID] = c
		}
	})
	return o.loadErr
}

// reset forgets the client assertions seen (POST /__sim/reset).
func (o *oauthServer) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.jtis = map[string]time.Time{}
}

// Clients returns the org's OAuth 2.0 service apps, with their private
// keys, in a stable order.
func (s *Sim) Clients() ([]ServiceClient, error) {
	o := s.ext.oauth
	if err := o.load(); err != nil {
		return nil, err
	}
	out := make([]ServiceClient, 0, len(o.order))
	for _, c := range o.order {
		cp := *c
		cp.Scopes = slices.Clone(c.Scopes)
		cp.Roles = slices.Clone(c.Roles)
		out = append(out, cp)
	}
	return out, nil
}

// ctlClients serves GET /__sim/clients.
func (s *Sim) ctlClients(c *call) {
	clients, err := s.Clients()
	if err != nil {
		c.fail(http.StatusInternalServerError, "E0000009", "Internal Server Error", "service apps: "+err.Error())
		return
	}
	c.writeJSON(clients)
}

// oauthError is the body of the OAuth 2.0 endpoints' errors (RFC 6749
// §5.2), which differ from the management API's errorCode bodies.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// oauthFail answers an OAuth error.
func (c *call) oauthFail(status int, code, desc string) {
	c.status = status
	c.links = nil
	b, _ := json.Marshal(oauthError{Error: code, Description: desc})
	c.body = append(c.body[:0], b...)
	c.setHeader("Cache-Control", "no-store")
	c.setHeader("Pragma", "no-cache")
}

// bearerChallenge adds the WWW-Authenticate header Okta sends with the
// 401 and 403 answers to a Bearer token, naming the scope the operation
// needs (clients use it to tell a missing scope from a missing role).
func (c *call) bearerChallenge(code, desc string) {
	scheme, _, _ := strings.Cut(c.r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || c.route == nil {
		return
	}
	c.setHeader("WWW-Authenticate", fmt.Sprintf(`Bearer authorization_uri="%s/oauth2/v1/authorize", realm="IdpOrg", scope="%s", error="%s", error_description="%s", resource="%s"`,
		c.base, c.route.scope, code, desc, c.r.URL.Path))
}

// tokenResponse is a successful client_credentials answer.
type tokenResponse struct {
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	AccessToken string `json:"access_token"`
	Scope       string `json:"scope"`
}

const jwtBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// issueToken serves POST /oauth2/v1/token for the client_credentials
// grant with a private_key_jwt client assertion, the only grant Okta lets
// service apps use against the management API. The assertion's audience
// must be this org's token endpoint as the client addressed it. Okta
// refuses the whole request when one scope is not granted, so a token
// carries exactly the requested scopes.
//
// Parameters are read from the form body and the query string alike: the
// Okta SDK sends them in the query of an empty POST.
func (s *Sim) issueToken(c *call) {
	o := s.ext.oauth
	if err := o.load(); err != nil {
		c.oauthFail(http.StatusInternalServerError, "server_error", "The authorization server is not available.")
		return
	}
	r := c.r
	if err := r.ParseForm(); err != nil {
		c.oauthFail(http.StatusBadRequest, "invalid_request", "The request body is not a valid form.")
		return
	}
	switch gt := r.Form.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		c.oauthFail(http.StatusBadRequest, "invalid_request", "The token request must specify a 'grant_type'.")
		return
	default:
		c.oauthFail(http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("'%s' is not a supported grant type for this client.", gt))
		return
	}
	var jkt string
	if s.opts.DPoP {
		var f *dpopFailure
		if jkt, f = s.checkProof(r, c.base+"/oauth2/v1/token", ""); f != nil {
			if f.nonce != "" {
				c.setHeader("DPoP-Nonce", f.nonce)
			}
			c.oauthFail(http.StatusBadRequest, f.code, f.desc)
			return
		}
	}
	if r.Form.Get("client_assertion_type") != jwtBearerAssertion || r.Form.Get("client_assertion") == "" {
		c.oauthFail(http.StatusUnauthorized, "invalid_client", "Client authentication failed: this client requires a private_key_jwt client assertion.")
		return
	}
	client, desc := o.verifyAssertion(r.Form.Get("client_assertion"), c.base+"/oauth2/v1/token")
	if client == nil {
		c.oauthFail(http.StatusUnauthorized, "invalid_client", desc)
		return
	}
	if id := r.Form.Get("client_id"); id != "" && id != client.ClientID {
		c.oauthFail(http.StatusUnauthorized, "invalid_client", "The client_id does not match the client_assertion.")
		return
	}
	requested := strings.Fields(r.Form.Get("scope"))
	if len(requested) == 0 {
		c.oauthFail(http.StatusBadRequest, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided.")
		return
	}
	var refused []string
	for _, sc := range requested {
		if !slices.Contains(client.Scopes, sc) {
			refused = append(refused, sc)
		}
	}
	if len(refused) > 0 {
		c.oauthFail(http.StatusBadRequest, "invalid_scope", "The following scopes are not allowed: "+strings.Join(refused, ", "))
		return
	}
	scopes := slices.Compact(slices.Sorted(slices.Values(requested)))
	token, err := randomToken()
	if err != nil {
		c.oauthFail(http.StatusInternalServerError, "server_error", "Could not issue a token.")
		return
	}
	now := s.nowMS()
	s.authMu.Lock()
	for k, at := range s.accessTokens {
		if at.expires <= now {
			delete(s.accessTokens, k)
		}
	}
	s.accessTokens[token] = &accessToken{clientID: client.ClientID, scopes: scopes, roles: client.Roles, token: token, jkt: jkt, expires: now + accessTokenTTL.Milliseconds()}
	s.authMu.Unlock()
	tokenType := "Bearer"
	if jkt != "" {
		tokenType = "DPoP"
	}
	b, _ := json.Marshal(tokenResponse{
		TokenType:   tokenType,
		ExpiresIn:   int(accessTokenTTL / time.Second),
		AccessToken: token,
		Scope:       strings.Join(scopes, " "),
	})
	c.body = append(c.body[:0], b...)
	c.setHeader("Cache-Control", "no-store")
	c.setHeader("Pragma", "no-cache")
}

// verifyAssertion checks a private_key_jwt client assertion: RS256 signed
// by the key of the client it names, iss == sub == client_id, the token
// endpoint as audience, not expired, and not replayed (when it has a jti;
// the Okta SDK sends none). It returns the client, or nil and why not.
//
// Expiry is checked against the wall clock, not the simulator's: clients
// sign with their own clock, and a simulator whose clock was advanced for
// token-age tests must still let them in.
func (o *oauthServer) verifyAssertion(assertion, audience string) (*ServiceClient, string) {
	var client *ServiceClient
	claims := jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(assertion, &claims, func(t *jwt.Token) (any, error) {
		iss, _ := t.Claims.GetIssuer()
		client = o.clients[iss]
		if client == nil {
			return nil, fmt.Errorf("unknown client %q", iss)
		}
		return &client.key.PublicKey, nil
	},
		jwt.WithValidMethods([]string{"RS256", "RS384", "RS512"}),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(time.Minute),
	)
	switch {
	case client == nil:
		return nil, "The client_assertion token is invalid or its issuer is not a known client."
	case err != nil:
		return nil, "The client_assertion token is invalid: " + assertionProblem(err)
	case claims.Subject != claims.Issuer:
		return nil, "The client_assertion token's 'sub' must equal its 'iss' (the client_id)."
	}
	if claims.ID != "" {
		o.mu.Lock()
		defer o.mu.Unlock()
		now := time.Now()
		for jti, exp := range o.jtis {
			if now.After(exp) {
				delete(o.jtis, jti)
			}
		}
		if _, seen := o.jtis[claims.ID]; seen {
			return nil, "The client_assertion token has already been used (jti replay)."
		}
		o.jtis[claims.ID] = claims.ExpiresAt.Add(time.Minute)
	}
	return client, ""
}

// assertionProblem names the failed check without echoing the token.
func assertionProblem(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "signature does not verify against the client's registered key."
	case errors.Is(err, jwt.ErrTokenExpired):
		return "it has expired."
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "a required claim (exp) is missing."
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "its audience is not this org's token endpoint."
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "it is not valid yet."
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "it cannot be verified."
	}
	return "it is malformed."
}

// randomToken returns an opaque access token. Tokens are secrets, so they
// come from crypto/rand, not the seed.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("access token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
