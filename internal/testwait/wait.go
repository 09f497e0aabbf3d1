package testwait

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The first check comes at once; then the pause between checks doubles from
// firstPause to maxPause. A condition that holds soon is seen within
// milliseconds, and a long wait checks at most 20 times a second, so that
// an expensive check (a command run as a subprocess, a database scan) does
// not load a busy machine.
const (
	firstPause = 5 * time.Millisecond
	maxPause   = 50 * time.Millisecond
)

// errNotYet is Until's check while its condition does not hold.
var errNotYet = errors.New("condition not met")

// Poll calls check until it returns nil or timeout passes, and returns
// check's last error (nil when it succeeded). It is for a wait the test
// acts on rather than fails on, such as sending again when a probe did not
// arrive.
func Poll(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	pause := firstPause
	for {
		err := check()
		if err == nil || !time.Now().Before(deadline) {
			return err
		}
		time.Sleep(min(pause, time.Until(deadline)))
		pause = min(2*pause, maxPause)
	}
}

// Until polls cond until it holds. When timeout passes first, it fails t
// with "timed out after TIMEOUT waiting for WHAT" and, on lines of their
// own, the text of each detail, called then (what was seen instead).
func Until(t testing.TB, timeout time.Duration, what string, cond func() bool, detail ...func() string) {
	t.Helper()
	err := Poll(timeout, func() error {
		if cond() {
			return nil
		}
		return errNotYet
	})
	if err != nil {
		var b strings.Builder
		for _, d := range detail {
			b.WriteString("\n" + d())
		}
		t.Fatalf("timed out after %s waiting for %s%s", timeout, what, b.String())
	}
}

// UntilNil polls check until it returns nil. When timeout passes first, it
// fails t like Until, with check's last error as the detail.
func UntilNil(t testing.TB, timeout time.Duration, what string, check func() error) {
	t.Helper()
	if err := Poll(timeout, check); err != nil {
		t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, err)
	}
}
