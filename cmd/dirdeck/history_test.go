package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
)

// exportJSONL reads one kind of the cache as JSON objects by their "id"
// (users, groups, apps).
func exportJSONL(t *testing.T, kind string) map[string]map[string]any {
	t.Helper()
	res := profRun(t, "", "export", kind, "--format", "jsonl")
	if res.code != exitOK {
		t.Fatalf("export %s: exit %d %v", kind, res.code, res.err)
	}
	out := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("export %s: %v\n%s", kind, err, line)
		}
		out[v["id"].(string)] = v
	}
	return out
}

// TestHistoryNamesAndValues syncs, churns the org, syncs again and checks
// that history names memberships by group name and login, and gives every
// changed field of an update its old and new value — the old one as the
// first sync cached it, the new one as the second did.
func TestHistoryNamesAndValues(t *testing.T) {
	srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 2}, "readonly")
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("sync: exit %d %v", res.code, res.err)
	}
	usersBefore, groupsBefore := exportJSONL(t, "users"), exportJSONL(t, "groups")
	if _, err := srv.Sim.Churn(60); err != nil {
		t.Fatal(err)
	}
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("second sync: exit %d %v", res.code, res.err)
	}
	usersAfter, groupsAfter := exportJSONL(t, "users"), exportJSONL(t, "groups")
	field := func(objs ...map[string]map[string]any) func(id, key string) (string, bool) {
		return func(id, key string) (string, bool) {
			for _, o := range objs {
				if v, ok := o[id]; ok {
					s, _ := v[key].(string)
					return s, true
				}
			}
			return "", false
		}
	}
	login, groupName := field(usersAfter, usersBefore), field(groupsAfter, groupsBefore)

	res := profRun(t, "", "history", "--json")
	runs := decode[[]store.RunChanges](t, res.stdout)
	if len(runs) != 2 {
		t.Fatalf("history: %d runs, want 2", len(runs))
	}
	var updates, members int
	for _, c := range runs[1].Changes {
		switch {
		case c.Kind == directory.KindUser && c.Op == directory.OpUpdated:
			updates++
			if len(c.Values) == 0 || len(c.Values) != len(c.Fields) {
				t.Errorf("user update %s: fields %v, values %+v", c.ID, c.Fields, c.Values)
			}
			for _, v := range c.Values {
				if v.Old == v.New {
					t.Errorf("user %s %s: old = new = %q", c.ID, v.Field, v.Old)
				}
				if strings.Contains(v.Field, ".") || v.Field == "lastUpdated" || strings.HasSuffix(v.Field, "Changed") || v.Field == "activated" {
					continue // times and custom attributes are not strings in the export
				}
				if old, _ := usersBefore[c.ID][v.Field].(string); old != v.Old {
					t.Errorf("user %s %s: old %q, first sync cached %q", c.ID, v.Field, v.Old, old)
				}
				if cur, _ := usersAfter[c.ID][v.Field].(string); cur != v.New {
					t.Errorf("user %s %s: new %q, second sync cached %q", c.ID, v.Field, v.New, cur)
				}
			}
		case c.Kind == directory.KindMembership:
			members++
			gid, uid, _ := strings.Cut(c.ID, "/")
			wantGroup, _ := groupName(gid, "name")
			wantLogin, _ := login(uid, "login")
			if c.Parent != wantGroup || c.Child != wantLogin || c.Parent == "" || c.Child == "" {
				t.Errorf("membership %s: parent %q child %q, want %q and %q", c.ID, c.Parent, c.Child, wantGroup, wantLogin)
			}
		}
	}
	if updates == 0 || members == 0 {
		t.Fatalf("churn gave %d user updates and %d membership changes; the test needs both", updates, members)
	}

	text := profRun(t, "", "history").stdout
	if ids := regexp.MustCompile(`00g\w+/00u\w+`).FindString(text); ids != "" {
		t.Errorf("history text shows a bare id pair %s:\n%s", ids, text)
	}
	for _, c := range runs[1].Changes {
		if c.Kind == directory.KindUser && c.Op == directory.OpUpdated {
			want := c.Values[0].String()
			if !strings.Contains(text, want) {
				t.Errorf("history text lacks %q:\n%s", want, text)
			}
			break
		}
	}
	if !strings.Contains(text, " ← ") {
		t.Errorf("history text names no membership as group ← login:\n%s", text)
	}
}
