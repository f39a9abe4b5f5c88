package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/plan"
	"github.com/dirdeck/dirdeck/store"
)

// planTargets reads, from the synced cache, an OKTA_GROUP with members,
// two of its members' logins, two active outsiders and an APP_GROUP name.
func planTargets(t *testing.T) (group string, members, outsiders []string, appGroup string) {
	t.Helper()
	st, err := store.Open(cacheFile(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(func(r *store.Reader) error {
		for g := range r.Groups() {
			if g.Type == "APP_GROUP" && appGroup == "" {
				appGroup = g.Name
			}
			if g.Type != "OKTA_GROUP" || group != "" || strings.ContainsAny(g.Name, ",\"") {
				continue
			}
			in := map[string]bool{}
			var ms []string
			for uid := range r.MembersOf(g.ID) {
				in[uid] = true
				if u, _ := r.User(uid); u.Status == "ACTIVE" {
					ms = append(ms, u.Login)
				}
			}
			if len(ms) < 3 {
				continue
			}
			group, members = g.Name, ms[:2]
			for u := range r.Users() {
				if !in[u.ID] && u.Status == "ACTIVE" && len(outsiders) < 2 {
					outsiders = append(outsiders, u.Login)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return group, members, outsiders, appGroup
}

// cacheFile is the one cache file under DIRDECK_HOME (its plan ledger
// beside it is not a cache).
func cacheFile(t *testing.T) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(os.Getenv("DIRDECK_HOME"), "*", "*.db"))
	if len(matches) == 0 {
		matches, _ = filepath.Glob(filepath.Join(os.Getenv("DIRDECK_HOME"), "*", "*", "*.db"))
	}
	matches = slices.DeleteFunc(matches, func(p string) bool { return strings.HasSuffix(p, ".plans.db") })
	if len(matches) != 1 {
		t.Fatalf("cache files: %v", matches)
	}
	return matches[0]
}

func TestPlanCommandsAgainstSim(t *testing.T) {
	srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 3}, "superadmin")
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("sync: %d %v", res.code, res.err)
	}
	group, members, outsiders, appGroup := planTargets(t)
	// From here until the approved apply, nothing may write to the org.
	srv.Sim.ResetStats()

	// Staging.
	res := profRun(t, "", "plan", "new", "--group", group, "--add", strings.Join(outsiders, ","), "--remove", members[0],
		"--remove", members[1], "--title", "CLI test", "--json")
	if res.code != exitOK {
		t.Fatalf("plan new: %d %v\n%s", res.code, res.err, res.stderr)
	}
	created := decode[map[string]string](t, res.stdout)
	id := created["id"]
	if !strings.HasPrefix(id, "p-") || !strings.HasPrefix(created["hash"], "sha256:") {
		t.Fatalf("plan new --json = %v", created)
	}
	if res := profRun(t, "", "plan", "new", "--group", appGroup, "--add", outsiders[0]); res.code != exitFailed || !strings.Contains(res.errText(), "APP_GROUP") {
		t.Fatalf("APP_GROUP target: %d %v", res.code, res.err)
	}
	if res := profRun(t, "", "plan", "new", "--add", outsiders[0]); res.code != exitUsage {
		t.Fatalf("no --group: %d %v", res.code, res.err)
	}

	res = profRun(t, "", "plan", "show", id)
	if res.code != exitOK || !strings.Contains(res.stdout, "Plan: 2 to add, 2 to remove, 0 groups to create, 0 groups to update.") ||
		strings.Contains(res.stdout, "\x1b[") {
		t.Fatalf("plan show: %d %v\n%s", res.code, res.err, res.stdout)
	}
	shown := decode[plan.Record](t, profRun(t, "", "plan", "show", id, "--json").stdout)
	if shown.ID != id || shown.State != plan.StatePending {
		t.Fatalf("plan show --json: %+v", shown)
	}

	// Four eyes.
	if res := profRun(t, "", "plan", "approve", id); res.code != exitFailed || !strings.Contains(res.errText(), "four eyes") {
		t.Fatalf("self-approval: %d %v", res.code, res.err)
	}
	// Apply before approval: refused, nothing written.
	t.Setenv("DIRDECK_ALLOW_WRITES", "1")
	if res := profRun(t, "", "plan", "apply", id, "--yes"); res.code != exitFailed || !strings.Contains(res.errText(), "not approved") {
		t.Fatalf("unapproved apply: %d %v", res.code, res.err)
	}
	t.Setenv("DIRDECK_API_TOKEN", srv.Token("reviewer"))
	if res := profRun(t, "", "plan", "approve", id, "--comment", "ok"); res.code != exitOK || !strings.Contains(res.stdout, "approved (1/1") {
		t.Fatalf("approve: %d %v %s", res.code, res.err, res.stdout)
	}

	// Export, tamper, import.
	res = profRun(t, "", "plan", "export", id)
	if res.code != exitOK {
		t.Fatalf("export: %d %v", res.code, res.err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "plan.json")
	os.WriteFile(good, []byte(res.stdout), 0o600)
	bad := filepath.Join(dir, "tampered.json")
	os.WriteFile(bad, []byte(strings.Replace(res.stdout, `"kind": "remove"`, `"kind": "add"`, 1)), 0o600)
	if res := profRun(t, "", "plan", "import", bad); res.code != exitFailed || !strings.Contains(res.errText(), "hash") {
		t.Fatalf("tampered import: %d %v", res.code, res.err)
	}
	if res := profRun(t, "", "plan", "import", good, "--json"); res.code != exitOK || !strings.Contains(res.stdout, `"approved"`) {
		t.Fatalf("import: %d %v %s", res.code, res.err, res.stdout)
	}

	// Refusals that write nothing: writes off, then a read-only token.
	t.Setenv("DIRDECK_ALLOW_WRITES", "0")
	if res := profRun(t, "", "plan", "apply", id, "--yes"); res.code != exitFailed || !strings.Contains(res.errText(), "allow_writes") {
		t.Fatalf("writes off: %d %v", res.code, res.err)
	}
	t.Setenv("DIRDECK_ALLOW_WRITES", "1")
	t.Setenv("DIRDECK_API_TOKEN", srv.Token("readonly"))
	if res := profRun(t, "", "plan", "apply", id, "--yes"); res.code != exitFailed || !strings.Contains(res.errText(), "okta.groups.manage") {
		t.Fatalf("read-only token: %d %v", res.code, res.err)
	}
	if res := profRun(t, "", "plan", "apply", id); res.code != exitUsage {
		t.Fatalf("no --yes off a terminal: %d %v", res.code, res.err)
	}
	for k, n := range srv.Sim.Stats().ByEndpoint {
		if !strings.HasPrefix(k, "GET ") {
			t.Fatalf("staging, reviews and refused applies wrote: %s × %d", k, n)
		}
	}

	// Apply.
	t.Setenv("DIRDECK_API_TOKEN", srv.Token("superadmin"))
	res = profRun(t, "", "plan", "apply", id, "--yes", "--json")
	if res.code != exitOK {
		t.Fatalf("apply: %d %v\n%s", res.code, res.err, res.stdout)
	}
	rep := decode[plan.ApplyReport](t, res.stdout)
	if rep.State != plan.StateApplied || rep.Done != 4 {
		t.Fatalf("apply report %+v", rep)
	}
	st := decode[statusReport](t, profRun(t, "", "status", "--json").stdout)
	if truth := srv.Sim.Truth(); st.Digest != truth.Digest {
		t.Fatalf("cache %s != truth %s after apply", st.Digest, truth.Digest)
	}

	res = profRun(t, "", "audit", "--json")
	entries := decode[[]plan.AuditEntry](t, res.stdout)
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	got := strings.Join(actions, " ")
	if !strings.HasPrefix(got, "staged refused refused approved exported refused imported refused refused") || !strings.HasSuffix(got, "apply_started applied") {
		t.Fatalf("audit actions = %s", got)
	}
	if res := profRun(t, "", "plan", "list"); res.code != exitOK || !strings.Contains(res.stdout, id) || !strings.Contains(res.stdout, "applied") {
		t.Fatalf("plan list: %d %v\n%s", res.code, res.err, res.stdout)
	}
}

func TestPlanFromFile(t *testing.T) {
	simEnv(t, oktasim.Options{Scenario: "S", Seed: 3}, "superadmin")
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("sync: %d %v", res.code, res.err)
	}
	group, members, outsiders, _ := planTargets(t)
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "changes.csv")
	os.WriteFile(csvPath, []byte("group,action,login\n"+group+",add,"+outsiders[0]+"\n"+group+",remove,"+members[0]+"\n"), 0o600)
	yamlPath := filepath.Join(dir, "changes.yaml")
	os.WriteFile(yamlPath, []byte("title: From YAML\nchanges:\n  - group: Falcon\n    create: true\n    description: Launch\n    add: ["+outsiders[1]+"]\n"), 0o600)
	badPath := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badPath, []byte("changes:\n  - grop: x\n"), 0o600)
	tests := []struct {
		file, summary string
		code          int
	}{
		{csvPath, "Plan: 1 to add, 1 to remove, 0 groups to create", exitOK},
		{yamlPath, "Plan: 1 to add, 0 to remove, 1 group to create", exitOK},
		{badPath, "", exitUsage},
		{filepath.Join(dir, "changes.txt"), "", exitUsage},
	}
	for _, tt := range tests {
		res := profRun(t, "", "plan", "new", "--from-file", tt.file)
		if res.code != tt.code || !strings.Contains(res.stderr, tt.summary) {
			t.Errorf("%s: %d %v\n%s", filepath.Base(tt.file), res.code, res.err, res.stderr)
		}
	}
}

