package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"
)

// Edge lists hold the memberships (group → users and user → groups) and
// the reverse assignment indexes (user → apps, group → apps) per parent,
// as sorted, prefix-compressed chunks of at most maxChunk children, one
// bbolt key per chunk instead of one per edge (which cost a 41-byte
// "parent\tchild" key and bbolt's 16-byte element header for every edge,
// and twice with the reverse index):
//
//	key    parent \t first child of the chunk
//	value  uvarint n (the children after the first), then per child:
//	       uvarint length of the prefix shared with the previous child,
//	       uvarint suffix length, suffix
//
// The chunks of a parent cover disjoint, ascending ranges, so walking the
// keys and expanding each chunk yields "parent\tchild" in the order the
// per-edge keys had (edgeCursor): the digest, the change log's walk and
// the exports see the same stream. A chunk that does not decode to
// strictly ascending children is damage (ErrCorrupt).
type edgeList struct{ b *bbolt.Bucket }

// maxChunk bounds a chunk: small enough that a change rewrites little and
// that bbolt packs a dozen chunks into a page, large enough that the key
// of each chunk costs a few bytes per edge.
const maxChunk = 32

var errBadChunk = errors.New("damaged edge chunk")

// walkChunk calls fn with each child of the chunk (key, v), in order, until
// fn returns false. child is only valid during the call.
func walkChunk(key, v []byte, fn func(child []byte) bool) error {
	i := bytes.LastIndexByte(key, '\t')
	if i < 0 || i == len(key)-1 {
		return fmt.Errorf("%w: key %q", errBadChunk, key)
	}
	prev := key[i+1:]
	if !fn(prev) {
		return nil
	}
	n, m := binary.Uvarint(v)
	if m <= 0 || n > uint64(len(v)) {
		return fmt.Errorf("%w: count", errBadChunk)
	}
	v = v[m:]
	// Two buffers in turn: the child being built and the previous one
	// (the first child lives in the key, which must not be written).
	var bufs [2][]byte
	for j := range n {
		shared, m1 := binary.Uvarint(v)
		if m1 <= 0 {
			return fmt.Errorf("%w: truncated", errBadChunk)
		}
		sl, m2 := binary.Uvarint(v[m1:])
		if m2 <= 0 || shared > uint64(len(prev)) || sl > uint64(len(v)-m1-m2) {
			return fmt.Errorf("%w: truncated", errBadChunk)
		}
		suffix := v[m1+m2 : m1+m2+int(sl)]
		if bytes.Compare(suffix, prev[shared:]) <= 0 {
			return fmt.Errorf("%w: children out of order", errBadChunk)
		}
		cur := append(append(bufs[j%2][:0], prev[:shared]...), suffix...)
		bufs[j%2] = cur
		v = v[m1+m2+int(sl):]
		if !fn(cur) {
			return nil
		}
		prev = cur
	}
	if len(v) != 0 {
		return fmt.Errorf("%w: %d bytes after the children", errBadChunk, len(v))
	}
	return nil
}

// chunkLen reads the number of children of a chunk without expanding it.
func chunkLen(v []byte) (int, error) {
	n, m := binary.Uvarint(v)
	if m <= 0 || n > uint64(len(v)) {
		return 0, fmt.Errorf("%w: count", errBadChunk)
	}
	return int(n) + 1, nil
}

// encodeChunk packs sorted, distinct children; kids[0] goes in the key.
func encodeChunk(kids []string) []byte {
	b := binary.AppendUvarint(make([]byte, 0, 16*len(kids)), uint64(len(kids)-1))
	for i := 1; i < len(kids); i++ {
		p, k := kids[i-1], kids[i]
		s := 0
		for s < len(p) && s < len(k) && p[s] == k[s] {
			s++
		}
		b = binary.AppendUvarint(b, uint64(s))
		b = binary.AppendUvarint(b, uint64(len(k)-s))
		b = append(b, k[s:]...)
	}
	return b
}

// chunk is one decoded chunk of a parent.
type chunk struct {
	key  []byte
	kids []string
}

