package store

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/directory"
)

// jsonRoundTrip is what the schema-1 store gave back for v.
func jsonRoundTrip[T any](t testing.TB, v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func codecUsers() map[string]directory.User {
	_, _, special, _ := v1Fixture()
	berlin := time.Date(2026, 3, 1, 12, 0, 0, 123_456_789, time.FixedZone("CET", 3600))
	london := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("GMT", 0))
	return map[string]directory.User{
		"zero":    {ID: "00uzero"},
		"special": special,
		"offsets": {ID: "00uoff", Created: berlin, LastUpdated: london, LastLogin: &berlin,
			Activated: &time.Time{}, FirstName: "A", LastName: "B", DisplayName: "A B", Email: "x"},
		"attrs": {ID: "00uattrs", Attributes: map[string]any{"nilList": []any(nil), "nilMap": map[string]any(nil),
			"empty": []any{}, "obj": map[string]any{}, "int": 3, "num": 1e300, "nested": []any{[]any{map[string]any{"a": nil}}},
			"": "empty key", "time": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}},
		"names": {ID: "00unames", FirstName: "A", LastName: "", DisplayName: "A ", Login: "", Email: ""},
		"huge":  {ID: "00uhuge", Title: strings.Repeat("\x1b[31m<i>", 1<<17), LastUpdated: time.Unix(1<<35, 999_999_999).UTC()},
		"years": {ID: "00uyears", Created: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), LastUpdated: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
}

// TestUserRecordRoundTrip: a user comes back from its record exactly as
// the JSON the store used to keep gave it back (times in other offsets
// included), and 1 MB strings and hostile values are kept byte for byte.
func TestUserRecordRoundTrip(t *testing.T) {
	for name, u := range codecUsers() {
		t.Run(name, func(t *testing.T) {
			rec, err := encodeUser(u)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeUser([]byte(u.ID), rec)
			if err != nil {
				t.Fatal(err)
			}
			if want := jsonRoundTrip(t, u); !reflect.DeepEqual(got, want) {
				t.Errorf("decoded %+v\nwant    %+v", got, want)
			}
			line, err := appendStamp(nil, tagUser, rec)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimPrefix(directory.UserLine(u), "user\t"+u.ID+"\t"); string(line) != want {
				t.Errorf("stamp %q, want %q", line, want)
			}
		})
	}
	bad := directory.User{ID: "00ubad", Login: "\xff\xfe", Attributes: map[string]any{"k": "v"}}
	rec, _ := encodeUser(bad)
	if got, err := decodeUser([]byte(bad.ID), rec); err != nil || !reflect.DeepEqual(got, bad) {
		t.Errorf("invalid UTF-8: %q, %v", got.Login, err)
	}
}

func TestOtherRecordsRoundTrip(t *testing.T) {
	at := time.Date(2026, 5, 6, 7, 8, 9, 10_000_000, time.UTC)
	check := func(name string, key []byte, v, got any, err error) {
		t.Helper()
		if err != nil || !reflect.DeepEqual(got, v) {
			t.Errorf("%s: %+v, %v; want %+v", name, got, err, v)
		}
	}
	g := directory.Group{ID: "00g1", Type: directory.GroupTypeApp, Name: hostile, Description: strings.Repeat("d", 5000),
		Created: at, LastUpdated: at.Add(time.Hour), LastMembershipUpdated: at.Add(2 * time.Hour)}
	gg, err := decodeGroup([]byte(g.ID), encodeGroup(g))
	check("group", nil, g, gg, err)
	a := directory.App{ID: "0oa1", Name: "n", Label: "<l>", Status: "INACTIVE", SignOnMode: "SAML_2_0", Created: at, LastUpdated: at}
	aa, err := decodeApp([]byte(a.ID), encodeApp(a))
	check("app", nil, a, aa, err)
	au := directory.AppUser{AppID: "0oa1", UserID: "00u1", Scope: directory.ScopeGroup, Status: "PROVISIONED", LastUpdated: at}
	gotAU, err := decodeAppUser(ck(au.AppID, au.UserID), encodeAppUser(au))
	check("app user", nil, au, gotAU, err)
	for _, p := range []int{0, -3, 1 << 40} {
		ag := directory.AppGroup{AppID: "0oa1", GroupID: "00g1", Priority: p, LastUpdated: at}
		gotAG, err := decodeAppGroup(ck(ag.AppID, ag.GroupID), encodeAppGroup(ag))
		check("app group", nil, ag, gotAG, err)
	}
}

// TestDamagedRecords: every truncation and every single-byte change of a
// record either decodes or fails with ErrCorrupt; none panics. Changes
// inside string bytes decode (to other text), changes to tags, lengths
// and headers fail.
func TestDamagedRecords(t *testing.T) {
	u := codecUsers()["special"]
	rec, err := encodeUser(u)
	if err != nil {
		t.Fatal(err)
	}
	rec = rec[:len(rec):len(rec)]
	for i := range len(rec) {
		if _, err := decodeRec[directory.User]("user", []byte(u.ID), rec[:i]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: %v", i, err)
		}
	}
	if _, err := decodeRec[directory.User]("user", []byte(u.ID), append(rec, 0)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a trailing byte: %v", err)
	}
	if _, err := decodeRec[directory.Group]("group", []byte(u.ID), rec); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a user record read as a group: %v", err)
	}
	if _, err := decodeRec[directory.User]("user", []byte(u.ID), []byte(`{"id":"00u1"}`)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("JSON: %v", err)
	}
	for i := range min(len(rec), 200) {
		for _, x := range []byte{0x00, 0x01, 0x7f, 0x80, 0xff} {
			b := append([]byte(nil), rec...)
			b[i] ^= x
			if _, err := decodeRec[directory.User]("user", []byte(u.ID), b); err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("byte %d ^ %#x: %v", i, x, err)
			}
		}
	}
}

