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
	if err := collectGarbage(tx); err != nil {
		return false, err
	}
	cur := getU64(tx.Bucket(bMeta), kCurrent)
	if cur == 0 {
		return false, nil
	}
	gb := tx.Bucket(bGens).Bucket(u64(cur))
	if gb == nil {
		return false, fmt.Errorf("%w: generation %d is missing", ErrCorrupt, cur)
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
