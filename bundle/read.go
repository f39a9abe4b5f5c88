package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/oktasim"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// ErrDamaged marks a bundle that is not intact: truncated, altered, or not
// a dirdeck bundle at all.
var ErrDamaged = errors.New("support bundle is damaged or was altered")

// Read limits. A bundle is untrusted input: the manifest, read first,
// says how large every file is, and nothing larger is ever inflated.
// A bundle of a million-user org is about a gigabyte of JSON.
const (
	maxFileBytes     = 4 << 30
	maxTotalBytes    = 8 << 30
	maxFiles         = 64
	maxManifestBytes = 1 << 20  // a manifest lists at most maxFiles entries
	maxRawBytes      = 64 << 20 // meta.json and reports.json, held as bytes
	// maxInflation bounds what the manifest may claim against the size of
	// the .tar.gz: gzip reaches about 5:1 on a real bundle's JSON (see
	// TestRealBundlesInflateLittle); an archive that claims more than
	// 100:1 is a decompression bomb, refused before it is inflated.
	maxInflation = 100
	// inflationFloor lets tiny bundles (an empty org) through the ratio.
	inflationFloor = 1 << 20
	// maxTrailing is how much may follow the tar's end inside the gzip
	// stream (tar pads to its record size, 10 KiB).
	maxTrailing = 64 << 10
)

// Bundle is an opened, verified support bundle. Only the metadata, the
// runs and the reports are held in memory; the snapshot is streamed from
// the file again, and verified again, when Snapshot is called.
type Bundle struct {
	Path     string
	Bytes    int64 // size of the .tar.gz
	Manifest Manifest
	Meta     Meta
	Runs     []RunRecord
	// Reports holds reports.json as found (absent: nil).
	Reports json.RawMessage
	// manifestSum is the manifest's SHA-256: a later pass over the file
	// must find the very same manifest.
	manifestSum  [sha256.Size]byte
	manifestSize int64
}

// Open reads and verifies a bundle in one streaming pass: the manifest
// must come first and passes its limits (sizes, count, inflation ratio)
// before anything else is inflated; then every file must be listed in it,
// present once, with its size (checked from the tar header, before
// reading) and SHA-256 (checked as it streams); the format must be one
// this build reads. No file is held whole in memory except meta.json and
// reports.json, which are small.
func Open(p string) (*Bundle, error) {
	b := &Bundle{Path: p}
	var metaRaw []byte
	err := b.walk(func(name string, r io.Reader) error {
		switch name {
		case fileMeta:
			var err error
			metaRaw, err = io.ReadAll(io.LimitReader(r, maxRawBytes))
			return err
		case fileReports:
			var err error
			b.Reports, err = io.ReadAll(io.LimitReader(r, maxRawBytes))
			return err
		case fileRuns:
			return json.NewDecoder(r).Decode(&b.Runs)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(metaRaw, &b.Meta); err != nil {
		return nil, fmt.Errorf("%s: meta.json: %v: %w", p, err, ErrDamaged)
	}
	return b, nil
}

// walk streams the archive at b.Path once, checking it against its
// manifest as described at Open, and hands fn each listed file's contents
// as they are read (fn need not read them all). On the first pass it sets
// b.Manifest; on later passes the manifest must be the one Open verified.
func (b *Bundle) walk(fn func(name string, r io.Reader) error) error {
	p := b.Path
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("open bundle: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open bundle: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file: %w", p, ErrDamaged)
	}
	b.Bytes = fi.Size()
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("%s: not a gzip file (%v): %w", p, err, ErrDamaged)
	}
	damaged := func(format string, args ...any) error {
		return fmt.Errorf("%s: "+format+": %w", append(append([]any{p}, args...), ErrDamaged)...)
	}
	tr := tar.NewReader(zr)
	listed, err := b.readManifest(tr, damaged)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return damaged("truncated or corrupt archive (%v)", err)
		}
		name := hdr.Name
		if hdr.Typeflag != tar.TypeReg || name != path.Clean(name) || path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return damaged("unexpected entry %q", name)
		}
		if seen[name] || name == fileManifest {
			return damaged("%s appears twice", name)
		}
		seen[name] = true
		e, ok := listed[name]
		if !ok {
			return damaged("%s is not listed in the manifest", name)
		}
		if hdr.Size != e.Size {
			return damaged("%s is %d bytes, the manifest says %d", name, hdr.Size, e.Size)
		}
		if err := streamFile(tr, e, fn); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	for _, e := range b.Manifest.Files {
		if !seen[e.Name] {
			return damaged("%s is listed in the manifest but missing", e.Name)
		}
	}
	// Read to the end so a cut-off gzip stream (whose tar may still look
	// complete) is noticed by its checksum, but never more than tar's
	// padding: zeros after the archive are a bomb too.
	n, err := io.Copy(io.Discard, io.LimitReader(zr, maxTrailing+1))
	if err != nil {
		return damaged("truncated archive (%v)", err)
	}
	if n > maxTrailing {
		return damaged("more than %d bytes after the end of the archive", maxTrailing)
	}
	return nil
}

