package oktasim

// This copy of internal/simtest serves this package's own tests, which
// cannot import simtest (it imports oktasim).

import (
	"net/http/httptest"
	"testing"
)

// Server is a simulated org served over loopback HTTP for tests.
type Server struct {
	// URL is the org URL, e.g. http://127.0.0.1:34567.
	URL string
	// Sim is the org being served.
	Sim *Sim
	srv *httptest.Server
}

// NewServer starts a simulated org for the duration of the test. It fails
// the test if opts are invalid.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	sim, err := New(opts)
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
