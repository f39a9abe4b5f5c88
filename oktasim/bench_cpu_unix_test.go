//go:build unix

package oktasim

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the test process has used:
// on a machine shared with other jobs, CPU per page is steadier than
// pages per second.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
