//go:build !unix

package config

import "os"

// openNoBlock opens path for reading (Windows has no FIFOs in the file
// system to block on).
func openNoBlock(path string) (*os.File, error) {
	return os.Open(path)
}
