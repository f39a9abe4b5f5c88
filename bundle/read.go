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

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/oktasim"
)

// ErrDamaged marks a bundle that is not intact: truncated, altered, or not
// a dirdeck bundle at all.
var ErrDamaged = errors.New("support bundle is damaged or was altered")

// Read limits: a bundle of a million-user org is about a gigabyte of JSON.
const (
	maxFileBytes  = 4 << 30
	maxTotalBytes = 8 << 30
	maxFiles      = 64
)

// Bundle is an opened, verified support bundle.
type Bundle struct {
	Path     string
	Bytes    int64 // size of the .tar.gz
	Manifest Manifest
	Meta     Meta
	Runs     []RunRecord
	// Reports holds reports.json as found (absent: nil).
	Reports json.RawMessage
	files   map[string][]byte
}

// Open reads and verifies a bundle: every file must be listed in the
// manifest with its size and SHA-256, every listed file must be present
// once, and the format must be one this build reads.
func Open(p string) (*Bundle, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open bundle: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open bundle: %w", err)
	}
	b := &Bundle{Path: p, Bytes: fi.Size(), files: map[string][]byte{}}
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: not a gzip file (%v): %w", p, err, ErrDamaged)
	}
	tr := tar.NewReader(zr)
	var total int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: truncated or corrupt archive (%v): %w", p, err, ErrDamaged)
		}
		name := hdr.Name
		if hdr.Typeflag != tar.TypeReg || name != path.Clean(name) || path.IsAbs(name) || name == ".." || len(name) > 2 && name[:3] == "../" {
			return nil, fmt.Errorf("%s: unexpected entry %q: %w", p, name, ErrDamaged)
		}
		if _, dup := b.files[name]; dup {
			return nil, fmt.Errorf("%s: %s appears twice: %w", p, name, ErrDamaged)
		}
		if len(b.files) >= maxFiles || hdr.Size < 0 || hdr.Size > maxFileBytes || total+hdr.Size > maxTotalBytes {
			return nil, fmt.Errorf("%s: too many or too large files: %w", p, ErrDamaged)
		}
		data, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if err != nil || int64(len(data)) != hdr.Size {
			return nil, fmt.Errorf("%s: %s is truncated: %w", p, name, ErrDamaged)
		}
		total += hdr.Size
		b.files[name] = data
	}
	// Read to the end so a cut-off gzip stream (whose tar may still look
	// complete) is noticed by its checksum.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, fmt.Errorf("%s: truncated archive (%v): %w", p, err, ErrDamaged)
	}
	if err := b.verify(); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if err := json.Unmarshal(b.files[fileMeta], &b.Meta); err != nil {
		return nil, fmt.Errorf("%s: meta.json: %v: %w", p, err, ErrDamaged)
	}
	if err := json.Unmarshal(b.files[fileRuns], &b.Runs); err != nil {
		return nil, fmt.Errorf("%s: runs.json: %v: %w", p, err, ErrDamaged)
	}
	if rep, ok := b.files[fileReports]; ok {
		b.Reports = rep
	}
	return b, nil
}

// verify checks the files against the manifest.
func (b *Bundle) verify() error {
	raw, ok := b.files[fileManifest]
	if !ok {
		return fmt.Errorf("no manifest.json: %w", ErrDamaged)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b.Manifest); err != nil {
		return fmt.Errorf("manifest.json: %v: %w", err, ErrDamaged)
	}
	if b.Manifest.Format != FormatVersion {
		return fmt.Errorf("bundle format %d, this dirdeck reads format %d: %w", b.Manifest.Format, FormatVersion, ErrDamaged)
	}
	listed := map[string]bool{fileManifest: true}
	for _, e := range b.Manifest.Files {
		if listed[e.Name] {
			return fmt.Errorf("manifest lists %s twice: %w", e.Name, ErrDamaged)
		}
		listed[e.Name] = true
		data, ok := b.files[e.Name]
		if !ok {
			return fmt.Errorf("%s is listed in the manifest but missing: %w", e.Name, ErrDamaged)
		}
		if int64(len(data)) != e.Size {
			return fmt.Errorf("%s is %d bytes, the manifest says %d: %w", e.Name, len(data), e.Size, ErrDamaged)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != e.SHA256 {
			return fmt.Errorf("%s does not match its SHA-256 in the manifest: %w", e.Name, ErrDamaged)
		}
	}
	for name := range b.files {
		if !listed[name] {
			return fmt.Errorf("%s is not listed in the manifest: %w", name, ErrDamaged)
		}
	}
	for _, need := range []string{fileMeta, fileRuns, fileUsers, fileGroups, fileApps, fileMemberships, fileAppUsers, fileAppGroups} {
		if !listed[need] {
			return fmt.Errorf("%s is missing: %w", need, ErrDamaged)
		}
	}
	return nil
}

// Snapshot decodes the pseudonymised directory.
func (b *Bundle) Snapshot() (oktasim.Snapshot, error) {
	var s oktasim.Snapshot
	var err error
	if s.Users, err = readLines[directory.User](b, fileUsers); err != nil {
		return s, err
	}
	if s.Groups, err = readLines[directory.Group](b, fileGroups); err != nil {
		return s, err
	}
	if s.Apps, err = readLines[directory.App](b, fileApps); err != nil {
		return s, err
	}
	if s.Memberships, err = readLines[directory.Membership](b, fileMemberships); err != nil {
		return s, err
	}
	if s.AppUsers, err = readLines[directory.AppUser](b, fileAppUsers); err != nil {
		return s, err
	}
	if s.AppGroups, err = readLines[directory.AppGroup](b, fileAppGroups); err != nil {
		return s, err
	}
	return s, nil
}

func readLines[T any](b *Bundle, name string) ([]T, error) {
	var out []T
	dec := json.NewDecoder(bytes.NewReader(b.files[name]))
	for n := 1; ; n++ {
		var v T
		if err := dec.Decode(&v); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s record %d: %v: %w", name, n, err, ErrDamaged)
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
		newest := b.Runs[0]
		for _, r := range b.Runs[1:] {
			if r.Run.ID > newest.Run.ID {
				newest = r
			}
		}
		return newest, nil
	}
	for _, r := range b.Runs {
		if r.Run.ID == id {
			return r, nil
		}
	}
	return RunRecord{}, fmt.Errorf("the bundle holds no run %d", id)
}
