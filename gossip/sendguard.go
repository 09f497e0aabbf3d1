package gossip

import (
	"context"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
)

const (
	// stuckAfter is how long a peer must have gone without an outbound
	// stream, since the first RPC dropped for it, before the guard acts: at
	// start-up a peer's subscriptions can arrive a moment before pubsub has
	// set up its own stream to it.
	stuckAfter = 2 * time.Second
	// repairEvery is how often the guard may reset the connection to one
	// peer.
	repairEvery = time.Minute
)

// sendGuard repairs a state that pubsub v0.19 can get into and not leave
// while the connection lasts: a peer announces its topics over its stream
// to us, so GossipSub counts it in the topic and the mesh, but pubsub holds
// no stream to it (no send queue) and drops every message meant for it
// ("No send queue for peer"). On client-isolated Wi-Fi such an attendee
// would get nothing from its relay but by catch-up.
//
// Pubsub opens its stream to a peer only once identify has listed the
// peer's protocols, and nothing retries a failed identify. The simulator
// found this state on relays with a few hundred peers, for about one peer
// in fifteen, from start-up on: identify had run out of streams (see
// node's raiseIdentifyLimits, which removes that cause). The guard stays
// for the other ways identify can fail, such as a lossy link.
//
// The guard sees pubsub's dropped RPCs. A drop for a peer that has no
// outbound stream (a full queue, the other cause of drops, belongs to a
// peer with a stream), and still none stuckAfter later, is this state, so
// the guard closes the connection to that peer. The peer's redial (attendees keep their relays and static
// peers connected) then starts pubsub afresh on both sides.
type sendGuard struct {
	nopTracer
	now     func() time.Time
	mu      sync.Mutex
	streams map[peer.ID]bool      // peers pubsub has an outbound stream to
	stuck   map[peer.ID]time.Time // first drop for a peer without a stream
	last    map[peer.ID]time.Time // when the guard last reset each peer
	// armed wakes guardSends when a peer becomes stuck: while none is,
	// the guard runs no timer.
	armed chan struct{}
}

func newSendGuard(now func() time.Time) *sendGuard {
	return &sendGuard{
		now:     now,
		streams: map[peer.ID]bool{},
		stuck:   map[peer.ID]time.Time{},
		last:    map[peer.ID]time.Time{},
		armed:   make(chan struct{}, 1),
	}
}

func (s *sendGuard) OnNewOutboundStream(p peer.ID, _ protocol.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams[p] = true
	delete(s.stuck, p)
}

func (s *sendGuard) OnClosedOutboundStream(p peer.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.streams, p)
}

// DropRPC is called from pubsub's loop, so it only notes the peer.
func (s *sendGuard) DropRPC(_ *pubsub.RPC, p peer.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.stuck[p]; ok || s.streams[p] {
		return
	}
	s.stuck[p] = s.now()
	select {
	case s.armed <- struct{}{}:
	default:
	}
}

// watching reports whether any peer is stuck, so that guardSends keeps
// its ticker.
func (s *sendGuard) watching() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.stuck) > 0
}

// due takes the peers stuck for stuckAfter that the guard has not reset
// within repairEvery, and drops what it remembers of peers long gone.
func (s *sendGuard) due(now time.Time) []peer.ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []peer.ID
	for p, since := range s.stuck {
		if now.Sub(since) < stuckAfter || now.Sub(s.last[p]) < repairEvery {
			continue
		}
		delete(s.stuck, p)
		s.last[p] = now
		out = append(out, p)
	}
	for p, at := range s.last {
		if now.Sub(at) > 10*repairEvery {
			delete(s.last, p)
		}
	}
	return out
}

func (s *sendGuard) hasStream(p peer.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streams[p]
}

// guardSends resets the connections to stuck peers until ctx ends. It
// ticks only while a peer is stuck: an idle node's guard sleeps.
func (g *Gossip) guardSends(ctx context.Context) {
	var tick *time.Ticker
	defer func() {
		if tick != nil {
			tick.Stop()
		}
	}()
	for {
		var tickC <-chan time.Time
		if tick != nil {
			tickC = tick.C
		}
		select {
		case <-ctx.Done():
			return
		case <-g.guard.armed:
			if tick == nil {
				tick = time.NewTicker(stuckAfter / 2)
			}
			continue
		case <-tickC:
		}
		if !g.guard.watching() {
			tick.Stop()
			tick = nil
			continue
		}
		for _, p := range g.guard.due(g.cfg.Clock()) {
			if g.guard.hasStream(p) || g.host.Network().Connectedness(p) != network.Connected {
				continue
			}
			g.log.Info("pubsub holds no stream to a peer in our topics; resetting the connection so that it starts again", "peer", p)
			g.stats.inc(statSendRepairs)
			if err := g.host.Network().ClosePeer(p); err != nil {
				g.log.Debug("could not close the connection", "peer", p, "err", err)
			}
		}
	}
}
