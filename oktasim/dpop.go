package oktasim

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	gosync "sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DPoP (RFC 9449) as Okta runs it for API service apps that require it
// (Options.DPoP; newly created service apps require it by default):
//
//   - The token endpoint needs a DPoP proof: without one it answers 400
//     {"error":"invalid_dpop_proof","error_description":"The DPoP proof JWT
//     header is missing."}
//     (https://support.okta.com/help/s/article/the-dpop-proof-jwt-header-is-missing);
//     a proof without the current nonce gets 400 {"error":"use_dpop_nonce",
//     "error_description":"Authorization server requires nonce in DPoP
//     proof."} with a DPoP-Nonce header
//     (https://devforum.okta.com/t/client-credentials-oauth-for-okta-with-dpop-enabled/30239).
//     The token it issues is bound to the proof's key (cnf.jkt, RFC 7638
//     thumbprint) and has token_type DPoP.
//   - API calls send "Authorization: DPoP <token>" and a fresh proof with
//     ath (the token's SHA-256). A bad proof is 400 with
//     WWW-Authenticate: DPoP error="invalid_dpop_proof",
//     error_description="'htu' claim in the DPoP proof JWT is invalid." (and
//     the like), as reported against Okta in okta/okta-sdk-python#541 and
//     okta/okta-sdk-nodejs#521, which also show that Okta compares htu to
//     the decoded path. The reports show no body; the sim sends Okta's
//     invalid-token error body. A stale nonce is 401 with
//     WWW-Authenticate: DPoP error="use_dpop_nonce" and a DPoP-Nonce header
//     (RFC 9449 §9, resource server nonces).
//   - Every proof is checked strictly: typ dpop+jwt, an asymmetric alg, a
//     public jwk, the signature, htm and htu of this request, iat within
//     dpopProofWindow of the wall clock (clients sign with their clock), a
//     jti never seen before, the current (or previous) nonce, and for API
//     calls ath and the token's key.

// dpopProofWindow is how far a proof's iat may be from the wall clock.
const dpopProofWindow = 60 * time.Second

// dpopNonceTTL is how long a server nonce stays current on the sim clock;
// the previous one is still accepted for one more period.
const dpopNonceTTL = 10 * time.Minute

// dpopState holds the nonce and the proof ids seen.
type dpopState struct {
	mu      gosync.Mutex
	nonce   string
	prev    string
	nonceAt int64                // sim ms when nonce was minted
	jtis    map[string]time.Time // "jkt/jti" → when it may be forgotten
	swept   time.Time            // when jtis was last cleared of expired ids
}

func newDPoPState() *dpopState { return &dpopState{jtis: map[string]time.Time{}} }

// currentNonce rotates the nonce when its period is over and returns it.
// Callers hold d.mu.
func (d *dpopState) currentNonce(nowMS int64) string {
	if d.nonce == "" || nowMS-d.nonceAt >= dpopNonceTTL.Milliseconds() {
		if d.nonce != "" && nowMS-d.nonceAt < 2*dpopNonceTTL.Milliseconds() {
			d.prev = d.nonce
		} else {
			d.prev = ""
		}
		var b [18]byte
		_, _ = rand.Read(b[:])
		d.nonce, d.nonceAt = base64.RawURLEncoding.EncodeToString(b[:]), nowMS
	}
	return d.nonce
}

// dpopFailure is why a proof was refused: the OAuth error code
// (invalid_dpop_proof or use_dpop_nonce), Okta's description, and for
// use_dpop_nonce the nonce to send.
type dpopFailure struct {
	code, desc, nonce string
}

func (f *dpopFailure) Error() string { return f.code + ": " + f.desc }

// checkProof verifies the DPoP header of r for a request to htu (the
// request's URL without query) and, for API calls, the access token it
// goes with. It returns the thumbprint of the proof's key.
func (s *Sim) checkProof(r *http.Request, htu, accessToken string) (string, *dpopFailure) {
	bad := func(desc string) (string, *dpopFailure) {
		return "", &dpopFailure{code: "invalid_dpop_proof", desc: desc}
	}
	vals := r.Header.Values("DPoP")
	switch {
	case len(vals) == 0:
		return bad("The DPoP proof JWT header is missing.")
	case len(vals) > 1:
		return bad("Multiple DPoP proof JWT headers were provided.")
	}
	var jkt string
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(vals[0], claims, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != "dpop+jwt" {
			return nil, errors.New("typ")
		}
		jwk, ok := t.Header["jwk"].(map[string]any)
		if !ok {
			return nil, errors.New("jwk")
		}
		key, thumb, err := publicJWK(jwk)
		if err != nil {
			return nil, err
		}
		jkt = thumb
		return key, nil
	}, jwt.WithValidMethods([]string{"RS256", "ES256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		return bad("The DPoP proof JWT is invalid: its header or signature does not verify.")
	}
	if htm, _ := claims["htm"].(string); htm != r.Method {
		return bad("'htm' claim in the DPoP proof JWT is invalid.")
	}
	if got, _ := claims["htu"].(string); !sameHTU(got, htu) {
		return bad("'htu' claim in the DPoP proof JWT is invalid.")
	}
	iat, ok := claims["iat"].(float64)
	if !ok || time.Since(time.Unix(int64(iat), 0)).Abs() > dpopProofWindow {
		return bad("'iat' claim in the DPoP proof JWT is invalid.")
	}
	jti, _ := claims["jti"].(string)
	if jti == "" {
		return bad("'jti' claim in the DPoP proof JWT is missing.")
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		if ath, _ := claims["ath"].(string); ath != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return bad("'ath' claim in the DPoP proof JWT is invalid.")
		}
	}
	d := s.dpop
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if now.Sub(d.swept) > dpopProofWindow/4 {
		for k, exp := range d.jtis {
			if now.After(exp) {
				delete(d.jtis, k)
			}
		}
		d.swept = now
	}
	if _, seen := d.jtis[jkt+"/"+jti]; seen {
		return bad("The DPoP proof JWT has already been used (jti replay).")
	}
	current := d.currentNonce(s.nowMS())
	if n, _ := claims["nonce"].(string); n == "" || n != current && n != d.prev {
		// Not spent: the client sends a new proof with the nonce.
		return "", &dpopFailure{code: "use_dpop_nonce", desc: "Authorization server requires nonce in DPoP proof.", nonce: current}
	}
	d.jtis[jkt+"/"+jti] = now.Add(2 * dpopProofWindow)
	return jkt, nil
}

