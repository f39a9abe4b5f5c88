package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/tartest"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// leaks is the independent check: every login, email, name and phone
// number of the cache, looked up among the bundle's JSON string values
// (decoded with encoding/json, not the scanner's reader), their words,
// and their runs of address characters; and the token as raw bytes.
func leaks(t *testing.T, b *Bundle, users []directory.User, token string) []string {
	t.Helper()
	personal := map[string]string{}
	for _, u := range users {
		for _, v := range []string{u.Login, u.Email, u.SecondEmail, u.FirstName, u.LastName, u.DisplayName, u.MobilePhone, u.PrimaryPhone} {
			if v != "" {
				personal[v] = u.ID
			}
		}
	}
	addressRun := func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".@_+-", r))
	}
	var out []string
	for name, data := range bundleFiles(t, b) {
		if bytes.Contains(data, []byte(token)) {
			out = append(out, name+": token")
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		for {
			var v any
			if err := dec.Decode(&v); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			walkStrings(v, func(s string) {
				cands := append([]string{s}, strings.Fields(s)...)
				cands = append(cands, strings.FieldsFunc(s, addressRun)...)
				for _, c := range cands {
					if id, ok := personal[c]; ok {
						out = append(out, fmt.Sprintf("%s: a value of %s", name, id))
					}
				}
			})
		}
	}
	return out
}

func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case []any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	case map[string]any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	}
}

func exportS(t *testing.T) (*fixture, *Bundle, string) {
	t.Helper()
	f := newFixture(t, "S")
	f.Sync(t, dsync.Options{})
	opts := f.options()
	opts.Reports = map[string]any{"tokens": map[string]any{"owner": f.users(t)[1].Login, "id": f.users(t)[1].ID}}
	b, out := f.export(t, opts)
	return f, b, out
}

