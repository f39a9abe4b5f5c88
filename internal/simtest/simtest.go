// Package simtest serves a simulated Okta org (oktasim) over loopback HTTP
// for the tests of other packages. It is test support, kept out of
// oktasim itself so that the simulator ships no testing code.
package simtest

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/oktasim"
)

// Server is a simulated org served over loopback HTTP for tests.
type Server struct {
	// URL is the org URL, e.g. http://127.0.0.1:34567.
	URL string
	// Sim is the org being served.
	Sim *oktasim.Sim
	srv *httptest.Server
}

// NewServer starts a simulated org for the duration of the test. It fails
// the test if opts are invalid.
func NewServer(t testing.TB, opts oktasim.Options) *Server {
	t.Helper()
	sim, err := oktasim.New(opts)
	if err != nil {
		t.Fatalf("oktasim: %v", err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Sim: sim, srv: srv}
}

// Token returns a published token's secret ("readonly", "superadmin",
// "noapps", "reviewer").
func (s *Server) Token(name string) string { return s.Sim.Token(name) }

// ReadOnlyToken is the Read-only Administrator's token, what dirdeck uses
// by default.
func (s *Server) ReadOnlyToken() string { return s.Sim.Token("readonly") }

// SuperAdminToken is a Super Administrator's token.
func (s *Server) SuperAdminToken() string { return s.Sim.Token("superadmin") }

// AlignToWindowEnd moves the sim clock so that its current one-minute
// rate-limit window ends in about lead, which keeps tests of the rate
// governor to seconds under realistic limits.
func AlignToWindowEnd(sim *oktasim.Sim, lead time.Duration) {
	now := sim.Now()
	left := now.Truncate(time.Minute).Add(time.Minute).Sub(now)
	if left < lead {
		left += time.Minute // too late in this window: use the next one
	}
	sim.Advance(left - lead)
}
