package columns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// table is rows × columns of test values.
type table [][]string

func sample(n int) table {
	t := make(table, n)
	for i := range t {
		t[i] = []string{fmt.Sprintf("00u%06d", i), strings.Repeat("é", i%5), "", fmt.Sprintf("row %d\nline", i)}
	}
	return t
}

func write(t *testing.T, path, tag string, rows table, ncols int) {
	t.Helper()
	w, err := NewWriter(filepath.Dir(path), ncols)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Add(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(path, tag); err != nil {
		t.Fatal(err)
	}
}

func TestWriteOpenRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "t.cols")
			rows := sample(n)
			write(t, path, "gen 3", rows, 4)
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if f.Tag() != "gen 3" || f.Rows() != n || len(f.Columns()) != 4 {
				t.Fatalf("tag %q, %d rows, %d columns", f.Tag(), f.Rows(), len(f.Columns()))
			}
			cols := f.Columns()
			for i, r := range rows {
				for k, want := range r {
					if got := cols[k].At(i); got != want {
						t.Fatalf("row %d column %d = %q, want %q", i, k, got, want)
					}
				}
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v, %v", fi.Mode(), err)
			}
			// Only the file is left: the spools are gone.
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Fatalf("%d files left in the directory, want 1", len(ents))
			}
		})
	}
}

// TestShortRowsAndLimit: missing values are empty, and a value past the
// column's limit is stored as empty instead of wrapping the offsets.
func TestShortRowsAndLimit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.cols")
	w, err := NewWriter(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	w.limit = 5
	for _, r := range [][]string{{"abc"}, {"de", "x"}, {"toolong", "y"}, {"f"}} {
		if err := w.Add(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Add("a", "b", "c"); err == nil {
		t.Fatal("a row wider than the table was accepted")
	}
	if err := w.Finish(path, ""); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	c := f.Columns()
	var got []string
	for i := range f.Rows() {
		got = append(got, c[0].At(i)+"|"+c[1].At(i))
	}
	// "f" would take column 0 to 6 bytes.
	if want := "abc| de|x |y |"; strings.Join(got, " ") != want {
		t.Fatalf("rows %q, want %s", got, want)
	}
}

// TestOpenRejectsDamage: every kind of damage is ErrCorrupt, never a
// panic or a wrong row: a flipped byte anywhere, a cut file, a file of
// another kind, and offsets edited on purpose with the checksum redone.
func TestOpenRejectsDamage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.cols")
	write(t, path, "tag", sample(50), 4)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	resum := func(b []byte) []byte {
		binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli))
		return b
	}
	// The first offset of column 0 follows the header: 32 bytes, the
	// 3-byte tag padded to 8, and four text lengths.
	firstOff := 32 + 8 + 4*8
	cases := map[string][]byte{
		"empty":      {},
		"cut":        good[:len(good)/2],
		"not ours":   append([]byte("dirdeck-columns0"), good[16:]...),
		"no trailer": good[:len(good)-4],
		"offsets backwards": resum(func() []byte {
			b := append([]byte(nil), good...)
			binary.LittleEndian.PutUint32(b[firstOff+4*2:], 1<<30)
			return b
		}()),
		"rows past the file": resum(func() []byte {
			b := append([]byte(nil), good...)
			binary.LittleEndian.PutUint64(b[24:], 1<<40)
			return b
		}()),
		"text length past the file": resum(func() []byte {
			b := append([]byte(nil), good...)
			binary.LittleEndian.PutUint64(b[40:], 1<<20)
			return b
		}()),
	}
	for i := 0; i < len(good); i += 37 {
		b := append([]byte(nil), good...)
		b[i] ^= 0x40
		cases[fmt.Sprintf("byte %d flipped", i)] = b
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bad.cols")
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := Open(p)
			if err == nil {
				t.Fatalf("opened a damaged file (%d rows)", f.Rows())
			}
			if len(b) > 0 && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v, want ErrCorrupt", err)
			}
		})
	}
	if _, err := Open(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("opened a missing file")
	}
}

// TestFinishReplacesWhole: a second table written to the same path
// replaces the first while a File of the first stays readable (the
// mapping outlives the name).
func TestFinishReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.cols")
	write(t, path, "one", sample(10), 4)
	old, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	write(t, path, "two", sample(3), 4)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Tag() != "two" || f.Rows() != 3 {
		t.Fatalf("tag %q rows %d", f.Tag(), f.Rows())
	}
	if c := old.Columns(); old.Tag() != "one" || c[0].At(9) != "00u000009" {
		t.Fatalf("the first file changed under its reader: %q %q", old.Tag(), c[0].At(9))
	}
}

