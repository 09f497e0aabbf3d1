package admission

import (
	"testing"
	"time"

	"starling/message"
)

// TestRecentIDs checks how long an admitted ID is remembered: at least
// recentFor and less than twice that, or until max more have been admitted
// twice over; and that a clock that goes back forgets rather than keeps.
func TestRecentIDs(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := newRecentIDs(3, func() time.Time { return now })
	id := func(i byte) message.ID { return message.ID{i} }
	want := func(when string, i byte, held bool) {
		t.Helper()
		if r.has(id(i)) != held {
			t.Errorf("%s: has(%d) = %v, want %v", when, i, !held, held)
		}
	}

	r.add(id(1))
	want("at once", 1, true)
	want("at once", 2, false)
	now = now.Add(recentFor - time.Second)
	want("just under recentFor", 1, true)
	now = now.Add(2 * time.Second)
	want("just over recentFor", 1, true)
	now = now.Add(recentFor)
	want("after twice recentFor", 1, false)

	for i := range byte(3) {
		r.add(id(10 + i))
	}
	r.add(id(13)) // the fourth: a new generation
	want("one generation later", 10, true)
	want("one generation later", 13, true)
	r.add(id(14))
	r.add(id(15))
	r.add(id(16)) // the seventh: the first three go
	want("two generations later", 10, false)
	want("two generations later", 13, true)
	want("two generations later", 16, true)

	now = now.Add(-time.Hour)
	want("after the clock went back", 16, false)
	r.add(id(17))
	want("after the clock went back", 17, true)
}
