package peering

import (
	"context"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
)

// Redial keeps peers connected, as a node keeps its static peers and
// relays: it dials each at once and again at once after a disconnect, and
// after each failed dial dials again a jittered backoff after the failed
// one began, the backoff doubling from Min to Max. The simulator keeps its
// bare pubsub hosts and its attackers connected with it too, so that they
// redial on the node's schedule.
//
// A Keeper learns of disconnects from a network notifiee, not the event
// bus: the bus blocks every emitter while one subscriber's buffer is full.
// And it clears libp2p's own dial backoff for a peer before each dial (5 s
// after a failure, growing to 5 min), so that Min and Max are what bound
// the wait.
type Redial struct {
	// Min and Max bound the backoff; defaults 1 s and 30 s.
	Min, Max time.Duration
	// Seed seeds the jitter together with the peer's ID: one seed and peer
	// always wait the same. Zero: seeded at random.
	Seed uint64
	// Dial dials once; default: the host's Connect within 10 s.
	Dial func(ctx context.Context, info peer.AddrInfo) error
	// Connected, if set, runs each time a peer is found connected after a
	// dial, at the start or after a disconnect, on a goroutine of its own
	// that the Keeper's Run waits for.
	Connected func(ctx context.Context, p peer.ID)
	// Log, if set, hears of connections, disconnects and failed dials.
	Log *slog.Logger
}

// Keep keeps one peer connected until ctx ends.
func (r Redial) Keep(ctx context.Context, h host.Host, info peer.AddrInfo) {
	k := r.Keeper(h)
	k.Add(info)
	k.Run(ctx)
}

// Keeper keeps a set of peers connected on one goroutine (Run) however
// many they are; each dial, and each Connected call, runs on a goroutine
// of its own while it lasts. A node keeps every static peer and relay
// with one Keeper.
type Keeper struct {
	r        Redial
	h        host.Host
	kick     chan struct{} // 1-buffered: look again
	notifiee *network.NotifyBundle

	mu    sync.Mutex
	peers []*kept // in the order added
	index map[peer.ID]*kept
}

// kept is one peer's state; Keeper.mu guards it.
type kept struct {
	info    peer.AddrInfo
	rng     *rand.Rand
	backoff time.Duration
	due     time.Time // no dial before this
	dialing bool
	// connected: the peer was found connected, and Connected ran, since
	// it was last found disconnected.
	connected bool
}

// Keeper returns a Keeper of no peers yet on h.
func (r Redial) Keeper(h host.Host) *Keeper {
	k := &Keeper{r: r.withDefaults(h), h: h, kick: make(chan struct{}, 1), index: map[peer.ID]*kept{}}
	k.notifiee = &network.NotifyBundle{DisconnectedF: func(_ network.Network, c network.Conn) {
		k.mu.Lock()
		_, ok := k.index[c.RemotePeer()]
		k.mu.Unlock()
		if ok {
			wake(k.kick)
		}
	}}
	return k
}

// Add keeps info's peer connected from now on (once Run runs); a peer kept
// already is left as it is.
func (k *Keeper) Add(info peer.AddrInfo) {
	k.h.Peerstore().AddAddrs(info.ID, info.Addrs, time.Hour)
	k.mu.Lock()
	if _, ok := k.index[info.ID]; !ok {
		p := &kept{info: info, rng: redialRand(k.r.Seed, info.ID), backoff: k.r.Min}
		k.peers = append(k.peers, p)
		k.index[info.ID] = p
	}
	k.mu.Unlock()
	wake(k.kick)
}

// Run keeps the peers connected until ctx ends, then returns once its
// dials and Connected calls have.
func (k *Keeper) Run(ctx context.Context) {
	lookLoop(ctx, k.h, k.notifiee, k.kick, k.look)
}

