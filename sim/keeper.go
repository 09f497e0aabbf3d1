package sim

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
)

// Redial policy of keepConnected: node's defaults for static peers.
const (
	redialMin   = time.Second
	redialMax   = 30 * time.Second
	dialTimeout = 10 * time.Second
)

// keepConnected keeps a raw host (bare pubsub, attackers) connected to a
// peer as a Starling node keeps its static peers: it dials, and after a
// failure or a disconnect waits a jittered backoff doubling from redialMin
// to redialMax. rng is this loop's own.
func keepConnected(ctx context.Context, h host.Host, info peer.AddrInfo, rng *rand.Rand) {
	h.Peerstore().AddAddrs(info.ID, info.Addrs, time.Hour)
	gone := make(chan struct{}, 1)
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
	backoff := redialMin
	for ctx.Err() == nil {
		if h.Network().Connectedness(info.ID) != network.Connected {
			if sw, ok := h.Network().(*swarm.Swarm); ok {
				sw.Backoff().Clear(info.ID)
			}
			dctx, cancel := context.WithTimeout(ctx, dialTimeout)
			err := h.Connect(dctx, info)
			cancel()
			if err != nil {
				wait := time.Duration(float64(backoff) * (0.8 + 0.4*rng.Float64()))
				backoff = min(backoff*2, redialMax)
				if !sleepCtx(ctx, wait) {
					return
				}
				continue
			}
			backoff = redialMin
		}
		for h.Network().Connectedness(info.ID) == network.Connected {
			select {
			case <-ctx.Done():
				return
			case <-gone:
			}
		}
	}
}

// sleepCtx waits d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
