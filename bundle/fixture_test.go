package bundle

import (
	"path/filepath"
	"testing"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/testorg"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
)

// fixture is a simulated org, a client for it and a real cache file,
// with the key its bundles are pseudonymised with.
type fixture struct {
	*testorg.Org
	key []byte
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newFixture(t testing.TB, scenario string) *fixture {
	t.Helper()
	return newFixtureWith(t, oktasim.Options{Scenario: scenario, Seed: 7})
}

func newFixtureWith(t testing.TB, opts oktasim.Options) *fixture {
	t.Helper()
	return &fixture{Org: testorg.Start(t, testorg.Options{Sim: opts}), key: testKey}
}

// options are export options for the fixture's profile.
func (f *fixture) options() Options {
	return Options{Key: f.key, Version: "test", Secrets: []string{f.Token},
		Profile: ProfileInfo{Name: "test", OrgURL: f.Server.URL, Auth: "ssws", BudgetShare: 0.5}}
}

// writeBundle builds a bundle of st with opts and writes it to path, as
// dirdeck bundle does; it returns the bundle's size in bytes.
func writeBundle(st *store.Store, path string, opts Options) (int64, error) {
	c, err := Build(st, opts)
	if err != nil {
		return 0, err
	}
	return c.Write(path)
}

// export writes a bundle of the fixture's cache with opts into a
// temporary directory and opens it.
func (f *fixture) export(t testing.TB, opts Options) (b *Bundle, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "bundle.tar.gz")
	if _, err := writeBundle(f.Store, path, opts); err != nil {
		t.Fatalf("export: %v", err)
	}
	b, err := Open(path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return b, path
}

// users returns every cached user.
func (f *fixture) users(t testing.TB) []directory.User {
	t.Helper()
	var out []directory.User
	if err := f.Store.View(func(r *store.Reader) error {
		for u := range r.Users() {
			out = append(out, u)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
