package store

import (
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/directory"
)

// testdata/cache-v1.db is a cache in the schema-1 layout (JSON records,
// st_* stamp buckets), written by dirdeck at commit 3299d84 with
// writeV1Fixture below run as a test of that commit's package store:
//
//	s := openT(t, path)
//	first, second, special, gone := v1Fixture()
//	fullSync(t, s, first)   // run 1
//	fullSync(t, s, second)  // run 2: three users gone (archived), changes logged
//	d, _ := s.BeginIncremental()
//	d.PutUser(special); d.AddMember("00g000000", special.ID)
//	d.DeleteUser(gone); d.SetCursor("users", "fixture")
//	d.Commit(directory.SyncRun{Status: directory.RunOK, Started: t0, Finished: t0.Add(time.Hour)}, nil) // run 3
//
// so the current generation holds v1FixtureWant().

// v1Fixture returns the two orgs the fixture's full syncs wrote, the user
// its incremental sync added and the one it deleted.
func v1Fixture() (first, second *org, special directory.User, gone string) {
	first = genOrg(31, 60)
	second = first.clone()
	for _, id := range []string{"00u0000004", "00u0000017", "00u0000042"} {
		dropUser(second, id)
	}
	at := time.Date(2026, 11, 30, 8, 1, 2, 345_000_000, time.UTC)
	special = directory.User{
		ID: "00uspecial", Status: directory.StatusLockedOut, Created: at.Add(-time.Hour), Activated: &at,
		StatusChanged: &at, LastLogin: &at, LastUpdated: at, PasswordChanged: &at,
		Login: "<b>x</b>@example.com", Email: "other@example.com", SecondEmail: "\x1b[2Jsecond",
		FirstName: "Zoë", LastName: "Ω\u202e", DisplayName: hostile, Title: strings.Repeat("ü", 3000),
		Department: "R&D <lab>", Division: "d", Organization: "o", Manager: "m", ManagerID: "00umgr",
		EmployeeNumber: "7", CostCenter: "cc", MobilePhone: "+1", PrimaryPhone: "+2", Locale: "de_DE",
		PreferredLang: "de", Timezone: "Europe/Berlin", City: "Köln", State: "NW", CountryCode: "DE", UserType: "x",
		Attributes: map[string]any{"s": "<script>", "n": 1.5, "b": true, "null": nil,
			"list": []any{"a", 2.0, false}, "obj": map[string]any{"k": "\x07"}},
	}
	return first, second, special, "00u0000023"
}

// v1FixtureWant is the org the fixture's current generation holds.
func v1FixtureWant() *org {
	_, second, special, gone := v1Fixture()
	want := second.clone()
	want.users[special.ID] = special
	want.members["00g000000"] = append(want.members["00g000000"], special.ID)
	dropUser(want, gone)
	return want
}

// dropUser deletes a user with its memberships and app assignments.
func dropUser(o *org, id string) {
	delete(o.users, id)
	for g, us := range o.members {
		o.members[g] = slicesDelete(us, func(u string) bool { return u == id })
	}
	for a, aus := range o.appUsers {
		o.appUsers[a] = slicesDelete(aus, func(au directory.AppUser) bool { return au.UserID == id })
	}
}

func slicesDelete[T any](vs []T, drop func(T) bool) []T {
	var out []T
	for _, v := range vs {
		if !drop(v) {
			out = append(out, v)
		}
	}
	return out
}
