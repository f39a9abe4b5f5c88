package oktasim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// get performs an authenticated GET against srv and decodes nothing.
func get(t *testing.T, srv *Server, token, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "SSWS "+token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return resp, body
}

var nextRE = regexp.MustCompile(`<([^>]+)>; rel="next"`)

// listAll follows rel="next" links from path and returns every object.
func listAll(t *testing.T, srv *Server, token, path string) []map[string]any {
	t.Helper()
	var all []map[string]any
	for pages := 0; path != ""; pages++ {
		if pages > 100000 {
			t.Fatal("paging does not terminate")
		}
		resp, body := get(t, srv, token, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		var items []map[string]any
		if err := json.Unmarshal(body, &items); err != nil {
			t.Fatalf("GET %s: %v in %.200s", path, err, body)
		}
		all = append(all, items...)
		path = ""
		links := strings.Join(resp.Header.Values("Link"), ", ")
		if !strings.Contains(links, `rel="self"`) {
			t.Fatalf("no self link: %q", links)
		}
		if m := nextRE.FindStringSubmatch(links); m != nil {
			path = strings.TrimPrefix(m[1], srv.URL)
		}
	}
	return all
}

// naiveDigest recomputes the canonical digest by building and sorting
// every line, independently of truth's streaming walk.
func naiveDigest(o *org) string {
	var lines []string
	for _, u := range o.users {
		lines = append(lines, fmt.Sprintf("user\t%s\t%s\t%s\n", u.id, u.status, fmtTime(u.lastUpdated)))
	}
	for _, g := range o.groups {
		lines = append(lines, fmt.Sprintf("group\t%s\t%s\n", g.id, fmtTime(g.lastUpdated)))
		for _, u := range g.members {
			lines = append(lines, fmt.Sprintf("member\t%s\t%s\n", g.id, u.id))
		}
	}
	for _, a := range o.apps {
		lines = append(lines, fmt.Sprintf("app\t%s\t%s\n", a.id, fmtTime(a.lastUpdated)))
		for _, au := range a.users {
			lines = append(lines, fmt.Sprintf("appuser\t%s\t%s\n", a.id, au.user.id))
		}
		for _, ag := range a.groups {
			lines = append(lines, fmt.Sprintf("appgroup\t%s\t%s\n", a.id, ag.group.id))
		}
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func TestGenerateDeterministicAndRealistic(t *testing.T) {
	for _, sc := range []string{"S", "M"} {
		t.Run(sc, func(t *testing.T) {
			a, err := New(Options{Scenario: sc, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := New(Options{Scenario: sc, Seed: 7})
			c, _ := New(Options{Scenario: sc, Seed: 8})
			ta, tb, tc := a.Truth(), b.Truth(), c.Truth()
			if ta.Digest != tb.Digest {
				t.Errorf("same seed, different digests %s %s", ta.Digest, tb.Digest)
			}
			if ta.Digest == tc.Digest {
				t.Errorf("different seeds, same digest")
			}
			if got := naiveDigest(a.org); got != ta.Digest {
				t.Errorf("streamed digest %s != sorted digest %s", ta.Digest, got)
			}
			want := scenarios[sc]
			if ta.Counts["users"] != want.users || ta.Counts["groups"] != want.groups || ta.Counts["apps"] != want.apps {
				t.Errorf("counts %v, want %d/%d/%d", ta.Counts, want.users, want.groups, want.apps)
			}
			status := map[string]int{}
			types := map[string]int{}
			scripts := map[string]bool{}
			biggest, empty, groupScoped := 0, 0, 0
			for _, u := range a.org.users {
				status[u.status]++
				p := a.org.profile(u)
				for _, r := range p.FirstName + p.LastName {
					switch {
					case r >= 0x4e00 && r <= 0x9fff:
						scripts["cjk"] = true
					case r >= 0x0600 && r <= 0x06ff:
						scripts["arabic"] = true
					case r >= 0x0400 && r <= 0x04ff:
						scripts["cyrillic"] = true
					case r >= 0x0370 && r <= 0x03ff:
						scripts["greek"] = true
					case r >= 0x0900 && r <= 0x097f:
						scripts["devanagari"] = true
					}
				}
			}
			for _, g := range a.org.groups {
				types[g.typ]++
				if g.typ != "BUILT_IN" {
					biggest = max(biggest, len(g.members))
				}
				if len(g.members) == 0 {
					empty++
				}
			}
			for _, ap := range a.org.apps {
				for _, au := range ap.users {
					if !au.direct {
						groupScoped++
					}
				}
			}
			n := float64(want.users)
			if f := float64(status["SUSPENDED"]) / n; f < 0.02 || f > 0.09 {
				t.Errorf("suspended fraction %.3f", f)
			}
			if f := float64(status["DEPROVISIONED"]) / n; f < 0.01 || f > 0.06 {
				t.Errorf("deprovisioned fraction %.3f", f)
			}
			if types["BUILT_IN"] != 1 || types["APP_GROUP"] == 0 {
				t.Errorf("group types %v", types)
			}
			if len(scripts) < 5 {
				t.Errorf("scripts %v", scripts)
			}
			if sc == "M" && biggest <= 1000 {
				t.Errorf("largest group has %d members, want > 1000", biggest)
			}
			if empty == 0 || groupScoped == 0 {
				t.Errorf("empty groups %d, group-scoped app users %d", empty, groupScoped)
			}
		})
	}
}

func TestHostileProfiles(t *testing.T) {
	s, err := New(Options{Scenario: "S", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, u := range s.org.users[:12] {
		all.WriteString(string(s.org.appendUser(nil, u, "http://x")))
	}
	out := all.String()
	for _, want := range []string{`\u003cscript\u003ealert(1)\u003c/script\u003e`, `\" onerror=\"x`, `\u001b[2J`, `\u001b]52;c;aGVsbG8=\u0007`} {
		if !strings.Contains(out, want) {
			t.Errorf("hostile value %q missing", want)
		}
	}
	var u map[string]any
	if err := json.Unmarshal(s.org.appendUser(nil, s.org.users[9], "http://x"), &u); err != nil {
		t.Fatal(err)
	}
	if title := u["profile"].(map[string]any)["title"].(string); len(title) != 2000 {
		t.Errorf("long title has %d chars", len(title))
	}
}

func TestListEverythingMatchesTruth(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 3})
	tok := srv.ReadOnlyToken()
	o := srv.Sim.org
	users := listAll(t, srv, tok, "/api/v1/users?limit=37")
	deprov := listAll(t, srv, tok, `/api/v1/users?filter=`+urlq(`status eq "DEPROVISIONED"`))
	nDeprov := 0
	for _, u := range o.users {
		if u.status == "DEPROVISIONED" {
			nDeprov++
		}
	}
	if len(deprov) != nDeprov || nDeprov == 0 {
		t.Fatalf("deprovisioned listed %d, have %d", len(deprov), nDeprov)
	}
	if len(users)+len(deprov) != len(o.users) {
		t.Fatalf("listed %d+%d users, have %d", len(users), len(deprov), len(o.users))
	}
	var lines []string
	for _, u := range append(users, deprov...) {
		lines = append(lines, fmt.Sprintf("user\t%s\t%s\t%s\n", u["id"], u["status"], u["lastUpdated"]))
	}
	groups := listAll(t, srv, tok, "/api/v1/groups?limit=7")
	for _, g := range groups {
		lines = append(lines, fmt.Sprintf("group\t%s\t%s\n", g["id"], g["lastUpdated"]))
		for _, m := range listAll(t, srv, tok, "/api/v1/groups/"+g["id"].(string)+"/users?limit=50") {
			lines = append(lines, fmt.Sprintf("member\t%s\t%s\n", g["id"], m["id"]))
		}
	}
	apps := listAll(t, srv, tok, "/api/v1/apps?limit=5")
	for _, a := range apps {
		id := a["id"].(string)
		lines = append(lines, fmt.Sprintf("app\t%s\t%s\n", id, a["lastUpdated"]))
		for _, au := range listAll(t, srv, tok, "/api/v1/apps/"+id+"/users?limit=20") {
			lines = append(lines, fmt.Sprintf("appuser\t%s\t%s\n", id, au["id"]))
		}
		for _, ag := range listAll(t, srv, tok, "/api/v1/apps/"+id+"/groups?limit=20") { // the spec's minimum
			lines = append(lines, fmt.Sprintf("appgroup\t%s\t%s\n", id, ag["id"]))
		}
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
	}
	if got, want := "sha256:"+hex.EncodeToString(h.Sum(nil)), srv.Sim.Truth().Digest; got != want {
		t.Fatalf("digest from API %s != truth %s", got, want)
	}
}

func urlq(s string) string {
	r := strings.NewReplacer(" ", "%20", `"`, "%22")
	return r.Replace(s)
}

func TestErrorsAndAuth(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 1})
	ro, noapps, super := srv.Token("readonly"), srv.Token("noapps"), srv.Token("superadmin")
	uid := srv.Sim.org.users[20].id
	tests := []struct {
		name, token, path string
		status            int
		code              string
	}{
		{"no token", "", "/api/v1/users", 401, "E0000011"},
		{"bad token", "00bogus", "/api/v1/users", 401, "E0000011"},
		{"readonly lists apps", ro, "/api/v1/apps", 200, ""},
		{"noapps refused apps", noapps, "/api/v1/apps", 403, "E0000006"},
		{"noapps refused app users", noapps, "/api/v1/apps/" + srv.Sim.org.apps[0].id + "/users", 403, "E0000006"},
		{"noapps lists users", noapps, "/api/v1/users", 200, ""},
		{"unknown user", ro, "/api/v1/users/00u0000000000000000x", 404, "E0000007"},
		{"unknown path", ro, "/api/v1/nope", 404, "E0000007"},
		{"get user", super, "/api/v1/users/" + uid, 200, ""},
		{"me", ro, "/api/v1/users/me", 200, ""},
		{"limit 0", ro, "/api/v1/users?limit=0", 400, "E0000001"},
		{"limit -1", ro, "/api/v1/users?limit=-1", 400, "E0000001"},
		{"limit abc", ro, "/api/v1/users?limit=abc", 400, "E0000001"},
		{"limit 1e10", ro, "/api/v1/users?limit=10000000000", 400, "E0000001"},
		{"limit 1e9 clamps", ro, "/api/v1/users?limit=1000000000", 200, ""},
		{"bad cursor", ro, "/api/v1/users?after=%00%27", 400, "E0000001"},
		{"bad filter attr", ro, "/api/v1/users?filter=" + urlq(`nope eq "x"`), 400, "E0000031"},
		{"bad filter op", ro, "/api/v1/users?filter=" + urlq(`status sw "A"`), 400, "E0000031"},
		{"unterminated", ro, "/api/v1/users?filter=" + urlq(`status eq "A`), 400, "E0000031"},
		{"bad time", ro, "/api/v1/users?filter=" + urlq(`lastUpdated gt "yesterday"`), 400, "E0000031"},
		{"bad search", ro, "/api/v1/users?search=" + urlq(`((`), 400, "E0000031"},
		{"bad group filter", ro, "/api/v1/groups?filter=" + urlq(`profile.name eq "x"`), 400, "E0000031"},
		{"roles", ro, "/api/v1/users/" + srv.Sim.org.users[1].id + "/roles", 200, ""},
		{"api tokens", ro, "/api/v1/api-tokens", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, srv, tt.token, tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			for _, h := range []string{"Date", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"} {
				if resp.Header.Get(h) == "" {
					t.Errorf("missing header %s", h)
				}
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			if tt.code == "" {
				return
			}
			e, _ := v.(map[string]any)
			if e["errorCode"] != tt.code {
				t.Fatalf("errorCode %v, want %s", e["errorCode"], tt.code)
			}
			for _, k := range []string{"errorSummary", "errorLink", "errorId", "errorCauses"} {
				if _, ok := e[k]; !ok {
					t.Errorf("error body lacks %s", k)
				}
			}
		})
	}
}

func TestFiltersAndSearch(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 5})
	tok := srv.ReadOnlyToken()
	o := srv.Sim.org
	cut := o.users[len(o.users)/2].lastUpdated
	count := func(f func(*user) bool) int {
		n := 0
		for _, u := range o.users {
			if f(u) {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name string
		path string
		want int
	}{
		{"status", "/api/v1/users?filter=" + urlq(`status eq "SUSPENDED"`), count(func(u *user) bool { return u.status == "SUSPENDED" })},
		{"lastUpdated and status", "/api/v1/users?filter=" + urlq(`lastUpdated gt "`+fmtTime(cut)+`" and status eq "ACTIVE"`),
			count(func(u *user) bool { return u.lastUpdated > cut && u.status == "ACTIVE" })},
		{"search dept", "/api/v1/users?search=" + urlq(`profile.department eq "Engineering"`),
			count(func(u *user) bool { return o.profile(u).Department == "Engineering" })},
		{"search or", "/api/v1/users?search=" + urlq(`(status eq "STAGED" or status eq "LOCKED_OUT")`),
			count(func(u *user) bool { return u.status == "STAGED" || u.status == "LOCKED_OUT" })},
		{"q", "/api/v1/users?q=" + o.profile(o.users[0]).FirstName,
			count(func(u *user) bool {
				p := o.profile(u)
				q := o.profile(o.users[0]).FirstName
				return u.status != "DEPROVISIONED" && (hasPrefixFold(p.FirstName, q) || hasPrefixFold(p.LastName, q) || hasPrefixFold(p.Email, q))
			})},
		{"group type", "/api/v1/groups?filter=" + urlq(`type eq "APP_GROUP"`), func() int {
			n := 0
			for _, g := range o.groups {
				if g.typ == "APP_GROUP" {
					n++
				}
			}
			return n
		}()},
		{"lastMembershipUpdated", "/api/v1/groups?filter=" + urlq(`lastMembershipUpdated gt "2020-01-01T00:00:00.000Z"`), func() int {
			n := 0
			for _, g := range o.groups {
				if g.lastMembershipUpdated > time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() {
					n++
				}
			}
			return n
		}()},
		{"apps of user", "/api/v1/apps?filter=" + urlq(`user.id eq "`+o.apps[0].users[0].user.id+`"`), len(o.apps[0].users[0].user.apps)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(listAll(t, srv, tok, tt.path)); got != tt.want || tt.want == 0 {
				t.Fatalf("%d results, want %d (> 0)", got, tt.want)
			}
		})
	}
	_, body := get(t, srv, tok, "/api/v1/groups/"+o.everyone.id+"?expand=stats")
	var g struct {
		Embedded struct {
			Stats struct {
				UsersCount int `json:"usersCount"`
				AppsCount  int `json:"appsCount"`
			} `json:"stats"`
		} `json:"_embedded"`
	}
	if err := json.Unmarshal(body, &g); err != nil {
		t.Fatal(err)
	}
	if g.Embedded.Stats.UsersCount != len(o.users) || g.Embedded.Stats.AppsCount != len(o.everyone.apps) {
		t.Fatalf("stats %+v", g.Embedded.Stats)
	}
}

func TestAppendTimeMatchesLayout(t *testing.T) {
	for _, ms := range []int64{1, genEpoch, genEpoch + 7, time.Date(2026, 11, 26, 4, 36, 0, 0, time.UTC).UnixMilli(), time.Date(1999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli(), -1000, 1 << 50} {
		want := `"` + time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") + `"`
		if got := string(appendTime(nil, ms)); got != want {
			t.Errorf("appendTime(%d) = %s, want %s", ms, got, want)
		}
	}
	if got := string(appendTime(nil, 0)); got != "null" {
		t.Errorf("appendTime(0) = %s", got)
	}
}
