package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
)

// FormatVersion is the bundle layout this build writes and reads.
const FormatVersion = 1

// DefaultRuns is how many sync runs a bundle carries by default.
const DefaultRuns = 5

// File names inside a bundle.
const (
	fileManifest    = "manifest.json"
	fileMeta        = "meta.json"
	fileRuns        = "runs.json"
	fileReports     = "reports.json"
	fileUsers       = "snapshot/users.jsonl"
	fileGroups      = "snapshot/groups.jsonl"
	fileApps        = "snapshot/apps.jsonl"
	fileMemberships = "snapshot/memberships.jsonl"
	fileAppUsers    = "snapshot/app_users.jsonl"
	fileAppGroups   = "snapshot/app_groups.jsonl"
)

// Manifest lists every other file of a bundle with its size and SHA-256.
type Manifest struct {
	Format  int         `json:"format"`
	Created time.Time   `json:"created"`
	Files   []FileEntry `json:"files"`
}

// FileEntry is one file of a bundle.
type FileEntry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Meta is meta.json: where the bundle comes from and what it holds.
type Meta struct {
	Format    int         `json:"format"`
	Created   time.Time   `json:"created"`
	Dirdeck   string      `json:"dirdeck_version"`
	Go        string      `json:"go_version"`
	OS        string      `json:"os"`
	Arch      string      `json:"arch"`
	Profile   ProfileInfo `json:"profile"`
	Cache     CacheInfo   `json:"cache"`
	Pseudonym Pseudonyms  `json:"pseudonyms"`
}

// ProfileInfo is a profile's settings without secrets: no token, no
// private key, no key file path.
type ProfileInfo struct {
	Name              string   `json:"name"`
	OrgURL            string   `json:"org_url"`
	Auth              string   `json:"auth"`
	ClientID          string   `json:"client_id,omitempty"`
	KeyID             string   `json:"key_id,omitempty"`
	Scopes            []string `json:"scopes,omitempty"`
	HasPrivateKey     bool     `json:"has_private_key,omitempty"`
	AllowWrites       bool     `json:"allow_writes"`
	SyncInterval      string   `json:"sync_interval"`
	BudgetShare       float64  `json:"budget_share"`
	RotationDays      int      `json:"rotation_days"`
	ApprovalsRequired int      `json:"approvals_required"`
}

// ProfileFrom takes the settings of a profile that are safe to share.
func ProfileFrom(name string, p config.Profile) ProfileInfo {
	return ProfileInfo{Name: name, OrgURL: p.OrgURL, Auth: p.Auth, ClientID: p.ClientID, KeyID: p.KeyID,
		Scopes: p.Scopes, HasPrivateKey: p.PrivateKeyFile != "", AllowWrites: p.AllowWrites,
		SyncInterval: p.SyncInterval.String(), BudgetShare: p.BudgetShare, RotationDays: p.RotationDays,
		ApprovalsRequired: p.ApprovalsRequired}
}

// CacheInfo describes the cache the snapshot was taken from. Counts and
// Digest are those of the (pseudonymised) snapshot: a replay's cache must
// reach the same digest.
type CacheInfo struct {
	SchemaVersion uint64           `json:"schema_version"`
	Generation    uint64           `json:"generation"`
	FileBytes     int64            `json:"file_bytes"`
	Counts        directory.Counts `json:"counts"`
	Digest        string           `json:"digest"`
	CommittedRun  uint64           `json:"committed_run,omitempty"`
}

// Pseudonyms says how the snapshot was pseudonymised.
type Pseudonyms struct {
	Method string `json:"method"`
	// KeyFingerprint tells bundles made with the same key apart from
	// others (same key: same pseudonyms); the key itself stays with the
	// customer.
	KeyFingerprint string `json:"key_fingerprint"`
}

// RunRecord is one sync run with its request journal.
type RunRecord struct {
	Run     directory.SyncRun   `json:"run"`
	Journal []directory.Request `json:"journal"`
}

