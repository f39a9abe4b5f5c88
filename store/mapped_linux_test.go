//go:build linux

package store

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// mappedRSS is the resident size, in KiB, of this process's memory maps
// of the file at path (from /proc/self/smaps).
func mappedRSS(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	total, inMap := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-"):
			// A mapping's header line: address range, perms, offset, dev, inode [path].
			inMap = len(fields) >= 6 && fields[5] == path
		case inMap && fields[0] == "Rss:":
			kb, err := strconv.Atoi(fields[1])
			if err != nil {
				t.Fatalf("smaps: %q", line)
			}
			total += kb
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

// TestFullWriteReleasesMappedPages: the pages of the cache file a full
// write and its commit read do not stay in the process's resident set,
// and a reader that walks the whole generation (the digest) sees the same
// data after its pages were released mid-walk.
func TestFullWriteReleasesMappedPages(t *testing.T) {
	path := tempCache(t)
	s := openT(t, path)
	o := genOrg(7, 3000)
	fullSync(t, s, o)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if left := mappedRSS(t, path); left*1024 > int(fi.Size())/10 {
		t.Errorf("after the full write %d KiB of the %d KiB file are resident", left, fi.Size()/1024)
	}
	// Touch every page of the file through the map, as a commit's walks do.
	var digest string
	if err := s.view(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bbolt.Bucket) error { return touch(b) })
	}); err != nil {
		t.Fatal(err)
	}
	touched := mappedRSS(t, path)
	if touched*1024 < int(fi.Size())/2 {
		t.Fatalf("reading the whole %d KiB file left only %d KiB resident: the test does not see the map", fi.Size()/1024, touched)
	}
	if err := s.view(func(tx *bbolt.Tx) error { releaseMapped(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	if after := mappedRSS(t, path); after > touched/10 {
		t.Errorf("after releaseMapped %d KiB of the file are resident, %d before", after, touched)
	}
	if err := s.View(func(r *Reader) error { digest, err = r.Digest(); return err }); err != nil {
		t.Fatal(err)
	}
	if want := o.digester().Sum(); digest != want {
		t.Errorf("digest %s, want %s", digest, want)
	}
}

// touch reads every key and value of b and its nested buckets.
func touch(b *bbolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			return touch(b.Bucket(k))
		}
		return nil
	})
}
