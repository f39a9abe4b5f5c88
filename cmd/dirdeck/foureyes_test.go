package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
	"golang.org/x/crypto/ssh"

	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/internal/testorg"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/plan"
	"github.com/dirdeck/dirdeck/store"
)

// machine is one admin's computer: its own DIRDECK_HOME, token and
// signing key, and the team's allowed_signers file.
type machine struct {
	home, token, key string
	// profile, when set, is a config.toml for the machine (the org comes
	// from it instead of DIRDECK_ORG_URL).
	profile string
}

// run runs dirdeck on m against srv.
func (m machine) run(t *testing.T, srv *simtest.Server, trust string, args ...string) profResult {
	t.Helper()
	t.Setenv("DIRDECK_HOME", m.home)
	t.Setenv("DIRDECK_API_TOKEN", m.token)
	t.Setenv("DIRDECK_SIGNING_KEY", m.key)
	t.Setenv("DIRDECK_ALLOWED_SIGNERS", trust)
	t.Setenv("DIRDECK_ORG_URL", srv.URL)
	if m.profile != "" {
		os.Unsetenv("DIRDECK_ORG_URL")
		if err := os.WriteFile(filepath.Join(m.home, "config.toml"), []byte(m.profile), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return profRun(t, "", args...)
}

// sshKeyFile writes key (a private key from signing's test vectors, or a
// fresh one when path is "") and returns the file and its public line.
func sshKeyFile(t *testing.T, path string) (string, string) {
	t.Helper()
	if path != "" {
		pub, err := os.ReadFile(path + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(pub))
		return path, f[0] + " " + f[1]
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "untrusted")
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "id_untrusted")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return path, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
}

func loginOf(t *testing.T, srv *simtest.Server, token string) string {
	t.Helper()
	c, err := okta.New(context.Background(), okta.Credentials{OrgURL: srv.URL, Token: srv.Token(token)}, okta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.CurrentUser(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return me.Login
}

// editFile applies edit to a plan file and writes the result.
func editFile(t *testing.T, in, out string, edit func(f *plan.File)) string {
	t.Helper()
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var f plan.File
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	edit(&f)
	b, err = json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFourEyesAcrossMachines: the author stages on machine A, the
// reviewer approves on machine B with their key, A applies. Each forgery
// of a plan file — a made-up review, a rewritten author with a recomputed
// hash, a transplanted approval, an untrusted key, a read-only admin's
// signed approval — is refused by apply with the reason, writes nothing
// and is audited. Plans and the audit log survive sync --rebuild and a
// corrupt cache; audit verify catches one changed byte.
func TestFourEyesAcrossMachines(t *testing.T) {
	srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 3}, "superadmin")
	vectors := filepath.Join("..", "..", "signing", "testdata")
	authorKey, authorPub := sshKeyFile(t, filepath.Join(vectors, "id_ed25519"))
	reviewerKey, reviewerPub := sshKeyFile(t, filepath.Join(vectors, "id_ecdsa"))
	readonlyKey, readonlyPub := sshKeyFile(t, filepath.Join(vectors, "id_rsa"))
	strangerKey, strangerPub := sshKeyFile(t, "")
	authorLogin, reviewerLogin, readonlyLogin := loginOf(t, srv, "superadmin"), loginOf(t, srv, "reviewer"), loginOf(t, srv, "readonly")
	trust := filepath.Join(t.TempDir(), "allowed_signers")
	os.WriteFile(trust, []byte(fmt.Sprintf("%s namespaces=\"dirdeck-plan\" %s\n%s namespaces=\"dirdeck-plan\" %s\n%s namespaces=\"dirdeck-plan\" %s\n",
		authorLogin, authorPub, reviewerLogin, reviewerPub, readonlyLogin, readonlyPub)), 0o600)

	a := machine{home: t.TempDir(), token: srv.Token("superadmin"), key: authorKey}
	b := machine{home: t.TempDir(), token: srv.Token("reviewer"), key: reviewerKey}
	// The read-only admin's own machine, configured to let them approve.
	c := machine{home: t.TempDir(), token: srv.Token("readonly"), key: readonlyKey, profile: fmt.Sprintf(
		"active = \"mine\"\n[profiles.mine]\norg_url = %q\napprover_roles = [\"READ_ONLY_ADMIN\"]\n", srv.URL)}
	stranger := machine{home: t.TempDir(), token: srv.Token("reviewer"), key: strangerKey}

	if res := a.run(t, srv, trust, "sync"); res.code != exitOK {
		t.Fatalf("sync: %d %v", res.code, res.err)
	}
	group, _, outsiders, _ := planTargets(t)
	res := a.run(t, srv, trust, "plan", "new", "--group", group, "--add", outsiders[0], "--title", "four eyes", "--json")
	if res.code != exitOK {
		t.Fatalf("plan new: %d %v\n%s", res.code, res.err, res.stderr)
	}
	id := decode[map[string]string](t, res.stdout)["id"]
	other := a.run(t, srv, trust, "plan", "new", "--group", group, "--add", outsiders[1], "--title", "another plan", "--json")
	otherID := decode[map[string]string](t, other.stdout)["id"]
	dir := t.TempDir()
	exportTo := func(m machine, planID, name string) string {
		t.Helper()
		res := m.run(t, srv, trust, "plan", "export", planID)
		if res.code != exitOK {
			t.Fatalf("export %s: %d %v", planID, res.code, res.err)
		}
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(res.stdout), 0o600)
		return path
	}
	staged := exportTo(a, id, "staged.json")

	// Machine B: the reviewer imports, approves with their key, exports.
	if res := b.run(t, srv, trust, "plan", "import", staged); res.code != exitOK {
		t.Fatalf("B import: %d %v", res.code, res.err)
	}
	if res := b.run(t, srv, trust, "plan", "approve", id, "--comment", "looks right"); res.code != exitOK || !strings.Contains(res.stdout, "approved (1/1") {
		t.Fatalf("B approve: %d %v %s", res.code, res.err, res.stdout)
	}
	approved := exportTo(b, id, "approved.json")
	if res := b.run(t, srv, trust, "plan", "import", exportTo(a, otherID, "other.json")); res.code != exitOK {
		t.Fatalf("B import other: %d %v", res.code, res.err)
	}
	if res := b.run(t, srv, trust, "plan", "approve", otherID); res.code != exitOK {
		t.Fatalf("B approve other: %d %v", res.code, res.err)
	}
	otherApproved := exportTo(b, otherID, "other-approved.json")
	var reviewerApproval, otherApproval plan.Review
	editFile(t, approved, filepath.Join(dir, "scratch.json"), func(f *plan.File) { reviewerApproval = f.Reviews[0] })
	editFile(t, otherApproved, filepath.Join(dir, "scratch.json"), func(f *plan.File) { otherApproval = f.Reviews[0] })

	// The read-only admin approves on their machine: refused there with
	// the reason under the default roles...
	readonlyDefault := machine{home: t.TempDir(), token: c.token, key: c.key}
	if res := readonlyDefault.run(t, srv, trust, "plan", "import", staged); res.code != exitOK {
		t.Fatalf("read-only import: %d %v", res.code, res.err)
	}
	if res := readonlyDefault.run(t, srv, trust, "plan", "approve", id); res.code != exitFailed || !strings.Contains(res.errText(), "READ_ONLY_ADMIN, which cannot change groups") {
		t.Fatalf("read-only approval: %d %v", res.code, res.err)
	}
	// ...and signed on a machine configured to allow it.
	if res := c.run(t, srv, trust, "plan", "import", staged); res.code != exitOK {
		t.Fatalf("C import: %d %v", res.code, res.err)
	}
	if res := c.run(t, srv, trust, "plan", "approve", id); res.code != exitOK {
		t.Fatalf("C approve: %d %v", res.code, res.err)
	}
	readonlyApproved := exportTo(c, id, "readonly.json")
	// A stranger's key signs an approval in the reviewer's name (their
	// own allowed_signers vouches for it).
	strangerTrust := filepath.Join(t.TempDir(), "allowed_signers")
	os.WriteFile(strangerTrust, []byte(fmt.Sprintf("%s %s\n%s %s\n", authorLogin, authorPub, reviewerLogin, strangerPub)), 0o600)
	if res := stranger.run(t, srv, strangerTrust, "plan", "import", staged); res.code != exitOK {
		t.Fatalf("stranger import: %d %v", res.code, res.err)
	}
	if res := stranger.run(t, srv, strangerTrust, "plan", "approve", id); res.code != exitOK {
		t.Fatalf("stranger approve: %d %v", res.code, res.err)
	}
	t.Setenv("DIRDECK_ALLOWED_SIGNERS", strangerTrust)
	untrusted := exportTo(stranger, id, "untrusted.json")

	forgeries := []struct {
		name, file, reason string
	}{
		{"made-up review", editFile(t, staged, filepath.Join(dir, "made-up.json"), func(f *plan.File) {
			f.Reviews = append(f.Reviews, plan.Review{Decision: plan.DecisionApprove, Hash: f.Hash, Time: reviewerApproval.Time,
				Reviewer: plan.Identity{AdminID: reviewerApproval.Reviewer.AdminID, Login: reviewerLogin}})
		}), "unsigned"},
		{"edited approval", editFile(t, approved, filepath.Join(dir, "edited.json"), func(f *plan.File) {
			f.Reviews[0].Comment = "approved everything"
		}), "edited or transplanted"},
		{"transplanted approval", editFile(t, staged, filepath.Join(dir, "transplanted.json"), func(f *plan.File) {
			f.Reviews = append(f.Reviews, otherApproval)
		}), "transplanted"},
		{"transplanted approval, hash rewritten", editFile(t, staged, filepath.Join(dir, "transplanted2.json"), func(f *plan.File) {
			rv := otherApproval
			rv.Hash = f.Hash
			f.Reviews = append(f.Reviews, rv)
		}), "edited or transplanted"},
		{"untrusted key", untrusted, "untrusted key"},
		{"read-only admin's signed approval", readonlyApproved, "READ_ONLY_ADMIN, which cannot change groups"},
		// Roles in a review are the reviewer's word: apply reads them from the org.
		{"read-only admin's signed approval claiming super admin", editFile(t, readonlyApproved, filepath.Join(dir, "claims.json"), func(f *plan.File) {
			f.Reviews[0].Reviewer.Roles = []string{"SUPER_ADMIN"}
		}), readonlyLogin + " holds READ_ONLY_ADMIN, which cannot change groups"},
	}
	t.Setenv("DIRDECK_ALLOW_WRITES", "1")
	for _, fg := range forgeries {
		srv.Sim.ResetStats()
		if res := a.run(t, srv, trust, "plan", "import", fg.file); res.code != exitOK {
			t.Fatalf("%s: import: %d %v", fg.name, res.code, res.err)
		}
		res := a.run(t, srv, trust, "plan", "apply", id, "--yes")
		if res.code != exitFailed || !strings.Contains(res.errText(), fg.reason) {
			t.Fatalf("%s: apply = %d %v, want a refusal saying %q", fg.name, res.code, res.err, fg.reason)
		}
		if w := testorg.Writes(srv.Sim.Stats()); w != 0 {
			t.Fatalf("%s: %d write requests", fg.name, w)
		}
	}
	// The author rewritten to the reviewer, hash and id recomputed: the
	// author's signature no longer verifies, so the file is refused; without
	// the signature the plan is imported but can be neither approved nor
	// applied.
	var forgedID string
	rewrite := func(keepSig bool) func(f *plan.File) {
		return func(f *plan.File) {
			f.Plan.Author.AdminID, f.Plan.Author.Login = reviewerApproval.Reviewer.AdminID, reviewerLogin
			h, err := f.Plan.Hash()
			if err != nil {
				t.Fatal(err)
			}
			f.Hash, f.ID, forgedID = h, plan.IDOf(h), plan.IDOf(h)
			if !keepSig {
				f.AuthorSig = ""
			}
		}
	}
	srv.Sim.ResetStats()
	if res := a.run(t, srv, trust, "plan", "import", editFile(t, staged, filepath.Join(dir, "author.json"), rewrite(true))); res.code != exitFailed || !strings.Contains(res.errText(), "author's signature does not verify") {
		t.Fatalf("rewritten author: import = %d %v", res.code, res.err)
	}
	if res := a.run(t, srv, trust, "plan", "import", editFile(t, staged, filepath.Join(dir, "author2.json"), rewrite(false))); res.code != exitOK {
		t.Fatalf("rewritten author, unsigned: import = %d %v", res.code, res.err)
	}
	if res := a.run(t, srv, trust, "plan", "approve", forgedID); res.code != exitFailed || !strings.Contains(res.errText(), "without its author's signature") {
		t.Fatalf("approving a plan with a forged author: %d %v", res.code, res.err)
	}
	if res := a.run(t, srv, trust, "plan", "apply", forgedID, "--yes"); res.code != exitFailed || !strings.Contains(res.errText(), "not approved") {
		t.Fatalf("applying a plan with a forged author: %d %v", res.code, res.err)
	}
	if w := testorg.Writes(srv.Sim.Stats()); w != 0 {
		t.Fatalf("rewritten author: %d write requests", w)
	}
	entries := decode[[]plan.AuditEntry](t, a.run(t, srv, trust, "audit", "--json").stdout)
	var refusals []string
	for _, e := range entries {
		if e.Action == plan.ActionRefused {
			refusals = append(refusals, e.Detail)
		}
	}
	for _, fg := range forgeries {
		if !strings.Contains(strings.Join(refusals, "\n"), fg.reason) {
			t.Errorf("no audit entry says %q:\n%s", fg.reason, strings.Join(refusals, "\n"))
		}
	}

	for _, e := range entries {
		if e.Actor.OSUser == "" || e.Actor.Host == "" || e.Actor.AdminID == "" || e.Actor.Key == "" {
			t.Fatalf("audit entry %d lacks the admin, OS user, host or key: %+v", e.Seq, e.Actor)
		}
	}

	// The honest approval lands.
	srv.Sim.ResetStats()
	if res := a.run(t, srv, trust, "plan", "import", approved); res.code != exitOK || !strings.Contains(res.stdout, "approved (1/1") {
		t.Fatalf("A import of the approval: %d %v %s", res.code, res.err, res.stdout)
	}
	if res := a.run(t, srv, trust, "plan", "apply", id, "--yes"); res.code != exitOK {
		t.Fatalf("honest apply: %d %v\n%s", res.code, res.err, res.stdout)
	}
	if n := srv.Sim.Stats().ByEndpoint["PUT /api/v1/groups/{id}/users/{uid}"]; n != 1 {
		t.Fatalf("honest apply: %d membership writes", n)
	}

	// The ledger outlives the cache.
	plansBefore := a.run(t, srv, trust, "plan", "list", "--json").stdout
	auditBefore := len(decode[[]plan.AuditEntry](t, a.run(t, srv, trust, "audit", "--json").stdout))
	cache := cacheFile(t)
	for _, damage := range []string{"rebuild", "corrupt"} {
		if damage == "corrupt" {
			os.WriteFile(cache, []byte(strings.Repeat("not a bbolt file ", 4096)), 0o600)
			if res := a.run(t, srv, trust, "plan", "list"); res.code != exitFailed {
				t.Fatalf("plan list on a corrupt cache: %d %v", res.code, res.err)
			}
		}
		if res := a.run(t, srv, trust, "sync", "--rebuild"); res.code != exitOK {
			t.Fatalf("sync --rebuild (%s): %d %v", damage, res.code, res.err)
		}
		if got := a.run(t, srv, trust, "plan", "list", "--json").stdout; len(decode[[]plan.Record](t, got)) != len(decode[[]plan.Record](t, plansBefore)) {
			t.Fatalf("after %s the plans are\n%s\nwere\n%s", damage, got, plansBefore)
		}
		if n := len(decode[[]plan.AuditEntry](t, a.run(t, srv, trust, "audit", "--json").stdout)); n != auditBefore {
			t.Fatalf("after %s the audit log has %d entries, had %d", damage, n, auditBefore)
		}
		if res := a.run(t, srv, trust, "audit", "verify"); res.code != exitOK {
			t.Fatalf("audit verify after %s: %d %v", damage, res.code, res.err)
		}
	}

	// One changed byte in one entry: audit verify names it, exit 1.
	db, err := bbolt.Open(store.LedgerPath(cache), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		k := binary.BigEndian.AppendUint64(nil, 5)
		v := append([]byte(nil), b.Get(k)...)
		i := strings.Index(string(v), `"action":"`) + len(`"action":"`)
		v[i] ^= 0x20 // "approved" → "Approved", say
		return b.Put(k, v)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res := a.run(t, srv, trust, "audit", "verify"); res.code != exitWarnings || !strings.Contains(res.errText(), "entry 5") {
		t.Fatalf("audit verify after an edit: %d %v", res.code, res.err)
	}
}
