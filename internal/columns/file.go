package columns

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"
	"unsafe"
)

// File layout, little-endian, every section 8-byte aligned so that the
// offsets can be read in place:
//
//	magic "dirdeck-columns1" (16 bytes)
//	ncols u32, taglen u32, nrows u64
//	tag (taglen bytes, zero-padded to 8)
//	ncols × text length u64
//	ncols × (nrows+1) offsets u32 (zero-padded to 8)
//	ncols × text, back to back (zero-padded to 8)
//	CRC-32C of everything before it, u32
//
// The tag says what the table was built from (a cache generation), so
// that a reader can tell a stale file from the one it wants.
const magic = "dirdeck-columns1"

// ErrCorrupt is returned by Open for a file that is not a complete,
// intact columns file: a truncated write, damage, or someone's edit.
var ErrCorrupt = errors.New("columns file is damaged")

// ErrNoGlance is returned by Peek where files cannot be mapped.
var ErrNoGlance = errors.New("columns: files are not mapped here, so no glance at their first rows")

// castagnoli is CRC-32C, which CPUs compute in hardware: checking a
// 300 MB file costs tens of milliseconds.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maxCols bounds the columns a file may declare, so that a damaged header
// cannot make Open allocate without limit.
const maxCols = 1 << 10

// Writer streams a table to a file row by row without holding it: each
// column's text and offsets are spooled to temporary files beside the
// target and copied into it by Finish. Memory stays a few buffers
// whatever the number of rows.
type Writer struct {
	dir   string
	cols  []*spool
	n     int
	limit int // MaxText; a variable for tests
	err   error
}

// spool is a temporary file being appended to.
type spool struct {
	f    *os.File
	w    *bufio.Writer
	size int64
}

