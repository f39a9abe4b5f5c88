package okta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dirdeck/dirdeck/directory"
)

// Journal collects the request journal of one sync run (or any other unit
// of work): one directory.Request per HTTP attempt. Safe for concurrent use.
type Journal struct {
	mu      sync.Mutex
	entries []directory.Request
}

// NewJournal returns an empty journal.
func NewJournal() *Journal { return &Journal{} }

func (j *Journal) add(r directory.Request) {
	j.mu.Lock()
	j.entries = append(j.entries, r)
	j.mu.Unlock()
}

// Entries returns a copy of the entries so far, in the order the attempts
// finished.
func (j *Journal) Entries() []directory.Request {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]directory.Request(nil), j.entries...)
}

// Len is the number of entries so far.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.entries)
}

// Stats are the client's request counters since it was created.
type Stats struct {
	Requests       int64                  `json:"requests"`        // HTTP attempts sent and answered or failed (not cancelled)
	Cancelled      int64                  `json:"cancelled"`       // attempts the caller cancelled before their answer
	Retries        int64                  `json:"retries"`         // attempts after the first
	ThrottledWaits int64                  `json:"throttled_waits"` // attempts the governor held back for the rate budget
	RateLimited    int64                  `json:"rate_limited"`    // 429 answers received
	Buckets        map[string]BucketStats `json:"buckets"`
}

// transport is the http.RoundTripper under the SDK: it runs every request
// through the governor, retries what is safe to retry, reads the body so a
// connection reset mid-body is retried too, and journals every attempt.
type transport struct {
	base       http.RoundTripper
	gov        *governor
	maxRetries int
	backoff    time.Duration
	// attemptTimeout bounds one HTTP attempt, body included.
	attemptTimeout time.Duration
	logger         *slog.Logger
	onThrottle     func(bucket string, until time.Time)
	onRetry        func(failed directory.Request, backoff time.Duration)
	// lifetime bounds requests the SDK sends without a context (its OAuth
	// token requests use context.TODO).
	lifetime context.Context

	journal atomic.Pointer[Journal]

	// dpop signs a fresh DPoP proof for every attempt once the service
	// app turns out to require DPoP (dpop.go).
	dpop dpopSigner

	requests, retries, throttled, rateLimited, cancelled atomic.Int64

	mu            sync.Mutex
	serverDate    time.Time // Date of the latest response
	serverDateAt  time.Time // local (monotonic) time it arrived
	grantedScopes []string
	tokenLifetime time.Duration // expires_in of the latest access token
	tokenErr      *APIError     // the token endpoint's last refusal
}

// retryableStatus are answers worth another attempt: the request was not
// (or not successfully) processed.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// idempotent requests may be repeated after a network error or a 5xx
// without changing the outcome. The OAuth token request only mints a new
// token, so repeating it is harmless too.
func idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return req.URL.Path == "/oauth2/v1/token"
}

// nextLinkKey is the context key of a next-page link (see withNextLink).
type nextLinkKey struct{}

// withNextLink returns ctx carrying next, a listing's Link rel="next"
// target. The transport sends a request for the same origin and path made
// on that context to next instead: its query exactly as Okta wrote it.
func withNextLink(ctx context.Context, next *url.URL) context.Context {
	return context.WithValue(ctx, nextLinkKey{}, next)
}