// Options configure an export.
type Options struct {
	// Key is the pseudonymisation key (LoadOrCreateKey); required.
	Key []byte
	// Runs is how many of the newest sync runs to include (DefaultRuns).
	Runs int
	// Version is dirdeck's version.
	Version string
	// Profile is the profile's shareable settings.
	Profile ProfileInfo
	// Reports are the scope and token reports (`dirdeck scopes --json`,
	// `dirdeck tokens --json` documents), pseudonymised like the rest.
	Reports map[string]any
	// Secrets are values the scanner must refuse verbatim (the profile's
	// API token); they are never written anywhere.
	Secrets []string
	// Now is the clock (tests); nil = time.Now.
	Now func() time.Time
}

// Contents is a bundle built in memory and checked by the scanner, ready
// to be written.
type Contents struct {
	Manifest Manifest
	Meta     Meta
	Runs     int // sync runs included
	files    map[string][]byte
}

// Files lists the bundle's files (manifest first) with sizes and hashes.
func (c *Contents) Files() []FileEntry {
	m := c.files[fileManifest]
	sum := sha256.Sum256(m)
	return append([]FileEntry{{Name: fileManifest, Size: int64(len(m)), SHA256: hex.EncodeToString(sum[:])}}, c.Manifest.Files...)
}

// File returns one file's bytes.
func (c *Contents) File(name string) ([]byte, bool) {
	b, ok := c.files[name]
	return b, ok
}

