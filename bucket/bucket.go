// Package bucket keeps token buckets by key (a peer, an address), bounded
// in number: the building block of the node's budgets, catch-up's work
// accounts and admission's peer and address budgets. A bucket refills at
// its rate up to its burst; taking may overdraw it, so that work charged
// after it was done still counts. It knows nothing of the network.
package bucket

import (
	"sync"
	"time"
)

// Set is a token bucket per key. A full bucket is the same as none, so at
// most max are kept: full ones are forgotten first, then the fullest. Safe
// for concurrent use.
type Set struct {
	burst, rate float64
	max         int
	now         func() time.Time

	mu sync.Mutex
	m  map[string]*tokens
}

type tokens struct {
	n  float64
	at time.Time
}

// NewSet returns buckets of burst tokens refilling at rate per second, at
// most max of them, timed by now.
func NewSet(burst, rate float64, max int, now func() time.Time) *Set {
	return &Set{burst: burst, rate: rate, max: max, now: now, m: make(map[string]*tokens)}
}

// Has reports whether key's bucket holds at least n tokens.
func (s *Set) Has(key string, n float64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.m[key]
	if t == nil {
		return n <= s.burst
	}
	s.refillLocked(t, s.now())
	return t.n >= n
}

// Take removes n tokens from key's bucket, overdrawing it if need be.
func (s *Set) Take(key string, n float64) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	t := s.m[key]
	if t == nil {
		s.makeRoomLocked(now)
		t = &tokens{n: s.burst, at: now}
		s.m[key] = t
	}
	s.refillLocked(t, now)
	t.n -= n
}

// Len returns how many buckets are kept.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *Set) refillLocked(t *tokens, now time.Time) {
	if d := now.Sub(t.at); d > 0 {
		t.n = min(s.burst, t.n+d.Seconds()*s.rate)
		t.at = now
	}
}

func (s *Set) makeRoomLocked(now time.Time) {
	if len(s.m) < s.max {
		return
	}
	var fullest string
	best := -1.0
	for k, t := range s.m {
		s.refillLocked(t, now)
		if t.n >= s.burst {
			delete(s.m, k)
			continue
		}
		if t.n > best {
			fullest, best = k, t.n
		}
	}
	if len(s.m) >= s.max {
		delete(s.m, fullest)
	}
}