// followNextLink points req at the next link its context carries, if that
// link is for req's origin and path (paginate checked it against the page
// it came from; anything else on the context, such as an OAuth token
// request, goes where it was going).
func followNextLink(req *http.Request) *http.Request {
	next, ok := req.Context().Value(nextLinkKey{}).(*url.URL)
	if !ok || req.Method != http.MethodGet || next.Scheme != req.URL.Scheme || next.Host != req.URL.Host ||
		next.EscapedPath() != req.URL.EscapedPath() {
		return req
	}
	out := req.Clone(req.Context())
	u := *next
	out.URL = &u
	return out
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = followNextLink(req)
	ctx := req.Context()
	if ctx == context.Background() || ctx == context.TODO() {
		ctx = t.lifetime
	}
	bucket := BucketFor(req.URL.Path)
	tmpl := pathTemplate(req.URL.Path)

	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}

	malformedRetried := false
	challenges := 0 // DPoP round trips, which do not use up retries
	for attempt := 1; ; attempt++ {
		waited, throttled, err := t.gov.acquire(ctx, bucket, t.onThrottle)
		if throttled {
			t.throttled.Add(1)
		}
		if err != nil {
			return nil, err
		}

		// The attempt's own deadline covers a server that stalls mid-body;
		// it ends in a retry, not a hung sync.
		actx, cancel := context.WithTimeout(ctx, t.attemptTimeout)
		out := req.Clone(actx)
		if body != nil {
			out.Body = io.NopCloser(bytes.NewReader(body))
			out.ContentLength = int64(len(body))
		}
		// After the governor's wait, right before sending: a proof per
		// attempt, never one sent twice.
		if err := t.dpop.sign(out); err != nil {
			cancel()
			return nil, err
		}
		start := time.Now()
		resp, err := t.base.RoundTrip(out)
		var respBody []byte
		if err == nil {
			respBody, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		cancel()
		received := time.Now()
		entry := directory.Request{
			Time:      start.UTC(),
			Method:    req.Method,
			Path:      tmpl,
			Bucket:    bucket,
			LatencyMS: received.Sub(start).Milliseconds(),
			Attempt:   attempt,
			WaitedMS:  waited.Milliseconds(),
		}
		var ri rateInfo
		if resp != nil {
			ri = parseRateInfo(resp.Header, received)
			entry.Status = resp.StatusCode
			entry.RateLimit, entry.RateRemaining, entry.RateReset = ri.limit, ri.remaining, ri.reset
			t.noteDate(ri)
		}
		t.gov.release(bucket, ri, resp != nil)

		if err != nil && ctx.Err() != nil {
			// The caller gave up (another request of the sync failed, or
			// the user quit): whether Okta saw this attempt is unknown, and
			// it failed nothing. Journaled as cancelled, counted apart.
			entry.Network = "cancelled: " + networkText(err)
			entry.Cancelled = true
			t.cancelled.Add(1)
			t.record(entry)
			return nil, ctx.Err()
		}
		t.requests.Add(1)
		if attempt > 1 {
			t.retries.Add(1)
		}
		if err != nil {
			entry.Network = networkText(err)
			if resp != nil {
				// The status arrived but the body did not.
				entry.Network = "reading body: " + entry.Network
			}
			t.record(entry)
			if idempotent(req) && attempt-challenges <= t.maxRetries {
				if err := t.sleep(ctx, attempt-challenges, entry); err != nil {
					return nil, err
				}
				continue
			}
			ne := &NetworkError{Op: req.Method + " " + tmpl, Text: entry.Network}
			if b, ok := ctx.Value(netErrKey{}).(*netErrBox); ok {
				b.set(ne)
			}
			return nil, ne
		}

		// A JSON body that ends before its value does was cut in transit
		// (a proxy or the connection gave up mid-body): the same failure
		// as a reset while reading, retried alike, and journaled as such.
		// One scan of a successful JSON body tells both (json.Valid; the
		// slower cutShort only for a body already known to be wrong).
		malformed := resp.StatusCode < 300 && isJSON(resp.Header) && !json.Valid(respBody)
		cut := malformed && cutShort(respBody)
		if cut {
			entry.Network = fmt.Sprintf("reading body: cut short after %d bytes", len(respBody))
		}
		dv, err := t.dpop.observe(req, resp, respBody)
		if err != nil {
			t.record(entry)
			return nil, err
		}
		respBody = dv.body
		if resp.StatusCode >= 400 {
			// The hint is written with the entry, so readers of the
			// journal (the Syncs pane) need not know Okta's errors.
			eb := newAPIError("", resp.StatusCode, respBody).withChallenge(resp.Header)
			eb.Method, eb.Path = req.Method, tmpl
			entry.ErrorCode, entry.ErrorID, entry.Hint = eb.ErrorCode, eb.ErrorID, eb.Hint()
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			t.rateLimited.Add(1)
		}
		if req.URL.Path == "/oauth2/v1/token" {
			t.noteToken(resp.StatusCode, respBody)
		}
		t.record(entry)
		if dv.again && challenges < dpopMaxChallenges {
			challenges++
			continue
		}

		retry := false
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			// Not processed, so safe for any method; the governor holds the
			// next attempt until the window resets.
			retry = true
		case retryableStatus(resp.StatusCode):
			retry = idempotent(req)
		case cut:
			retry = idempotent(req)
		case malformed && !malformedRetried:
			// A broken answer to a write may hide a write that happened.
			malformedRetried = true
			retry = idempotent(req)
		}
		if retry && attempt-challenges <= t.maxRetries {
			t.logger.Debug("okta retry", "method", req.Method, "path", tmpl, "status", resp.StatusCode, "attempt", attempt)
			if err := t.sleep(ctx, attempt-challenges, entry); err != nil {
				return nil, err
			}
			continue
		}
		respBody = divertBody(ctx, req, resp, respBody, !malformed)
		resp.Body = io.NopCloser(bytes.NewReader(respBody))
		resp.ContentLength = int64(len(respBody))
		return resp, nil
	}
}