// spendProof records the jti of r's DPoP proof as used, without checking
// the proof (checkProof does that where it matters).
func (s *Sim) spendProof(r *http.Request) {
	claims := jwt.MapClaims{}
	t, _, err := jwt.NewParser().ParseUnverified(r.Header.Get("DPoP"), claims)
	if err != nil {
		return
	}
	jwk, _ := t.Header["jwk"].(map[string]any)
	_, jkt, err := publicJWK(jwk)
	jti, _ := claims["jti"].(string)
	if err != nil || jti == "" {
		return
	}
	d := s.dpop
	d.mu.Lock()
	d.jtis[jkt+"/"+jti] = time.Now().Add(2 * dpopProofWindow)
	d.mu.Unlock()
}

// sameHTU compares a proof's htu to the request URL without query or
// fragment, with scheme and host case-insensitive and the path compared
// decoded, as Okta does.
func sameHTU(got, want string) bool {
	g, err := url.Parse(got)
	if err != nil || g.RawQuery != "" || g.Fragment != "" {
		return false
	}
	w, err := url.Parse(want)
	if err != nil {
		return false
	}
	return strings.EqualFold(g.Scheme, w.Scheme) && strings.EqualFold(g.Host, w.Host) && g.Path == w.Path
}

// publicJWK turns a proof's jwk header into a verification key and its RFC
// 7638 thumbprint. A jwk carrying private parts is refused.
func publicJWK(jwk map[string]any) (crypto.PublicKey, string, error) {
	str := func(k string) string { v, _ := jwk[k].(string); return v }
	if str("d") != "" || str("p") != "" {
		return nil, "", errors.New("private key in jwk")
	}
	num := func(k string) (*big.Int, error) {
		b, err := base64.RawURLEncoding.DecodeString(str(k))
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("jwk %s", k)
		}
		return new(big.Int).SetBytes(b), nil
	}
	var canonical []byte
	var key crypto.PublicKey
	switch str("kty") {
	case "RSA":
		n, err := num("n")
		if err != nil {
			return nil, "", err
		}
		e, err := num("e")
		if err != nil || !e.IsInt64() {
			return nil, "", errors.New("jwk e")
		}
		key = &rsa.PublicKey{N: n, E: int(e.Int64())}
		canonical, _ = json.Marshal(struct {
			E   string `json:"e"`
			Kty string `json:"kty"`
			N   string `json:"n"`
		}{str("e"), "RSA", str("n")})
	case "EC":
		if str("crv") != "P-256" {
			return nil, "", errors.New("jwk crv")
		}
		// RFC 7518 §6.2.1: x and y are the full 32-byte coordinates; the
		// point must lie on the curve (ParseUncompressedPublicKey checks).
		x, errX := base64.RawURLEncoding.DecodeString(str("x"))
		y, errY := base64.RawURLEncoding.DecodeString(str("y"))
		if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			return nil, "", errors.New("jwk x/y")
		}
		ec, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, "", fmt.Errorf("jwk point: %w", err)
		}
		key = ec
		canonical, _ = json.Marshal(struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
			Y   string `json:"y"`
		}{"P-256", "EC", str("x"), str("y")})
	default:
		return nil, "", errors.New("jwk kty")
	}
	sum := sha256.Sum256(canonical)
	return key, base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// dpopRefuse answers an API call whose proof was refused: 400 for a bad
// proof, 401 for a nonce challenge, with the DPoP challenge header.
func (c *call) dpopRefuse(f *dpopFailure) {
	status := http.StatusBadRequest
	if f.code == "use_dpop_nonce" {
		status = http.StatusUnauthorized
		c.setHeader("DPoP-Nonce", f.nonce)
	}
	c.fail(status, "E0000011", "Invalid token provided", f.desc)
	c.setHeader("WWW-Authenticate", fmt.Sprintf(`DPoP algs="RS256 ES256", error="%s", error_description="%s"`, f.code, f.desc))
}