func TestExportHasNoPersonalDataAndKeepsStructure(t *testing.T) {
	f, b, out := exportS(t)
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("bundle mode %v, want 0600", fi.Mode().Perm())
	}
	users := f.users(t)
	if l := leaks(t, b, users, f.Token); len(l) > 0 {
		t.Fatalf("%d leaks, first: %v", len(l), l[:min(5, len(l))])
	}
	if rep := string(b.Reports); strings.Contains(rep, users[1].Login) || !strings.Contains(rep, "@"+RedactedDomain) {
		t.Errorf("reports not pseudonymised: %s", rep)
	}

	snap, err := b.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	p := newPseudonymiser(f.key, nil)
	var (
		counts             directory.Counts
		edges, paths, agrp []string
		statuses           = map[string]int{}
		sizes              = map[string]int{}
		byID               = map[string]directory.User{}
	)
	err = f.Store.View(func(r *store.Reader) error {
		counts = r.Counts()
		for m := range r.Memberships() {
			edges = append(edges, p.ID(m.GroupID)+"/"+p.ID(m.UserID))
			sizes[p.ID(m.GroupID)]++
		}
		for au := range r.AppUsers() {
			paths = append(paths, p.ID(au.AppID)+"/"+p.ID(au.UserID)+"/"+au.Scope)
		}
		for ag := range r.AppGroups() {
			agrp = append(agrp, p.ID(ag.AppID)+"/"+p.ID(ag.GroupID))
		}
		for u := range r.Users() {
			statuses[u.Status]++
			byID[p.ID(u.ID)] = u
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if b.Meta.Cache.Counts != counts {
		t.Errorf("snapshot counts %+v, cache %+v", b.Meta.Cache.Counts, counts)
	}
	var gotEdges, gotPaths, gotAgrp []string
	gotSizes := map[string]int{}
	for _, m := range snap.Memberships {
		gotEdges = append(gotEdges, m.GroupID+"/"+m.UserID)
		gotSizes[m.GroupID]++
	}
	for _, au := range snap.AppUsers {
		gotPaths = append(gotPaths, au.AppID+"/"+au.UserID+"/"+au.Scope)
	}
	for _, ag := range snap.AppGroups {
		gotAgrp = append(gotAgrp, ag.AppID+"/"+ag.GroupID)
	}
	for _, s := range [][]string{edges, paths, agrp, gotEdges, gotPaths, gotAgrp} {
		slices.Sort(s)
	}
	if !slices.Equal(edges, gotEdges) || !slices.Equal(paths, gotPaths) || !slices.Equal(agrp, gotAgrp) {
		t.Errorf("membership edges or assignment paths differ: %d/%d edges, %d/%d app users, %d/%d app groups",
			len(edges), len(gotEdges), len(paths), len(gotPaths), len(agrp), len(gotAgrp))
	}
	if len(sizes) != len(gotSizes) {
		t.Errorf("group size distribution differs")
	}
	for g, n := range sizes {
		if gotSizes[g] != n {
			t.Errorf("group %s: %d members, snapshot %d", g, n, gotSizes[g])
		}
	}

	gotStatuses := map[string]int{}
	scripts := 0
	for _, pu := range snap.Users {
		gotStatuses[pu.Status]++
		u, ok := byID[pu.ID]
		if !ok {
			t.Fatalf("snapshot user %s maps to no cached user", pu.ID)
		}
		if !strings.HasSuffix(pu.Login, "@"+RedactedDomain) || !strings.HasPrefix(pu.Login, "user-") {
			t.Errorf("login %q is not synthetic", pu.Login)
		}
		fields := [][2]string{{u.Title, pu.Title}, {u.Department, pu.Department}, {u.City, pu.City}, {u.SecondEmail, pu.SecondEmail},
			{u.MobilePhone, pu.MobilePhone}, {u.DisplayName, pu.DisplayName}, {u.Manager, pu.Manager}, {u.CostCenter, pu.CostCenter}}
		for i, fv := range fields {
			if (fv[0] == "") != (fv[1] == "") {
				t.Errorf("user %s field %d: empty %v, snapshot empty %v", u.ID, i, fv[0] == "", fv[1] == "")
			}
		}
		// Phone numbers keep their format; names keep their scripts but
		// not their lengths (TestPseudonymsKeepNoShape).
		if utf8.RuneCountInString(u.MobilePhone) != utf8.RuneCountInString(pu.MobilePhone) {
			t.Errorf("user %s: phone %q became %q (format changed)", u.ID, u.MobilePhone, pu.MobilePhone)
		}
		for _, fv := range [][2]string{{u.Title, pu.Title}, {u.Department, pu.Department}, {u.City, pu.City}} {
			for _, tab := range []*unicode.RangeTable{unicode.Han, unicode.Cyrillic, unicode.Arabic} {
				if strings.ContainsFunc(fv[0], func(r rune) bool { return unicode.Is(tab, r) }) {
					scripts++
					if !strings.ContainsFunc(fv[1], func(r rune) bool { return unicode.Is(tab, r) }) {
						t.Errorf("user %s: %q lost its script in %q", u.ID, fv[0], fv[1])
					}
				}
			}
		}
		if strings.Contains(u.Title, "<img") && !strings.Contains(pu.Title, "<") {
			t.Errorf("HTML-like title %q became %q", u.Title, pu.Title)
		}
		if u.Department == "\x1b[31mRed Alert\x1b[0m" && !strings.Contains(pu.Department, "\x1b[") {
			t.Errorf("escape sequence lost: %q", pu.Department)
		}
	}
	if scripts == 0 {
		t.Error("the fixture had no value in another script: the check above proved nothing")
	}
	if len(statuses) != len(gotStatuses) {
		t.Errorf("statuses %v, snapshot %v", statuses, gotStatuses)
	}
	for s, n := range statuses {
		if gotStatuses[s] != n {
			t.Errorf("statuses %v, snapshot %v", statuses, gotStatuses)
		}
	}

	// Same key, same pseudonyms: a second export is identical.
	c2, err := Build(f.Store, f.options())
	if err != nil {
		t.Fatal(err)
	}
	if u2, _ := c2.File(fileUsers); !bytes.Equal(u2, bundleFiles(t, b)[fileUsers]) {
		t.Error("a second export with the same key pseudonymised differently")
	}
}

func TestScannerRefusesAndWritesNothing(t *testing.T) {
	f := newFixture(t, "S")
	f.Sync(t, dsync.Options{})
	users := f.users(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "b.tar.gz")
	tests := []struct {
		name    string
		opts    func(o *Options)
		kind    string
		inFile  string
		wantErr bool
	}{
		{"the token in a report", func(o *Options) { o.Reports = map[string]any{"note": "token " + f.Token} }, "", fileReports, true},
		{"a personal value the pseudonymiser does not know", func(o *Options) {
			o.Profile.Scopes = []string{users[7].DisplayName}
		}, "personal-value", fileMeta, true},
		{"an address in the profile", func(o *Options) { o.Profile.Scopes = []string{"ops@acme.example"} }, "email", fileMeta, true},
		{"a phone number", func(o *Options) { o.Profile.Scopes = []string{"+44 20 7946 0958"} }, "phone", fileMeta, true},
		{"a bearer token", func(o *Options) { o.Profile.Scopes = []string{"Bearer eyJhbGciOiJSUzI1NiJ9.payload"} }, "bearer-token", fileMeta, true},
		{"clean", func(o *Options) {}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := f.options()
			tt.opts(&opts)
			_, err := writeBundle(f.Store, out, opts)
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				os.Remove(out)
				return
			}
			var se *ScanError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a ScanError", err)
			}
			if se.Findings[0].File != tt.inFile || (tt.kind != "" && !slices.ContainsFunc(se.Findings, func(x Finding) bool { return x.Kind == tt.kind })) {
				t.Errorf("findings %v, want %s in %s", se.Findings, tt.kind, tt.inFile)
			}
			if strings.Contains(err.Error(), f.Token) {
				t.Error("the error repeats the token")
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
		})
	}
}