func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, spoolPattern)
	if err != nil {
		return nil, err
	}
	return &spool{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (s *spool) write(p []byte) error {
	n, err := s.w.Write(p)
	s.size += int64(n)
	return err
}

func (s *spool) remove() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// spoolPattern names the temporary files Writer leaves only when its
// process dies mid-write.
const spoolPattern = ".columns-*.tmp"

// RemoveStale removes temporary files in dir that a Writer left behind
// (its process killed mid-write) more than age ago; younger ones may be
// another process's write in progress.
func RemoveStale(dir string, age time.Duration) {
	names, _ := filepath.Glob(filepath.Join(dir, spoolPattern))
	for _, name := range names {
		if fi, err := os.Lstat(name); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > age {
			os.Remove(name)
		}
	}
}

// NewWriter starts a table of ncols columns whose file will be in dir.
func NewWriter(dir string, ncols int) (*Writer, error) {
	if ncols <= 0 || ncols > maxCols {
		return nil, fmt.Errorf("columns: %d columns, want 1 to %d", ncols, maxCols)
	}
	w := &Writer{dir: dir, limit: MaxText}
	for range 2 * ncols { // text and offsets of each column
		s, err := newSpool(dir)
		if err != nil {
			w.Abort()
			return nil, fmt.Errorf("columns: spool: %w", err)
		}
		w.cols = append(w.cols, s)
	}
	var zero [4]byte
	for k := range ncols {
		if err := w.cols[2*k+1].write(zero[:]); err != nil { // off[0]
			w.Abort()
			return nil, fmt.Errorf("columns: spool: %w", err)
		}
	}
	return w, nil
}

// Add appends a row: values[k] is its value in column k (missing ones
// are empty). A value that would take its column past MaxText is stored
// as empty.
func (w *Writer) Add(values ...string) error {
	if w.err != nil {
		return w.err
	}
	ncols := len(w.cols) / 2
	if len(values) > ncols {
		return fmt.Errorf("columns: a row of %d values in a table of %d columns", len(values), ncols)
	}
	var b [4]byte
	for k := range ncols {
		text, off := w.cols[2*k], w.cols[2*k+1]
		if k < len(values) && text.size+int64(len(values[k])) <= int64(w.limit) {
			if _, err := text.w.WriteString(values[k]); err != nil {
				w.err = fmt.Errorf("columns: spool: %w", err)
				return w.err
			}
			text.size += int64(len(values[k]))
		}
		binary.LittleEndian.PutUint32(b[:], uint32(text.size))
		if err := off.write(b[:]); err != nil {
			w.err = fmt.Errorf("columns: spool: %w", err)
			return w.err
		}
	}
	w.n++
	return nil
}

// Abort removes the spools; the Writer must not be used after.
func (w *Writer) Abort() {
	for _, s := range w.cols {
		s.remove()
	}
	w.cols = nil
}

// Finish writes the table to path, tagged with tag, and removes the
// spools. The file appears whole or not at all (a temporary file renamed
// over path), mode 0600.
func (w *Writer) Finish(path, tag string) (err error) {
	defer w.Abort()
	if w.err != nil {
		return w.err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), spoolPattern)
	if err != nil {
		return fmt.Errorf("columns: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("columns: %w", err)
	}
	h := crc32.New(castagnoli)
	out := bufio.NewWriterSize(io.MultiWriter(tmp, h), 256<<10)
	ncols := len(w.cols) / 2
	head := make([]byte, 0, 32+len(tag)+8*ncols)
	head = append(head, magic...)
	head = binary.LittleEndian.AppendUint32(head, uint32(ncols))
	head = binary.LittleEndian.AppendUint32(head, uint32(len(tag)))
	head = binary.LittleEndian.AppendUint64(head, uint64(w.n))
	head = append(head, tag...)
	head = pad8(head)
	for k := range ncols {
		head = binary.LittleEndian.AppendUint64(head, uint64(w.cols[2*k].size))
	}
	if _, err := out.Write(head); err != nil {
		return fmt.Errorf("columns: %w", err)
	}
	written := int64(len(head))
	// Offsets of every column, then texts of every column.
	for _, part := range []int{1, 0} {
		for k := range ncols {
			s := w.cols[2*k+part]
			if err := s.w.Flush(); err != nil {
				return fmt.Errorf("columns: spool: %w", err)
			}
			if _, err := s.f.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("columns: spool: %w", err)
			}
			n, err := io.Copy(out, s.f)
			if err != nil {
				return fmt.Errorf("columns: %w", err)
			}
			if n != s.size {
				return fmt.Errorf("columns: spool of %d bytes read back as %d", s.size, n)
			}
			written += n
		}
		if _, err := out.Write(make([]byte, padding(written))); err != nil {
			return fmt.Errorf("columns: %w", err)
		}
		written += padding(written)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("columns: %w", err)
	}
	if err := binary.Write(tmp, binary.LittleEndian, h.Sum32()); err != nil {
		return fmt.Errorf("columns: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("columns: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("columns: %w", err)
	}
	return nil
}

// FinishTemp writes the table to a temporary file beside the spools and
// opens it, for a table that is read back once (to be written again in
// another order, say) and then dropped. The file's name is removed at
// once; its mapping keeps the data until the File is unreachable.
func (w *Writer) FinishTemp(tag string) (*File, error) {
	tmp, err := os.CreateTemp(w.dir, spoolPattern)
	if err != nil {
		w.Abort()
		return nil, fmt.Errorf("columns: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := w.Finish(tmp.Name(), tag); err != nil {
		return nil, err
	}
	return Open(tmp.Name())
}

func padding(n int64) int64 { return (8 - n%8) % 8 }

func pad8(b []byte) []byte { return append(b, make([]byte, padding(int64(len(b))))...) }

// File is a table read from a file: its columns point into a read-only
// mapping of it (a copy where mapping is not available). The mapping is
// released when the File is no longer reachable; anything taken from its
// columns must be copied before being kept beyond the File.
type File struct {
	tag  string
	rows int
	cols []Column
	data []byte
}

// Open maps the columns file at path and checks it whole: its checksum,
// and that every column's offsets rise within its text, so that no
// damage can make a later At panic or read outside the file. A file that
// fails the checks gives ErrCorrupt.
func Open(path string) (*File, error) {
	data, unmap, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("columns: %w", err)
	}
	f, err := parse(data, -1)
	if err != nil {
		unmap()
		return nil, fmt.Errorf("columns %s: %w", path, err)
	}
	runtime.AddCleanup(f, func(func()) { unmap() }, unmap)
	return f, nil
}

// Peek maps the columns file at path for a glance at its first rows (at
// most rows of them): it checks the header and those rows' offsets, not
// the checksum, so that it costs the same for a million rows as for ten.
// A damaged file may give wrong values, never a read outside the file;
// whoever shows them must check the file with Open before long. Where
// files cannot be mapped it returns ErrNoGlance: reading the whole file
// is no glance.
func Peek(path string, rows int) (*File, error) {
	if !canMap {
		return nil, ErrNoGlance
	}
	data, unmap, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("columns: %w", err)
	}
	f, err := parse(data, max(rows, 0))
	if err != nil {
		unmap()
		return nil, fmt.Errorf("columns %s: %w", path, err)
	}
	runtime.AddCleanup(f, func(func()) { unmap() }, unmap)
	return f, nil
}

