package netwatch

import (
	"slices"
	"sync"
	"time"
)

// Clock bounds.
const (
	// clockWindow is how long a sample counts: clocks are set, and
	// devices join and leave, within an event.
	clockWindow = 15 * time.Minute
	// clockAuthors is how many authors' samples are kept; past it the
	// author heard from longest ago is forgotten. A median over 64 authors
	// is as good as over more, and the simulator runs thousands of nodes,
	// each keeping these (about 10 KB at most).
	clockAuthors = 64
	// clockSamples is how many samples an author keeps, the newest.
	clockSamples = 4
)

// Clock estimates this node's clock against its peers' from the messages
// that arrive live (see ClockReport). Safe for concurrent use.
type Clock struct {
	// base is when the clock was made: arrival times are kept as the time
	// since it, which Go measures on the monotonic clock when both times
	// carry its reading (time.Now's do), as comparing the times did. So a
	// wall clock set back or forward, which is what a user does once the
	// estimate shows a skew, does not keep old samples alive longer or
	// drop them early.
	base    time.Time
	mu      sync.Mutex
	authors map[string]*authorClock
}

// authorClock is one author's samples, oldest first, in one allocation of
// 80 bytes: times as nanoseconds since the clock's base, not time.Time (24
// bytes with a pointer), and the samples inline, not in a slice of their
// own. A node keeps up to clockAuthors of these, and the simulator
// thousands of nodes: in its hall of 1,000 (end-of-run heap profile) the
// clock held 13.5 to 16.5 KB a node as time.Time in a slice, 9 KB so.
type authorClock struct {
	last    int64 // arrival of the newest sample, ns since base
	n       int   // samples held
	samples [clockSamples]clockSample
}

type clockSample struct {
	at     int64 // arrival, ns since the clock's base
	offset time.Duration
}

// NewClock returns an empty estimate.
func NewClock() *Clock { return &Clock{base: time.Now(), authors: map[string]*authorClock{}} }

// Observe takes one message that arrived live: its author (any stable key),
// its sent_at by the author's clock and its arrival by this node's.
func (c *Clock) Observe(author string, sentAt, arrived time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.authors[author]
	if a == nil {
		if len(c.authors) >= clockAuthors {
			c.forgetOldestLocked()
		}
		a = &authorClock{}
		c.authors[author] = a
	}
	at := int64(arrived.Sub(c.base))
	a.last = max(a.last, at)
	s := clockSample{at: at, offset: arrived.Sub(sentAt)}
	if a.n < clockSamples {
		a.samples[a.n] = s
		a.n++
		return
	}
	copy(a.samples[:], a.samples[1:])
	a.samples[clockSamples-1] = s
}

func (c *Clock) forgetOldestLocked() {
	var oldest string
	var at int64
	for k, a := range c.authors {
		if oldest == "" || a.last < at {
			oldest, at = k, a.last
		}
	}
	delete(c.authors, oldest)
}

// Report estimates the offset at now from the samples of the last
// clockWindow; a zero report (Authors 0) when there are none.
func (c *Clock) Report(now time.Time) ClockReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	from := int64(now.Add(-clockWindow).Sub(c.base))
	var offsets []time.Duration
	samples := 0
	for k, a := range c.authors {
		if a.last < from {
			delete(c.authors, k)
			continue
		}
		best, n := time.Duration(0), 0
		for _, s := range a.samples[:a.n] {
			if s.at < from {
				continue
			}
			if n == 0 || s.offset < best {
				best = s.offset
			}
			n++
		}
		if n > 0 {
			offsets = append(offsets, best)
			samples += n
		}
	}
	if len(offsets) == 0 {
		return ClockReport{}
	}
	slices.Sort(offsets)
	r := ClockReport{
		OffsetMS: median(offsets).Milliseconds(),
		MinMS:    offsets[0].Milliseconds(),
		MaxMS:    offsets[len(offsets)-1].Milliseconds(),
		Authors:  len(offsets),
		Samples:  samples,
	}
	for _, o := range offsets {
		switch {
		case o >= SkewThreshold:
			r.Ahead++
		case o <= -SkewThreshold:
			r.Behind++
		}
	}
	return r
}

// median of sorted values; the mean of the middle two for an even count.
func median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return sorted[n/2-1] + (sorted[n/2]-sorted[n/2-1])/2
}
