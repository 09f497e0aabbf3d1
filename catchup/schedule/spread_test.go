package schedule

import (
	"math/rand/v2"
	"testing"
	"time"
)

// seeded is a Random of a fixed seed.
type seeded struct{ r *rand.Rand }

func (s seeded) Jitter(d time.Duration) time.Duration { return d }
func (s seeded) IntN(n int) int                       { return s.r.IntN(n) }
func (s seeded) Shuffle(n int, swap func(i, j int))   { s.r.Shuffle(n, swap) }

// Sessions started together (joins at the doors' opening, retries after
// a busy answer) are spread from half the delay to one and a half times
// it, over the whole range: a relay answering "busy" to a wave of them
// must not meet the same wave again at one instant.
func TestSpreadSpansTheDelay(t *testing.T) {
	s := &Scheduler{cfg: Config{Random: seeded{rand.New(rand.NewPCG(1, 2))}}}
	const d = 5 * time.Second
	lo, hi := time.Duration(1<<62), time.Duration(0)
	for range 1000 {
		got := s.spread(d)
		if got < d/2 || got >= d+d/2 {
			t.Fatalf("spread(%s) = %s, want within [%s, %s)", d, got, d/2, d+d/2)
		}
		lo, hi = min(lo, got), max(hi, got)
	}
	if lo > d/2+d/10 || hi < d+d/2-d/10 {
		t.Errorf("1,000 draws of spread(%s) span only %s to %s", d, lo, hi)
	}
}
