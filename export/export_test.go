package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/export"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/store"
)

// tinyCache holds two users (one with hostile values), a group with both
// as members, and an app assigned to the group and directly to one user.
func tinyCache(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "c.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	w, err := st.BeginFull()
	if err != nil {
		t.Fatal(err)
	}
	users := []directory.User{
		{ID: "00u1", Status: "ACTIVE", Login: "ana@example.com", Email: "ana@example.com", FirstName: "Ana", LastUpdated: at, MobilePhone: "+1 555 0100"},
		{ID: "00u2", Status: "SUSPENDED", Login: "bo@example.com", Email: "bo@example.com", Title: "=HYPERLINK(\"http://x\")", Department: "@evil", LastUpdated: at},
		{ID: "00u3", Status: "ACTIVE", Login: "mallory@example.com", Email: "mallory@example.com", LastUpdated: at,
			FirstName: hostileName, LastName: "a\x00b\x7fc\rd", Title: "Line one\nline two\tcol"},
	}
	steps := []error{
		w.PutUsers(users),
		w.PutGroups([]directory.Group{{ID: "00g1", Type: directory.GroupTypeOkta, Name: "Sales", LastUpdated: at}}),
		w.PutMembers("00g1", []string{"00u1", "00u2", "00u3"}),
		w.PutApps([]directory.App{{ID: "0oa1", Label: "Box", Name: "box", Status: "ACTIVE", LastUpdated: at}}),
		w.PutAppGroups("0oa1", []directory.AppGroup{{AppID: "0oa1", GroupID: "00g1", LastUpdated: at}}),
		w.PutAppUsers("0oa1", []directory.AppUser{
			{AppID: "0oa1", UserID: "00u1", Scope: directory.ScopeUser, LastUpdated: at},
			{AppID: "0oa1", UserID: "00u2", Scope: directory.ScopeGroup, LastUpdated: at},
		}),
	}
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(directory.SyncRun{Mode: "full", Started: at, Finished: at, Status: directory.RunOK}, nil); err != nil {
		t.Fatal(err)
	}
	return st
}

func write(t *testing.T, st *store.Store, kind, format string) (string, int, error) {
	t.Helper()
	var buf bytes.Buffer
	var n int
	err := st.View(func(r *store.Reader) error {
		var err error
		n, err = export.Write(&buf, r, kind, format)
		return err
	})
	return buf.String(), n, err
}

func TestCSVRowsAndFormulaDefusing(t *testing.T) {
	st := tinyCache(t)
	tests := []struct {
		kind   string
		rows   int
		header string
	}{
		{"users", 3, "id,status,login"},
		{"groups", 1, "id,type,name"},
		{"apps", 1, "id,name,label"},
		{"memberships", 3, "group_id,group_name,user_id,login"},
		{"assignments", 3, "app_id,app_label,principal"},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			out, n, err := write(t, st, tc.kind, export.CSV)
			if err != nil {
				t.Fatal(err)
			}
			records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatalf("not valid CSV: %v", err)
			}
			if n != tc.rows || len(records) != tc.rows+1 || !strings.HasPrefix(strings.Join(records[0], ","), tc.header) {
				t.Fatalf("%d rows reported, %d records, header %v", n, len(records), records[0])
			}
		})
	}
	out, _, _ := write(t, st, "users", export.CSV)
	for _, cell := range []string{`'=HYPERLINK`, `'@evil`} {
		if !strings.Contains(out, cell) {
			t.Errorf("formula-like cell not defused: want %q in\n%s", cell, out)
		}
	}
	if !strings.Contains(out, ",+1 555 0100,") {
		t.Errorf("a phone number is not a formula: want +1 555 0100 as it is in\n%s", out)
	}
}

// hostileName carries what a red-team pass put in a profile: an OSC 52
// clipboard write, a window retitle, an 8-bit CSI and bidi overrides.
const hostileName = "Eve\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;pwned\x07\u009b2J\u202egnp.exe\u2066x\u2069"

// TestExportsCarryNoControls checks every kind in both formats for raw
// control characters other than tab and newline, DEL, C1 and bidi
// controls, and that each format still says what the directory holds:
// CSV as visible escapes, JSON as escapes that decode to the value.
func TestExportsCarryNoControls(t *testing.T) {
	st := tinyCache(t)
	for _, format := range []string{export.CSV, export.JSONL} {
		for _, kind := range export.Kinds {
			out, _, err := write(t, st, kind, format)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range out {
				if r != '\t' && r != '\n' && textsafe.Dangerous(r) {
					t.Errorf("%s %s: raw %U at byte %d", format, kind, r, i)
				}
			}
		}
	}
	csvOut, _, _ := write(t, st, "users", export.CSV)
	for _, want := range []string{`Eve\u001b]52;c;cm0gLXJmIH4=\u0007\u001b]0;pwned\u0007\u009b2J\u202egnp.exe\u2066x\u2069`, `a\u0000b\u007fc\u000dd`, "\"Line one\nline two\tcol\""} {
		if !strings.Contains(csvOut, want) {
			t.Errorf("CSV lacks %q:\n%s", want, csvOut)
		}
	}
	jsonOut, _, _ := write(t, st, "users", export.JSONL)
	for _, want := range []string{`\u001b`, `\u009b`, `\u202e`, `\u007f`} {
		if !strings.Contains(jsonOut, want) {
			t.Errorf("JSON Lines lack the escape %s:\n%s", want, jsonOut)
		}
	}
	lines := strings.Split(strings.TrimSpace(jsonOut), "\n")
	var u directory.User
	if err := json.Unmarshal([]byte(lines[2]), &u); err != nil {
		t.Fatal(err)
	}
	if u.FirstName != hostileName || u.LastName != "a\x00b\x7fc\rd" {
		t.Errorf("JSON escapes must decode to the value: got %q, %q", u.FirstName, u.LastName)
	}
}

func TestJSONLinesKeepValues(t *testing.T) {
	st := tinyCache(t)
	out, n, err := write(t, st, "users", export.JSONL)
	if err != nil || n != 3 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var u directory.User
	if err := json.Unmarshal([]byte(lines[1]), &u); err != nil {
		t.Fatal(err)
	}
	if u.Title != `=HYPERLINK("http://x")` {
		t.Fatalf("JSON Lines must carry values as they are, got %q", u.Title)
	}
}

func TestBadKindOrFormat(t *testing.T) {
	st := tinyCache(t)
	for _, tc := range [][2]string{{"secrets", export.CSV}, {"users", "xml"}} {
		if _, _, err := write(t, st, tc[0], tc[1]); err == nil {
			t.Errorf("export %s as %s: no error", tc[0], tc[1])
		}
	}
}
