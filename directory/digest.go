package directory

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"time"
)

// DigestTimeFormat is how the canonical digest writes timestamps: UTC,
// RFC 3339 with exactly three fractional digits, so that the cache and the
// simulator agree byte for byte whatever precision their clocks have.
const DigestTimeFormat = "2006-01-02T15:04:05.000Z"

// DigestTime formats t for a digest line.
func DigestTime(t time.Time) string {
	return t.UTC().Format(DigestTimeFormat)
}

// Digest lines, one per counted row, as docs/DESIGN.md "Canonical digest"
// defines them (without the trailing newline).

// UserLine is the digest line of a user.
func UserLine(u User) string {
	return "user\t" + u.ID + "\t" + u.Status + "\t" + DigestTime(u.LastUpdated)
}

// GroupLine is the digest line of a group.
func GroupLine(g Group) string { return "group\t" + g.ID + "\t" + DigestTime(g.LastUpdated) }

// AppLine is the digest line of an app.
func AppLine(a App) string { return "app\t" + a.ID + "\t" + DigestTime(a.LastUpdated) }

// MemberLine is the digest line of a group membership.
func MemberLine(groupID, userID string) string { return "member\t" + groupID + "\t" + userID }

// AppUserLine is the digest line of an app-to-user assignment.
func AppUserLine(appID, userID string) string { return "appuser\t" + appID + "\t" + userID }

// AppGroupLine is the digest line of an app-to-group assignment.
func AppGroupLine(appID, groupID string) string { return "appgroup\t" + appID + "\t" + groupID }

// Counts holds the number of counted rows per kind, with the JSON keys
// `dirdeck status --json` and `GET /__sim/truth` share.
type Counts struct {
	Users       int `json:"users"`
	Groups      int `json:"groups"`
	Apps        int `json:"apps"`
	Memberships int `json:"memberships"`
	AppUsers    int `json:"app_users"`
	AppGroups   int `json:"app_groups"`
}

// Digester computes the canonical digest of a set of rows given in any
// order. It keeps every line in memory (about 60 bytes per row) because the
// definition sorts them; code that can produce lines already sorted (the
// cache) uses SortedDigester instead to stay in constant memory.
type Digester struct {
	lines  []string
	counts Counts
}

// AddUser adds a user row.
func (d *Digester) AddUser(u User) { d.lines = append(d.lines, UserLine(u)); d.counts.Users++ }

// AddGroup adds a group row.
func (d *Digester) AddGroup(g Group) { d.lines = append(d.lines, GroupLine(g)); d.counts.Groups++ }

// AddApp adds an app row.
func (d *Digester) AddApp(a App) { d.lines = append(d.lines, AppLine(a)); d.counts.Apps++ }

// AddMember adds a membership row.
func (d *Digester) AddMember(groupID, userID string) {
	d.lines = append(d.lines, MemberLine(groupID, userID))
	d.counts.Memberships++
}

// AddAppUser adds an app-to-user assignment row.
func (d *Digester) AddAppUser(appID, userID string) {
	d.lines = append(d.lines, AppUserLine(appID, userID))
	d.counts.AppUsers++
}

// AddAppGroup adds an app-to-group assignment row.
func (d *Digester) AddAppGroup(appID, groupID string) {
	d.lines = append(d.lines, AppGroupLine(appID, groupID))
	d.counts.AppGroups++
}

// Counts returns how many rows of each kind were added.
func (d *Digester) Counts() Counts { return d.counts }

// Sum returns "sha256:" + hex of the sorted, newline-terminated lines.
// Adding more rows after Sum and calling it again is allowed.
func (d *Digester) Sum() string {
	slices.Sort(d.lines)
	h := sha256.New()
	for _, l := range d.lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// SortedDigester computes the canonical digest from lines that the caller
// already produces in sorted order, in constant memory. It checks the order
// instead of trusting it: a line that does not sort strictly after the
// previous one makes Add and Sum fail rather than yield a wrong digest.
type SortedDigester struct {
	h    hash.Hash
	prev []byte
	n    int
	err  error
}

// NewSortedDigester returns an empty SortedDigester.
func NewSortedDigester() *SortedDigester { return &SortedDigester{h: sha256.New()} }

// AddBytes hashes the next line (without its newline); it does not keep
// line.
func (d *SortedDigester) AddBytes(line []byte) error {
	if d.err != nil {
		return d.err
	}
	if d.n > 0 && bytes.Compare(line, d.prev) <= 0 {
		d.err = fmt.Errorf("digest line %d %q does not sort after %q", d.n+1, line, d.prev)
		return d.err
	}
	d.prev = append(d.prev[:0], line...)
	d.n++
	d.h.Write(line)
	d.h.Write([]byte{'\n'})
	return nil
}

// Sum returns the digest of the lines added so far, or the ordering error.
func (d *SortedDigester) Sum() (string, error) {
	if d.err != nil {
		return "", d.err
	}
	return "sha256:" + hex.EncodeToString(d.h.Sum(nil)), nil
}
