//go:build unix

package media

import (
	"syscall"
	"time"
)

// cpuTime is the process's user and system CPU time so far: what a
// benchmark costs on a shared machine, where wall time depends on the load.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
