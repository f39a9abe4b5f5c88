package plan

import (
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/testorg"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// BenchmarkBuildLargePlan stages a plan removing the members of the
// largest OKTA_GROUP of scenario M (and adding as many outsiders), impact
// analysis included, from a synced cache.
func BenchmarkBuildLargePlan(b *testing.B) {
	org := testorg.Start(b, testorg.Options{Sim: oktasim.Options{Scenario: "M", Seed: 1}, Token: "superadmin"})
	org.Sync(b, dsync.Options{})
	st := org.Store
	var group directory.Group
	var members, outsiders []string
	err := st.View(func(r *store.Reader) error {
		best := 0
		for g := range r.Groups() {
			if g.Type != directory.GroupTypeOkta {
				continue
			}
			n := 0
			for range r.MembersOf(g.ID) {
				n++
			}
			if n > best {
				best, group = n, g
			}
		}
		in := map[string]bool{}
		for uid := range r.MembersOf(group.ID) {
			in[uid] = true
			members = append(members, uid)
		}
		for u := range r.Users() {
			if !in[u.ID] && len(outsiders) < len(members) {
				outsiders = append(outsiders, u.ID)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	req := Request{Author: ada, Now: time.Now(), AllowLarge: true,
		Changes: []Change{{Group: group.ID, Remove: members, Add: outsiders}}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var p Plan
		if err := st.View(func(r *store.Reader) error {
			var err error
			p, err = Build(r, req)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		if _, err := p.Hash(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(p.Ops)), "ops")
	}
}
