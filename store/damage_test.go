package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// validCache writes a small synced cache and returns its bytes.
func validCache(t *testing.T) []byte {
	t.Helper()
	path := tempCache(t)
	s := openT(t, path)
	fullSync(t, s, genOrg(20, 200))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDamagedFiles(t *testing.T) {
	valid := validCache(t)
	rng := rand.New(rand.NewPCG(4, 2))
	randomBytes := make([]byte, 64<<10)
	for i := range randomBytes {
		randomBytes[i] = byte(rng.Uint32())
	}
	pageSize := os.Getpagesize()
	tests := []struct {
		name  string
		write func(t *testing.T, path string)
	}{
		{"random bytes", func(t *testing.T, path string) { os.WriteFile(path, randomBytes, 0o600) }},
		{"one page", func(t *testing.T, path string) { os.WriteFile(path, valid[:pageSize], 0o600) }},
		{"truncated to half its pages", func(t *testing.T, path string) { os.WriteFile(path, valid[:highWater(t, valid)/2], 0o600) }},
		{"last page cut", func(t *testing.T, path string) { os.WriteFile(path, valid[:highWater(t, valid)-1], 0o600) }},
		{"truncated after the meta pages", func(t *testing.T, path string) { os.WriteFile(path, valid[:4*pageSize], 0o600) }},
		{"data pages overwritten", func(t *testing.T, path string) {
			b := append([]byte(nil), valid...)
			r := rand.New(rand.NewPCG(9, 9))
			for i := 2 * pageSize; i < len(b); i++ {
				if r.IntN(8) == 0 {
					b[i] = byte(r.Uint32())
				}
			}
			os.WriteFile(path, b, 0o600)
		}},
		{"both meta pages damaged", func(t *testing.T, path string) {
			b := append([]byte(nil), valid...)
			for _, off := range []int{64, pageSize + 64} {
				copy(b[off:], "garbage garbage garbage")
			}
			os.WriteFile(path, b, 0o600)
		}},
		{"another program's bbolt file", func(t *testing.T, path string) {
			db, err := bbolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			db.Update(func(tx *bbolt.Tx) error {
				b, _ := tx.CreateBucket([]byte("widgets"))
				return b.Put([]byte("k"), []byte("v"))
			})
			db.Close()
		}},
		{"bad magic", func(t *testing.T, path string) {
			os.WriteFile(path, valid, 0o600)
			rawUpdate(t, path, func(tx *bbolt.Tx) error { return tx.Bucket(bMeta).Put(kMagic, []byte("nope")) })
		}},
		{"generation bucket missing", func(t *testing.T, path string) {
			os.WriteFile(path, valid, 0o600)
			rawUpdate(t, path, func(tx *bbolt.Tx) error {
				return tx.Bucket(bMeta).Put(kCurrent, u64(77))
			})
		}},
	}
	for _, limit := range []int64{checkLimit, 0} {
		// With the limit at 0 Open skips bbolt's consistency check, as it
		// does for large files: damage must then surface on reading, as
		// ErrCorrupt from a decode error or a recovered bbolt panic.
		saved := checkLimit
		checkLimit = limit
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/check<=%d", tt.name, limit), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "org.db")
				tt.write(t, path)
				err := openAndRead(path)
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("open/read = %v, want ErrCorrupt", err)
				}
				if !strings.Contains(err.Error(), "--rebuild") {
					t.Errorf("error %q does not say what to do", err)
				}
				moved, err := Rebuild(path)
				if err != nil {
					t.Fatalf("Rebuild: %v", err)
				}
				if !strings.HasPrefix(filepath.Base(moved), "org.db.corrupt-") {
					t.Errorf("moved to %s", moved)
				}
				s := openT(t, path)
				fullSync(t, s, genOrg(21, 10))
				wantState(t, s, genOrg(21, 10))
			})
		}
		checkLimit = saved
	}
}

func TestCallerPanicIsNotCorruption(t *testing.T) {
	s := openT(t, tempCache(t))
	fullSync(t, s, genOrg(23, 5))
	defer func() {
		if v := recover(); v != "caller bug" {
			t.Fatalf("recovered %v, want the caller's panic", v)
		}
	}()
	s.View(func(r *Reader) error { panic("caller bug") })
	t.Fatal("View swallowed the panic")
}

// highWater is how many bytes of a cache file bbolt's pages occupy (the
// file itself may be longer: bbolt grows it ahead of need).
func highWater(t *testing.T, file []byte) int {
	path := filepath.Join(t.TempDir(), "hw.db")
	os.WriteFile(path, file, 0o600)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	db.View(func(tx *bbolt.Tx) error { n = tx.Size(); return nil })
	return int(n)
}

// openAndRead opens the file and reads everything a status command would.
func openAndRead(path string) error {
	s, err := Open(path, Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	return s.View(func(r *Reader) error {
		if _, err := r.Digest(); err != nil {
			return err
		}
		for range r.Users() {
		}
		r.Runs(0)
		return nil
	})
}

func rawUpdate(t *testing.T, path string, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyFileIsFresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.db")
	os.WriteFile(path, nil, 0o644)
	s := openT(t, path)
	if st := readState(t, s); st.gen != 0 || st.counts != (readState(t, s).counts) {
		t.Fatalf("state = %+v", st)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %o, want 600 (tightened on open)", fi.Mode().Perm())
	}
}

func TestSchemaVersions(t *testing.T) {
	t.Run("newer schema", func(t *testing.T) {
		path := tempCache(t)
		s := openT(t, path)
		s.Close()
		rawUpdate(t, path, func(tx *bbolt.Tx) error { return tx.Bucket(bMeta).Put(kSchema, u64(schemaVersion()+1)) })
		_, err := Open(path, Options{})
		if !errors.Is(err, ErrNewerSchema) {
			t.Fatalf("Open = %v, want ErrNewerSchema", err)
		}
		if errors.Is(err, ErrCorrupt) {
			t.Error("a newer schema is not corruption")
		}
	})
	t.Run("a migration runs once", func(t *testing.T) {
		path := tempCache(t)
		s := openT(t, path)
		fullSync(t, s, genOrg(22, 30))
		s.Close()

		saved := migrations
		t.Cleanup(func() { migrations = saved })
		migrations = append(append([]migration(nil), saved...), migration{
			from: schemaVersion(), name: "test: add a bucket",
			run: func(tx *bbolt.Tx) (bool, error) { _, err := tx.CreateBucket([]byte("v2")); return false, err },
		})

		if _, err := OpenReadOnly(path); err == nil || !strings.Contains(err.Error(), "schema upgrade") {
			t.Errorf("read-only Open of an old file = %v", err)
		}
		s = openT(t, path)
		wantState(t, s, genOrg(22, 30))
		err := s.db.View(func(tx *bbolt.Tx) error {
			if tx.Bucket([]byte("v2")) == nil {
				t.Error("migration did not run")
			}
			if v := getU64(tx.Bucket(bMeta), kSchema); v != schemaVersion() {
				t.Errorf("schema = %d, want %d", v, schemaVersion())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		s = openT(t, path) // idempotent: nothing left to run
		s.Close()
	})
}
