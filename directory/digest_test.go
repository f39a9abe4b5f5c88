package directory

import (
	"testing"
	"time"
)

// The expected value was computed outside Go:
//
//	printf 'app\t0oa1\t2026-01-02T03:04:05.000Z\nappgroup\t0oa1\t00g1\n...' | sha256sum
//
// over the eight sorted lines the fixture below produces.
const fixtureDigest = "sha256:6c4ffb2b3545adf89360007884bb87a9d51693d57b7b198433d4bd432d293206"

func fixtureRows(d interface {
	AddUser(User)
	AddGroup(Group)
	AddApp(App)
	AddMember(string, string)
	AddAppUser(string, string)
	AddAppGroup(string, string)
}) {
	paris := time.FixedZone("CET", 3600)
	// Added out of order, with sub-millisecond precision and a non-UTC zone,
	// to prove sorting, truncation and UTC conversion.
	d.AddUser(User{ID: "00u2", Status: StatusDeprovisioned, LastUpdated: time.Date(2026, 11, 26, 4, 36, 0, 999_999_999, time.UTC)})
	d.AddMember("00g1", "00u2")
	d.AddUser(User{ID: "00u1", Status: StatusActive, LastUpdated: time.Date(2026, 11, 26, 5, 36, 0, 0, paris)})
	d.AddGroup(Group{ID: "00g1", LastUpdated: time.Date(2026, 1, 2, 3, 4, 5, 120_000_000, time.UTC)})
	d.AddMember("00g1", "00u1")
	d.AddAppUser("0oa1", "00u1")
	d.AddAppGroup("0oa1", "00g1")
	d.AddApp(App{ID: "0oa1", LastUpdated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
}

func TestDigesterMatchesHandComputed(t *testing.T) {
	var d Digester
	fixtureRows(&d)
	if got := d.Sum(); got != fixtureDigest {
		t.Fatalf("digest = %s, want %s", got, fixtureDigest)
	}
	want := Counts{Users: 2, Groups: 1, Apps: 1, Memberships: 2, AppUsers: 1, AppGroups: 1}
	if d.Counts() != want {
		t.Fatalf("counts = %+v, want %+v", d.Counts(), want)
	}
}

func TestSortedDigester(t *testing.T) {
	var d Digester
	fixtureRows(&d)
	d.Sum() // sorts d.lines
	tests := []struct {
		name    string
		lines   []string
		want    string
		wantErr bool
	}{
		{name: "sorted", lines: d.lines, want: fixtureDigest},
		{name: "empty", lines: nil, want: "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{name: "out of order", lines: []string{"user\t2", "user\t1"}, wantErr: true},
		{name: "duplicate", lines: []string{"user\t1", "user\t1"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSortedDigester()
			for _, l := range tt.lines {
				_ = s.AddBytes([]byte(l))
			}
			got, err := s.Sum()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("digest = %s, want %s", got, tt.want)
			}
		})
	}
}