func TestBuilder(t *testing.T) {
	var b Builder
	b.Add(0, "a")
	b.Grow(1, 10)
	b.Add(3, "bc") // rows 1 and 2 empty
	c := b.Column(5)
	var got []string
	for i := range c.Len() {
		got = append(got, c.At(i))
	}
	if want := []string{"a", "", "", "bc", ""}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%q, want %q", got, want)
	}
	b2 := Builder{limit: 3}
	b2.Add(0, "ab")
	b2.Add(1, "cd")
	if c := b2.Column(2); c.At(0) != "ab" || c.At(1) != "" {
		t.Fatalf("limit: %q %q", c.At(0), c.At(1))
	}
}

// TestRemoveStale: spools a killed writer left are removed once old;
// a young one (another process writing now) and other files stay.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	old, young, other := filepath.Join(dir, ".columns-1.tmp"), filepath.Join(dir, ".columns-2.tmp"), filepath.Join(dir, "cache.db.users")
	for _, p := range []string{old, young, other} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * time.Hour)
	for _, p := range []string{old, other} {
		if err := os.Chtimes(p, long, long); err != nil {
			t.Fatal(err)
		}
	}
	RemoveStale(dir, time.Hour)
	for p, want := range map[string]bool{old: false, young: true, other: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// TestPrefetchAnyRow: Prefetch takes any row, empty values and the
// column's ends included, in memory and mapped, and changes nothing.
func TestPrefetchAnyRow(t *testing.T) {
	rows := table{{""}, {"a"}, {strings.Repeat("x", 200)}, {""}}
	path := filepath.Join(t.TempDir(), "t.cols")
	write(t, path, "tag", rows, 1)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var b Builder
	for i, r := range rows {
		b.Add(i, r[0])
	}
	for name, c := range map[string]Column{"built": b.Column(len(rows)), "mapped": f.Columns()[0]} {
		for i := range c.Len() {
			c.Prefetch(i)
			if c.At(i) != rows[i][0] {
				t.Fatalf("%s row %d: %q after Prefetch", name, i, c.At(i))
			}
		}
	}
}

// TestFinishTemp: a table finished to a temporary file reads back whole,
// and leaves no file behind in its directory.
func TestFinishTemp(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	vals := []string{"carol", "", "alice"}
	for _, v := range vals {
		if err := w.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	f, err := w.FinishTemp("t")
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows() != len(vals) || f.Tag() != "t" {
		t.Fatalf("%d rows tagged %q", f.Rows(), f.Tag())
	}
	for i, v := range vals {
		if got := f.Columns()[0].At(i); got != v {
			t.Errorf("row %d: %q, want %q", i, got, v)
		}
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

// TestPeek: a peek at a file gives its first rows as Open does, at most
// as many as it holds; on a damaged file it either fails or gives values
// that lie inside the file (wrong ones, perhaps), never a panic.
func TestPeek(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.cols")
	rows := sample(50)
	write(t, path, "tag", rows, 4)
	if !canMap {
		if _, err := Peek(path, 3); !errors.Is(err, ErrNoGlance) {
			t.Fatalf("a glance where files are not mapped: %v", err)
		}
		return
	}
	for _, n := range []int{0, 3, 50, 100} {
		f, err := Peek(path, n)
		if err != nil {
			t.Fatal(err)
		}
		if f.Tag() != "tag" || f.Rows() != min(n, 50) {
			t.Fatalf("peek %d: %d rows tagged %q", n, f.Rows(), f.Tag())
		}
		for i := range f.Rows() {
			for k, c := range f.Columns() {
				if c.Len() != f.Rows() || c.At(i) != rows[i][k] {
					t.Fatalf("peek %d: row %d column %d = %q of %d, want %q", n, i, k, c.At(i), c.Len(), rows[i][k])
				}
			}
		}
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(good); i += 7 {
		for _, flip := range []byte{0x40, 0xff} {
			b := append([]byte(nil), good...)
			b[i] ^= flip
			p := filepath.Join(dir, "bad.cols")
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := Peek(p, 10)
			if err != nil {
				continue
			}
			for _, c := range f.Columns() {
				for r := range f.Rows() {
					_ = c.At(r)
				}
			}
		}
	}
	if _, err := Peek(filepath.Join(dir, "missing"), 1); err == nil {
		t.Fatal("peeked at a missing file")
	}
}
