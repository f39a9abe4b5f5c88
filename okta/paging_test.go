package okta

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

// opaqueLinks fronts the sim over HTTP and pages the way Okta says its
// links may change ("follow it, don't parse it", the spec's limit
// parameters): every next link becomes <path>?after=<token>, where the
// token stands for the sim's whole next query — filter, search, limit and
// cursor. A request that carries a token together with anything else (a
// client that took the cursor out of the link and put it into a request of
// its own) gets Okta's 400, as would a token it never issued.
type opaqueLinks struct {
	sim      http.Handler
	mu       sync.Mutex
	queries  map[string]string // token → the sim's next-link query
	followed atomic.Int64
}

var nextLinkRE = regexp.MustCompile(`<([^>]*)>;\s*rel="next"`)

func (o *opaqueLinks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if tok := r.URL.Query().Get("after"); tok != "" {
		o.mu.Lock()
		q, ok := o.queries[tok]
		o.mu.Unlock()
		if !ok || r.URL.RawQuery != "after="+tok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"errorCode":"E0000001","errorSummary":"Api validation failed: after","errorLink":"E0000001","errorId":"oaeTESTpaging","errorCauses":[{"errorSummary":"after: invalid cursor"}]}`))
			return
		}
		o.followed.Add(1)
		r = r.Clone(r.Context())
		r.URL.RawQuery = q
		r.RequestURI = r.URL.RequestURI()
	}
	o.sim.ServeHTTP(&linkRewriter{ResponseWriter: w, o: o}, r)
}

// linkRewriter swaps the sim's next links for opaque ones as the headers
// go out.
type linkRewriter struct {
	http.ResponseWriter
	o       *opaqueLinks
	written bool
}

func (lw *linkRewriter) WriteHeader(status int) {
	if !lw.written {
		lw.written = true
		h := lw.Header()
		links := h.Values("Link")
		h.Del("Link")
		for _, l := range links {
			if m := nextLinkRE.FindStringSubmatch(l); m != nil {
				u, err := url.Parse(m[1])
				if err == nil {
					lw.o.mu.Lock()
					tok := "t" + strconv.Itoa(len(lw.o.queries))
					lw.o.queries[tok] = u.RawQuery
					lw.o.mu.Unlock()
					u.RawQuery = "after=" + tok
					l = "<" + u.String() + `>; rel="next"`
				}
			}
			h.Add("Link", l)
		}
	}
	lw.ResponseWriter.WriteHeader(status)
}

func (lw *linkRewriter) Write(b []byte) (int, error) {
	if !lw.written {
		lw.WriteHeader(http.StatusOK)
	}
	return lw.ResponseWriter.Write(b)
}

// TestPagingFollowsNextLinksAsReturned: every listing of a full sync, plus
// filtered listings at small page sizes, reads the sim's truth exactly when
// the next links carry everything in an opaque token: later pages are the
// links as returned, never a cursor put back into a request of dirdeck's.
func TestPagingFollowsNextLinksAsReturned(t *testing.T) {
	t.Parallel()
	sim, err := oktasim.New(oktasim.Options{Scenario: "S", Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	front := &opaqueLinks{sim: sim, queries: map[string]string{}}
	hs := httptest.NewServer(front)
	t.Cleanup(hs.Close)
	srv := &simtest.Server{URL: hs.URL, Sim: sim}
	c := simClient(t, srv, sim.Token("readonly"), Options{})

	s, err := listAll(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	checkTruth(t, srv, s)
	if front.followed.Load() == 0 {
		t.Fatal("no next link was followed: the scenario fits on first pages")
	}

	// A filter and a small page: every page must keep both, which only
	// the link knows.
	direct := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 11})
	want := map[string]bool{}
	dc := simClient(t, direct, direct.ReadOnlyToken(), Options{})
	if err := dc.ListUsers(t.Context(), Query{Filter: `status eq "ACTIVE"`}, func(us []directory.User) error {
		for _, u := range us {
			want[u.ID] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	before := front.followed.Load()
	got := map[string]bool{}
	if err := c.ListUsers(t.Context(), Query{Filter: `status eq "ACTIVE"`, Limit: 7}, func(us []directory.User) error {
		for _, u := range us {
			if u.Status != "ACTIVE" || got[u.ID] {
				t.Fatalf("page with %s user %s (filter lost, or a page repeated)", u.Status, u.ID)
			}
			got[u.ID] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(want) < 20 {
		t.Fatalf("filtered listing: %d users, want %d", len(got), len(want))
	}
	if n := front.followed.Load() - before; n < int64(len(want)/7) {
		t.Errorf("filtered listing followed %d next links, want ≥ %d", n, len(want)/7)
	}
}
