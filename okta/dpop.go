package okta

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DPoP (RFC 9449) for OAuth service apps that require it — Okta's newly
// created API service apps do. The transport does it, not the SDK: the
// SDK v5 signs one proof when it prepares a request, so every retry of
// ours (after a 429 or 5xx, after a governor wait) would resend the same
// proof, which Okta refuses as a replayed jti (and whose iat may be stale
// by then); it also follows a nonce challenge only at the token endpoint.
// Here a fresh proof is signed for every attempt, right before it is sent:
// the first try, each retry, after a governor wait and after a nonce
// challenge.
//
// The flow: the first token request goes without a proof; Okta answers
// 400 invalid_dpop_proof, so dirdeck switches the client to DPoP (a new
// RSA key for the client's lifetime) and asks again with a proof; Okta
// answers 400 use_dpop_nonce with a DPoP-Nonce header, and the next proof
// carries the nonce. The DPoP-bound token is handed to the SDK as a Bearer
// token (so that the SDK does not sign proofs of its own), and the
// transport sends it as "Authorization: DPoP <token>" with a proof whose
// ath is the token's SHA-256. A DPoP-Nonce on any answer replaces the
// nonce; a 401 use_dpop_nonce challenge is answered at once with a new
// proof.

// dpopMaxChallenges bounds the protocol round trips (DPoP switch, nonce
// challenges) one request may take beyond its retries.
const dpopMaxChallenges = 3

// dpopSigner holds a client's DPoP state.
type dpopSigner struct {
	mu      sync.Mutex
	key     *rsa.PrivateKey // nil until the token endpoint asks for DPoP
	jwk     map[string]string
	asNonce string // the token endpoint's nonce
	rsNonce string // the API's nonce
	bound   string // the DPoP-bound access token the SDK holds
}

// enabled reports whether the service app requires DPoP (the token
// endpoint asked for it).
func (d *dpopSigner) enabled() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.key != nil
}

// enable switches the client to DPoP with a new key.
func (d *dpopSigner) enable() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.key != nil {
		return nil
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("DPoP key: %w", err)
	}
	d.key = k
	d.jwk = map[string]string{
		"kty": "RSA",
		"n":   base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
	}
	return nil
}

// isTokenRequest reports whether req goes to the org authorization
// server's token endpoint.
func isTokenRequest(req *http.Request) bool { return req.URL.Path == "/oauth2/v1/token" }

// sign puts a fresh proof on one attempt: on token requests once DPoP is
// on, and on API calls that carry the DPoP-bound token (which the SDK
// sends as Bearer). Other requests are left alone.
func (d *dpopSigner) sign(req *http.Request) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.key == nil {
		return nil
	}
	var nonce, token string
	if isTokenRequest(req) {
		nonce = d.asNonce
	} else {
		scheme, cred, _ := strings.Cut(req.Header.Get("Authorization"), " ")
		if d.bound == "" || cred != d.bound || !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "DPoP") {
			return nil
		}
		req.Header.Set("Authorization", "DPoP "+cred)
		nonce, token = d.rsNonce, cred
		if nonce == "" {
			// Until the API names its own, the token endpoint's nonce
			// (the Okta SDK's proofs for API calls carry it too).
			nonce = d.asNonce
		}
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return fmt.Errorf("DPoP proof: %w", err)
	}
	claims := jwt.MapClaims{
		"htm": req.Method,
		// htu is the URL without query or fragment; Okta compares it with
		// the decoded path (okta/okta-sdk-python#541), so it is not
		// percent-encoded beyond what a path needs.
		"htu": (&url.URL{Scheme: req.URL.Scheme, Host: req.URL.Host, Path: req.URL.Path}).String(),
		"iat": time.Now().Unix(),
		"jti": base64.RawURLEncoding.EncodeToString(jti[:]),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["typ"] = "dpop+jwt"
	t.Header["jwk"] = d.jwk
	proof, err := t.SignedString(d.key)
	if err != nil {
		return fmt.Errorf("DPoP proof: %w", err)
	}
	req.Header.Set("DPoP", proof)
	return nil
}

// dpopVerdict is what an answer means for DPoP: resend the request with a
// fresh proof at once (the switch to DPoP, a nonce challenge), and the
// body to hand on (a token answer rewritten for the SDK).
type dpopVerdict struct {
	again bool
	body  []byte
}

// observe reads one answer: nonces, the switch to DPoP, challenges and
// the DPoP-bound token.
func (d *dpopSigner) observe(req *http.Request, resp *http.Response, body []byte) (dpopVerdict, error) {
	v := dpopVerdict{body: body}
	token := isTokenRequest(req)
	if n := resp.Header.Get("DPoP-Nonce"); n != "" {
		d.mu.Lock()
		if token {
			d.asNonce = n
		} else {
			d.rsNonce = n
		}
		d.mu.Unlock()
	}
	if !token {
		// RFC 9449 §9: a resource server asks for a (new) nonce with a
		// 401 and a DPoP challenge naming use_dpop_nonce.
		ch := resp.Header.Get("WWW-Authenticate")
		v.again = resp.StatusCode == http.StatusUnauthorized && strings.HasPrefix(ch, "DPoP ") &&
			strings.Contains(ch, `error="use_dpop_nonce"`) && resp.Header.Get("DPoP-Nonce") != ""
		return v, nil
	}
	var oe struct {
		Error       string `json:"error"`
		TokenType   string `json:"token_type"`
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(body, &oe) != nil {
		return v, nil
	}
	switch {
	case resp.StatusCode == http.StatusBadRequest && oe.Error == "invalid_dpop_proof" && !d.enabled():
		v.again = true
		return v, d.enable()
	case resp.StatusCode == http.StatusBadRequest && oe.Error == "use_dpop_nonce" && resp.Header.Get("DPoP-Nonce") != "":
		v.again = true
	case resp.StatusCode == http.StatusOK && strings.EqualFold(oe.TokenType, "DPoP") && oe.AccessToken != "":
		d.mu.Lock()
		d.bound = oe.AccessToken
		d.mu.Unlock()
		// The SDK gets a Bearer token: it would otherwise sign its own
		// single-use proofs (with no key of its own here).
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			m["token_type"] = "Bearer"
			if b, err := json.Marshal(m); err == nil {
				v.body = b
			}
		}
	}
	return v, nil
}

// DPoPBound reports whether the client's service app requires DPoP, as
// far as the token endpoint has said (after the first request).
func (c *Client) DPoPBound() bool { return c.tr.dpop.enabled() }
