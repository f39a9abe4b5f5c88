package okta

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	oktasdk "github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

// sdkProfile is the oracle for decodeUsers: what the SDK's own decode of a
// user (oktasdk.User) says its profile holds, as attribute → value, empty
// and null values left out.
func sdkProfile(t *testing.T, u *oktasdk.User) map[string]any {
	t.Helper()
	out := map[string]any{}
	if u.Profile == nil {
		return out
	}
	b, err := json.Marshal(u.Profile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	maps.DeleteFunc(out, func(_ string, v any) bool { return v == nil || v == "" })
	return out
}

// ourProfile is the same for dirdeck's user: the profile fields by their
// Okta names (directory.User's JSON names) and the attributes.
func ourProfile(t *testing.T, u directory.User) map[string]any {
	t.Helper()
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "status", "created", "activated", "statusChanged", "lastLogin", "lastUpdated", "passwordChanged", "attributes"} {
		delete(out, k)
	}
	maps.Copy(out, u.Attributes)
	maps.DeleteFunc(out, func(_ string, v any) bool { return v == nil || v == "" })
	return out
}

// checkUsersLikeSDK decodes body with decodeUsers and with the SDK, and
// fails unless both read the same users, or both refuse the page.
func checkUsersLikeSDK(t *testing.T, body []byte) int {
	t.Helper()
	ours, err := decodeUsers(body)
	var sdk []oktasdk.User
	sdkErr := json.Unmarshal(body, &sdk)
	if (err != nil) != (sdkErr != nil) {
		t.Fatalf("decodeUsers error %v, the SDK's %v", err, sdkErr)
	}
	if err != nil {
		if !errors.Is(err, ErrMalformedResponse) {
			t.Fatalf("error %v is not ErrMalformedResponse", err)
		}
		return 0
	}
	if len(ours) != len(sdk) {
		t.Fatalf("%d users, the SDK read %d", len(ours), len(sdk))
	}
	for i := range sdk {
		s, o := &sdk[i], ours[i]
		if o.ID != s.GetId() || o.Status != s.GetStatus() || !o.Created.Equal(s.GetCreated()) || !o.LastUpdated.Equal(s.GetLastUpdated()) ||
			o.Created.Location() != time.UTC || o.LastUpdated.Location() != time.UTC {
			t.Errorf("user %d: %s %s %v %v, the SDK read %s %s %v %v", i, o.ID, o.Status, o.Created, o.LastUpdated, s.GetId(), s.GetStatus(), s.GetCreated(), s.GetLastUpdated())
		}
		for _, tm := range []struct {
			ours *time.Time
			sdk  oktasdk.NullableTime
		}{{o.Activated, s.Activated}, {o.StatusChanged, s.StatusChanged}, {o.LastLogin, s.LastLogin}, {o.PasswordChanged, s.PasswordChanged}} {
			if w := tm.sdk.Get(); (tm.ours == nil) != (w == nil) || tm.ours != nil && (!tm.ours.Equal(*w) || tm.ours.Location() != time.UTC) {
				t.Errorf("user %s: time %v, the SDK read %v", o.ID, tm.ours, w)
			}
		}
		if got, want := ourProfile(t, o), sdkProfile(t, s); !reflect.DeepEqual(got, want) {
			t.Errorf("user %s profile:\n ours %v\n SDK  %v", o.ID, got, want)
		}
	}
	return len(ours)
}

