//go:build !linux

package store

import "go.etcd.io/bbolt"

// releaseMapped is a no-op where the resident set of a memory map is not
// trimmed explicitly (see mapped_linux.go).
func releaseMapped(*bbolt.Tx) {}
