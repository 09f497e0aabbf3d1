package peering

import (
	"context"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
)

// Redial keeps one peer connected, as a node keeps its static peers and
// relays: it dials, and after each failure or disconnect waits a jittered
// backoff that doubles from Min to Max. The simulator keeps its bare pubsub
// hosts and its attackers connected with it too, so that they redial on the
// node's schedule.
//
// Keep learns of disconnects from a network notifiee, not the event bus:
// the bus blocks every emitter while one subscriber's buffer is full, and
// the loop does not read while it dials or backs off. And it clears
// libp2p's own dial backoff for the peer before each dial (5 s after a
// failure, growing to 5 min), so that Min and Max are what bound the wait.
type Redial struct {
	// Min and Max bound the backoff; defaults 1 s and 30 s.
	Min, Max time.Duration
	// Seed seeds the jitter together with the peer's ID: one seed and peer
	// always wait the same. Zero: seeded at random.
	Seed uint64
	// Dial dials once; default: the host's Connect within 10 s.
	Dial func(ctx context.Context, info peer.AddrInfo) error
	// Connected, if set, runs each time the loop finds the peer connected
	// after a dial or at its start, before it waits for a disconnect.
	Connected func(ctx context.Context)
	// Log, if set, hears of connections, disconnects and failed dials.
	Log *slog.Logger
}

// Keep runs the loop until ctx ends.
func (r Redial) Keep(ctx context.Context, h host.Host, info peer.AddrInfo) {
	r = r.withDefaults(h)
	rng := redialRand(r.Seed, info.ID)
	h.Peerstore().AddAddrs(info.ID, info.Addrs, time.Hour)
	gone := make(chan struct{}, 1) // full means: check again
	notifiee := &network.NotifyBundle{DisconnectedF: func(_ network.Network, c network.Conn) {
		if c.RemotePeer() == info.ID {
			select {
			case gone <- struct{}{}:
			default:
			}
		}
	}}
	h.Network().Notify(notifiee)
	defer h.Network().StopNotify(notifiee)

	backoff := r.Min
	for ctx.Err() == nil {
		if h.Network().Connectedness(info.ID) != network.Connected {
			clearDialBackoff(h, info.ID)
			if err := r.Dial(ctx, info); err != nil {
				if ctx.Err() != nil {
					return
				}
				r.Log.Debug("static peer unreachable", "peer", Short(info.ID), "retry_in", backoff, "err", err)
				if !sleep(ctx, spread(backoff, rng.Float64())) {
					return
				}
				backoff = min(backoff*2, r.Max)
				continue
			}
			r.Log.Info("connected to static peer", "peer", Short(info.ID))
			backoff = r.Min
		}
		if r.Connected != nil {
			r.Connected(ctx)
		}
		for h.Network().Connectedness(info.ID) == network.Connected {
			select {
			case <-ctx.Done():
				return
			case <-gone:
			}
		}
		r.Log.Info("static peer disconnected", "peer", Short(info.ID))
	}
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
