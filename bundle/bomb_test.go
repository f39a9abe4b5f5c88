package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// bomb writes a .tar.gz of about 1 MB whose entry snapshot/users.jsonl
// inflates to 1 GiB of zeros. It is made without compressing a gigabyte:
// gzip readers read concatenated members as one stream, so one member of
// 1 MiB of zeros (about 1 KB) is repeated 1024 times. claim is the size
// the manifest gives the entry; the manifest is otherwise complete.
func bomb(t *testing.T, claim int64) string {
	t.Helper()
	const big = 1 << 30
	var head bytes.Buffer
	tw := tar.NewWriter(&head)
	files := []FileEntry{{Name: fileUsers, Size: claim, SHA256: strings.Repeat("0", 64)}}
	for _, n := range []string{fileMeta, fileRuns, fileGroups, fileApps, fileMemberships, fileAppUsers, fileAppGroups} {
		sum := sha256.Sum256(nil)
		files = append(files, FileEntry{Name: n, Size: 0, SHA256: hex.EncodeToString(sum[:])})
	}
	man, _ := json.Marshal(Manifest{Format: FormatVersion, Files: files})
	tw.WriteHeader(&tar.Header{Name: fileManifest, Mode: 0o600, Size: int64(len(man)), Typeflag: tar.TypeReg})
	tw.Write(man)
	tw.WriteHeader(&tar.Header{Name: fileUsers, Mode: 0o600, Size: big, Typeflag: tar.TypeReg})
	tw.Flush() // the header only: its body follows in the gzip members below

	var out bytes.Buffer
	member := func(data []byte) {
		zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
		zw.Write(data)
		zw.Close()
	}
	member(head.Bytes())
	var mib bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&mib, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	for range big >> 20 {
		out.Write(mib.Bytes())
	}
	member(make([]byte, 1024)) // tar's end-of-archive blocks
	p := filepath.Join(t.TempDir(), "bomb.tar.gz")
	if err := os.WriteFile(p, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBombIsRefusedQuickly: a 1 MB archive holding a 1 GiB entry is
// refused in under a second and 100 MiB, whether the manifest admits the
// size (inflation ratio), hides it (the tar header disagrees) or is
// missing, and so is a bomb placed after the archive's end.
func TestBombIsRefusedQuickly(t *testing.T) {
	honest := bomb(t, 1<<30)
	lying := bomb(t, 10)
	noManifest := filepath.Join(t.TempDir(), "nomanifest.tar.gz")
	raw, _ := os.ReadFile(honest)
	if fi, _ := os.Stat(honest); fi.Size() > 2<<20 {
		t.Fatalf("the bomb is %d bytes, want about 1 MB", fi.Size())
	}
	// The same zeros with no manifest first.
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: fileUsers, Mode: 0o600, Size: 1 << 30, Typeflag: tar.TypeReg})
	tw.Flush()
	zw.Close()
	out.Write(raw[len(raw)/2:]) // more members of zeros
	os.WriteFile(noManifest, out.Bytes(), 0o600)
	// A good bundle followed by 1 GiB of zeros inside the gzip stream.
	_, _, good := exportS(t)
	trailing := filepath.Join(t.TempDir(), "trailing.tar.gz")
	g, _ := os.ReadFile(good)
	var mib bytes.Buffer
	zw2, _ := gzip.NewWriterLevel(&mib, gzip.BestCompression)
	zw2.Write(make([]byte, 1<<20))
	zw2.Close()
	tb := append([]byte{}, g...)
	for range 1024 {
		tb = append(tb, mib.Bytes()...)
	}
	os.WriteFile(trailing, tb, 0o600)

	for _, tt := range []struct{ name, path, want string }{
		{"manifest admits 1 GiB", honest, "decompression bomb"},
		{"manifest says 10 bytes", lying, "the manifest says 10"},
		{"no manifest first", noManifest, "no manifest.json first"},
		{"zeros after the archive", trailing, "after the end of the archive"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := Open(tt.path)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil || !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want ErrDamaged with %q", err, tt.want)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("refused in %v, %d KiB allocated", took, alloc>>10)
			if took > time.Second || alloc > 100<<20 {
				t.Errorf("refused in %v with %d MiB allocated, want under 1 s and 100 MiB", took, alloc>>20)
			}
		})
	}
}

// TestRealBundlesInflateLittle grounds maxInflation: a real bundle's
// files take about 5 times the archive's size (scenario S: 5.2:1),
// far below the limit.
func TestRealBundlesInflateLittle(t *testing.T) {
	_, b, _ := exportS(t)
	var total int64
	for _, e := range b.Manifest.Files {
		total += e.Size
	}
	ratio := float64(total) / float64(b.Bytes)
	t.Logf("scenario S bundle: %d bytes of files in a %d-byte archive, %.1f:1", total, b.Bytes, ratio)
	if ratio > maxInflation/4 {
		t.Errorf("a real bundle inflates %.1f:1, too close to the %d:1 limit", ratio, maxInflation)
	}
}
