package store

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"go.etcd.io/bbolt"
)

// TestEdgeListMatchesModel applies random additions and removals (single
// and in sorted runs, parents of a few to thousands of children, ids that
// share long prefixes) to an edge list and to a map, and checks after
// each round that children, counts, the edge walk and Seek at any point
// agree with the map, and that every chunk holds at most maxChunk
// children in ascending order.
func TestEdgeListMatchesModel(t *testing.T) {
	path := tempCache(t)
	s := openT(t, path)
	rng := rand.New(rand.NewPCG(3, 4))
	model := map[string]map[string]bool{}
	parents := []string{"00g", "00g1", "00ga", "00gb", "00gz", "0oa1"}
	child := func() string {
		switch rng.IntN(3) {
		case 0:
			return fmt.Sprintf("00u%04d", rng.IntN(3000))
		case 1:
			return fmt.Sprintf("00u%04dx%d", rng.IntN(3000), rng.IntN(3))
		}
		return fmt.Sprintf("00v%d", rng.IntN(50))
	}
	for round := range 60 {
		err := s.update(func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("edges"))
			if err != nil {
				return err
			}
			l := edgeList{b}
			for range 20 {
				p := parents[rng.IntN(len(parents))]
				if model[p] == nil {
					model[p] = map[string]bool{}
				}
				n := 1 + rng.IntN(3)
				if rng.IntN(4) == 0 {
					n = 1 + rng.IntN(400)
				}
				set := map[string]bool{}
				for range n {
					set[child()] = true
				}
				kids := slices.Sorted(maps.Keys(set))
				if rng.IntN(3) == 0 && round > 5 {
					removed, err := l.remove(p, kids)
					if err != nil {
						return err
					}
					var want []string
					for _, k := range kids {
						if model[p][k] {
							want = append(want, k)
							delete(model[p], k)
						}
					}
					if !slices.Equal(removed, want) {
						t.Fatalf("remove(%s, %d) reported %d removed, want %d", p, len(kids), len(removed), len(want))
					}
				} else {
					added, err := l.add(p, kids)
					if err != nil {
						return err
					}
					var want []string
					for _, k := range kids {
						if !model[p][k] {
							want = append(want, k)
							model[p][k] = true
						}
					}
					if !slices.Equal(added, want) {
						t.Fatalf("add(%s, %d) reported %d added, want %d", p, len(kids), len(added), len(want))
					}
				}
			}
			return checkEdgeList(t, l, model, rng)
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

func checkEdgeList(t *testing.T, l edgeList, model map[string]map[string]bool, rng *rand.Rand) error {
	t.Helper()
	var all [][]byte
	for _, p := range slices.Sorted(maps.Keys(model)) {
		want := slices.Sorted(maps.Keys(model[p]))
		got, err := l.children(p)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			t.Fatalf("children(%s): %d, want %d", p, len(got), len(want))
		}
		if n, err := l.count(p); err != nil || n != len(want) {
			t.Fatalf("count(%s) = %d, %v; want %d", p, n, err, len(want))
		}
		for _, c := range want {
			all = append(all, ck(p, c))
		}
	}
	c := l.cursor()
	i := 0
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if i >= len(all) || !bytes.Equal(k, all[i]) || !bytes.Equal(v, present) {
			t.Fatalf("walk step %d: %q", i, k)
		}
		i++
	}
	if i != len(all) || c.err != nil {
		t.Fatalf("walk: %d edges, want %d (%v)", i, len(all), c.err)
	}
	for range 50 {
		var seek []byte
		switch {
		case len(all) > 0 && rng.IntN(2) == 0:
			seek = all[rng.IntN(len(all))]
		default:
			seek = ck([]string{"00g", "00g1", "00gb", "00h", ""}[rng.IntN(5)], fmt.Sprintf("00u%04d", rng.IntN(3000)))
		}
		j, _ := slices.BinarySearchFunc(all, seek, bytes.Compare)
		k, _ := c.Seek(seek)
		if j == len(all) && k != nil || j < len(all) && !bytes.Equal(k, all[j]) {
			t.Fatalf("Seek(%q) = %q", seek, k)
		}
	}
	bc := l.b.Cursor()
	for k, v := bc.First(); k != nil; k, v = bc.Next() {
		if n, _ := chunkLen(v); n > maxChunk {
			t.Fatalf("chunk %q holds %d children", k, n)
		}
	}
	return nil
}

// TestDamagedEdgeChunks: a chunk changed or cut anywhere reads as
// ErrCorrupt or as other ascending ids, never as a panic.
func TestDamagedEdgeChunks(t *testing.T) {
	kids := []string{"00u0001", "00u0002", "00u0010", "00u0100x", "00u1"}
	key, v := ck("00g1", kids[0]), encodeChunk(kids)
	if ch, err := decodeChunk(key, v); err != nil || !slices.Equal(ch.kids, kids) {
		t.Fatalf("decode = %v, %v", ch.kids, err)
	}
	for i := range len(v) {
		if _, err := decodeChunk(key, v[:i]); !errors.Is(err, ErrCorrupt) {
			t.Errorf("cut to %d bytes: %v", i, err)
		}
		for _, x := range []byte{1, 0x40, 0x80, 0xff} {
			b := bytes.Clone(v)
			b[i] ^= x
			ch, err := decodeChunk(key, b)
			if err == nil && !slices.IsSorted(ch.kids) {
				t.Errorf("byte %d ^ %#x decoded out of order: %q", i, x, ch.kids)
			}
		}
	}
	if _, err := decodeChunk([]byte("no tab"), v); !errors.Is(err, ErrCorrupt) {
		t.Errorf("key without a tab: %v", err)
	}
	if _, err := decodeChunk(key, append(bytes.Clone(v), 0)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a trailing byte: %v", err)
	}
}

// TestDamagedMemberListInCache: a member list chunk damaged in the file
// makes the digest and every reader of memberships report ErrCorrupt.
func TestDamagedMemberListInCache(t *testing.T) {
	path := tempCache(t)
	s := openT(t, path)
	o := genOrg(5, 120)
	fullSync(t, s, o)
	s.Close()
	var group string
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		gen := getU64(tx.Bucket(bMeta), kCurrent)
		b := tx.Bucket(bGens).Bucket(u64(gen)).Bucket(bMembers)
		k, v := b.Cursor().First()
		group, _ = splitKey(k)
		bad := append(bytes.Clone(v), 0x05) // a byte after the last child
		return b.Put(bytes.Clone(k), bad)
	})
	tests := []struct {
		name string
		read func(r *Reader) error
	}{
		{"MembersOf", func(r *Reader) error { _ = slices.Collect(r.MembersOf(group)); return nil }},
		{"Memberships", func(r *Reader) error { _ = slices.Collect(r.Memberships()); return nil }},
		{"digest", func(r *Reader) error { _, err := digestGen(r.g); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openT(t, path)
			if err := s.View(tt.read); !errors.Is(err, ErrCorrupt) {
				t.Errorf("View = %v, want ErrCorrupt", err)
			}
			s.Close()
		})
	}
}