// TestPlanApplyReadBackPartial: a 403 on the target group's members while
// apply reads the group back flags the cache partial, as dirdeck sync
// does, and apply says so and exits 1 (done with warnings), where it
// used to report the read-back as failed.
func TestPlanApplyReadBackPartial(t *testing.T) {
	srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 3}, "superadmin")
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("sync: %d %v", res.code, res.err)
	}
	group, _, outsiders, _ := planTargets(t)
	res := profRun(t, "", "plan", "new", "--group", group, "--add", outsiders[0], "--json")
	if res.code != exitOK {
		t.Fatalf("plan new: %d %v\n%s", res.code, res.err, res.stderr)
	}
	id := decode[map[string]string](t, res.stdout)["id"]
	t.Setenv("DIRDECK_API_TOKEN", srv.Token("reviewer"))
	if res := profRun(t, "", "plan", "approve", id, "--comment", "ok"); res.code != exitOK {
		t.Fatalf("approve: %d %v", res.code, res.err)
	}
	t.Setenv("DIRDECK_API_TOKEN", srv.Token("superadmin"))
	t.Setenv("DIRDECK_ALLOW_WRITES", "1")
	// The drift check lists the group's members first (one page); the
	// read-back's listing after the write is refused.
	var script []oktasim.ScriptedFault
	for seq := 2; seq <= 4; seq++ {
		script = append(script, oktasim.ScriptedFault{Seq: seq, Method: "GET", PathTemplate: "/api/v1/groups/{groupId}/users", Status: 403})
	}
	if err := srv.Sim.SetFaultScript(script); err != nil {
		t.Fatal(err)
	}
	res = profRun(t, "", "plan", "apply", id, "--yes")
	if res.code != exitWarnings || !strings.Contains(res.stdout, "Plan "+id+" applied") ||
		!strings.Contains(res.stdout, "partial: memberships not read completely: ") {
		t.Fatalf("apply: %d %v\n%s", res.code, res.err, res.stdout)
	}
	st := decode[statusReport](t, profRun(t, "", "status", "--json").stdout)
	if len(st.Partial) != 1 || st.Partial[0].Resource != "memberships" || st.Partial[0].ErrorCode != "E0000006" {
		t.Fatalf("status partial %+v, want memberships (E0000006)", st.Partial)
	}
}