func (t *transport) record(e directory.Request) {
	if j := t.journal.Load(); j != nil {
		j.add(e)
	}
	t.logger.Debug("okta request", "method", e.Method, "path", e.Path, "status", e.Status,
		"attempt", e.Attempt, "latency_ms", e.LatencyMS, "waited_ms", e.WaitedMS, "remaining", e.RateRemaining)
}

// NetworkError is a request that got no answer from the org (refused,
// reset, timed out, cut short) on its last attempt: a wrong org URL or a
// network problem, not something Okta said.
type NetworkError struct {
	Op   string // e.g. "GET /api/v1/users"
	Text string // what went wrong, without the URL's query
}

func (e *NetworkError) Error() string { return e.Op + ": " + e.Text }

// netErrKey carries a netErrBox on a request's context. The SDK flattens
// transport errors to text, so the transport leaves its NetworkError in
// the box and wrapErr takes it from there, keeping it for errors.As.
type netErrKey struct{}

type netErrBox struct {
	mu  sync.Mutex
	err *NetworkError
}

func (b *netErrBox) set(e *NetworkError) { b.mu.Lock(); b.err = e; b.mu.Unlock() }

func (b *netErrBox) get() *NetworkError { b.mu.Lock(); defer b.mu.Unlock(); return b.err }

// sleep waits a jittered exponential backoff before attempt+1, after
// telling OnRetry.
func (t *transport) sleep(ctx context.Context, attempt int, failed directory.Request) error {
	d := t.backoff << min(attempt-1, 6)
	d = d/2 + rand.N(d/2+1)
	if t.onRetry != nil {
		t.onRetry(failed, d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func (t *transport) noteDate(ri rateInfo) {
	if ri.date.IsZero() {
		return
	}
	t.mu.Lock()
	if t.serverDateAt.IsZero() || ri.received.After(t.serverDateAt) {
		t.serverDate, t.serverDateAt = ri.date, ri.received
	}
	t.mu.Unlock()
}

// noteToken keeps the granted scopes of a minted access token (the SDK
// caches the token privately) or the endpoint's refusal, which the SDK
// reduces to "Empty access token". The token itself is not kept.
func (t *transport) noteToken(status int, body []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if status >= 300 {
		t.tokenErr = newAPIError("get OAuth access token", status, body)
		return
	}
	var tok struct {
		Scope     string `json:"scope"`
		ExpiresIn int64  `json:"expires_in"`
	}
	if json.Unmarshal(body, &tok) == nil {
		t.grantedScopes = strings.Fields(tok.Scope)
		t.tokenLifetime = time.Duration(tok.ExpiresIn) * time.Second
		t.tokenErr = nil
	}
}

// cutShort reports whether body is JSON that stops before its value ends
// ("unexpected end of JSON input"), as opposed to JSON that is wrong.
func cutShort(body []byte) bool {
	var se *json.SyntaxError
	err := json.Unmarshal(body, new(json.RawMessage))
	return errors.As(err, &se) && se.Offset >= int64(len(body)) && strings.Contains(se.Error(), "unexpected end")
}

func isJSON(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// networkText is the error without the request URL, whose query may hold
// personal data (search terms, logins).
func networkText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
