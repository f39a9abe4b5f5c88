package userrows

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/tui/table"
)

func TestBuild(t *testing.T) {
	login := time.Date(2026, 3, 4, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600))
	tests := []struct {
		name   string
		user   directory.User
		groups string
		cells  []string
		hay    string
		fields []string
	}{
		{
			name: "login is the e-mail: the haystack holds it once",
			user: directory.User{ID: "00u1", FirstName: "Ada", LastName: "Lovelace", Login: "Ada@Example.com",
				Email: "ada@example.com", Title: "Engineer", Department: "R&D", Status: "ACTIVE", LastLogin: &login},
			groups: "everyone\nvpn users",
			cells:  []string{"Ada Lovelace", "Ada@Example.com", "Engineer", "R&D", "ACTIVE", "2026-03-05"},
			hay:    "ada lovelace\nada@example.com\nengineer\nr&d",
			fields: []string{"ada lovelace", "ada@example.com", "ada@example.com", "engineer", "r&d", "active", "everyone\nvpn users"},
		},
		{
			name:   "a separate e-mail is searchable; never logged in sorts first",
			user:   directory.User{ID: "00u2", DisplayName: "Bob", Login: "bob", Email: "Bob.B@example.com", Status: "STAGED"},
			cells:  []string{"Bob", "bob", "", "", "STAGED", "never"},
			hay:    "bob\nbob\nbob.b@example.com\n\n",
			fields: []string{"bob", "bob", "bob.b@example.com", "", "", "staged", ""},
		},
		{
			// Lowercasing 'İ' changes its byte length, so the fields
			// cannot be slices of the haystack.
			name:   "control characters are neutralised; lowercasing changes byte lengths",
			user:   directory.User{ID: "00u3", DisplayName: "İpek\x1b[31m", Login: "ipek\x07@x.io", Email: "ipek\x07@x.io", Title: "a\nb", Department: "İK"},
			cells:  []string{"İpek␛[31m", "ipek␇@x.io", "a b", "İK", "", "never"},
			hay:    strings.ToLower("İpek␛[31m\nipek␇@x.io\na b\nİK"),
			fields: []string{strings.ToLower("İpek␛[31m"), "ipek␇@x.io", "ipek␇@x.io", "a b", strings.ToLower("İK"), "", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, in := range []Interner{nil, {}} {
				r := Build(tt.user, tt.groups, in)
				if r.Key != tt.user.ID {
					t.Errorf("key %q, want %q", r.Key, tt.user.ID)
				}
				if !slices.Equal(r.Cells, tt.cells) {
					t.Errorf("cells %q, want %q", r.Cells, tt.cells)
				}
				if r.Hay != tt.hay {
					t.Errorf("hay %q, want %q", r.Hay, tt.hay)
				}
				if !slices.Equal(r.Fields, tt.fields) {
					t.Errorf("fields %q, want %q", r.Fields, tt.fields)
				}
				// Dates sort as text; "never" has a key that sorts first.
				var sort []string
				if tt.user.LastLogin == nil {
					sort = []string{ColLastLogin: " "}
				}
				if !slices.Equal(r.SortKeys, sort) {
					t.Errorf("sort keys %q, want %q", r.SortKeys, sort)
				}
			}
		})
	}
}

// TestBuildFilters checks that the field names reach the fields they
// name, through the table's own query parser.
func TestBuildFilters(t *testing.T) {
	rows := table.NewRows([]table.Row{
		Build(directory.User{ID: "a", DisplayName: "Ann", Login: "ann@x.io", Email: "ann@y.io", Title: "Chief", Department: "Sales", Status: "ACTIVE"}, "admins", nil),
		Build(directory.User{ID: "b", DisplayName: "Ben", Login: "ben@x.io", Email: "ben@x.io", Title: "Clerk", Department: "Legal", Status: "SUSPENDED"}, "everyone", nil),
	})
	tests := []struct {
		query string
		want  []string
	}{
		{"name:ann", []string{"a"}},
		{"login:ben", []string{"b"}},
		{"email:y.io", []string{"a"}},
		{"mail:ben", []string{"b"}},
		{"title:clerk", []string{"b"}},
		{"dept:sales", []string{"a"}},
		{"department:legal", []string{"b"}},
		{"status:suspended", []string{"b"}},
		{"group:admins", []string{"a"}},
		{"groups:every", []string{"b"}},
	}
	for _, tt := range tests {
		var got []string
		for _, i := range table.Filter(rows, nil, table.ParseQuery(tt.query, Fields)) {
			got = append(got, rows.Key(int(i)))
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s matched %v, want %v", tt.query, got, tt.want)
		}
	}
}

// TestInternerShares checks that repeated cell values are one string in
// memory: that is what keeps a million rows small.
func TestInternerShares(t *testing.T) {
	in := Interner{}
	u := directory.User{Login: "x", Title: "Engineer", Department: "Sales", Status: "ACTIVE"}
	u.ID = "1"
	a := Build(u, "", in)
	u.ID = "2"
	b := Build(u, "", in)
	for _, c := range []int{ColTitle, ColDept, ColStatus} {
		if unsafe.StringData(a.Cells[c]) != unsafe.StringData(b.Cells[c]) {
			t.Errorf("column %d: %q is held twice", c, a.Cells[c])
		}
	}
	if len(in) != 3 {
		t.Errorf("interned %q, want the title, department and status only", in)
	}
}
