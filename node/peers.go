package node

import (
	"context"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"starling/store"
)

const (
	dialTimeout = 10 * time.Second
	// knownPeersAge and knownPeersMax bound the redial of remembered peers
	// at start-up.
	knownPeersAge = 7 * 24 * time.Hour
	knownPeersMax = 32
	staticTag     = "starling-static"
)

// Connect dials a peer once.
func (n *Node) Connect(ctx context.Context, info peer.AddrInfo) error {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	err := n.host.Connect(ctx, info)
	n.dialed(info.ID, err)
	return err
}

// keepConnected keeps a static peer connected (see Redial), protected from
// the connection manager. Each time it finds an organiser relay connected,
// it hands it this node's tickets (presentTickets) before holdReservation
// asks for a slot.
func (n *Node) keepConnected(ctx context.Context, info peer.AddrInfo) {
	n.host.ConnManager().Protect(info.ID, staticTag)
	Redial{
		Min: n.cfg.RedialMin, Max: n.cfg.RedialMax, Seed: n.rand.seed,
		Dial: n.Connect, Log: n.log,
		Connected: func(ctx context.Context) {
			if n.relays.has(info.ID) && n.cfg.RelayService == nil {
				n.presentTickets(ctx, info.ID)
			}
		},
	}.Keep(ctx, n.host, info)
}

// watchConnections remembers every peer that completes identify, so that a
// restart can find them again.
func (n *Node) watchConnections(ctx context.Context) {
	sub, err := n.host.EventBus().Subscribe(new(event.EvtPeerIdentificationCompleted))
	if err != nil {
		n.log.Error("cannot watch identify", "err", err)
		return
	}
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-sub.Out():
			ev := e.(event.EvtPeerIdentificationCompleted)
			n.rememberPeer(ev.Peer)
		}
	}
}

func (n *Node) rememberPeer(p peer.ID) {
	var addrs []string
	for _, a := range n.host.Peerstore().Addrs(p) {
		addrs = append(addrs, a.String())
	}
	if len(addrs) == 0 {
		return
	}
	if err := n.store.PutPeer(store.Peer{ID: p.String(), Addrs: addrs, LastSeen: n.cfg.Clock(), Relay: n.relays.has(p)}); err != nil {
		n.log.Warn("could not remember peer", "peer", short(p), "err", err)
	}
}

// dialKnownPeers tries once, at start-up, the peers seen most recently.
func (n *Node) dialKnownPeers(ctx context.Context) {
	known, err := n.store.Peers()
	if err != nil {
		n.log.Warn("could not read known peers", "err", err)
		return
	}
	slices.SortFunc(known, func(a, b store.Peer) int { return b.LastSeen.Compare(a.LastSeen) })
	cutoff := n.cfg.Clock().Add(-knownPeersAge)
	for i, kp := range known {
		if i >= knownPeersMax || kp.LastSeen.Before(cutoff) || ctx.Err() != nil {
			return
		}
		info, ok := parseKnownPeer(kp)
		if !ok || info.ID == n.host.ID() {
			continue
		}
		if err := n.Connect(ctx, info); err != nil {
			n.log.Debug("known peer unreachable", "peer", short(info.ID), "err", err)
		}
	}
}

func parseKnownPeer(kp store.Peer) (peer.AddrInfo, bool) {
	id, err := peer.Decode(kp.ID)
	if err != nil {
		return peer.AddrInfo{}, false
	}
	info := peer.AddrInfo{ID: id}
	for _, s := range kp.Addrs {
		if a, err := ma.NewMultiaddr(s); err == nil {
			info.Addrs = append(info.Addrs, a)
		}
	}
	return info, len(info.Addrs) > 0
}

// sleep waits d or until ctx ends; it reports whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// short abbreviates a peer ID for logs: its last eight characters, which
// differ between peers (the start is the same multihash prefix for all).
func short(p peer.ID) string {
	s := p.String()
	if len(s) <= 8 {
		return s
	}
	return s[len(s)-8:]
}

// dialRelays starts using the relays an invite names (addRelay): kept
// connected, remembered, reserved on. Bad addresses are logged and
// skipped: the invite itself was verified, its relay list is only advice.
func (n *Node) dialRelays(addrs []string) {
	for _, s := range addrs {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			n.log.Warn("skipping an invite's relay address", "addr", s, "err", err)
			continue
		}
		info, err := peer.AddrInfoFromP2pAddr(a)
		if err != nil {
			n.log.Warn("skipping an invite's relay address without /p2p/", "addr", s)
			continue
		}
		n.addRelay(*info)
	}
}

// relayIDs lists the peer IDs of relay addresses, skipping bad ones.
func relayIDs(addrs []string) []string {
	var out []string
	for _, s := range addrs {
		if info, err := peer.AddrInfoFromString(s); err == nil {
			out = append(out, info.ID.String())
		}
	}
	return out
}
