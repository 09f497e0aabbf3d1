package node

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
func (n *Node) runMDNS(ctx context.Context) {
	sub, err := n.host.EventBus().Subscribe(new(event.EvtLocalAddressesUpdated))
	if err != nil {
		n.log.Error("cannot watch local addresses; mDNS is off", "err", err)
		return
	}
	defer sub.Close()
	found := make(foundPeers, 64)

	n.goFunc(func(ctx context.Context) {
		for {
			select {
			case <-ctx.Done():
				return
			case info := <-found:
				if info.ID == n.host.ID() || n.host.Network().Connectedness(info.ID) == network.Connected {
					continue
				}
				if err := n.Connect(ctx, info); err != nil {
					n.log.Debug("mDNS peer unreachable", "peer", short(info.ID), "err", err)
				} else {
					n.log.Info("connected to mDNS peer", "peer", short(info.ID))
				}
			}
		}
	})

	var svc mdns.Service
	start := func() {
		svc = mdns.NewMdnsService(n.host, n.cfg.MDNSService, found)
		if err := svc.Start(); err != nil {
			n.log.Warn("mDNS did not start", "err", err)
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
			n.log.Debug("addresses changed; restarting mDNS")
			svc.Close()
			start()
		}
	}
}