// TestDecodeUsersAgreesWithSDK: dirdeck's own decoding of user pages reads
// what the SDK reads — every page of a simulated org (hostile values,
// custom attributes, missing fields), and pages with the edge cases
// written out.
func TestDecodeUsersAgreesWithSDK(t *testing.T) {
	t.Parallel()
	t.Run("sim pages", func(t *testing.T) {
		srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 4})
		n := 0
		for _, filter := range []string{"", "&" + url.Values{"filter": {FilterDeprovisioned}}.Encode()} {
			next := srv.URL + "/api/v1/users?limit=200" + filter
			for next != "" {
				req, _ := http.NewRequest(http.MethodGet, next, nil)
				req.Header.Set("Authorization", "SSWS "+srv.ReadOnlyToken())
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				n += checkUsersLikeSDK(t, body)
				next = ""
				if m := nextLinkRE.FindStringSubmatch(strings.Join(resp.Header.Values("Link"), ", ")); m != nil {
					next = m[1]
				}
			}
		}
		if want := srv.Sim.Truth().Counts["users"]; n != want {
			t.Fatalf("read %d users, the org has %d", n, want)
		}
	})
	const ts = `"created":"2026-01-02T03:04:05.678Z","lastUpdated":"2026-01-02T03:04:05.678+02:00"`
	for _, tt := range []struct {
		name, body string
		refused    bool
	}{
		{"nulls and extras", `[{"id":"00u1","status":"ACTIVE",` + ts + `,"activated":null,"lastLogin":"2026-02-01T00:00:00Z","profile":{"login":"a@b","title":null,"honorificPrefix":"Dr","middleName":"","zipCode":"1000","nickName":null,"cost":12.5,"flag":true,"tags":["x","y"],"nested":{"k":1},"gone":null}}]`, false},
		{"no profile", `[{"id":"00u1","status":"STAGED",` + ts + `},{"id":"00u2","profile":null}]`, false},
		{"custom attribute differing only in case", `[{"id":"00u1",` + ts + `,"profile":{"login":"a@b","Title":"Boss"}}]`, false},
		{"both cases of a base attribute", `[{"id":"00u1",` + ts + `,"profile":{"TITLE":"first","title":"second","Title":null,"login":"a@b"}},{"id":"00u2","profile":{"title":"x","TiTle":"y"}}]`, false},
		{"escapes and odd text", `[{"id":"00u1",` + ts + `,"profile":{"\u0074itle":"esc\u00e9\n\"q\"","nickName":"\ud800 lone","city":"` + "\xff\xfe raw" + `","c\u00fcstom":"\u001b[31m<b>x</b>","email":"a@b"}}]`, false},
		{"duplicate attributes", `[{"id":"00u1",` + ts + `,"profile":{"login":"one","login":"two","x":1,"x":"last"}}]`, false},
		{"numbers", `[{"id":"00u1",` + ts + `,"profile":{"n1":12345678901234567890,"n2":1e-7,"n3":-0,"n4":1.0}}]`, false},
		{"base attribute not a string", `[{"id":"00u1","profile":{"login":"a","city":["x"]}}]`, true},
		{"base attribute a bool", `[{"id":"00u1","profile":{"title":true}}]`, true},
		{"unknown user fields", `[{"id":"00u1",` + ts + `,"realmId":"guo1","type":{"id":"oty1"},"credentials":{"provider":{"type":"OKTA"}},"_links":{"self":{"href":"x"}},"new":[1]}]`, false},
		{"empty", `[]`, false},
		{"null", `null`, false},
		{"wrong type of a base attribute", `[{"id":"00u1","profile":{"title":5}}]`, true},
		{"wrong type of a timestamp", `[{"id":"00u1","created":"yesterday"}]`, true},
		{"not a list", `{"id":"00u1"}`, true},
		{"profile not an object", `[{"id":"00u1","profile":"x"}]`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if n := checkUsersLikeSDK(t, []byte(tt.body)); (n == 0) != (tt.refused || tt.name == "empty" || tt.name == "null") {
				t.Errorf("%d users read", n)
			}
		})
	}
}

