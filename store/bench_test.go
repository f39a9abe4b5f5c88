package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
)

// largeOrg is shaped like scenario L: users, users/20 groups with about
// ten memberships per user in total, users/200 apps with direct and group
// assignments. Built as pages, the way a sync hands them over.
type largeOrg struct {
	users     [][]directory.User
	groups    []directory.Group
	apps      []directory.App
	members   map[string][]string
	appUsers  map[string][]directory.AppUser
	appGroups map[string][]directory.AppGroup
	edges     int
}

func genLarge(seed uint64, n int) *largeOrg {
	r := rand.New(rand.NewPCG(seed, 1))
	o := &largeOrg{members: map[string][]string{}, appUsers: map[string][]directory.AppUser{}, appGroups: map[string][]directory.AppGroup{}}
	depts := []string{"Engineering", "Sales", "Marketing", "Support", "Finance", "Legal", "IT", ""}
	var page []directory.User
	for i := range n {
		page = append(page, directory.User{
			ID: fmt.Sprintf("00u%017d", i), Status: directory.StatusActive,
			Created: t0, LastUpdated: t0.Add(-time.Duration(r.IntN(100000)) * time.Second),
			Login: fmt.Sprintf("first.last%d@example.com", i), Email: fmt.Sprintf("first.last%d@example.com", i),
			FirstName: fmt.Sprintf("First%d", i), LastName: fmt.Sprintf("Last%d", i), DisplayName: fmt.Sprintf("First%d Last%d", i, i),
			Title: "Senior Engineer", Department: depts[r.IntN(len(depts))], Organization: "Example Inc",
			City: "Berlin", CountryCode: "DE", Locale: "de_DE", MobilePhone: "+49 30 1234567",
			Attributes: map[string]any{"costCenter": fmt.Sprintf("cc%d", i%50)},
		})
		if len(page) == 200 {
			o.users, page = append(o.users, page), nil
		}
	}
	if page != nil {
		o.users = append(o.users, page)
	}
	ngroups := max(1, n/20)
	for i := range ngroups {
		id := fmt.Sprintf("00g%017d", i)
		o.groups = append(o.groups, directory.Group{ID: id, Type: directory.GroupTypeOkta, Name: fmt.Sprintf("Group %d", i), LastUpdated: t0})
	}
	for u := range n {
		for range 10 {
			g := o.groups[r.IntN(ngroups)].ID
			o.members[g] = append(o.members[g], fmt.Sprintf("00u%017d", u))
			o.edges++
		}
	}
	for i := range max(1, n/200) {
		id := fmt.Sprintf("0oa%017d", i)
		o.apps = append(o.apps, directory.App{ID: id, Label: fmt.Sprintf("App %d", i), Status: "ACTIVE", LastUpdated: t0})
		for range 100 {
			o.appUsers[id] = append(o.appUsers[id], directory.AppUser{AppID: id, UserID: fmt.Sprintf("00u%017d", r.IntN(n)), Scope: directory.ScopeUser, LastUpdated: t0})
		}
		for range 5 {
			o.appGroups[id] = append(o.appGroups[id], directory.AppGroup{AppID: id, GroupID: o.groups[r.IntN(ngroups)].ID, LastUpdated: t0})
		}
	}
	return o
}

func (o *largeOrg) write(b *testing.B, s *Store) directory.SyncRun {
	w, err := s.BeginFull()
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range o.users {
		if err := w.PutUsers(p); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.PutGroups(o.groups); err != nil {
		b.Fatal(err)
	}
	if err := w.PutApps(o.apps); err != nil {
		b.Fatal(err)
	}
	for g, us := range o.members {
		for i := 0; i < len(us); i += 1000 {
			if err := w.PutMembers(g, us[i:min(i+1000, len(us))]); err != nil {
				b.Fatal(err)
			}
		}
	}
	for a, aus := range o.appUsers {
		if err := w.PutAppUsers(a, aus); err != nil {
			b.Fatal(err)
		}
	}
	for a, ags := range o.appGroups {
		if err := w.PutAppGroups(a, ags); err != nil {
			b.Fatal(err)
		}
	}
	run, err := w.Commit(directory.SyncRun{Status: directory.RunOK}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return run
}

// BenchmarkFullWrite100k writes a first full generation of 100k users,
// 5k groups and 1M memberships into a new file.
func BenchmarkFullWrite100k(b *testing.B) {
	o := genLarge(1, 100_000)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		path := tempCache(b)
		s := openT(b, path)
		b.StartTimer()
		o.write(b, s)
		b.StopTimer()
		fi, _ := os.Stat(path)
		b.ReportMetric(float64(fi.Size())/100, "file-bytes/1k-users")
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(o.edges), "memberships")
}

// BenchmarkFullRewrite100k writes a second full generation over the first
// (1% of users changed), so Commit carries over and diffs 1.1M rows.
func BenchmarkFullRewrite100k(b *testing.B) {
	o := genLarge(1, 100_000)
	path := tempCache(b)
	s := openT(b, path)
	o.write(b, s)
	b.ResetTimer()
	for n := range b.N {
		b.StopTimer()
		for i, p := range o.users {
			if i%2 == 0 {
				p[0].Title = fmt.Sprintf("Changed %d/%d", n, i)
			}
		}
		b.StartTimer()
		run := o.write(b, s)
		b.ReportMetric(float64(run.Changes["user.updated"]), "users-updated")
	}
}

// BenchmarkDigest100k streams the digest of an L-shaped generation.
func BenchmarkDigest100k(b *testing.B) {
	s := openT(b, tempCache(b))
	genLarge(1, 100_000).write(b, s)
	b.ResetTimer()
	for range b.N {
		err := s.View(func(r *Reader) error {
			_, err := digestGen(r.g)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIncremental1pct applies 1% churn (1k user updates, 1k
// membership changes) to an L-shaped generation in one Delta.
func BenchmarkIncremental1pct(b *testing.B) {
	o := genLarge(1, 100_000)
	s := openT(b, tempCache(b))
	o.write(b, s)
	b.ResetTimer()
	for i := range b.N {
		d, err := s.BeginIncremental()
		if err != nil {
			b.Fatal(err)
		}
		for j := range 1000 {
			u := o.users[j%len(o.users)][j%200]
			u.Title = fmt.Sprintf("T%d-%d", i, j)
			d.PutUser(u)
			d.AddMember(o.groups[j%len(o.groups)].ID, fmt.Sprintf("00u%017d", (i*1000+j)%100_000))
		}
		if _, err := d.Commit(directory.SyncRun{Status: directory.RunOK}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUsersByPrefix100k is the TUI's filter keystroke: the first 50
// matches of a prefix.
func BenchmarkUsersByPrefix100k(b *testing.B) {
	s := openT(b, tempCache(b))
	genLarge(1, 100_000).write(b, s)
	b.ResetTimer()
	for range b.N {
		s.View(func(r *Reader) error {
			n := 0
			for range r.UsersByPrefix("first.last4") {
				if n++; n == 50 {
					break
				}
			}
			return nil
		})
	}
}

// BenchmarkMemberCounts100k counts the members of every group, as a
// groups list showing sizes does.
func BenchmarkMemberCounts100k(b *testing.B) {
	o := genLarge(1, 100_000)
	s := openT(b, tempCache(b))
	o.write(b, s)
	b.ResetTimer()
	for range b.N {
		s.View(func(r *Reader) error {
			for _, g := range o.groups {
				r.MemberCount(g.ID)
			}
			return nil
		})
	}
}
