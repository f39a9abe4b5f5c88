package oktasim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// dpopKey is a test client's proof key.
type dpopKey struct{ k *ecdsa.PrivateKey }

func newDPoPKey(t *testing.T) dpopKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return dpopKey{k}
}

// proof signs a DPoP proof; mutate may change the claims.
func (d dpopKey) proof(t *testing.T, method, htu, nonce, token string, mutate func(jwt.MapClaims)) string {
	t.Helper()
	claims := jwt.MapClaims{"htm": method, "htu": htu, "iat": time.Now().Unix(), "jti": fmt.Sprint(time.Now().UnixNano())}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if mutate != nil {
		mutate(claims)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["typ"] = "dpop+jwt"
	b := func(n []byte) string { return base64.RawURLEncoding.EncodeToString(n) }
	pub, err := d.k.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	tok.Header["jwk"] = map[string]string{"kty": "EC", "crv": "P-256", "x": b(pub[1:33]), "y": b(pub[33:])}
	s, err := tok.SignedString(d.k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dpopDo sends one request with the given Authorization and DPoP headers.
func dpopDo(t *testing.T, method, target, auth, proof string, form url.Values) (int, []byte, http.Header) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header
}

// TestDPoPTokenEndpointAndAPI walks Okta's DPoP flow against a sim that
// requires it: the token endpoint refuses a request without a proof, then
// challenges for a nonce; the token is DPoP-bound; API calls need a fresh
// proof each, and a replayed proof, a wrong htu or htm, a stale iat, a
// proof from another key, a Bearer use of the token and a rotated-out
// nonce are refused with Okta's errors.
func TestDPoPTokenEndpointAndAPI(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 3, DPoP: true})
	sc := clientByName(t, srv.Sim, "readonly")
	tokenURL := srv.URL + "/oauth2/v1/token"
	form := func() url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "scope": {"okta.users.read"}, "client_assertion_type": {jwtBearerAssertion},
			"client_assertion": {assertion(t, parsePEMKey(t, sc.PrivateKeyPEM), sc.ClientID, tokenURL, nil)}}
	}
	key := newDPoPKey(t)

	status, body, _ := dpopDo(t, "POST", tokenURL, "", "", form())
	if status != 400 || !strings.Contains(string(body), `"error":"invalid_dpop_proof"`) || !strings.Contains(string(body), "The DPoP proof JWT header is missing.") {
		t.Fatalf("no proof: %d %s", status, body)
	}
	status, body, h := dpopDo(t, "POST", tokenURL, "", key.proof(t, "POST", tokenURL, "", "", nil), form())
	nonce := h.Get("DPoP-Nonce")
	if status != 400 || !strings.Contains(string(body), `"error":"use_dpop_nonce"`) || nonce == "" {
		t.Fatalf("no nonce: %d %s (nonce %q)", status, body, nonce)
	}
	status, body, _ = dpopDo(t, "POST", tokenURL, "", key.proof(t, "POST", tokenURL, nonce, "", nil), form())
	var tok tokenResponse
	if status != 200 || json.Unmarshal(body, &tok) != nil || tok.TokenType != "DPoP" {
		t.Fatalf("token: %d %s", status, body)
	}

	api := srv.URL + "/api/v1/users"
	target := api + "?limit=1"
	auth := "DPoP " + tok.AccessToken
	good := key.proof(t, "GET", api, nonce, tok.AccessToken, nil)
	if status, body, _ := dpopDo(t, "GET", target, auth, good, nil); status != 200 {
		t.Fatalf("good proof: %d %s", status, body)
	}
	other := newDPoPKey(t)
	for _, tt := range []struct {
		name, auth, proof string
		status            int
		want              string
	}{
		{"replayed proof", auth, good, 400, "jti replay"},
		{"wrong htu", auth, key.proof(t, "GET", srv.URL+"/api/v1/groups", nonce, tok.AccessToken, nil), 400, "'htu' claim"},
		{"htu with the query", auth, key.proof(t, "GET", target, nonce, tok.AccessToken, nil), 400, "'htu' claim"},
		{"wrong htm", auth, key.proof(t, "POST", api, nonce, tok.AccessToken, nil), 400, "'htm' claim"},
		{"stale iat", auth, key.proof(t, "GET", api, nonce, tok.AccessToken, func(c jwt.MapClaims) { c["iat"] = time.Now().Add(-5 * time.Minute).Unix() }), 400, "'iat' claim"},
		{"no ath", auth, key.proof(t, "GET", api, nonce, "", nil), 400, "'ath' claim"},
		{"another key", auth, other.proof(t, "GET", api, nonce, tok.AccessToken, nil), 400, "bound to"},
		{"no proof", auth, "", 400, "header is missing"},
		{"as a Bearer token", "Bearer " + tok.AccessToken, key.proof(t, "GET", api, nonce, tok.AccessToken, nil), 401, "E0000011"},
	} {
		status, body, h := dpopDo(t, "GET", target, tt.auth, tt.proof, nil)
		if status != tt.status || !strings.Contains(string(body)+h.Get("WWW-Authenticate"), tt.want) {
			t.Errorf("%s: %d %s (%s), want %d with %q", tt.name, status, body, h.Get("WWW-Authenticate"), tt.status, tt.want)
		}
		if tt.status == 400 && (!strings.HasPrefix(h.Get("WWW-Authenticate"), "DPoP ") || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_dpop_proof"`)) {
			t.Errorf("%s: challenge %q", tt.name, h.Get("WWW-Authenticate"))
		}
	}

	// Nonces rotate: two periods later the old one is refused with a
	// challenge carrying the new one, which then works.
	srv.Sim.Advance(2*dpopNonceTTL + time.Minute)
	status, _, h = dpopDo(t, "GET", target, auth, key.proof(t, "GET", api, nonce, tok.AccessToken, nil), nil)
	fresh := h.Get("DPoP-Nonce")
	if status != 401 || !strings.Contains(h.Get("WWW-Authenticate"), `error="use_dpop_nonce"`) || fresh == "" || fresh == nonce {
		t.Fatalf("rotated nonce: %d, challenge %q, nonce %q", status, h.Get("WWW-Authenticate"), fresh)
	}
	if status, body, _ := dpopDo(t, "GET", target, auth, key.proof(t, "GET", api, fresh, tok.AccessToken, nil), nil); status != 200 {
		t.Fatalf("after the challenge: %d %s", status, body)
	}
}
