package group

import (
	"crypto/ed25519"
	"fmt"
	"sync"
	"time"

	"starling/message"
)

// Limiter defaults.
const (
	DefaultBurst      = 20
	DefaultRate       = 2.0
	DefaultMaxAuthors = 10000
)

// LimiterConfig sets a Limiter's limits; zero fields take the defaults.
type LimiterConfig struct {
	// Burst is how many messages an author may send at once (default 20).
	Burst int
	// Rate is how many messages per second an author may send on average
	// (default 2).
	Rate float64
	// MaxAuthors bounds the (group, author) pairs tracked (default 10000).
	// When full, idle pairs are forgotten; if none is idle, messages from
	// new authors are ignored until some are.
	MaxAuthors int
}

// Limiter applies per-author rate limits and each group's slow mode to live
// gossip. It keeps its state in memory only: catch-up, which brings what
// was missed, never goes through it. It is safe for concurrent use.
type Limiter struct {
	burst, rate float64
	max         int

	mu        sync.Mutex
	buckets   map[limitKey]*bucket
	lastSweep time.Time
}

type limitKey struct {
	group  message.GroupID
	author key32
}

type bucket struct {
	tokens   float64
	last     time.Time // arrival of the last message counted
	lastSent uint64    // sent_at of the last text that passed slow mode
	slow     time.Duration
}

// NewLimiter returns a Limiter with cfg's limits.
func NewLimiter(cfg LimiterConfig) (*Limiter, error) {
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.MaxAuthors == 0 {
		cfg.MaxAuthors = DefaultMaxAuthors
	}
	if cfg.Burst < 0 || !(cfg.Rate > 0) || cfg.MaxAuthors < 0 {
		return nil, fmt.Errorf("limiter: burst %d, rate %g and max authors %d must be positive", cfg.Burst, cfg.Rate, cfg.MaxAuthors)
	}
	return &Limiter{burst: float64(cfg.Burst), rate: cfg.Rate, max: cfg.MaxAuthors, buckets: map[limitKey]*bucket{}}, nil
}

// Allow decides whether a live message that passed s.Check may pass the
// rate limit (every kind, every author) and the group's slow mode (texts
// by authors other than the owner and admins: texts closer than the slow
// mode by sent_at). It returns Accept, or Ignore with ErrRateLimited, and
// counts the message only when it returns Accept.
func (l *Limiter) Allow(s *State, m *message.Message, now time.Time) (message.Verdict, error) {
	if len(m.Body.Author) != ed25519.PublicKeySize {
		return message.Ignore, fmt.Errorf("%w: no author", ErrRateLimited)
	}
	var slow time.Duration
	if m.Body.Kind == message.KindText && !s.IsAdmin(m.Body.Author) {
		slow = s.SlowMode()
	}
	k := limitKey{group: m.Body.Group, author: key32(m.Body.Author)}

	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[k]
	if b == nil {
		if len(l.buckets) >= l.max && !l.sweepLocked(now) {
			return message.Ignore, fmt.Errorf("%w: too many authors are sending at once", ErrRateLimited)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[k] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
		b.last = now
	}
	if slow > 0 && b.lastSent != 0 && absDiff(m.Body.SentAtMS, b.lastSent) < uint64(slow.Milliseconds()) {
		return message.Ignore, fmt.Errorf("%w: slow mode allows one message per %s", ErrRateLimited, slow)
	}
	if b.tokens < 1 {
		return message.Ignore, fmt.Errorf("%w: more than %g messages per second", ErrRateLimited, l.rate)
	}
	b.tokens--
	if slow > 0 {
		b.lastSent, b.slow = m.Body.SentAtMS, slow
	}
	return message.Accept, nil
}

// sweepLocked forgets authors whose bucket has refilled and whose slow mode
// has passed, at most once a second, and reports whether there is room.
func (l *Limiter) sweepLocked(now time.Time) bool {
	if now.Sub(l.lastSweep) < time.Second && !l.lastSweep.IsZero() {
		return len(l.buckets) < l.max
	}
	l.lastSweep = now
	refill := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		idle := now.Sub(b.last)
		if idle >= refill && idle >= b.slow+message.MaxFutureSkew {
			delete(l.buckets, k)
		}
	}
	return len(l.buckets) < l.max
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}
