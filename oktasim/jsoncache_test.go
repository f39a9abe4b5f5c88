package oktasim

import (
	"bytes"
	"net/http"
	"testing"
)

// encodeAll appends every user, group (with and without stats) and app
// user of the org as served at base.
func encodeAll(o *org, base string) [][]byte {
	var out [][]byte
	for _, u := range o.users {
		out = append(out, o.appendUser(nil, u, base))
	}
	for _, g := range o.groups {
		out = append(out, o.appendCachedGroup(nil, g, base, false), o.appendCachedGroup(nil, g, base, true))
	}
	for _, a := range o.apps {
		for _, au := range a.users {
			out = append(out, o.appendAppUser(nil, au, base))
		}
	}
	return out
}

// staleCaches counts the objects whose cached JSON no longer holds.
func staleCaches(o *org, base string) (n int) {
	for _, u := range o.users {
		if c := u.cache.Load(); c == nil || c.base != base {
			n++
		}
	}
	for _, g := range o.groups {
		if c := g.cache.Load(); c == nil || !c.matches(g, base) {
			n++
		}
	}
	for _, a := range o.apps {
		for _, au := range a.users {
			if au.user.appCache.Load() == nil {
				n++
			}
		}
	}
	return n
}

// The cached JSON of users, groups and app users must always equal a
// fresh encoding, whatever changed the org since it was cached.
func TestCachedJSONFollowsChanges(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 5})
	s := srv.Sim
	super := "SSWS " + srv.SuperAdminToken()
	okta := groupsOfType(s, "OKTA_GROUP")[0]
	other := "http://localhost:8707"
	for _, tt := range []struct {
		name   string
		warm   string // the org URL caches are filled at
		base   string // the org URL the org is then served at
		change func(t *testing.T)
		stale  bool // the change must leave stale caches behind
	}{
		{"generated", srv.URL, srv.URL, func(*testing.T) {}, false},
		{"churn", srv.URL, srv.URL, func(t *testing.T) {
			if _, err := s.Churn(400); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"group writes", srv.URL, srv.URL, func(t *testing.T) {
			u := s.org.users[len(s.org.users)-1]
			for _, w := range []struct{ method, path, body string }{
				{"PUT", "/api/v1/groups/" + okta.id, `{"profile":{"name":"Renamed <b>","description":"new"}}`},
				{"PUT", "/api/v1/groups/" + okta.id + "/users/" + u.id, ""},
				{"DELETE", "/api/v1/groups/" + okta.id + "/users/" + s.org.users[2].id, ""},
			} {
				if st, body := send(t, w.method, srv.URL+w.path, super, w.body); st/100 != 2 {
					t.Fatalf("%s %s: %d %s", w.method, w.path, st, body)
				}
			}
		}, true},
		{"another org URL", srv.URL, other, func(*testing.T) {}, true},
		{"back to the first URL", other, srv.URL, func(*testing.T) {}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s.mu.RLock()
			encodeAll(s.org, tt.warm)
			s.mu.RUnlock()
			tt.change(t)
			s.mu.Lock()
			defer s.mu.Unlock()
			o := s.org
			stale := staleCaches(o, tt.base)
			if tt.stale != (stale > 0) {
				t.Fatalf("%d stale caches after the change", stale)
			}
			cached := encodeAll(o, tt.base)
			if staleCaches(o, tt.base) != 0 {
				t.Fatal("encoding left objects uncached")
			}
			o.cacheJSON = false
			fresh := encodeAll(o, tt.base)
			o.cacheJSON = true
			for i := range fresh {
				if !bytes.Equal(cached[i], fresh[i]) {
					t.Fatalf("object %d cached as\n%s\nbut is now\n%s", i, cached[i], fresh[i])
				}
			}
		})
	}
}

// A list page served from caches is byte for byte the page served
// without them.
func TestCachedPagesEqualFresh(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 6})
	s := srv.Sim
	ro := "SSWS " + srv.ReadOnlyToken()
	big := s.org.groups[0]
	for _, g := range s.org.groups {
		if len(g.members) > len(big.members) {
			big = g
		}
	}
	app := s.org.apps[0]
	for _, path := range []string{
		"/api/v1/users?limit=200",
		"/api/v1/groups?limit=200&expand=stats",
		"/api/v1/groups?limit=200",
		"/api/v1/groups/" + big.id + "/users?limit=1000",
		"/api/v1/apps/" + app.id + "/users?limit=500",
	} {
		var pages [3][]byte
		for i := range pages {
			// Cold cache, warm cache, then no cache at all.
			if i == 2 {
				s.mu.Lock()
				s.org.cacheJSON = false
				s.mu.Unlock()
			}
			st, body := send(t, http.MethodGet, srv.URL+path, ro, "")
			if st != http.StatusOK {
				t.Fatalf("%s: %d %s", path, st, body)
			}
			pages[i] = body
		}
		s.mu.Lock()
		s.org.cacheJSON = true
		s.mu.Unlock()
		if !bytes.Equal(pages[0], pages[1]) || !bytes.Equal(pages[1], pages[2]) {
			t.Errorf("%s: cold, warm and uncached pages differ (%d, %d, %d bytes)", path, len(pages[0]), len(pages[1]), len(pages[2]))
		}
	}
}

// Links carry the org URL escaped for JSON, whichever URLs the process's
// sims are addressed by, in any order.
func TestEscBase(t *testing.T) {
	bases := []string{"http://127.0.0.1:1", "http://a&b:2", "http://[::1]:3", "https://x.example", "http://<4>", "http://5\\"}
	for round := 0; round < 3; round++ {
		for _, base := range bases {
			if got, want := escBase(base), string(appendEsc(nil, base)); got != want {
				t.Fatalf("escBase(%q) = %q, want %q", base, got, want)
			}
		}
	}
}
