//go:build !unix

package columns

import "os"

// mapFile reads path into memory where this package does not map files.
func mapFile(path string) (data []byte, unmap func(), err error) {
	data, err = os.ReadFile(path)
	return data, func() {}, err
}
