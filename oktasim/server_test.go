package oktasim

import (
	"net/http/httptest"
	"testing"
)

// Server is the sim served over loopback for this package's own tests;
// other packages use internal/simtest, which these tests cannot import
// (it imports oktasim).
type Server struct {
	*httptest.Server
	Sim *Sim
}

// NewServer serves a new sim until the test ends.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	sim, err := New(opts)
	if err != nil {
		t.Fatalf("oktasim: %v", err)
	}
	s := &Server{Server: httptest.NewServer(sim), Sim: sim}
	t.Cleanup(s.Close)
	return s
}

// Token returns a published token's secret.
func (s *Server) Token(name string) string { return s.Sim.Token(name) }

// ReadOnlyToken is the Read-only Administrator's token.
func (s *Server) ReadOnlyToken() string { return s.Sim.Token("readonly") }

// SuperAdminToken is a Super Administrator's token.
func (s *Server) SuperAdminToken() string { return s.Sim.Token("superadmin") }
