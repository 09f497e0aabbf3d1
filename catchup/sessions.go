package catchup

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// errEvicted ends a session whose slot went to another peer's session.
var errEvicted = errors.New("session ended to make room for another")

// Inbound sessions share Config.MaxSessions slots. A peer holds at most
// MaxSessionsPerPeer of them and an address (an IPv4 address or an IPv6
// /64) at most MaxSessionsPerAddr, so that fresh peer IDs from one machine
// gain nothing. When no slot is free, a new session takes the slot of a
// stalled one: a session whose peer has kept the server waiting for its
// next frame for StallTime, that has moved no message for IdleTime, or
// whose address has used up its work account. It takes it only from an
// address that holds more sessions than its own would, or from its own, so
// an address that holds many slots cannot take the last one of an address
// that holds few. The stalled session with the most sessions on its
// address goes first, then the one that moved a message least recently.
// Honest sessions answer at once and move messages, so a server that
// hostile peers fill with slow sessions still serves honest late joiners.
type sessions struct {
	perPeer, perAddr, total int
	stall, idle             time.Duration
	now                     func() time.Time
	work                    *workAccounts

	mu     sync.Mutex
	slots  map[*slot]struct{}
	byPeer map[peer.ID]int
	byAddr map[string]int
}

// slot is one inbound session's place. Its atomics are written by the
// session's goroutine and read by acquire; held is guarded by sessions.mu.
type slot struct {
	peer   peer.ID
	addr   string
	cancel context.CancelCauseFunc

	waiting atomic.Int64 // Unix ns since the server waits for the peer; 0 while it works
	moved   atomic.Int64 // Unix ns of the last message moved; the start until then
	held    bool         // counts against the limits
}

// wait marks the start and end of a wait for the peer's next frame.
func (s *slot) wait(now time.Time) { s.waiting.Store(now.UnixNano()) }
func (s *slot) work()              { s.waiting.Store(0) }

// progress records that the session moved messages.
func (s *slot) progress(now time.Time) { s.moved.Store(now.UnixNano()) }

func newSessions(cfg Config) *sessions {
	return &sessions{
		perPeer: cfg.MaxSessionsPerPeer,
		perAddr: cfg.MaxSessionsPerAddr,
		total:   cfg.MaxSessions,
		stall:   cfg.StallTime,
		idle:    cfg.IdleTime,
		now:     cfg.Clock,
		work:    newWorkAccounts(cfg.WorkBurst, cfg.WorkRate, cfg.Clock),
		slots:   make(map[*slot]struct{}),
		byPeer:  make(map[peer.ID]int),
		byAddr:  make(map[string]int),
	}
}

// acquire takes a slot for a session from p at addr, ending a stalled
// session if it must, or fails with ErrBusy. cancel ends the new session
// if it is evicted in turn. A successful acquire must be paired with
// release.
func (ss *sessions) acquire(p peer.ID, addr string, cancel context.CancelCauseFunc) (*slot, error) {
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.byPeer[p] >= ss.perPeer || !ss.work.positive(addr) {
		return nil, ErrBusy
	}
	fullAddr := ss.byAddr[addr] >= ss.perAddr
	if fullAddr || len(ss.slots) >= ss.total {
		victim := ss.victimLocked(addr, fullAddr, now)
		if victim == nil {
			return nil, ErrBusy
		}
		ss.dropLocked(victim)
		victim.cancel(errEvicted)
	}
	s := &slot{peer: p, addr: addr, cancel: cancel, held: true}
	s.moved.Store(now.UnixNano())
	ss.slots[s] = struct{}{}
	ss.byPeer[p]++
	ss.byAddr[addr]++
	return s, nil
}

// victimLocked picks the stalled session to end for a newcomer from addr:
// one of addr's own when ownOnly, else one of addr's or of an address that
// holds more sessions than addr would with the newcomer. Nil if none.
func (ss *sessions) victimLocked(addr string, ownOnly bool, now time.Time) *slot {
	mine := ss.byAddr[addr]
	var best *slot
	for s := range ss.slots {
		if s.addr != addr && (ownOnly || ss.byAddr[s.addr] <= mine) {
			continue
		}
		if !ss.stalled(s, now) {
			continue
		}
		if best == nil || ss.byAddr[s.addr] > ss.byAddr[best.addr] ||
			(ss.byAddr[s.addr] == ss.byAddr[best.addr] && s.moved.Load() < best.moved.Load()) {
			best = s
		}
	}
	return best
}

// stalled reports whether s may be ended to make room.
func (ss *sessions) stalled(s *slot, now time.Time) bool {
	if w := s.waiting.Load(); w != 0 && now.Sub(time.Unix(0, w)) >= ss.stall {
		return true
	}
	return now.Sub(time.Unix(0, s.moved.Load())) >= ss.idle || !ss.work.positive(s.addr)
}

// release frees s's slot unless an eviction freed it already.
func (ss *sessions) release(s *slot) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s.held {
		ss.dropLocked(s)
	}
}

func (ss *sessions) dropLocked(s *slot) {
	s.held = false
	delete(ss.slots, s)
	if ss.byPeer[s.peer]--; ss.byPeer[s.peer] <= 0 {
		delete(ss.byPeer, s.peer)
	}
	if ss.byAddr[s.addr]--; ss.byAddr[s.addr] <= 0 {
		delete(ss.byAddr, s.addr)
	}
}

// AddrKey names the address a connection comes from for per-address
// limits: its IPv4 address or its IPv6 /64 (one machine easily has a whole
// /64). A relayed connection counts under the relay's address; a transport
// without IP addresses counts each peer on its own.
func AddrKey(a ma.Multiaddr, p peer.ID) string {
	if a != nil {
		if v, err := a.ValueForProtocol(ma.P_IP4); err == nil {
			return v
		}
		if v, err := a.ValueForProtocol(ma.P_IP6); err == nil {
			if ip := net.ParseIP(v); ip != nil {
				return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
			}
		}
	}
	return "peer " + p.String()
}
