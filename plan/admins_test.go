package plan

import (
	"context"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/okta"
)

func TestFlagAdmins(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	var login string // the superadmin token's owner
	for _, tok := range f.Server.Sim.Tokens() {
		if tok.Name == "superadmin" {
			login = tok.Login
		}
	}
	build := func() Plan {
		p, err := f.build(t, Request{Changes: []Change{{Group: tg.group.Name, Add: []string{login}, Remove: tg.members[len(tg.members)-1:]}}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := build()
	if err := FlagAdmins(context.Background(), f.client(t, "readonly"), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Impact.Admins) != 1 || p.Impact.Admins[0].Login != login || !strings.Contains(strings.Join(p.Impact.Admins[0].Roles, " "), "SUPER_ADMIN") {
		t.Fatalf("admins = %+v", p.Impact.Admins)
	}
	if !strings.Contains(strings.Join(p.Warnings, "\n"), login+" is an Okta admin") {
		t.Fatalf("warnings = %q", p.Warnings)
	}

	// A service app without okta.roles.read: the check says it could not run.
	clients, err := f.Server.Sim.Clients()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range clients {
		if sc.Name != "readonly" {
			continue
		}
		c, err := okta.New(context.Background(), okta.Credentials{OrgURL: f.Server.URL, ClientID: sc.ClientID, PrivateKeyPEM: []byte(sc.PrivateKeyPEM), Scopes: sc.Scopes}, okta.Options{MaxRetries: 1})
		if err != nil {
			t.Fatal(err)
		}
		p := build()
		if err := FlagAdmins(context.Background(), c, &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Impact.Admins) != 0 || !strings.Contains(strings.Join(p.Warnings, "\n"), "Admin roles not checked") {
			t.Fatalf("without okta.roles.read: admins %+v, warnings %q", p.Impact.Admins, p.Warnings)
		}
		return
	}
	t.Fatal("no readonly service app")
}
