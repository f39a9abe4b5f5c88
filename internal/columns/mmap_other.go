//go:build !unix

package columns

import "os"

// canMap: files are read whole here, so a glance (Peek) would cost as
// much as opening them.
const canMap = false

// mapFile reads path into memory where this package does not map files.
func mapFile(path string) (data []byte, unmap func(), err error) {
	data, err = os.ReadFile(path)
	return data, func() {}, err
}
