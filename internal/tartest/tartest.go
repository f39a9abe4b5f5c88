// Package tartest reads and writes gzipped tar files whole, for the tests
// that take a support bundle apart and put an edited one back together
// (what someone who edits a bundle on purpose does).
package tartest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"
)

// Entry is one file of an archive: its header and its whole content.
type Entry struct {
	Header *tar.Header
	Data   []byte
}

// Read returns every entry of the gzipped tar file at path, in order.
func Read(t testing.TB, path string) []Entry {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var entries []Entry
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return entries
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, Entry{Header: hdr, Data: data})
	}
}

// File returns a header for a regular 0600 file named name, as the bundle
// writer makes them (Bytes sets its size).
func File(name string) *tar.Header {
	return &tar.Header{Name: name, Mode: 0o600, Typeflag: tar.TypeReg}
}

// Bytes returns entries as a gzipped tar; each header's size is set to
// its data's length.
func Bytes(t testing.TB, entries []Entry) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		e.Header.Size = int64(len(e.Data))
		if err := tw.WriteHeader(e.Header); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
