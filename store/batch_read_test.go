package store

import (
	"errors"
	"slices"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/dirdeck/dirdeck/directory"
)

// TestUsersBatch: batches, read one after another from any position and
// decoded in parallel, give exactly what Users streams.
func TestUsersBatch(t *testing.T) {
	path := tempCache(t)
	s := openT(t, path)
	o := genOrg(3, 2*parallelDecodeMin+37)
	fullSync(t, s, o)
	var want []directory.User
	err := s.View(func(r *Reader) error {
		want = slices.Collect(r.Users())
		for _, size := range []int{1, 500, parallelDecodeMin + 1, 10 * parallelDecodeMin} {
			var got []directory.User
			after := ""
			for {
				batch := r.UsersBatch(after, size)
				if len(batch) == 0 {
					break
				}
				if len(batch) > size {
					t.Fatalf("batch of %d for max %d", len(batch), size)
				}
				got = append(got, batch...)
				after = batch[len(batch)-1].ID
			}
			if !slices.EqualFunc(got, want, func(a, b directory.User) bool {
				return a.ID == b.ID && a.Login == b.Login && a.Department == b.Department
			}) {
				t.Fatalf("batches of %d: %d users, Users streams %d (or order/content differs)", size, len(got), len(want))
			}
		}
		if got := r.UsersBatch(want[len(want)-1].ID, 10); got != nil {
			t.Errorf("after the last user: %d users", len(got))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	// A damaged user record: the batch is dropped and View reports it.
	var gen uint64
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		gen = getU64(tx.Bucket(bMeta), kCurrent)
		return tx.Bucket(bGens).Bucket(u64(gen)).Bucket(bUsers).Put([]byte(want[parallelDecodeMin+5].ID), []byte("{not json"))
	})
	s = openT(t, path)
	err = s.View(func(r *Reader) error {
		if got := r.UsersBatch("", len(want)); got != nil {
			t.Errorf("a damaged batch returned %d users", len(got))
		}
		return nil
	})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("View = %v, want ErrCorrupt", err)
	}
}

// TestGroupsOfUsers: one walk gives every user's groups as GroupsOf
// does, in id order, in any other order, and for users without groups or
// unknown to the cache.
func TestGroupsOfUsers(t *testing.T) {
	s := openT(t, tempCache(t))
	fullSync(t, s, genOrg(5, 300))
	err := s.View(func(r *Reader) error {
		var ids []string
		for u := range r.Users() {
			ids = append(ids, u.ID)
		}
		withGroups := 0
		for _, id := range ids {
			if len(r.GroupsOf(id)) > 0 {
				withGroups++
			}
		}
		if withGroups == 0 || withGroups == len(ids) {
			t.Fatalf("%d of %d users have groups: the fixture must have users with and without", withGroups, len(ids))
		}
		reversed := slices.Clone(ids)
		slices.Reverse(reversed)
		for _, list := range [][]string{ids, reversed, {"00u-unknown", ids[3], "00u-unknown-2", ids[3]}} {
			got := r.GroupsOfUsers(list)
			for i, id := range list {
				if want := r.GroupsOf(id); !slices.Equal(got[i], want) {
					t.Fatalf("groups of %s: %v, GroupsOf says %v", id, got[i], want)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
