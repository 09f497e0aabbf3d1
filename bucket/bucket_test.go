package bucket

import (
	"fmt"
	"testing"
	"time"
)

// A bucket starts full, may be overdrawn, refills at its rate up to its
// burst; the set keeps at most max buckets, forgetting full ones first.
func TestSet(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := NewSet(100, 10, 3, func() time.Time { return now })
	if !s.Has("a", 100) || s.Has("a", 101) {
		t.Fatal("a new bucket does not hold exactly its burst")
	}
	s.Take("a", 150)
	if s.Has("a", 0) {
		t.Fatal("an overdrawn bucket holds something")
	}
	now = now.Add(10 * time.Second) // +100: at 50
	if !s.Has("a", 50) || s.Has("a", 51) {
		t.Fatal("the bucket did not refill at its rate")
	}
	now = now.Add(time.Hour)
	if !s.Has("a", 100) || s.Has("a", 101) {
		t.Fatal("the bucket refilled past its burst")
	}
	for i := range 10 {
		s.Take(fmt.Sprint("k", i), 1)
	}
	if s.Len() > 3 {
		t.Errorf("%d buckets kept, more than 3", s.Len())
	}
}
