//go:build !unix

package sim

import "time"

var processStart = time.Now()

// cpuTime is unknown on this platform: CPU figures read zero.
func cpuTime() time.Duration { return 0 }

// peakRSS is unknown on this platform.
func peakRSS() int64 { return 0 }

// wallNow is the time package's clock here, virtual inside a synctest
// bubble.
func wallNow() time.Duration { return time.Since(processStart) }

// onVirtualTime cannot tell here: the machine's clock is read through the
// time package only.
func onVirtualTime() (virtual, known bool) { return false, false }