// Build reads the cache, pseudonymises it, and scans every file. A scan
// finding is a *ScanError. Nothing is written.
func Build(st *store.Store, opts Options) (*Contents, error) {
	if len(opts.Key) < 16 {
		return nil, errors.New("bundle export: a pseudonymisation key of at least 16 bytes is required")
	}
	if opts.Runs <= 0 {
		opts.Runs = DefaultRuns
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	created := now().UTC().Truncate(time.Second)
	fp := sha256.Sum256(opts.Key)
	meta := Meta{Format: FormatVersion, Created: created, Dirdeck: opts.Version, Go: runtime.Version(),
		OS: runtime.GOOS, Arch: runtime.GOARCH, Profile: opts.Profile,
		Pseudonym: Pseudonyms{Method: "hmac-sha256", KeyFingerprint: hex.EncodeToString(fp[:4])}}
	meta.Cache.SchemaVersion = store.SchemaVersion()
	if fi, err := os.Stat(st.Path()); err == nil {
		meta.Cache.FileBytes = fi.Size()
	}

	files := map[string][]byte{}
	orig := originals{}
	var runs []RunRecord
	err := st.View(func(r *store.Reader) error {
		meta.Cache.Generation = r.Generation()
		if cr, ok := r.CommittedRun(); ok {
			meta.Cache.CommittedRun = cr.ID
		}
		for u := range r.Users() {
			orig.addUser(u)
		}
		p := newPseudonymiser(opts.Key, orig)
		meta.Profile = p.profile(opts.Profile)
		emails := map[string]string{}
		var d directory.Digester
		var err error
		if files[fileUsers], err = jsonLines(r.Users(), func(u directory.User) any {
			pu := p.user(u)
			emails[u.Login], emails[u.Email] = pu.Login, pu.Email
			d.AddUser(pu)
			return pu
		}); err != nil {
			return err
		}
		if files[fileGroups], err = jsonLines(r.Groups(), func(g directory.Group) any {
			pg := p.group(g)
			d.AddGroup(pg)
			return pg
		}); err != nil {
			return err
		}
		if files[fileApps], err = jsonLines(r.Apps(), func(a directory.App) any {
			pa := p.app(a)
			d.AddApp(pa)
			return pa
		}); err != nil {
			return err
		}
		if files[fileMemberships], err = jsonLines(r.Memberships(), func(m directory.Membership) any {
			pm := directory.Membership{GroupID: p.ID(m.GroupID), UserID: p.ID(m.UserID)}
			d.AddMember(pm.GroupID, pm.UserID)
			return pm
		}); err != nil {
			return err
		}
		if files[fileAppUsers], err = jsonLines(r.AppUsers(), func(au directory.AppUser) any {
			au.AppID, au.UserID = p.ID(au.AppID), p.ID(au.UserID)
			d.AddAppUser(au.AppID, au.UserID)
			return au
		}); err != nil {
			return err
		}
		if files[fileAppGroups], err = jsonLines(r.AppGroups(), func(ag directory.AppGroup) any {
			ag.AppID, ag.GroupID = p.ID(ag.AppID), p.ID(ag.GroupID)
			d.AddAppGroup(ag.AppID, ag.GroupID)
			return ag
		}); err != nil {
			return err
		}
		meta.Cache.Counts = d.Counts()
		meta.Cache.Digest = d.Sum()

		for _, run := range r.Runs(opts.Runs) {
			run.Error = p.freeText(run.Error, emails)
			for i := range run.Partial {
				run.Partial[i].Reason = p.freeText(run.Partial[i].Reason, emails)
			}
			journal := r.Journal(run.ID)
			for i := range journal {
				journal[i].Network = p.freeText(journal[i].Network, emails)
			}
			runs = append(runs, RunRecord{Run: run, Journal: journal})
		}
		if opts.Reports != nil {
			rep, err := redactJSON(opts.Reports, func(s string) string { return p.freeText(s, emails) })
			if err != nil {
				return fmt.Errorf("reports: %w", err)
			}
			if files[fileReports], err = marshal(rep); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bundle export: read cache: %w", err)
	}
	if runs == nil {
		runs = []RunRecord{}
	}
	if files[fileRuns], err = marshal(runs); err != nil {
		return nil, err
	}
	if files[fileMeta], err = marshal(meta); err != nil {
		return nil, err
	}
	man := Manifest{Format: FormatVersion, Created: created}
	for name, b := range files {
		sum := sha256.Sum256(b)
		man.Files = append(man.Files, FileEntry{Name: name, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(man.Files, func(a, b FileEntry) int { return order(a.Name) - order(b.Name) })
	if files[fileManifest], err = marshal(man); err != nil {
		return nil, err
	}

	sc := newScannerFor(orig, opts.Secrets)
	serr := &ScanError{}
	for _, f := range append([]FileEntry{{Name: fileManifest}}, man.Files...) {
		for _, hit := range sc.Scan(f.Name, files[f.Name]) {
			serr.Total++
			if len(serr.Findings) < maxFindings {
				serr.Findings = append(serr.Findings, hit)
			}
		}
	}
	if serr.Total > 0 {
		return nil, serr
	}
	return &Contents{Manifest: man, Meta: meta, Runs: len(runs), files: files}, nil
}

// fileOrder is the order files appear in a bundle and its manifest.
var fileOrder = []string{fileManifest, fileMeta, fileRuns, fileReports, fileUsers, fileGroups, fileApps,
	fileMemberships, fileAppUsers, fileAppGroups}

func order(name string) int {
	if i := slices.Index(fileOrder, name); i >= 0 {
		return i
	}
	return len(fileOrder)
}

// jsonLines encodes every item of seq, mapped by fn, one JSON per line.
// HTML characters are not escaped so that values keep their bytes.
func jsonLines[T any](seq iter.Seq[T], fn func(T) any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var err error
	seq(func(v T) bool {
		err = enc.Encode(fn(v))
		return err == nil
	})
	if err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return buf.Bytes(), nil
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode bundle file: %w", err)
	}
	return buf.Bytes(), nil
}

// redactJSON round-trips v through JSON and applies fn to every string
// value (keys are kept: they are field names).
func redactJSON(v any, fn func(string) string) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return nil, err
	}
	var walk func(any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case string:
			return fn(t)
		case []any:
			for i := range t {
				t[i] = walk(t[i])
			}
		case map[string]any:
			for k := range t {
				t[k] = walk(t[k])
			}
		}
		return x
	}
	return walk(x), nil
}

// Write writes the bundle to path as a gzipped tar, through a temporary
// file in the same directory that is renamed into place: a failure
// leaves no partial bundle. The file is 0600.
func (c *Contents) Write(path string) (int64, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".dirdeck-bundle-*.tmp")
	if err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	zw, err := gzip.NewWriterLevel(tmp, gzip.BestSpeed)
	if err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	tw := tar.NewWriter(zw)
	for _, f := range c.Files() {
		b := c.files[f.Name]
		hdr := &tar.Header{Name: f.Name, Mode: 0o600, Size: int64(len(b)), ModTime: c.Manifest.Created, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return 0, fmt.Errorf("write bundle %s: %w", f.Name, err)
		}
		if _, err := tw.Write(b); err != nil {
			return 0, fmt.Errorf("write bundle %s: %w", f.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	if err := zw.Close(); err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	fi, err := tmp.Stat()
	if err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	done = true
	return fi.Size(), nil
}
