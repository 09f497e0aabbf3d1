package peering

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
)

// mdnsRestartDelay lets a burst of address changes settle before mDNS is
// restarted.
const mdnsRestartDelay = time.Second

// Dialling what mDNS finds. Two nodes that start together find each other
// at the same moment. If both dialled at once, their TCP dials, both from
// their listen ports, could meet as one connection in which each side is
// the client (a TCP simultaneous open): the TLS handshake fails on both
// sides, libp2p backs off from the peer, and mDNS does not report it again.
// So the node with the smaller peer ID dials at once and the other yields
// for about mdnsYield, dialling only if no connection came; a failed dial
// is tried again after mdnsRetry, doubling, mdnsAttempts times in all.
const (
	mdnsYield    = 2 * time.Second
	mdnsRetry    = 2 * time.Second
	mdnsAttempts = 4
)

// foundPeers is the mDNS notifee. The mDNS service calls HandlePeerFound from
// goroutines of its own, so found peers are handed over without blocking
// (dropped when the queue is full: the next announcement finds them again).
type foundPeers chan peer.AddrInfo

func (f foundPeers) HandlePeerFound(info peer.AddrInfo) {
	select {
	case f <- info:
	default:
	}
}

// runMDNS advertises and browses Starling's mDNS service and dials what it
// finds. The service snapshots interface addresses when it starts, so it is
// restarted whenever the host's addresses change.
func (sv *Service) runMDNS(ctx context.Context) {
	sub, err := sv.host.EventBus().Subscribe(new(event.EvtLocalAddressesUpdated))
	if err != nil {
		sv.log.Error("cannot watch local addresses; mDNS is off", "err", err)
		return
	}
	defer sub.Close()
	found := make(foundPeers, 64)

	sv.goFunc(func(ctx context.Context) {
		pending := map[peer.ID]bool{} // peers being dialled; owned here
		done := make(chan peer.ID)
		for {
			select {
			case <-ctx.Done():
				return
			case id := <-done:
				delete(pending, id)
			case info := <-found:
				if info.ID == sv.host.ID() || pending[info.ID] || sv.host.Network().Connectedness(info.ID) == network.Connected {
					continue
				}
				pending[info.ID] = true
				sv.goFunc(func(ctx context.Context) {
					sv.dialFound(ctx, info)
					select {
					case done <- info.ID:
					case <-ctx.Done():
					}
				})
			}
		}
	})

	var svc mdns.Service
	start := func() {
		svc = mdns.NewMdnsService(sv.host, sv.cfg.MDNSService, found)
		if err := svc.Start(); err != nil {
			sv.log.Warn("mDNS did not start", "err", err)
		}
	}
	start()
	defer func() { svc.Close() }()

	var restart <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Out():
			restart = time.After(mdnsRestartDelay)
		case <-restart:
			restart = nil
			sv.log.Debug("addresses changed; restarting mDNS")
			svc.Close()
			start()
		}
	}
}

// dialFound connects to a peer that mDNS found (see mdnsYield).
func (sv *Service) dialFound(ctx context.Context, info peer.AddrInfo) {
	var wait time.Duration
	if info.ID < sv.host.ID() {
		wait = mdnsYield
	}
	for attempt := range mdnsAttempts {
		if wait > 0 && !sleep(ctx, sv.rand.Jitter(wait)) {
			return
		}
		if sv.host.Network().Connectedness(info.ID) == network.Connected {
			return
		}
		clearDialBackoff(sv.host, info.ID)
		err := sv.Connect(ctx, info)
		if err == nil {
			sv.log.Info("connected to mDNS peer", "peer", Short(info.ID))
			return
		}
		if ctx.Err() != nil {
			return
		}
		wait = mdnsRetry << attempt
		sv.log.Debug("mDNS peer unreachable", "peer", Short(info.ID), "retry_in", wait, "err", err)
	}
}
