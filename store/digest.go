package store

import (
	"fmt"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// stamp is the part of a user, group or app the digest needs; decoding
// only it skips building the profile strings.
type stamp struct {
	Status      string    `json:"status"`
	LastUpdated time.Time `json:"lastUpdated"`
}

// digestGen streams the canonical digest of a generation. Bucket key order
// equals digest line order (ids hold no bytes below the tab), and kinds
// are visited in the order their line prefixes sort: app, appgroup,
// appuser, group, member, user. SortedDigester checks the order anyway.
func digestGen(g *genTx) (string, error) {
	d := directory.NewSortedDigester()
	object := func(kind string, withStatus bool) func(k, v []byte) (string, error) {
		return func(k, v []byte) (string, error) {
			s, err := decode[stamp](kind+" "+string(k), v)
			if withStatus {
				return kind + "\t" + string(k) + "\t" + s.Status + "\t" + directory.DigestTime(s.LastUpdated), err
			}
			return kind + "\t" + string(k) + "\t" + directory.DigestTime(s.LastUpdated), err
		}
	}
	edge := func(line func(a, b string) string) func(k, v []byte) (string, error) {
		return func(k, _ []byte) (string, error) { a, b := splitKey(k); return line(a, b), nil }
	}
	steps := []struct {
		b    *bbolt.Bucket
		line func(k, v []byte) (string, error)
	}{
		{g.apps, object("app", false)},
		{g.appGroups, edge(directory.AppGroupLine)},
		{g.appUsers, edge(directory.AppUserLine)},
		{g.groups, object("group", false)},
		{g.members, edge(directory.MemberLine)},
		{g.users, object("user", true)},
	}
	for _, st := range steps {
		c := st.b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			line, err := st.line(k, v)
			if err != nil {
				return "", err
			}
			if err := d.Add(line); err != nil {
				return "", fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
		}
	}
	return d.Sum()
}
