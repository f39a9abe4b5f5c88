package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/testorg"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/signing"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// fixture is a simulated org synced into a fresh cache by a super
// administrator's client.
type fixture struct {
	*testorg.Org
}

// clientOptions make retries fast and few, so that an injected fault
// fails in milliseconds.
var clientOptions = okta.Options{MaxRetries: 1}

// client builds a client for one of the sim's tokens.
func (f *fixture) client(t *testing.T, token string) *okta.Client {
	t.Helper()
	return f.NewClient(t, token, clientOptions)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureSim(t, oktasim.Options{Scenario: "S", Seed: 1})
}

// newFixtureSim is newFixture on an org with other simulator options.
func newFixtureSim(t *testing.T, sim oktasim.Options) *fixture {
	t.Helper()
	f := &fixture{testorg.Start(t, testorg.Options{Sim: sim, Token: "superadmin", Client: clientOptions})}
	f.Sync(t, dsync.Options{})
	f.Server.Sim.ResetStats()
	return f
}

// targets picks, deterministically, an OKTA_GROUP assigned to an app with
// at least minMembers members, its sorted member logins, and logins of
// active users outside it.
type targets struct {
	group     directory.Group
	members   []string // logins
	outsiders []string // logins of ACTIVE non-members
	appGroup  directory.Group
	builtIn   directory.Group
}

func (f *fixture) targets(t *testing.T, minMembers int) targets {
	t.Helper()
	var tg targets
	err := f.Store.View(func(r *store.Reader) error {
		for g := range r.Groups() {
			switch g.Type {
			case directory.GroupTypeApp:
				if tg.appGroup.ID == "" {
					tg.appGroup = g
				}
				continue
			case directory.GroupTypeBuiltIn:
				tg.builtIn = g
				continue
			}
			if tg.group.ID != "" || len(r.AppsOfGroup(g.ID)) == 0 || privileged.MatchString(g.Name) {
				continue
			}
			var members []string
			in := map[string]bool{}
			for uid := range r.MembersOf(g.ID) {
				u, _ := r.User(uid)
				if u.Status == directory.StatusActive {
					members = append(members, u.Login)
				}
				in[uid] = true
			}
			if len(members) < minMembers || len(members) > 60 {
				continue
			}
			slices.Sort(members)
			tg.group, tg.members = g, members
			for u := range r.Users() {
				if !in[u.ID] && u.Status == directory.StatusActive {
					tg.outsiders = append(tg.outsiders, u.Login)
				}
			}
			slices.Sort(tg.outsiders)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if tg.group.ID == "" || tg.appGroup.ID == "" || tg.builtIn.ID == "" {
		t.Fatalf("scenario S lacks a target: %+v", tg)
	}
	return tg
}

var (
	ada   = Identity{AdminID: "00u-ada", Login: "ada@example.com", Name: "Ada", OSUser: "ada", Host: "laptop", Roles: []string{"SUPER_ADMIN"}}
	priya = Identity{AdminID: "00u-priya", Login: "priya@example.com", Name: "Priya", OSUser: "priya", Host: "desk", Roles: []string{"USER_ADMIN"}}
	stamp = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
)

// teamKeys gives each login a key from signing/testdata (in order:
// ed25519, ecdsa, rsa) and returns each one's Keys, all trusting the same
// allowed_signers file that names every key for its login.
func teamKeys(t *testing.T, logins ...string) map[string]Keys {
	t.Helper()
	types := []string{"ed25519", "ecdsa", "rsa"}
	var lines strings.Builder
	signers := map[string]*signing.Signer{}
	for i, login := range logins {
		path := filepath.Join("..", "signing", "testdata", "id_"+types[i])
		s, err := signing.LoadSigner(path)
		if err != nil {
			t.Fatal(err)
		}
		signers[login] = s
		pub, err := os.ReadFile(path + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(pub))
		fmt.Fprintf(&lines, "%s namespaces=\"dirdeck-plan\" %s %s\n", login, f[0], f[1])
	}
	trust, err := signing.ParseAllowedSigners(strings.NewReader(lines.String()))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Keys{}
	for login, s := range signers {
		out[login] = Keys{Signer: s, Trust: trust}
	}
	return out
}

func (f *fixture) build(t *testing.T, req Request) (Plan, error) {
	t.Helper()
	if req.Author.AdminID == "" {
		req.Author = ada
	}
	if req.Now.IsZero() {
		req.Now = stamp
	}
	if req.OrgURL == "" {
		req.OrgURL = f.Server.URL
	}
	var p Plan
	err := f.Store.View(func(r *store.Reader) error {
		var err error
		p, err = Build(r, req)
		return err
	})
	return p, err
}

// userID finds a user's id by login in the cache.
func (f *fixture) userID(t *testing.T, login string) string {
	t.Helper()
	var id string
	if err := f.Store.View(func(r *store.Reader) error {
		for u := range r.Users() {
			if u.Login == login {
				id = u.ID
			}
		}
		return nil
	}); err != nil || id == "" {
		t.Fatalf("no user %s: %v", login, err)
	}
	return id
}
