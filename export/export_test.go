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
	}
	steps := []error{
		w.PutUsers(users),
		w.PutGroups([]directory.Group{{ID: "00g1", Type: directory.GroupTypeOkta, Name: "Sales", LastUpdated: at}}),
		w.PutMembers("00g1", []string{"00u1", "00u2"}),
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
		{"users", 2, "id,status,login"},
		{"groups", 1, "id,type,name"},
		{"apps", 1, "id,name,label"},
		{"memberships", 2, "group_id,group_name,user_id,login"},
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
	for _, cell := range []string{`'=HYPERLINK`, `'@evil`, `'+1 555 0100`} {
		if !strings.Contains(out, cell) {
			t.Errorf("formula-like cell not defused: want %q in\n%s", cell, out)
		}
	}
}

func TestJSONLinesKeepValues(t *testing.T) {
	st := tinyCache(t)
	out, n, err := write(t, st, "users", export.JSONL)
	if err != nil || n != 2 {
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
