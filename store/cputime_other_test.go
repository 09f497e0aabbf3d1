//go:build !unix

package store

import "time"

// cpuTime is unknown here: benchmarks report 0 CPU seconds.
func cpuTime() time.Duration { return 0 }
