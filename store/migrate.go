package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/dirdeck/dirdeck/directory"
	"go.etcd.io/bbolt"
)

// migrateBatch bounds the records one migration step converts, so that
// upgrading a million-user cache never holds it all in one transaction.
// A variable so that tests can make a small cache take many steps.
var migrateBatch = 50_000

// migrateCompactRecords (schema 1 → 2) re-encodes the JSON records of the
// current generation's users, groups, apps and assignments in the record
// form (codec.go), then drops the st_* stamp buckets, whose values the
// records' leading fields replace. Other generations are garbage and are
// deleted. Values that are already records (an earlier step committed
// them) are skipped, so the migration resumes wherever it stopped. The
// names are spelled out here, not taken from schema.go, because this step
// must keep converting the schema-1 layout whatever later versions change.
func migrateCompactRecords(tx *bbolt.Tx) (more bool, err error) {
	gb, cur, err := currentGen(tx)
	if gb == nil || err != nil {
		return false, err
	}
	budget := migrateBatch
	for _, b := range []struct {
		name    string
		convert func(k, v []byte) ([]byte, error)
	}{
		{"users", jsonToRecord[directory.User]},
		{"groups", jsonToRecord[directory.Group]},
		{"apps", jsonToRecord[directory.App]},
		{"appusers", jsonToRecord[directory.AppUser]},
		{"appgroups", jsonToRecord[directory.AppGroup]},
	} {
		bk := gb.Bucket([]byte(b.name))
		if bk == nil {
			return false, fmt.Errorf("%w: generation %d lacks bucket %s", ErrCorrupt, cur, b.name)
		}
		// Collect first: bbolt cursors are not stable across Puts.
		var todo []kv
		c := bk.Cursor()
		for k, v := c.First(); k != nil && len(todo) < budget; k, v = c.Next() {
			if len(v) > 0 && v[0] != '{' {
				continue // converted by an earlier step
			}
			rec, err := b.convert(k, v)
			if err != nil {
				return false, err
			}
			todo = append(todo, kv{bytes.Clone(k), rec})
		}
		for _, e := range todo {
			if err := bk.Put(e.k, e.v); err != nil {
				return false, err
			}
		}
		if budget -= len(todo); budget <= 0 {
			return true, nil
		}
	}
	for _, name := range []string{"st_users", "st_groups", "st_apps"} {
		if gb.Bucket([]byte(name)) != nil {
			if err := gb.DeleteBucket([]byte(name)); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}

// currentGen deletes every generation but the current one and returns
// it (nil before the first sync).
func currentGen(tx *bbolt.Tx) (*bbolt.Bucket, uint64, error) {
	if err := collectGarbage(tx); err != nil {
		return nil, 0, err
	}
	cur := getU64(tx.Bucket(bMeta), kCurrent)
	if cur == 0 {
		return nil, 0, nil
	}
	gb := tx.Bucket(bGens).Bucket(u64(cur))
	if gb == nil {
		return nil, 0, fmt.Errorf("%w: generation %d is missing", ErrCorrupt, cur)
	}
	return gb, cur, nil
}

// jsonToRecord converts a schema-1 JSON value stored under key.
func jsonToRecord[T any](key, v []byte) ([]byte, error) {
	var t T
	if err := json.Unmarshal(v, &t); err != nil {
		return nil, fmt.Errorf("%w: decode %q: %w", ErrCorrupt, key, err)
	}
	rec, err := encodeRec(t)
	if err != nil {
		return nil, fmt.Errorf("re-encode %q: %w", key, err)
	}
	return rec, nil
}

// migrateEdgeLists (schema 2 → 3) moves the memberships and the reverse
// assignment indexes of the current generation from one key per edge
// ("parent\tchild" → 1) into edge lists (edges.go), up to migrateBatch
// edges a step. Each step continues after the last edge its list already
// holds, so an interrupted migration resumes there; each per-edge bucket
// is dropped once copied. Names are spelled out as in
// migrateCompactRecords.
func migrateEdgeLists(tx *bbolt.Tx) (more bool, err error) {
	gb, _, err := currentGen(tx)
	if gb == nil || err != nil {
		return false, err
	}
	budget := migrateBatch
	for _, m := range []struct{ from, to string }{
		{"members", "member_lists"}, {"members_rev", "member_lists_rev"},
		{"appusers_rev", "appuser_lists_rev"}, {"appgroups_rev", "appgroup_lists_rev"},
	} {
		src := gb.Bucket([]byte(m.from))
		if src == nil {
			continue // copied and dropped by an earlier step
		}
		dst, err := gb.CreateBucketIfNotExists([]byte(m.to))
		if err != nil {
			return false, err
		}
		dst.FillPercent = sequentialFill
		list := edgeList{dst}
		var after []byte
		if k, v := dst.Cursor().Last(); k != nil {
			ch, err := decodeChunk(k, v)
			if err != nil {
				return false, err
			}
			parent, _ := splitKey(k)
			after = ck(parent, ch.kids[len(ch.kids)-1])
		}
		var parent string
		var kids []string
		flush := func() error {
			_, err := list.add(parent, kids)
			kids = kids[:0]
			return err
		}
		c := src.Cursor()
		n := 0
		k, _ := seekAfter(c, nil, after)
		for ; k != nil && n < budget; k, _ = c.Next() {
			p, child := splitKey(k)
			if p != parent || len(kids) == 4*maxChunk {
				if err := flush(); err != nil {
					return false, err
				}
				parent = p
			}
			kids = append(kids, child)
			n++
		}
		if err := flush(); err != nil {
			return false, err
		}
		if k != nil {
			return true, nil
		}
		if err := gb.DeleteBucket([]byte(m.from)); err != nil {
			return false, err
		}
		if budget -= n; budget <= 0 {
			return true, nil
		}
	}
	return false, nil
}
