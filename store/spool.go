package store

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// spool keeps a full sync's index entries (reverse edges, name terms) as
// sorted runs in temporary files beside the cache, one file per index,
// until Commit merges them into the index in key order (mergeRuns).
// Inserting each batch straight into a large index would scatter its keys
// over every page, so each transaction would rewrite (and hold in memory)
// nearly the whole index and leave its pages half empty; keeping the runs
// inside the cache file instead would grow the file by their size for
// good (bbolt reuses freed pages but never gives them back). The files
// need no fsync: a crash abandons the staging generation they belong to,
// and the next full write deletes them.
type spool struct {
	dir   string
	files map[string]*spoolFile
}

type spoolFile struct {
	f    *os.File
	size int64
	runs []spoolRun
}

type spoolRun struct{ off, n int64 }

// spoolDir is where the full write of the cache at path spools.
func spoolDir(path string) string { return path + ".spool" }

// newSpool starts an empty spool in dir, removing what a killed writer
// left there.
func newSpool(dir string) (*spool, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("remove old spool: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool: %w", err)
	}
	return &spool{dir: dir, files: map[string]*spoolFile{}}, nil
}

// add writes kvs, sorted, as a new run of index.
func (s *spool) add(index []byte, kvs []kv) error {
	if len(kvs) == 0 {
		return nil
	}
	slices.SortFunc(kvs, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	sf := s.files[string(index)]
	if sf == nil {
		f, err := os.OpenFile(filepath.Join(s.dir, string(index)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("spool %s: %w", index, err)
		}
		sf = &spoolFile{f: f}
		s.files[string(index)] = sf
	}
	var buf []byte
	for _, e := range kvs {
		buf = binary.AppendUvarint(buf, uint64(len(e.k)))
		buf = append(buf, e.k...)
		buf = binary.AppendUvarint(buf, uint64(len(e.v)))
		buf = append(buf, e.v...)
	}
	if _, err := sf.f.WriteAt(buf, sf.size); err != nil {
		return fmt.Errorf("spool %s: %w", index, err)
	}
	sf.runs = append(sf.runs, spoolRun{sf.size, int64(len(buf))})
	sf.size += int64(len(buf))
	return nil
}

// merged returns the entries spooled for index in key order, each key
// once (the value of the run added last wins).
func (s *spool) merged(index []byte) *runMerge {
	m := &runMerge{}
	sf := s.files[string(index)]
	if sf == nil {
		return m
	}
	for i, r := range sf.runs {
		h := &runHead{r: bufio.NewReaderSize(io.NewSectionReader(sf.f, r.off, r.n), 32<<10), seq: i}
		if h.next(); h.err != nil {
			m.err = h.err
		} else if h.k != nil {
			m.h = append(m.h, h)
		}
	}
	heap.Init(&m.h)
	return m
}

// close removes the spool's files; closing again does nothing.
func (s *spool) close() error {
	var errs []error
	for _, sf := range s.files {
		errs = append(errs, sf.f.Close())
	}
	s.files = nil
	errs = append(errs, os.RemoveAll(s.dir))
	return errors.Join(errs...)
}

// runHead is the current entry of one spooled run.
type runHead struct {
	r    *bufio.Reader
	seq  int
	k, v []byte
	err  error
}

// next reads the run's next entry; k is nil at its end.
func (h *runHead) next() {
	h.k, h.v = nil, nil
	kl, err := binary.ReadUvarint(h.r)
	if err == io.EOF {
		return
	}
	if err == nil {
		h.k = make([]byte, kl)
		_, err = io.ReadFull(h.r, h.k)
	}
	var vl uint64
	if err == nil {
		vl, err = binary.ReadUvarint(h.r)
	}
	if err == nil {
		h.v = make([]byte, vl)
		_, err = io.ReadFull(h.r, h.v)
	}
	if err != nil {
		h.k, h.err = nil, fmt.Errorf("read spool: %w", err)
	}
}

type runHeap []*runHead

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].k, h[j].k); c != 0 {
		return c < 0
	}
	return h[i].seq > h[j].seq // the newest run first among equal keys
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runHead)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// runMerge k-way merges the runs of one index.
type runMerge struct {
	h   runHeap
	err error
}

// next returns the smallest key left with its value, advancing every run
// positioned on it; nil at the end or on error (see err).
func (m *runMerge) next() (k, v []byte) {
	if m.err != nil || m.h.Len() == 0 {
		return nil, nil
	}
	k, v = m.h[0].k, m.h[0].v
	for m.h.Len() > 0 && bytes.Equal(m.h[0].k, k) {
		hd := m.h[0]
		if hd.next(); hd.err != nil {
			m.err = hd.err
			return nil, nil
		}
		if hd.k == nil {
			heap.Pop(&m.h)
		} else {
			heap.Fix(&m.h, 0)
		}
	}
	return k, v
}