// parse checks data and lays the File's columns over it: all of it, or
// with peek >= 0 only its first peek rows, without the checksum (see
// Peek).
func parse(data []byte, peek int) (*File, error) {
	le := binary.LittleEndian
	bad := func(what string) (*File, error) { return nil, fmt.Errorf("%w: %s", ErrCorrupt, what) }
	if len(data) < 32+4 || string(data[:16]) != magic {
		return bad("not a columns file")
	}
	body := data[:len(data)-4]
	if peek < 0 && crc32.Checksum(body, castagnoli) != le.Uint32(data[len(data)-4:]) {
		return bad("checksum mismatch")
	}
	ncols, taglen, nrows := uint64(le.Uint32(body[16:])), uint64(le.Uint32(body[20:])), le.Uint64(body[24:])
	size := uint64(len(body))
	if ncols == 0 || ncols > maxCols || taglen > size || nrows >= size/4 {
		return bad("header out of range")
	}
	pos := uint64(32)
	pos += taglen + uint64(padding(int64(taglen)))
	if pos+8*ncols > size {
		return bad("truncated header")
	}
	f := &File{tag: string(body[32 : 32+taglen]), rows: int(nrows), cols: make([]Column, ncols), data: data}
	if peek >= 0 {
		f.rows = min(f.rows, peek)
	}
	lens := make([]uint64, ncols)
	for k := range lens {
		lens[k] = le.Uint64(body[pos:])
		pos += 8
		if lens[k] > MaxText {
			return bad("column text too long")
		}
	}
	offBytes := ncols * (nrows + 1) * 4
	if offBytes > size-pos {
		return bad("truncated offsets")
	}
	offs := offsets(body[pos:pos+offBytes], int(ncols*(nrows+1)))
	pos += offBytes
	pos += uint64(padding(int64(pos)))
	for k := range f.cols {
		if lens[k] > size-pos {
			return bad("truncated text")
		}
		text := body[pos : pos+lens[k]]
		pos += lens[k]
		off := offs[uint64(k)*(nrows+1) : uint64(k+1)*(nrows+1)]
		if peek >= 0 {
			off = off[:f.rows+1]
			if off[0] != 0 || uint64(off[f.rows]) > lens[k] {
				return bad("offsets outside the text")
			}
		} else if off[0] != 0 || uint64(off[nrows]) != lens[k] {
			return bad("offsets do not span the text")
		}
		for i := 1; i < len(off); i++ {
			if off[i] < off[i-1] {
				return bad("offsets out of order")
			}
		}
		f.cols[k] = Column{text: unsafe.String(unsafe.SliceData(text), len(text)), off: off}
	}
	if pos+uint64(padding(int64(pos))) != size {
		return bad("trailing bytes")
	}
	return f, nil
}

// offsets reads n little-endian uint32s from b, in place where the
// platform's byte order and b's alignment allow.
func offsets(b []byte, n int) []uint32 {
	if n == 0 {
		return nil
	}
	if littleEndian && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%4 == 0 {
		return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(b))), n)
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return out
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Tag is what the writer tagged the file with.
func (f *File) Tag() string { return f.tag }

// Rows is the number of rows.
func (f *File) Rows() int { return f.rows }

// Columns returns the columns; they are valid while f is reachable.
func (f *File) Columns() []Column { return f.cols }
