package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// snapshotAttempts bounds how often OpenSnapshot copies a file that the
// writer changed while it was copied.
const snapshotAttempts = 3

// OpenSnapshot opens a read-only copy of a cache that another process
// holds (Open returned ErrLocked), so that a second dirdeck can still show
// the data. bbolt's lock is advisory and its pages are copy-on-write: the
// last committed state is never overwritten in place, so a plain copy holds
// it unless a commit lands mid-copy; the copy is then checked page by page
// (Verify) and taken again. The copy lives in dir (a private temporary
// directory); close removes it. The snapshot does not follow later syncs.
func OpenSnapshot(path, dir string) (st *Store, closeFn func() error, err error) {
	copyPath := filepath.Join(dir, filepath.Base(path)+".snapshot")
	var lastErr error
	for range snapshotAttempts {
		if err := copyFile(path, copyPath); err != nil {
			return nil, nil, fmt.Errorf("snapshot cache %s: %w", path, err)
		}
		st, err := OpenReadOnly(copyPath)
		if err == nil {
			if err = st.Verify(); err == nil {
				return st, func() error {
					cerr := st.Close()
					return errors.Join(cerr, os.Remove(copyPath))
				}, nil
			}
			st.Close()
		}
		lastErr = err
		if !errors.Is(err, ErrCorrupt) {
			break
		}
	}
	os.Remove(copyPath)
	return nil, nil, fmt.Errorf("snapshot cache %s: %w", path, lastErr)
}

// copyFile copies src to dst (0600), replacing dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