// readManifest reads the first entry, which must be the manifest, and
// checks what it claims before any other file is inflated.
func (b *Bundle) readManifest(tr *tar.Reader, damaged func(string, ...any) error) (map[string]FileEntry, error) {
	hdr, err := tr.Next()
	if err != nil {
		return nil, damaged("truncated or corrupt archive (%v)", err)
	}
	if hdr.Name != fileManifest || hdr.Typeflag != tar.TypeReg {
		return nil, damaged("no manifest.json first in the archive (found %q)", hdr.Name)
	}
	if hdr.Size > maxManifestBytes {
		return nil, damaged("manifest.json is %d bytes, more than a manifest needs", hdr.Size)
	}
	raw, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
	if err != nil || int64(len(raw)) != hdr.Size {
		return nil, damaged("manifest.json is truncated")
	}
	sum := sha256.Sum256(raw)
	if b.manifestSize > 0 {
		if sum != b.manifestSum {
			return nil, damaged("the manifest changed since the bundle was opened")
		}
		return indexManifest(b.Manifest), nil
	}
	b.manifestSum, b.manifestSize = sum, int64(len(raw))
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b.Manifest); err != nil {
		return nil, damaged("manifest.json: %v", err)
	}
	m := b.Manifest
	if m.Format != FormatVersion {
		return nil, damaged("bundle format %d, this dirdeck reads format %d", m.Format, FormatVersion)
	}
	if len(m.Files) > maxFiles {
		return nil, damaged("the manifest lists %d files, a bundle has at most %d", len(m.Files), maxFiles)
	}
	listed := map[string]FileEntry{}
	var total int64
	for _, e := range m.Files {
		if _, dup := listed[e.Name]; dup || e.Name == fileManifest {
			return nil, damaged("manifest lists %s twice", e.Name)
		}
		if e.Size < 0 || e.Size > maxFileBytes {
			return nil, damaged("the manifest gives %s %d bytes, more than a bundle file may hold", e.Name, e.Size)
		}
		listed[e.Name] = e
		total += e.Size
	}
	if total > maxTotalBytes {
		return nil, damaged("the manifest lists %d bytes in all, more than a bundle may hold", total)
	}
	if total > inflationFloor && total/maxInflation > b.Bytes {
		return nil, damaged("the manifest lists %d bytes in a %d-byte archive (more than %d:1): a decompression bomb, not a bundle", total, b.Bytes, maxInflation)
	}
	for _, need := range []string{fileMeta, fileRuns, fileUsers, fileGroups, fileApps, fileMemberships, fileAppUsers, fileAppGroups} {
		if _, ok := listed[need]; !ok {
			return nil, damaged("%s is missing", need)
		}
	}
	return listed, nil
}

func indexManifest(m Manifest) map[string]FileEntry {
	listed := make(map[string]FileEntry, len(m.Files))
	for _, e := range m.Files {
		listed[e.Name] = e
	}
	return listed
}

// streamFile reads one file of e.Size bytes from r, hashing it as fn
// consumes it, and checks it against e. A file that does not match its
// hash is reported as such even when fn failed on its (altered) contents.
func streamFile(r io.Reader, e FileEntry, fn func(string, io.Reader) error) error {
	h := sha256.New()
	lr := &io.LimitedReader{R: r, N: e.Size}
	tee := io.TeeReader(lr, h)
	var fnErr error
	if fn != nil {
		fnErr = fn(e.Name, tee)
	}
	if _, err := io.Copy(io.Discard, tee); err != nil || lr.N != 0 {
		return fmt.Errorf("%s is truncated: %w", e.Name, ErrDamaged)
	}
	if hex.EncodeToString(h.Sum(nil)) != e.SHA256 {
		return fmt.Errorf("%s does not match its SHA-256 in the manifest: %w", e.Name, ErrDamaged)
	}
	if fnErr != nil {
		return fmt.Errorf("%s: %v: %w", e.Name, fnErr, ErrDamaged)
	}
	return nil
}

// Snapshot decodes the pseudonymised directory, streaming it from the
// file and verifying it against the manifest Open verified.
func (b *Bundle) Snapshot() (oktasim.Snapshot, error) {
	var s oktasim.Snapshot
	err := b.walk(func(name string, r io.Reader) error {
		var err error
		switch name {
		case fileUsers:
			s.Users, err = readLines[directory.User](r)
		case fileGroups:
			s.Groups, err = readLines[directory.Group](r)
		case fileApps:
			s.Apps, err = readLines[directory.App](r)
		case fileMemberships:
			s.Memberships, err = readLines[directory.Membership](r)
		case fileAppUsers:
			s.AppUsers, err = readLines[directory.AppUser](r)
		case fileAppGroups:
			s.AppGroups, err = readLines[directory.AppGroup](r)
		}
		return err
	})
	return s, err
}

// readLines decodes one JSON value per line from r.
func readLines[T any](r io.Reader) ([]T, error) {
	var out []T
	dec := json.NewDecoder(r)
	for n := 1; ; n++ {
		var v T
		if err := dec.Decode(&v); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("record %d: %v", n, err)
		}
		out = append(out, v)
	}
}

// Run returns the run with id, or the newest run for id 0.
func (b *Bundle) Run(id uint64) (RunRecord, error) {
	if len(b.Runs) == 0 {
		return RunRecord{}, errors.New("the bundle holds no sync runs")
	}
	if id == 0 {
		// The newest sync, not the newest run: after a plan apply that is
		// the apply's re-sync of a few groups (mode "plan", no listing to
		// replay), which would never reproduce a sync problem.
		var newest *RunRecord
		for i, r := range b.Runs {
			if (r.Run.Mode == dsync.ModeFull || r.Run.Mode == dsync.ModeIncremental) && (newest == nil || r.Run.ID > newest.Run.ID) {
				newest = &b.Runs[i]
			}
		}
		if newest == nil {
			return RunRecord{}, errors.New("the bundle holds no full or incremental sync run (pick one with --run)")
		}
		return *newest, nil
	}
	for _, r := range b.Runs {
		if r.Run.ID == id {
			return r, nil
		}
	}
	return RunRecord{}, fmt.Errorf("the bundle holds no run %d", id)
}
