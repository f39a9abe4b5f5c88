//go:build !amd64 && !arm64

package columns

// prefetch does nothing where no prefetch instruction is wired up: the
// value is then loaded when it is read, only later.
func prefetch(addr uintptr) {}