func FuzzDecodeRecords(f *testing.F) {
	for _, u := range codecUsers() {
		rec, _ := encodeUser(u)
		f.Add(rec)
	}
	f.Add(encodeGroup(directory.Group{ID: "g", Name: "n"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fn := range []func() error{
			func() error { _, err := decodeRec[directory.User]("user", []byte("id"), b); return err },
			func() error { _, err := decodeRec[directory.Group]("group", []byte("id"), b); return err },
			func() error { _, err := decodeRec[directory.App]("app", []byte("id"), b); return err },
			func() error { _, err := decodeRec[directory.AppUser]("app user", []byte("a\tu"), b); return err },
			func() error { _, err := decodeRec[directory.AppGroup]("app group", []byte("a\tg"), b); return err },
			func() error { _, err := appendStamp(nil, tagUser, b); return err },
		} {
			if err := fn(); err != nil && !errors.Is(err, ErrCorrupt) && !strings.Contains(err.Error(), "record") && !strings.Contains(err.Error(), "time") {
				t.Fatalf("unexpected error %v", err)
			}
		}
	})
}

// BenchmarkDecodeUser compares decoding a realistic user from its record
// with decoding the JSON the store kept before.
func BenchmarkDecodeUser(b *testing.B) {
	at := time.Date(2025, 5, 24, 22, 1, 9, 59_000_000, time.UTC)
	u := directory.User{ID: "00u00000dIm7hyM7YU7B", Status: "ACTIVE", Created: at, Activated: &at, StatusChanged: &at,
		LastLogin: &at, LastUpdated: at, PasswordChanged: &at, Login: "ada.okonkwo@example.com", Email: "ada.okonkwo@example.com",
		FirstName: "Ada", LastName: "Okonkwo", DisplayName: "Ada Okonkwo", Title: "Staff Engineer", Department: "Support",
		Division: "Americas", Organization: "Acme Corporation", EmployeeNumber: "E000000", CostCenter: "CC-1340",
		Locale: "en_US", PreferredLang: "en", Timezone: "America/Los_Angeles", City: "Seattle", State: "WA",
		CountryCode: "US", UserType: "Employee", Attributes: map[string]any{"hireDate": "2023-10-21", "pronouns": "he/him"}}
	rec, _ := encodeUser(u)
	js, _ := json.Marshal(u)
	key := []byte(u.ID)
	b.Run("record", func(b *testing.B) {
		b.SetBytes(int64(len(rec)))
		for b.Loop() {
			if _, err := decodeUser(key, rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.SetBytes(int64(len(js)))
		for b.Loop() {
			var v directory.User
			if err := json.Unmarshal(js, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
