package catchup

import (
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"
)

// limiter counts inbound sessions. Its fields are guarded by mu; it is
// shared by every session.
type limiter struct {
	perPeer, total int // the limits

	mu       sync.Mutex
	sessions map[peer.ID]int // inbound sessions per peer
	running  int             // inbound sessions in all
}

func newLimiter(cfg Config) *limiter {
	return &limiter{
		perPeer:  cfg.MaxSessionsPerPeer,
		total:    cfg.MaxSessions,
		sessions: make(map[peer.ID]int),
	}
}

// acquire takes an inbound session slot for p, or fails with ErrBusy. A
// successful acquire must be paired with release.
func (l *limiter) acquire(p peer.ID) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running >= l.total || l.sessions[p] >= l.perPeer {
		return ErrBusy
	}
	l.running++
	l.sessions[p]++
	return nil
}

func (l *limiter) release(p peer.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running--
	if l.sessions[p]--; l.sessions[p] <= 0 {
		delete(l.sessions, p)
	}
}

// count returns the inbound sessions running.
func (l *limiter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.running
}