// TestMalformedMemberPages: a member or app-user page that is wrong in any
// way fails the listing with one line naming the listing, the page and the
// item, after the pages before it were delivered; never a panic, never a
// page silently cut short.
func TestMalformedMemberPages(t *testing.T) {
	t.Parallel()
	const groupID = "00gBig"
	for _, tt := range []struct {
		name, body, contentType string
		apps                    bool // the app users listing, page 1
		want                    string
		attempts                int // requests for the bad page
	}{
		{name: "id of the wrong type", body: `[{"id":"00u1"},{"id":5}]`, want: "group member 2: id is not a string", attempts: 1},
		{name: "member without id", body: `[{"id":"00u1"},{"status":"ACTIVE","profile":{}}]`, want: "group member 2: no id", attempts: 1},
		{name: "not a list", body: `{"id":"00u1"}`, want: "expected a list of group members", attempts: 1},
		{name: "broken JSON", body: `[{"id":"00u1",]`, want: "invalid character", attempts: 2},
		{name: "cut short", body: `[{"id":"00u1"},{"id":"00u`, want: "unexpected end of JSON input", attempts: 3},
		{name: "data after the list", body: `[{"id":"00u1"}] [{"id":"00u2"}]`, want: "malformed response body", attempts: 2},
		{name: "not JSON", body: `<html>maintenance</html>`, contentType: "text/html", want: "malformed response body", attempts: 1},
		{name: "app user without id", apps: true, body: `[{"id":"00u1","scope":"USER"},{"scope":"GROUP"}]`, want: "list app users page 1: malformed response body from Okta: app user 2: no id", attempts: 1},
		{name: "app user status of the wrong type", apps: true, body: `[{"id":"00u1","status":{}}]`, want: "app user 1: json: cannot unmarshal object", attempts: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeOkta(t)
			for i := range 2500 {
				f.groups[groupID] = append(f.groups[groupID], fmt.Sprintf("00u%05d", i))
			}
			bad := func(r *http.Request) bool {
				if tt.apps {
					return r.URL.Path == "/api/v1/apps/0oaApp/users"
				}
				return r.URL.Query().Get("after") == "c1000"
			}
			f.fault = func(w http.ResponseWriter, r *http.Request, _ int) bool {
				if !bad(r) {
					return false
				}
				w.Header().Set("Content-Type", cmp.Or(tt.contentType, "application/json"))
				_, _ = io.WriteString(w, tt.body)
				return true
			}
			srv := f.start()
			c := newTestClient(t, srv.URL, f.token, Options{MaxRetries: 2, BaseBackoff: time.Millisecond})
			var delivered int
			var err error
			want := "list group members page 2: malformed response body from Okta: "
			if tt.apps {
				want = ""
				err = c.ListAppUsers(t.Context(), "0oaApp", func(us []directory.AppUser) error { delivered += len(us); return nil })
			} else {
				err = c.ListGroupMembers(t.Context(), groupID, func(ids []string) error { delivered += len(ids); return nil })
			}
			if !errors.Is(err, ErrMalformedResponse) || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line starting %q and containing %q", err, want, tt.want)
			}
			if wantDelivered := map[bool]int{false: 1000, true: 0}[tt.apps]; delivered != wantDelivered {
				t.Errorf("%d items delivered before the bad page, want %d", delivered, wantDelivered)
			}
			n := 0
			for _, r := range f.served() {
				if bad(r) {
					n++
				}
			}
			if n != tt.attempts {
				t.Errorf("bad page requested %d times, want %d", n, tt.attempts)
			}
		})
	}
}

// TestNextPageRequestedAhead: while the callback handles a page, the next
// one is already on its way; pages still arrive whole and in order.
func TestNextPageRequestedAhead(t *testing.T) {
	t.Parallel()
	f := newFakeOkta(t)
	f.addUsers(450)
	page2 := make(chan struct{})
	var once sync.Once
	f.fault = func(_ http.ResponseWriter, r *http.Request, _ int) bool {
		if r.URL.Query().Get("after") == "c200" {
			once.Do(func() { close(page2) })
		}
		return false
	}
	c := newTestClient(t, f.start().URL, f.token, Options{})
	var ids []string
	err := c.ListUsers(t.Context(), Query{}, func(us []directory.User) error {
		if len(ids) == 0 {
			select {
			case <-page2:
			case <-time.After(10 * time.Second): // a watchdog: without the request ahead this waits forever
				return errors.New("page 2 was not requested while page 1 was handled")
			}
		}
		for _, u := range us {
			ids = append(ids, u.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if want := fmt.Sprintf("00u%05d", i); id != want {
			t.Fatalf("user %d is %s, want %s", i, id, want)
		}
	}
	if len(ids) != 450 || len(f.served()) != 3 {
		t.Fatalf("%d users in %d requests, want 450 in 3", len(ids), len(f.served()))
	}
}
