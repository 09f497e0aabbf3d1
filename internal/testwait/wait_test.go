package testwait

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// recorder is a testing.TB whose Fatalf records the failure and ends the
// calling goroutine, as the real one does.
type recorder struct {
	testing.TB
	failure string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failure = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f with a recorder on a goroutine of its own (Fatalf ends it)
// and returns the failure, empty when f returned normally.
func run(f func(tb testing.TB)) string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.failure
}

func TestUntilReturnsOnceTheConditionHolds(t *testing.T) {
	calls, details := 0, 0
	failure := run(func(tb testing.TB) {
		Until(tb, time.Minute, "the third call", func() bool {
			calls++
			return calls == 3
		}, func() string { details++; return "" })
	})
	if failure != "" || calls != 3 || details != 0 {
		t.Fatalf("failure %q after %d calls and %d details, want none after 3 and 0", failure, calls, details)
	}
}

func TestUntilSaysWhatItWaitedForAndWhy(t *testing.T) {
	calls := 0
	failure := run(func(tb testing.TB) {
		Until(tb, 30*time.Millisecond, "bob to hold the message", func() bool {
			calls++
			return false
		}, func() string { return "bob holds 2 of 3" }, func() string { return "carol holds 3 of 3" })
	})
	want := "timed out after 30ms waiting for bob to hold the message\nbob holds 2 of 3\ncarol holds 3 of 3"
	if failure != want {
		t.Fatalf("failure %q, want %q", failure, want)
	}
	// At the start, then after 5, 10 and 15 ms (the rest of the deadline),
	// give or take a check when the machine is slow.
	if calls < 2 || calls > 4 {
		t.Errorf("%d checks in 30 ms, want 2 to 4 (pauses of 5, 10 and the remaining 15 ms)", calls)
	}
}

func TestUntilNilReportsTheLastError(t *testing.T) {
	calls := 0
	failure := run(func(tb testing.TB) {
		UntilNil(tb, 20*time.Millisecond, "the daemon's API", func() error {
			calls++
			return fmt.Errorf("attempt %d refused", calls)
		})
	})
	want := fmt.Sprintf("timed out after 20ms waiting for the daemon's API: attempt %d refused", calls)
	if failure != want {
		t.Fatalf("failure %q, want %q", failure, want)
	}
}

func TestPollChecksOnceMoreAtTheDeadline(t *testing.T) {
	// A zero timeout still checks once.
	errLate := errors.New("late")
	calls := 0
	if err := Poll(0, func() error { calls++; return errLate }); !errors.Is(err, errLate) || calls != 1 {
		t.Fatalf("Poll(0) = %v after %d calls, want %v after 1", err, calls, errLate)
	}
	// The check that comes due at the deadline still counts.
	start := time.Now()
	err := Poll(20*time.Millisecond, func() error {
		if time.Since(start) >= 20*time.Millisecond {
			return nil
		}
		return errLate
	})
	if err != nil {
		t.Fatalf("Poll = %v, want nil from the check at the deadline", err)
	}
}

func TestPauseGrowsToItsCap(t *testing.T) {
	// Pauses of 5, 10, 20 and 40 ms, then 50 ms each: in 300 ms, the first
	// check, 4 growing pauses (75 ms) and at most 5 capped ones (250 ms).
	// A slow machine only stretches pauses, so never more checks than that.
	var at []time.Duration
	start := time.Now()
	_ = Poll(300*time.Millisecond, func() error {
		at = append(at, time.Since(start))
		return errNotYet
	})
	if len(at) > 10 {
		var gaps []string
		for i := 1; i < len(at); i++ {
			gaps = append(gaps, (at[i] - at[i-1]).Round(time.Millisecond).String())
		}
		t.Fatalf("%d checks in 300 ms (pauses %s), want at most 10", len(at), strings.Join(gaps, " "))
	}
}
