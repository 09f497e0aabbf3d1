package catchup

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// limiter counts inbound sessions and remembers bans. Its fields are guarded
// by mu; it is shared by every session.
type limiter struct {
	perPeer, total int // the limits
	banTime        time.Duration
	now            func() time.Time

	mu       sync.Mutex
	sessions map[peer.ID]int       // inbound sessions per peer
	running  int                   // inbound sessions in all
	bans     map[peer.ID]time.Time // when each ban ends
}

func newLimiter(cfg Config) *limiter {
	return &limiter{
		perPeer:  cfg.MaxSessionsPerPeer,
		total:    cfg.MaxSessions,
		banTime:  cfg.BanTime,
		now:      cfg.Clock,
		sessions: make(map[peer.ID]int),
		bans:     make(map[peer.ID]time.Time),
	}
}

// acquire takes an inbound session slot for p, or fails with ErrBanned or
// ErrBusy. A successful acquire must be paired with release.
func (l *limiter) acquire(p peer.ID) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bannedLocked(p) {
		return ErrBanned
	}
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

// banned reports whether p is banned now.
func (l *limiter) banned(p peer.ID) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bannedLocked(p)
}

func (l *limiter) bannedLocked(p peer.ID) bool {
	until, ok := l.bans[p]
	if !ok {
		return false
	}
	if !l.now().Before(until) {
		delete(l.bans, p)
		return false
	}
	return true
}

// ban refuses p for BanTime from now. Expired bans are dropped on the way,
// so the map holds only peers that misbehaved within the last BanTime.
func (l *limiter) ban(p peer.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for q, until := range l.bans {
		if !now.Before(until) {
			delete(l.bans, q)
		}
	}
	l.bans[p] = now.Add(l.banTime)
}

// count returns the inbound sessions running.
func (l *limiter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.running
}
