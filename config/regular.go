package config

import (
	"fmt"
	"io"
)

// maxConfigFileSize bounds what readRegular reads: config.toml and the
// token state are a few kilobytes.
const maxConfigFileSize = 1 << 20

// readRegular reads the regular file at path, refusing anything else: a
// FIFO would block the read forever (and with it every command), a device
// would never end. The file is opened without blocking (openNoBlock) and
// checked on the open descriptor, so it cannot be swapped for a FIFO
// between the check and the read. Errors wrap fs.ErrNotExist when there is
// no file.
func readRegular(path string, limit int64) ([]byte, error) {
	f, err := openNoBlock(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than %d", path, fi.Size(), limit)
	}
	return io.ReadAll(io.LimitReader(f, limit))
}