func decodeChunk(k, v []byte) (chunk, error) {
	ch := chunk{key: bytes.Clone(k)}
	err := walkChunk(k, v, func(c []byte) bool { ch.kids = append(ch.kids, string(c)); return true })
	if err != nil {
		return ch, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return ch, nil
}

// span returns the chunks of parent that hold or would hold children
// from lo to hi: from the last chunk starting at or before lo (else the
// first one after it) through the last one starting at or before hi.
func (e edgeList) span(parent, lo, hi string) ([]chunk, error) {
	prefix, target := ck(parent, ""), ck(parent, lo)
	c := e.b.Cursor()
	k, v := c.Seek(target)
	if !bytes.Equal(k, target) {
		// The chunk before may hold lo.
		var pk, pv []byte
		if k == nil {
			pk, pv = c.Last()
		} else {
			pk, pv = c.Prev()
		}
		if pk != nil && bytes.HasPrefix(pk, prefix) {
			k, v = pk, pv
		} else {
			k, v = c.Seek(target)
		}
	}
	var out []chunk
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(out) > 0 && string(k[len(prefix):]) > hi {
			break
		}
		ch, err := decodeChunk(k, v)
		if err != nil {
			return nil, err
		}
		if len(out) == 0 && ch.kids[0] > hi {
			break // the parent's first chunk starts after the range
		}
		out = append(out, ch)
	}
	return out, nil
}

// rewrite replaces the chunks old of parent with kids, cut into chunks of
// even size.
func (e edgeList) rewrite(parent string, old []chunk, kids []string) error {
	for _, ch := range old {
		if err := e.b.Delete(ch.key); err != nil {
			return err
		}
	}
	if len(kids) == 0 {
		return nil
	}
	n := (len(kids) + maxChunk - 1) / maxChunk
	size := (len(kids) + n - 1) / n
	for i := 0; i < len(kids); i += size {
		part := kids[i:min(i+size, len(kids))]
		if err := e.b.Put(ck(parent, part[0]), encodeChunk(part)); err != nil {
			return err
		}
	}
	return nil
}

// add adds sorted, distinct children to parent and returns those that
// were not there yet.
func (e edgeList) add(parent string, kids []string) ([]string, error) {
	if len(kids) == 0 {
		return nil, nil
	}
	old, err := e.span(parent, kids[0], kids[len(kids)-1])
	if err != nil {
		return nil, err
	}
	var have []string
	for _, ch := range old {
		have = append(have, ch.kids...)
	}
	all := make([]string, 0, len(have)+len(kids))
	var added []string
	i, j := 0, 0
	for i < len(have) || j < len(kids) {
		switch {
		case j == len(kids) || (i < len(have) && have[i] < kids[j]):
			all = append(all, have[i])
			i++
		case i == len(have) || kids[j] < have[i]:
			all = append(all, kids[j])
			added = append(added, kids[j])
			j++
		default:
			all = append(all, have[i])
			i++
			j++
		}
	}
	if len(added) == 0 {
		return nil, nil
	}
	return added, e.rewrite(parent, old, all)
}

