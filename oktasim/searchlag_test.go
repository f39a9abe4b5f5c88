package oktasim

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"
)

// TestSearchLagsFilterDoesNot: a created or renamed group reaches search
// only after the lag (on the sim clock), while filter sees it at once.
func TestSearchLagsFilterDoesNot(t *testing.T) {
	srv := NewServer(t, Options{Seed: 4, SearchLag: time.Hour})
	super := "SSWS " + srv.SuperAdminToken()
	names := func(param, expr string) map[string]string {
		t.Helper()
		code, body := send(t, "GET", srv.URL+"/api/v1/groups?"+param+"="+url.QueryEscape(expr), super, "")
		var gs []struct {
			ID      string
			Profile struct{ Name string }
		}
		if code != 200 || json.Unmarshal(body, &gs) != nil {
			t.Fatalf("%s=%s: %d %s", param, expr, code, body)
		}
		out := map[string]string{}
		for _, g := range gs {
			out[g.Profile.Name] = g.ID
		}
		return out
	}
	code, body := send(t, "POST", srv.URL+"/api/v1/groups", super, `{"profile":{"name":"Lagging"}}`)
	var created struct{ ID string }
	if code != 200 || json.Unmarshal(body, &created) != nil {
		t.Fatalf("create: %d %s", code, body)
	}
	steps := []struct {
		what           string
		act            func()
		search, filter string // name expected from each ("" = absent)
	}{
		{"just created", func() {}, "", "Lagging"},
		{"after the lag", func() { srv.Sim.Advance(time.Hour) }, "Lagging", "Lagging"},
		{"just renamed", func() {
			if code, body := send(t, "PUT", srv.URL+"/api/v1/groups/"+created.ID, super, `{"profile":{"name":"Renamed"}}`); code != 200 {
				t.Fatalf("rename: %d %s", code, body)
			}
		}, "Lagging", "Renamed"},
		{"after the rename's lag", func() { srv.Sim.Advance(time.Hour) }, "Renamed", "Renamed"},
	}
	for _, st := range steps {
		st.act()
		searched := names("search", `type eq "OKTA_GROUP"`)
		filtered := names("filter", `type eq "OKTA_GROUP"`)
		for _, n := range []string{"Lagging", "Renamed"} {
			if got, want := searched[n] == created.ID, n == st.search; got != want {
				t.Errorf("%s: search shows %q: %v, want %v", st.what, n, got, want)
			}
			if got, want := filtered[n] == created.ID, n == st.filter; got != want {
				t.Errorf("%s: filter shows %q: %v, want %v", st.what, n, got, want)
			}
		}
	}
}
