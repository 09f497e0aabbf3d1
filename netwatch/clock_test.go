package netwatch

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func TestClockMedianOfAuthorMinimums(t *testing.T) {
	c := NewClock()
	// alice's clock is 10 min behind this one: her messages arrive 10 min
	// "late" plus delivery delay; a message she queued offline arrives an
	// hour late. The smallest of her offsets is the clock's difference.
	c.Observe("alice", t0.Add(-10*time.Minute), t0.Add(300*time.Millisecond))
	c.Observe("alice", t0.Add(-70*time.Minute), t0.Add(time.Second))
	c.Observe("alice", t0.Add(-10*time.Minute+time.Second), t0.Add(time.Second+100*time.Millisecond))
	// bob and carol run 10 min behind too; dave is 2 min ahead of this one.
	c.Observe("bob", t0.Add(-10*time.Minute), t0.Add(200*time.Millisecond))
	c.Observe("carol", t0.Add(-10*time.Minute), t0.Add(400*time.Millisecond))
	c.Observe("dave", t0.Add(2*time.Minute), t0)

	r := c.Report(t0.Add(2 * time.Second))
	if r.Authors != 4 || r.Samples != 6 || r.Ahead != 3 || r.Behind != 1 {
		t.Fatalf("authors %d samples %d ahead %d behind %d, want 4, 6, 3, 1", r.Authors, r.Samples, r.Ahead, r.Behind)
	}
	// Per author: alice 10m0.1s, bob 10m0.2s, carol 10m0.4s, dave -2m.
	// The median of four is the mean of the middle two.
	if want := (10*time.Minute + 150*time.Millisecond).Milliseconds(); r.OffsetMS != want {
		t.Errorf("offset %d ms, want %d", r.OffsetMS, want)
	}
	if r.MinMS != (-2*time.Minute).Milliseconds() || r.MaxMS != (10*time.Minute+400*time.Millisecond).Milliseconds() {
		t.Errorf("min %d max %d", r.MinMS, r.MaxMS)
	}
}

func TestClockForgetsOldSamples(t *testing.T) {
	c := NewClock()
	c.Observe("alice", t0.Add(-time.Hour), t0)
	if r := c.Report(t0.Add(clockWindow - time.Second)); r.Authors != 1 {
		t.Fatalf("within the window: %+v", r)
	}
	if r := c.Report(t0.Add(clockWindow + time.Second)); r.Authors != 0 || r.OffsetMS != 0 {
		t.Fatalf("past the window: %+v, want nothing", r)
	}
	// A sample older than the window does not count even while a newer
	// one of the same author does.
	c.Observe("bob", t0.Add(-time.Hour), t0)
	c.Observe("bob", t0.Add(clockWindow), t0.Add(clockWindow))
	if r := c.Report(t0.Add(clockWindow + time.Second)); r.Authors != 1 || r.OffsetMS != 0 {
		t.Fatalf("bob's old sample counted: %+v", r)
	}
}

func TestClockBounds(t *testing.T) {
	c := NewClock()
	for i := range clockAuthors + 10 {
		c.Observe(string(rune('a'+i%26))+string(rune(i)), t0, t0.Add(time.Duration(i)*time.Millisecond))
	}
	if len(c.authors) != clockAuthors {
		t.Fatalf("%d authors kept, want %d", len(c.authors), clockAuthors)
	}
	for range clockSamples * 3 {
		c.Observe("x", t0, t0.Add(time.Hour))
	}
	if n := c.authors["x"].n; n != clockSamples {
		t.Fatalf("%d samples kept, want %d", n, clockSamples)
	}
	for i := range clockSamples {
		c.Observe("y", t0, t0.Add(time.Duration(i)*time.Second))
	}
	c.Observe("y", t0, t0.Add(time.Hour))
	if s := c.authors["y"].samples; s[0].offset != time.Second || s[clockSamples-1].offset != time.Hour {
		t.Errorf("samples kept %v, want the newest %d", s, clockSamples)
	}
}
