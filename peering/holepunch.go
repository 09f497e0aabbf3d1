package peering

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/holepunch"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

const (
	// holePunchStartup is how long after start a Connect may wait for
	// hole punching to get ready. libp2p starts DCUtR at the first check
	// after the host learns a public address of its own, and checks 0.25,
	// 0.75, 1.75, 3.75, 7.75 and 12.75 s after start (then every 5 s).
	holePunchStartup = 15 * time.Second
	// holePunchPoll is how often a waiting Connect checks.
	holePunchPoll = 50 * time.Millisecond
)

// punchingHost closes a start-up race that would leave a connection relayed
// for good (go-libp2p#3024). Over a new relayed connection, the peer that
// accepted it opens a DCUtR stream at once; the peer that dialled must serve
// DCUtR by then, and libp2p serves it only after learning a public address
// of its own (from identify with a public peer) and noticing at its next
// check. A node that dials a circuit right after starting loses that race,
// and libp2p never tries again on that connection. So, during the first
// holePunchStartup of the host's life, Connect does these dials in order:
//
//   - through a relay at a public address: connect to the relay first (from
//     it the host learns its public address), wait until DCUtR is served,
//     then dial the circuit;
//   - to any peer at a public address (such as a relay, before reserving a
//     slot on it): connect, then wait until DCUtR is served, so that the
//     circuit address the reservation publishes finds this host ready.
//
// Peers at private addresses (a venue LAN) never wait: there, libp2p does
// not punch holes. Only Connect waits; libp2p's own dials do not go
// through it.
type punchingHost struct {
	host.Host
	log        *slog.Logger
	startupEnd time.Time
}

func (h *punchingHost) Connect(ctx context.Context, pi peer.AddrInfo) error {
	if time.Now().After(h.startupEnd) || h.servesDCUtR() || h.Network().Connectedness(pi.ID) == network.Connected {
		return h.Host.Connect(ctx, pi)
	}
	if relay, ok := publicRelay(pi.Addrs); ok {
		if err := h.Host.Connect(ctx, relay); err != nil {
			return fmt.Errorf("connect to relay %s to reach %s: %w", Short(relay.ID), Short(pi.ID), err)
		}
		h.awaitDCUtR(ctx, pi.ID)
		return h.Host.Connect(ctx, pi)
	}
	if err := h.Host.Connect(ctx, pi); err != nil {
		return err
	}
	if slices.ContainsFunc(pi.Addrs, manet.IsPublicAddr) {
		h.awaitDCUtR(ctx, pi.ID)
	}
	return nil
}

// servesDCUtR reports whether libp2p's hole punching service has started.
func (h *punchingHost) servesDCUtR() bool {
	return slices.Contains(h.Mux().Protocols(), holepunch.Protocol)
}

// awaitDCUtR waits until hole punching has started, the start-up window
// has passed, or ctx ends; p is the peer whose connection waits.
func (h *punchingHost) awaitDCUtR(ctx context.Context, p peer.ID) {
	start := time.Now()
	t := time.NewTicker(holePunchPoll)
	defer t.Stop()
	for !h.servesDCUtR() && time.Now().Before(h.startupEnd) && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	h.log.Debug("waited for hole punching to start", "peer", Short(p), "took", time.Since(start), "started", h.servesDCUtR())
}

// publicRelay returns the relay of the first circuit address among addrs
// whose relay is at a public address.
func publicRelay(addrs []ma.Multiaddr) (peer.AddrInfo, bool) {
	for _, a := range addrs {
		relayAddr, circuit := ma.SplitFunc(a, func(c ma.Component) bool { return c.Protocol().Code == ma.P_CIRCUIT })
		if len(circuit) == 0 || !manet.IsPublicAddr(relayAddr) {
			continue
		}
		if info, err := peer.AddrInfoFromP2pAddr(relayAddr); err == nil {
			return *info, true
		}
	}
	return peer.AddrInfo{}, false
}

// holePunchLog logs what DCUtR does, so that a connection that stays
// relayed says why: the outcome of each hole punch at Info, its steps at
// Debug. libp2p's own holepunch logger goes through the process-wide
// handler at warn, which hides all of this.
type holePunchLog struct{ log *slog.Logger }

func (h holePunchLog) Trace(e *holepunch.Event) {
	log := h.log.With("peer", Short(e.Remote))
	switch ev := e.Evt.(type) {
	case *holepunch.DirectDialEvt:
		log.Debug("direct dial before hole punch", "ok", ev.Success, "took", ev.EllapsedTime, "err", ev.Error)
	case *holepunch.ProtocolErrorEvt:
		log.Info("hole punch could not start", "err", ev.Error)
	case *holepunch.StartHolePunchEvt:
		log.Debug("hole punch starting", "remote_addrs", ev.RemoteAddrs, "rtt", ev.RTT)
	case *holepunch.HolePunchAttemptEvt:
		log.Debug("hole punch attempt", "attempt", ev.Attempt)
	case *holepunch.EndHolePunchEvt:
		if ev.Success {
			log.Info("hole punch succeeded: direct connection", "took", ev.EllapsedTime)
		} else {
			log.Info("hole punch failed", "took", ev.EllapsedTime, "err", ev.Error)
		}
	}
}
