//go:build amd64 || arm64

package columns

// prefetch asks the CPU to bring the cache line at addr closer, without
// waiting for it: unlike a load, it never holds up the instructions after
// it, and it never faults, whatever the address.
//
//go:noescape
func prefetch(addr uintptr)
