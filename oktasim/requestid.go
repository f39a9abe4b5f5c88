package oktasim

// Okta answers every API request with an X-Okta-Request-Id header: support
// asks for it, the System Log records it, and the SDK copies it into
// X-Okta-Retry-For when it retries a 429. The sim's ids are deterministic
// (the n-th API request of a sim seeded s always gets the same id, so a
// replay lines up with its original) and unique within a sim.

// requestIDLen is the length of Okta's request ids, e.g.
// "Wk6JjxHAcx4oDV2O3A3W0QAABGA".
const requestIDLen = 27

// nextRequestID numbers the request and returns its id.
func (s *Sim) nextRequestID() string {
	return requestID(s.opts.Seed, s.requestSeq.Add(1))
}

// requestID derives the id of the n-th request of a sim seeded seed. The
// first 11 characters are a bijection of n (mix64 is invertible and 62^11
// exceeds 2^64), so distinct requests never share an id; the rest is a
// hash of them, for Okta's look.
func requestID(seed int64, n uint64) string {
	var b [requestIDLen]byte
	x := mix64(n + mix64(uint64(seed)))
	h := x
	for i := 0; i < 11; i++ {
		b[i] = base62[h%62]
		h /= 62
	}
	h = mix64(x)
	for i := 11; i < requestIDLen; i++ {
		if i == 21 {
			h = mix64(h)
		}
		b[i] = base62[h%62]
		h /= 62
	}
	return string(b[:])
}
