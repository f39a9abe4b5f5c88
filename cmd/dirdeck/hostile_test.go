package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"charm.land/fang/v2"

	"github.com/dirdeck/dirdeck/bundle"
	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/tartest"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/oktasim"
)

// evil is what a red-team pass put into directory values and bundles: an
// OSC 52 clipboard write, a window retitle (both ended by BEL), an 8-bit
// CSI, a right-to-left override, a bidi isolate, DEL and NUL.
const evil = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;pwned\x07\u009b2J\u202egnp\u2066x\u2069\x7f\x00"

// hostileOrg serves an org, built from a snapshot, in which every name
// that can be shown carries evil, and points the environment at it.
func hostileOrg(t *testing.T) *oktasim.Sim {
	t.Helper()
	profHome(t)
	t.Setenv("HOME", t.TempDir())
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var snap oktasim.Snapshot
	for i := range 6 {
		id := fmt.Sprintf("00uEVIL0000000000%03d", i)
		snap.Users = append(snap.Users, directory.User{ID: id, Status: directory.StatusActive, Created: at, LastUpdated: at,
			Login: fmt.Sprintf("eve%d@example.com", i), Email: fmt.Sprintf("eve%d@example.com", i),
			FirstName: "Eve" + evil, LastName: "Mallory" + evil, DisplayName: "Eve " + evil, Title: "CEO" + evil,
			Department: "Sales" + evil, Organization: evil, MobilePhone: "+1 555 0100" + evil})
	}
	snap.Groups = []directory.Group{
		{ID: "00gEVIL00000000000001", Type: directory.GroupTypeOkta, Name: "Admins" + evil, Description: evil, Created: at, LastUpdated: at, LastMembershipUpdated: at},
		{ID: "00gEVIL00000000000002", Type: directory.GroupTypeOkta, Name: "Sales" + evil, Description: evil, Created: at, LastUpdated: at, LastMembershipUpdated: at},
	}
	snap.Apps = []directory.App{{ID: "0oaEVIL00000000000001", Name: "box", Label: "Box" + evil, Status: "ACTIVE", SignOnMode: "SAML_2_0", Created: at, LastUpdated: at}}
	for _, u := range snap.Users[:4] {
		snap.Memberships = append(snap.Memberships, directory.Membership{GroupID: "00gEVIL00000000000001", UserID: u.ID})
	}
	snap.AppGroups = []directory.AppGroup{{AppID: "0oaEVIL00000000000001", GroupID: "00gEVIL00000000000001", LastUpdated: at}}
	sim, err := oktasim.FromSnapshot(snap, oktasim.Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Setenv("DIRDECK_ORG_URL", srv.URL)
	t.Setenv("DIRDECK_API_TOKEN", sim.Token("superadmin"))
	return sim
}

// checkInert fails the test if out holds a control character other than
// tab and newline, DEL, a C1 control or a bidi control.
func checkInert(t *testing.T, what, out string) {
	t.Helper()
	for i, r := range out {
		if r == '\t' || r == '\n' {
			continue
		}
		if textsafe.Dangerous(r) || r == utf8.RuneError && !strings.HasPrefix(out[i:], "\uFFFD") {
			t.Errorf("%s: %U at byte %d: %q", what, r, i, out[max(0, i-40):min(len(out), i+40)])
			return
		}
	}
}

// runInert runs one command and checks stdout, stderr and the error line
// the CLI would print.
func runInert(t *testing.T, args ...string) profResult {
	t.Helper()
	res := profRun(t, "", args...)
	what := strings.Join(args, " ")
	checkInert(t, what+" (stdout)", res.stdout)
	checkInert(t, what+" (stderr)", res.stderr)
	if res.err != nil {
		var buf bytes.Buffer
		printError(&buf, fang.Styles{}, res.err)
		checkInert(t, what+" (error)", buf.String())
	}
	return res
}

// TestEveryCommandIsInertOnAHostileOrg runs every command that shows
// directory data against an org whose names carry escape sequences, and a
// bundle whose metadata does, and scans everything they print.
func TestEveryCommandIsInertOnAHostileOrg(t *testing.T) {
	hostileOrg(t)
	if res := runInert(t, "sync"); res.code != exitOK {
		t.Fatalf("sync: exit %d %v", res.code, res.err)
	}
	dir := t.TempDir()
	b := filepath.Join(dir, "b.tar.gz")
	for _, args := range [][]string{
		{"sync", "--json"}, {"status"}, {"status", "--json"}, {"history"}, {"history", "--json"},
		{"export", "users"}, {"export", "groups"}, {"export", "apps"}, {"export", "memberships"}, {"export", "assignments"},
		{"export", "users", "--format", "jsonl"}, {"export", "memberships", "--format", "jsonl"},
		{"scopes"}, {"scopes", "--json"}, {"tokens"}, {"tokens", "--json"},
		{"signature", "render", "--user", "eve1@example.com"}, {"signature", "render", "--user", "eve1@example.com", "--html"},
		{"signature", "coverage"}, {"signature", "coverage", "--json"}, {"signature", "render", "--user", "no" + evil},
		{"plan", "new", "--group", "00gEVIL00000000000002", "--add", "eve5@example.com", "--title", "t" + evil},
		{"plan", "list"}, {"plan", "list", "--json"}, {"audit"}, {"plan", "show", "p-" + evil},
		{"profile", "list"}, {"profile", "list", "--json"},
		{"bundle", "export", "--show"}, {"bundle", "export", "--out", b},
		{"bundle", "inspect", b}, {"bundle", "inspect", b, "--json"}, {"bundle", "replay", b},
		{"export", "widgets" + evil},
	} {
		res := runInert(t, args...)
		if os.Getenv("HOSTILE_DEBUG") != "" {
			t.Logf("%v: exit %d %v\n%.300s", args, res.code, res.err, res.stdout)
		}
	}
	var list []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(profRun(t, "", "plan", "list", "--json").stdout), &list); err != nil || len(list) == 0 {
		t.Fatalf("plan list --json: %v %d", err, len(list))
	}
	runInert(t, "plan", "show", list[0].ID)
	runInert(t, "plan", "show", list[0].ID, "--json")

	hostile := filepath.Join(dir, "hostile.tar.gz")
	rewriteBundle(t, b, hostile, func(name string, data []byte) []byte {
		if name != "meta.json" {
			return data
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		m["go_version"], m["os"], m["arch"], m["dirdeck_version"] = "go1.26"+evil, "linux"+evil, "amd64"+evil, "v1"+evil
		m["pseudonyms"] = map[string]any{"method": "hmac" + evil, "key_fingerprint": evil}
		out, _ := json.Marshal(m)
		return out
	})
	for _, args := range [][]string{{"bundle", "inspect", hostile}, {"bundle", "inspect", hostile, "--json"}, {"bundle", "replay", hostile}} {
		if res := runInert(t, args...); res.code != exitOK {
			t.Errorf("%v: exit %d %v", args, res.code, res.err)
		}
	}
	// A recomputed manifest passes verification, so inspect must not let
	// "verified" read as "genuine".
	if res := profRun(t, "", "bundle", "inspect", hostile); !strings.Contains(res.stdout, "not authenticity") {
		t.Errorf("inspect does not say that integrity is not authenticity:\n%s", res.stdout)
	}
}

// rewriteBundle copies the bundle src to dst with fn applied to each
// file and the manifest recomputed: what someone who edits a bundle on
// purpose does.
func rewriteBundle(t *testing.T, src, dst string, fn func(name string, data []byte) []byte) {
	t.Helper()
	entries := tartest.Read(t, src)
	files := map[string][]byte{}
	for _, e := range entries {
		files[e.Header.Name] = fn(e.Header.Name, e.Data)
	}
	var m bundle.Manifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	for i, e := range m.Files {
		sum := sha256.Sum256(files[e.Name])
		m.Files[i].Size, m.Files[i].SHA256 = int64(len(files[e.Name])), hex.EncodeToString(sum[:])
	}
	files["manifest.json"], _ = json.Marshal(m)
	for i, e := range entries {
		entries[i] = tartest.Entry{Header: tartest.File(e.Header.Name), Data: files[e.Header.Name]}
	}
	if err := os.WriteFile(dst, tartest.Bytes(t, entries), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSyncSummaryIsInert: the summary of a sync quotes the org's own text
// (an error summary as the reason for a full sync or for partial data).
func TestSyncSummaryIsInert(t *testing.T) {
	var b strings.Builder
	printSyncSummary(&b, syncReport{Mode: "full", Status: "ok", Reason: "the org said " + evil,
		Partial: []directory.Partial{{Resource: "apps", Reason: "403 E0000006 " + evil}}})
	checkInert(t, "sync summary", b.String())
}