// lookLoop is the loop of a Keeper and of the reservations: with notifiee
// registered on h, it calls look, then waits until ctx ends, kick wakes it
// or the wait look returned passes (none if look returned false), and
// again. It returns once ctx has ended and the work look started is done.
func lookLoop(ctx context.Context, h host.Host, notifiee network.Notifiee, kick <-chan struct{},
	look func(ctx context.Context, work *sync.WaitGroup) (time.Duration, bool)) {
	h.Network().Notify(notifiee)
	defer h.Network().StopNotify(notifiee)
	var work sync.WaitGroup
	defer work.Wait()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for ctx.Err() == nil {
		if wait, ok := look(ctx, &work); ok {
			t.Reset(wait)
		} else {
			t.Stop()
		}
		select {
		case <-ctx.Done():
		case <-kick:
		case <-t.C:
		}
	}
}

// look starts a dial to every disconnected peer whose backoff has passed
// and Connected for every peer newly found connected. It returns how long
// until the next backoff ends, and false if none is pending.
func (k *Keeper) look(ctx context.Context, work *sync.WaitGroup) (time.Duration, bool) {
	now := time.Now()
	var next time.Duration
	pending := false
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, p := range k.peers {
		if p.dialing {
			continue
		}
		if k.h.Network().Connectedness(p.info.ID) == network.Connected {
			if !p.connected {
				p.connected = true
				if k.r.Connected != nil {
					id := p.info.ID
					work.Go(func() { k.r.Connected(ctx, id) })
				}
			}
			continue
		}
		if p.connected {
			p.connected = false
			k.r.Log.Info("static peer disconnected", "peer", Short(p.info.ID))
		}
		if wait := p.due.Sub(now); wait > 0 {
			if !pending || wait < next {
				next, pending = wait, true
			}
			continue
		}
		p.dialing = true
		work.Go(func() { k.dial(ctx, p) })
	}
	return next, pending
}

// dial dials p once; a failure sets when to try again: the backoff counts
// from this dial's start, as gRPC's connection backoff does, so a dial
// that waited out its handshake timeout has waited too, and a long outage
// is probed as often as the backoff says, not every backoff plus timeout.
func (k *Keeper) dial(ctx context.Context, p *kept) {
	clearDialBackoff(k.h, p.info.ID)
	started := time.Now()
	err := k.r.Dial(ctx, p.info)
	k.mu.Lock()
	p.dialing = false
	switch {
	case ctx.Err() != nil:
	case err != nil:
		k.r.Log.Debug("static peer unreachable", "peer", Short(p.info.ID), "retry_in", p.backoff, "err", err)
		p.due = started.Add(spread(p.backoff, p.rng.Float64()))
		p.backoff = min(p.backoff*2, k.r.Max)
	default:
		k.r.Log.Info("connected to static peer", "peer", Short(p.info.ID))
		p.backoff = k.r.Min
		p.connected = false // Connected runs again
	}
	k.mu.Unlock()
	wake(k.kick)
}

func (r Redial) withDefaults(h host.Host) Redial {
	if r.Min <= 0 {
		r.Min = time.Second
	}
	if r.Max < r.Min {
		r.Max = max(30*time.Second, r.Min)
	}
	if r.Seed == 0 {
		r.Seed = rand.Uint64()
	}
	if r.Dial == nil {
		r.Dial = func(ctx context.Context, info peer.AddrInfo) error {
			ctx, cancel := context.WithTimeout(ctx, dialTimeout)
			defer cancel()
			return h.Connect(ctx, info)
		}
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	return r
}

// clearDialBackoff forgets libp2p's own backoff for p (5 s after a failed
// dial, growing to 5 min), so that the caller's schedule decides when to
// dial it next.
func clearDialBackoff(h host.Host, p peer.ID) {
	if sw, ok := h.Network().(*swarm.Swarm); ok {
		sw.Backoff().Clear(p)
	}
}

// redialRand is the jitter source of the loop for peer p.
func redialRand(seed uint64, p peer.ID) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(p))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}
