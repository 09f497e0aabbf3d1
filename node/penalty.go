package node

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Penalties for peers that catch-up cut off. They feed GossipSub's
// application score (P5, weight 1), so one offence puts a peer below the
// graylist threshold (-2500) and a few hours of good behaviour restore it.
const (
	offencePenalty  = 3000
	penaltyHalfLife = 30 * time.Minute
)

// penalties is the decaying misbehaviour score per peer. Safe for
// concurrent use: gossip reads it from its scoring loop, for every peer at
// every heartbeat and on every RPC, so while no peer has a penalty (almost
// always) score answers without the lock.
type penalties struct {
	clock func() time.Time
	mu    sync.Mutex
	m     map[peer.ID]penalty
	held  atomic.Int64 // len(m), written under mu
}

type penalty struct {
	value float64
	at    time.Time
}

func newPenalties(clock func() time.Time) *penalties {
	return &penalties{clock: clock, m: map[peer.ID]penalty{}}
}

// add records an offence.
func (p *penalties) add(id peer.ID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock()
	p.m[id] = penalty{value: p.decayedLocked(id, now) + offencePenalty, at: now}
	p.held.Store(int64(len(p.m)))
}

// score is the peer's application score: minus its decayed penalty.
func (p *penalties) score(id peer.ID) float64 {
	if p.held.Load() == 0 {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	v := p.decayedLocked(id, p.clock())
	if v < 1 {
		delete(p.m, id)
		p.held.Store(int64(len(p.m)))
		return 0
	}
	return -v
}

func (p *penalties) decayedLocked(id peer.ID, now time.Time) float64 {
	e, ok := p.m[id]
	if !ok {
		return 0
	}
	halves := now.Sub(e.at).Seconds() / penaltyHalfLife.Seconds()
	return e.value * math.Pow(0.5, halves)
}
