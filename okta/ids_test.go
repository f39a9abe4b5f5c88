package okta

import (
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

// stdIDs is the reference memberIDs is held to: encoding/json's reading
// of the page into the struct the SDK-free decoder used before.
func stdIDs(body []byte) ([]string, error) {
	var items []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, err
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids, nil
}

// checkIDsLikeStd fails unless memberIDs reads body as encoding/json does
// (the same ids, or an error where it errs). Bodies that are not valid
// JSON never reach memberIDs (divertBody); for them it must merely not
// panic.
func checkIDsLikeStd(t *testing.T, body []byte) {
	t.Helper()
	got, err := memberIDs(body, "group member")
	if !json.Valid(body) {
		return
	}
	want, wantErr := stdIDs(body)
	if (err != nil) != (wantErr != nil) || err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("memberIDs(%q) = %q, %v; encoding/json reads %q, %v", body, got, err, want, wantErr)
	}
}

var idSeeds = []string{
	`[]`, `null`, ` [ ] `, `[{"id":"00u1"},{"id":"00u2","profile":{"id":"inner","a":[1,{"id":"x"}]}}]`,
	`[{"ID":"upper"}]`, `[{"Id":"a","id":"b"}]`, `[{"id":"a","iD":null}]`, `[{"\u0069d":"escaped key"}]`,
	`[{"id":"esc\u00e9\n\"q\" \ud800"}]`, "[{\"id\":\"raw \xff\xfe bytes\"}]", `[{"id":"a","x":"}]{["}]`,
	`[{"id":5}]`, `[{"id":{"a":1}}]`, `[{"id":true}]`, `[null]`, `[5]`, `["x"]`, `[[]]`, `{"id":"x"}`, `"x"`,
	`[{"id":"a"},]`, `[{"id":"a"}`, `[{"id":"a`, `[{"id"`, `[{`, `[`, ``, `[{"x":1e999,"id":"big"}]`,
	`[{"ſd":"long s folds to s, not i"}]`, `[{"İd":"dotted capital I"}]`, `[{"ıd":"dotless i"}]`,
	`[{"id":"a"} , {"k":[{"id":"no"}],"id":"b"}]`, "[\n\t{ \"id\" : \"spaced\" }\r\n]",
}

// TestMemberIDsLikeEncodingJSON holds memberIDs to encoding/json on the
// seeds of FuzzMemberIDs and on every member page of a simulated org.
func TestMemberIDsLikeEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range idSeeds {
		checkIDsLikeStd(t, []byte(s))
	}
	srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 4})
	read := func(path string) []byte {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "SSWS "+srv.ReadOnlyToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	var groups []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(read("/api/v1/groups?limit=10000"), &groups); err != nil || len(groups) == 0 {
		t.Fatalf("groups: %v", err)
	}
	members := 0
	for _, g := range groups {
		body := read("/api/v1/groups/" + g.ID + "/users?limit=1000")
		checkIDsLikeStd(t, body)
		members += strings.Count(string(body), `"login"`)
	}
	if members == 0 {
		t.Fatal("no member read")
	}
}

// FuzzMemberIDs: on any valid JSON, memberIDs reads what encoding/json
// reads; on anything else it does not panic.
// Run: go test ./okta -run XXX -fuzz FuzzMemberIDs -fuzztime 60s
func FuzzMemberIDs(f *testing.F) {
	for _, s := range idSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkIDsLikeStd(t, body) })
}

// TestMemberIDsRandomPages builds member pages at random (a fixed seed)
// from the parts that make id extraction hard — keys that fold to "id",
// escapes, invalid UTF-8, nested objects with ids of their own, values
// that are not strings — and holds memberIDs to encoding/json on each, and
// on each with one byte cut, doubled or changed (mostly invalid JSON,
// where it must only not panic).
func TestMemberIDsRandomPages(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(20, 12))
	keys := []string{`"id"`, `"ID"`, `"Id"`, `"iD"`, `"\u0069d"`, `"i\u0044"`, `"ſd"`, `"ıd"`, `"id "`, `"profile"`, `"_links"`, `"x"`, `""`, `"\""`}
	scalars := []string{`"00u1"`, `"00u\u00e92"`, `"a\"b\\c"`, "\"\xff\xfe\"", `"\ud83d\ude00"`, `"\ud800"`, `""`, `null`, `0`, `-1.5e3`, `true`, `false`}
	var value func(depth int) string
	value = func(depth int) string {
		switch n := rng.IntN(10); {
		case n < 6 || depth > 2:
			return scalars[rng.IntN(len(scalars))]
		case n < 8:
			var fields []string
			for range rng.IntN(4) {
				fields = append(fields, keys[rng.IntN(len(keys))]+":"+value(depth+1))
			}
			return "{" + strings.Join(fields, ",") + "}"
		default:
			var items []string
			for range rng.IntN(3) {
				items = append(items, value(depth+1))
			}
			return "[" + strings.Join(items, ",") + "]"
		}
	}
	ws := []string{"", "", " ", "\n\t", "\r\n "}
	for range 20000 {
		var items []string
		for range rng.IntN(5) {
			if rng.IntN(8) == 0 {
				items = append(items, value(1))
				continue
			}
			var fields []string
			for range rng.IntN(5) {
				fields = append(fields, ws[rng.IntN(len(ws))]+keys[rng.IntN(len(keys))]+ws[rng.IntN(len(ws))]+":"+ws[rng.IntN(len(ws))]+value(1))
			}
			items = append(items, "{"+strings.Join(fields, ",")+"}")
		}
		page := []byte(ws[rng.IntN(len(ws))] + "[" + strings.Join(items, ","+ws[rng.IntN(len(ws))]) + "]")
		checkIDsLikeStd(t, page)
		if len(page) > 0 {
			i := rng.IntN(len(page))
			checkIDsLikeStd(t, append(page[:i:i], page[i+1:]...))
			checkIDsLikeStd(t, append(page[:i+1:i+1], page[i:]...))
			changed := append([]byte(nil), page...)
			const swaps = `{}[]",: \a0n`
			changed[i] = swaps[rng.IntN(len(swaps))]
			checkIDsLikeStd(t, changed)
		}
	}
}
