//go:build unix

package columns

import (
	"errors"
	"os"
	"syscall"
)

// canMap: files are mapped, so a glance (Peek) reads only what it shows.
const canMap = true

// mapFile maps path read-only. The mapping outlives the descriptor and
// the file's name: a writer renaming a new file over path leaves it
// intact.
func mapFile(path string) (data []byte, unmap func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := fi.Size()
	if size <= 0 || int64(int(size)) != size {
		return nil, nil, errors.New("columns file of unusable size")
	}
	data, err = syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func() { syscall.Munmap(data) }, nil
}