// remove removes sorted, distinct children from parent and returns those
// that were there.
func (e edgeList) remove(parent string, kids []string) ([]string, error) {
	if len(kids) == 0 {
		return nil, nil
	}
	old, err := e.span(parent, kids[0], kids[len(kids)-1])
	if err != nil {
		return nil, err
	}
	var keep, removed []string
	for _, ch := range old {
		for _, k := range ch.kids {
			if _, found := slices.BinarySearch(kids, k); found {
				removed = append(removed, k)
			} else {
				keep = append(keep, k)
			}
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	return removed, e.rewrite(parent, old, keep)
}

// addOne and removeOne change one edge and report whether they did.
func (e edgeList) addOne(parent, child string) (bool, error) {
	added, err := e.add(parent, []string{child})
	return len(added) == 1, err
}

func (e edgeList) removeOne(parent, child string) (bool, error) {
	removed, err := e.remove(parent, []string{child})
	return len(removed) == 1, err
}

// children lists parent's children in order.
func (e edgeList) children(parent string) ([]string, error) {
	var out []string
	err := e.each(parent, func(c []byte) bool { out = append(out, string(c)); return true })
	return out, err
}

// each calls fn with parent's children in order until it returns false.
func (e edgeList) each(parent string, fn func(child []byte) bool) error {
	prefix := ck(parent, "")
	c := e.b.Cursor()
	stop := false
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && !stop; k, v = c.Next() {
		err := walkChunk(k, v, func(child []byte) bool {
			stop = !fn(child)
			return !stop
		})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
	}
	return nil
}

// count counts parent's children, reading only the chunk headers.
func (e edgeList) count(parent string) (int, error) {
	prefix := ck(parent, "")
	c := e.b.Cursor()
	n := 0
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		l, err := chunkLen(v)
		if err != nil {
			return n, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		n += l
	}
	return n, nil
}

// kvCursor is what walks over a generation's buckets need: a bbolt cursor,
// or an edgeCursor over an edge list.
type kvCursor interface {
	First() (k, v []byte)
	Seek(seek []byte) (k, v []byte)
	Next() (k, v []byte)
}

// edgeCursor walks an edge list edge by edge, with "parent\tchild" keys
// (valid for the transaction, like bbolt's) and the value present.
// Damage ends the walk; err tells.
type edgeCursor struct {
	c    *bbolt.Cursor
	keys [][]byte // the current chunk's edges
	ends []int
	i    int
	err  error
}

func (e edgeList) cursor() *edgeCursor { return &edgeCursor{c: e.b.Cursor()} }

// load expands the chunk (k, v); false at the end or on damage.
func (ec *edgeCursor) load(k, v []byte) bool {
	ec.keys, ec.i = ec.keys[:0], 0
	if k == nil || ec.err != nil {
		return false
	}
	// One buffer holds the chunk's keys: they stay valid after the cursor
	// moves on, as bbolt's do.
	n, _ := chunkLen(v) // walkChunk reports a bad count
	buf := make([]byte, 0, min(n, maxChunk)*(len(k)+4))
	parent := k[:bytes.LastIndexByte(k, '\t')+1]
	ec.ends = ec.ends[:0]
	err := walkChunk(k, v, func(c []byte) bool {
		buf = append(append(buf, parent...), c...)
		ec.ends = append(ec.ends, len(buf))
		return true
	})
	if err != nil {
		ec.err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		return false
	}
	start := 0
	for _, end := range ec.ends {
		ec.keys = append(ec.keys, buf[start:end:end])
		start = end
	}
	return true
}

func (ec *edgeCursor) cur() ([]byte, []byte) {
	if ec.i >= len(ec.keys) {
		return nil, nil
	}
	return ec.keys[ec.i], present
}

// First moves to the first edge.
func (ec *edgeCursor) First() ([]byte, []byte) {
	ec.load(ec.c.First())
	return ec.cur()
}

// Next moves to the next edge.
func (ec *edgeCursor) Next() ([]byte, []byte) {
	if ec.i+1 < len(ec.keys) {
		ec.i++
		return ec.cur()
	}
	if len(ec.keys) == 0 {
		return nil, nil
	}
	ec.load(ec.c.Next())
	return ec.cur()
}

// Seek moves to the first edge at or after seek.
func (ec *edgeCursor) Seek(seek []byte) ([]byte, []byte) {
	k, v := ec.c.Seek(seek)
	if k != nil && bytes.Equal(k, seek) {
		ec.load(k, v)
		return ec.cur()
	}
	// The chunk before k may hold edges at or after seek.
	pk, pv := ec.c.Prev()
	if k == nil {
		pk, pv = ec.c.Last()
	}
	if pk != nil && ec.load(pk, pv) {
		for ec.i = 0; ec.i < len(ec.keys); ec.i++ {
			if bytes.Compare(ec.keys[ec.i], seek) >= 0 {
				return ec.cur()
			}
		}
		ec.load(ec.c.Next())
		return ec.cur()
	}
	if ec.err != nil {
		return nil, nil
	}
	ec.load(ec.c.Seek(seek))
	return ec.cur()
}
