//go:build !unix

package oktasim

import "time"

// processCPU is not measured here; benchmarks then report 0 CPU per page.
func processCPU() time.Duration { return 0 }
