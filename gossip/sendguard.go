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
	// start starts guardSends when a peer becomes stuck and it is not
	// running (running); it ends once no peer is, so that an idle node's
	// guard holds neither a timer nor a goroutine. Nil: nothing starts.
	start   func()
	running bool
}

func newSendGuard(now func() time.Time) *sendGuard {
	return &sendGuard{
		now:     now,
		streams: map[peer.ID]bool{},
		stuck:   map[peer.ID]time.Time{},
		last:    map[peer.ID]time.Time{},
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

// DropRPC is called from pubsub's loop, so it only notes the peer (and
// starts guardSends if it is not running).
func (s *sendGuard) DropRPC(_ *pubsub.RPC, p peer.ID) {
	if s.stick(p) && s.start != nil {
		s.start()
	}
}

// stick notes p as stuck unless it has a stream; it reports whether
// guardSends must start.
func (s *sendGuard) stick(p peer.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.stuck[p]; ok || s.streams[p] {
		return false
	}
	s.stuck[p] = s.now()
	if s.running {
		return false
	}
	s.running = true
	return true
}

// watching reports whether any peer is stuck.
func (s *sendGuard) watching() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.stuck) > 0
}

// keepRunning reports whether guardSends must go on: whether any peer is
// stuck. When none is, guardSends ends, and the next stuck peer starts it.
func (s *sendGuard) keepRunning() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running = len(s.stuck) > 0
	return s.running
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

// guardSends resets the connections to stuck peers until none is stuck
// or ctx ends. The first stuck peer starts it (startGuard).
func (g *Gossip) guardSends(ctx context.Context) {
	tick := time.NewTicker(stuckAfter / 2)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !g.guard.keepRunning() {
			return
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

// startGuard runs guardSends on a goroutine that Close waits for; once
// Close has begun it starts nothing.
func (g *Gossip) startGuard() {
	g.bgMu.Lock()
	defer g.bgMu.Unlock()
	if g.bgClosed {
		return
	}
	g.bg.Go(func() { g.guardSends(g.ctx) })
}