// bundleFiles reads every file of a bundle (after the manifest) whole:
// for tests only, which know their bundles are small.
func bundleFiles(t *testing.T, b *Bundle) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := b.walk(func(name string, r io.Reader) error {
		data, err := io.ReadAll(r)
		files[name] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// rewrite copies a bundle, letting edit change (or drop, returning nil)
// each file, optionally adds a file named extra, and cuts the result to
// cut bytes when cut > 0 (cuts -cut bytes off its end when cut < 0).
func rewrite(t *testing.T, src, dst string, edit func(name string, data []byte) []byte, cut int, extra string) {
	t.Helper()
	var kept []tartest.Entry
	for _, e := range tartest.Read(t, src) {
		if edit != nil {
			e.Data = edit(e.Header.Name, e.Data)
		}
		if e.Data != nil {
			kept = append(kept, e)
		}
	}
	if extra != "" {
		kept = append(kept, tartest.Entry{Header: tartest.File(extra), Data: []byte("hi")})
	}
	out := tartest.Bytes(t, kept)
	if cut > 0 {
		out = out[:cut]
	} else if cut < 0 {
		out = out[:len(out)+cut]
	}
	if err := os.WriteFile(dst, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesDamagedBundles(t *testing.T) {
	_, _, good := exportS(t)
	fi, _ := os.Stat(good)
	dir := t.TempDir()
	tests := []struct {
		name string
		edit func(string, []byte) []byte
		cut  int
		want string
	}{
		{"altered user", func(n string, d []byte) []byte {
			if n == fileUsers {
				return bytes.Replace(d, []byte("ACTIVE"), []byte("ACTIVX"), 1)
			}
			return d
		}, 0, "users.jsonl does not match its SHA-256"},
		{"appended line", func(n string, d []byte) []byte {
			if n == fileGroups {
				return append(d, []byte("{}\n")...)
			}
			return d
		}, 0, "groups.jsonl is"},
		{"missing file", func(n string, d []byte) []byte {
			if n == fileRuns {
				return nil
			}
			return d
		}, 0, "runs.json is listed in the manifest but missing"},
		{"extra file", func(n string, d []byte) []byte { return d }, 0, "notes.txt is not listed"},
		{"unchanged", func(n string, d []byte) []byte { return d }, 0, ""},
		{"no manifest", func(n string, d []byte) []byte {
			if n == fileManifest {
				return nil
			}
			return d
		}, 0, "no manifest.json"},
		{"truncated", nil, int(fi.Size() / 2), "truncated"},
		{"truncated at the end", nil, -3, "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".tar.gz")
			extra := ""
			if tt.name == "extra file" {
				extra = "notes.txt"
			}
			rewrite(t, good, p, tt.edit, tt.cut, extra)
			_, err := Open(p)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("an unchanged copy was refused: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want ErrDamaged with %q", err, tt.want)
			}
		})
	}
	if _, err := Open(filepath.Join(dir, "nope.tar.gz")); err == nil {
		t.Error("a missing file opened")
	}
	notGzip := filepath.Join(dir, "plain.json")
	os.WriteFile(notGzip, []byte(`{"format":1}`), 0o600)
	if _, err := Open(notGzip); !errors.Is(err, ErrDamaged) {
		t.Errorf("plain JSON: %v", err)
	}
}

func TestLoadCacheServesTheSnapshot(t *testing.T) {
	_, b, _ := exportS(t)
	st, err := LoadCache(b, filepath.Join(t.TempDir(), "bundle.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(func(r *store.Reader) error {
		d, err := r.Digest()
		if err != nil {
			return err
		}
		if d != b.Meta.Cache.Digest || r.Counts() != b.Meta.Cache.Counts {
			t.Errorf("cache %s %+v, bundle %s %+v", d, r.Counts(), b.Meta.Cache.Digest, b.Meta.Cache.Counts)
		}
		if runs := r.Runs(0); len(runs) != len(b.Runs) || len(r.Journal(runs[0].ID)) != len(b.Runs[0].Journal) {
			t.Errorf("%d runs in the cache, %d in the bundle", len(runs), len(b.Runs))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "bundle.key")
	k1, err := LoadOrCreateKey(p)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 || len(k1) != KeySize {
		t.Fatalf("key mode %v, %d bytes", fi.Mode().Perm(), len(k1))
	}
	k2, err := LoadOrCreateKey(p)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: %v, equal %v", err, bytes.Equal(k1, k2))
	}
	os.WriteFile(p, []byte("short"), 0o600)
	if _, err := LoadOrCreateKey(p); err == nil {
		t.Fatal("a 5-byte key was accepted")
	}
}
