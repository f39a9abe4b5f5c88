package userindex

import (
	"slices"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/tui/internal/fixture"
	"github.com/dirdeck/dirdeck/tui/pane/panetest"
	"github.com/dirdeck/dirdeck/tui/table"
	"github.com/dirdeck/dirdeck/tui/userrows"
)

// loadRows reads every row of the users table as plain rows (see
// readRows): the reference the packed index is checked against.
func loadRows(s *store.Store, usersPer int) ([]table.Row, error) {
	var rows []table.Row
	err := readRows(s, usersPer, func(_ *store.Reader, total int) error {
		rows = make([]table.Row, 0, total)
		return nil
	}, func(batch []table.Row) error {
		rows = append(rows, batch...)
		return nil
	})
	return rows, err
}

func TestLoadRowsAndFieldFilters(t *testing.T) {
	s, org := panetest.Fixture(t, fixture.Options{Users: 120, Seed: 5, Hostile: true})
	rows, err := loadRows(s, usersPerView)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(org.Users) {
		t.Fatalf("%d rows for %d users", len(rows), len(org.Users))
	}
	// Many tiny read transactions give the same rows as one.
	small, err := loadRows(s, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(small, rows, func(a, b table.Row) bool {
		return a.Key == b.Key && slices.Equal(a.Fields, b.Fields) && slices.Equal(a.Cells, b.Cells)
	}) {
		t.Error("chunked load differs from a single-chunk load")
	}
	// The pane's batch-by-batch index holds the same rows, in batches of
	// any size.
	index, err := LoadIndex(s)
	if err != nil {
		t.Fatal(err)
	}
	batched, err := loadIndex(s, 7)
	if err != nil {
		t.Fatal(err)
	}
	for i := range batched.Len() {
		if a, b := batched.Row(i), index.Row(i); a.Key != b.Key || !slices.Equal(a.Cells, b.Cells) {
			t.Fatalf("row %d indexed in batches of 7 = %+v, in one = %+v", i, a, b)
		}
	}
	if batched.Len() != index.Len() || len(table.Filter(batched, nil, table.ParseQuery("group:everyone", userrows.Fields))) != len(table.Filter(index, nil, table.ParseQuery("group:everyone", userrows.Fields))) {
		t.Error("an index built in batches of 7 filters differently")
	}
	if index.Len() != len(rows) {
		t.Fatalf("index of %d rows for %d", index.Len(), len(rows))
	}
	// The index lists the rows by name, then login (table.HayOrder).
	for k, i := range table.HayOrder(len(rows), func(i int) string { return rows[i].Hay }) {
		if got, r := index.Row(k), rows[i]; got.Key != r.Key || !slices.Equal(got.Cells, r.Cells) {
			t.Fatalf("index row %d = %+v, want %+v", k, got, r)
		}
	}
	// Reference answers straight from the generated org.
	byID := map[string]directory.User{}
	for _, u := range org.Users {
		byID[u.ID] = u
	}
	groupName := map[string]string{}
	for _, g := range org.Groups {
		groupName[g.ID] = g.Name
	}
	inGroup := func(uid, name string) bool {
		for gid, ids := range org.Members {
			if groupName[gid] == name && slices.Contains(ids, uid) {
				return true
			}
		}
		return false
	}
	tests := []struct {
		query string
		want  func(u directory.User) bool
	}{
		{"dept:sales", func(u directory.User) bool { return strings.Contains(strings.ToLower(u.Department), "sales") }},
		{"status:SUSPENDED", func(u directory.User) bool { return u.Status == directory.StatusSuspended }},
		{"title:engineer dept:engineering", func(u directory.User) bool {
			return strings.Contains(strings.ToLower(u.Title), "engineer") && u.Department == "Engineering"
		}},
		{`group:"vpn users"`, func(u directory.User) bool { return inGroup(u.ID, "VPN Users") }},
		{"group:admins status:active", func(u directory.User) bool {
			return inGroup(u.ID, "Admins") && u.Status == directory.StatusActive
		}},
		{"email:user1", func(u directory.User) bool { return strings.Contains(u.Email, "user1") }},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var got, want []string
			for _, i := range table.Filter(index, nil, table.ParseQuery(tt.query, userrows.Fields)) {
				got = append(got, index.Key(int(i)))
			}
			for _, u := range org.Users {
				if tt.want(u) {
					want = append(want, u.ID)
				}
			}
			slices.Sort(got)
			if len(want) == 0 {
				t.Fatal("the fixture has no user for this query; the test would prove nothing")
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %d users, want %d\n got %v\nwant %v", len(got), len(want), got, want)
			}
		})
	}
	// Free text reaches name, login, email, title and department.
	for _, q := range []string{"mallory", "chief screen", "<script>", "franxois"} {
		if len(table.Filter(index, nil, table.ParseQuery(q, userrows.Fields))) == 0 {
			t.Errorf("free text %q matched nothing", q)
		}
	}
	// Cells are clean even for hostile users.
	for _, r := range rows {
		for _, c := range r.Cells {
			if strings.ContainsAny(c, "\x1b\x07\x00\u202e") {
				t.Errorf("row %s has a raw control character: %q", r.Key, c)
			}
		}
	}
}
