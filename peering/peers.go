package peering

import (
	"context"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
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

// Connect dials a peer once, within a dial timeout.
func (sv *Service) Connect(ctx context.Context, info peer.AddrInfo) error {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	err := sv.host.Connect(dctx, info)
	sv.dialed(ctx, info.ID, err)
	return err
}

// keepConnected keeps a static peer connected (see Redial), protected from
// the connection manager, with the node's one Keeper. Each time it finds an
// organiser relay connected, it hands it this node's tickets
// (presentTickets) before its reservation is asked for.
func (sv *Service) keepConnected(info peer.AddrInfo) {
	sv.host.ConnManager().Protect(info.ID, staticTag)
	sv.keeper.Add(info)
}

// newKeeper is the Keeper of the static peers and relays.
func (sv *Service) newKeeper() *Keeper {
	return Redial{
		Min: sv.cfg.RedialMin, Max: sv.cfg.RedialMax, Seed: sv.rand.Seed(),
		Dial: sv.Connect, Log: sv.log,
		Connected: func(ctx context.Context, p peer.ID) {
			if sv.relays.has(p) && sv.cfg.RelayService == nil {
				sv.presentTickets(ctx, p)
			}
		},
	}.Keeper(sv.host)
}

// watchConnections remembers every peer that completes identify (sub's
// events), so that a restart can find them again, until ctx ends; then it
// closes sub.
func (sv *Service) watchConnections(ctx context.Context, sub event.Subscription) {
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-sub.Out():
			ev := e.(event.EvtPeerIdentificationCompleted)
			sv.rememberPeer(ev.Peer)
		}
	}
}

func (sv *Service) rememberPeer(p peer.ID) {
	var addrs []string
	for _, a := range sv.host.Peerstore().Addrs(p) {
		addrs = append(addrs, a.String())
	}
	if len(addrs) == 0 {
		return
	}
	if err := sv.cfg.Known.PutPeer(store.Peer{ID: p.String(), Addrs: addrs, LastSeen: sv.cfg.Clock(), Relay: sv.relays.has(p)}); err != nil {
		sv.log.Warn("could not remember peer", "peer", Short(p), "err", err)
	}
}

// dialKnownPeers tries once, at start-up, the peers seen most recently.
func (sv *Service) dialKnownPeers(ctx context.Context) {
	known, err := sv.cfg.Known.Peers()
	if err != nil {
		sv.log.Warn("could not read known peers", "err", err)
		return
	}
	slices.SortFunc(known, func(a, b store.Peer) int { return b.LastSeen.Compare(a.LastSeen) })
	cutoff := sv.cfg.Clock().Add(-knownPeersAge)
	for i, kp := range known {
		if i >= knownPeersMax || kp.LastSeen.Before(cutoff) || ctx.Err() != nil {
			return
		}
		info, ok := parseKnownPeer(kp)
		if !ok || info.ID == sv.host.ID() {
			continue
		}
		if err := sv.Connect(ctx, info); err != nil {
			sv.log.Debug("known peer unreachable", "peer", Short(info.ID), "err", err)
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

// Short abbreviates a peer ID for logs: its last eight characters, which
// differ between peers (the start is the same multihash prefix for all).
func Short(p peer.ID) string {
	s := p.String()
	if len(s) <= 8 {
		return s
	}
	return s[len(s)-8:]
}

// dialRelays starts using the relays an invite names (addRelay): kept
// connected, remembered, reserved on. A relay in use already is handed
// this node's tickets again, since the invite may have brought one it
// lacked. Bad addresses are logged and skipped: the invite itself was
// verified, its relay list is only advice.
func (sv *Service) dialRelays(addrs []string) {
	for _, s := range addrs {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			sv.log.Warn("skipping an invite's relay address", "addr", s, "err", err)
			continue
		}
		info, err := peer.AddrInfoFromP2pAddr(a)
		if err != nil {
			sv.log.Warn("skipping an invite's relay address without /p2p/", "addr", s)
			continue
		}
		if !sv.addRelay(*info) {
			sv.retryTickets(info.ID)
		}
	}
}

// retryTickets hands a connected relay this node's tickets again, in the
// background.
func (sv *Service) retryTickets(relay peer.ID) {
	if sv.cfg.RelayService != nil || sv.host.Network().Connectedness(relay) != network.Connected {
		return // the next connection presents them
	}
	sv.goFunc(func(ctx context.Context) { sv.presentTickets(ctx, relay) })
}

// RelayIDs lists the peer IDs of relay addresses, skipping bad ones.
func RelayIDs(addrs []string) []string {
	var out []string
	for _, s := range addrs {
		if info, err := peer.AddrInfoFromString(s); err == nil {
			out = append(out, info.ID.String())
		}
	}
	return out
}
