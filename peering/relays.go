package peering

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/client"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"starling/relay"
	"starling/store"
)

const (
	// relayBackoff is how long holdReservation waits before trying a relay
	// again after a failed reservation (libp2p AutoRelay's default is an
	// hour); a relay that reconnects is tried at once.
	relayBackoff = 30 * time.Second
)

// relaySet is the organiser relays this node uses: from the config, from
// invites, and remembered from earlier runs. A relay is ready once it has
// taken this node's tickets (or said it needs none); a reservation is
// never asked for before that.
type relaySet struct {
	mu     sync.Mutex
	relays map[peer.ID]*relayEntry
	// circuits caches circuitAddrs, which libp2p asks for many times a
	// second, until circuitsUntil (the first of their reservations to
	// end) or until add or setReserved changes what it is made of.
	circuits      []ma.Multiaddr
	circuitsUntil time.Time
}

type relayEntry struct {
	info  peer.AddrInfo
	ready bool
	kept  bool // kept connected, and its holdReservation loop runs
	// reservedUntil is when this node's reservation on the relay ends;
	// zero when it holds none.
	reservedUntil time.Time
	// kick wakes holdReservation: the relay became ready or disconnected.
	kick chan struct{}
}

func newRelaySet() *relaySet {
	return &relaySet{relays: map[peer.ID]*relayEntry{}}
}

// add records a relay; it reports whether the relay is new.
func (rs *relaySet) add(info peer.AddrInfo) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.circuitsUntil = time.Time{}
	if e, ok := rs.relays[info.ID]; ok {
		e.info.Addrs = append(e.info.Addrs, info.Addrs...)
		slices.SortFunc(e.info.Addrs, func(a, b ma.Multiaddr) int { return a.Compare(b) })
		e.info.Addrs = slices.CompactFunc(e.info.Addrs, ma.Multiaddr.Equal)
		return false
	}
	rs.relays[info.ID] = &relayEntry{info: info, kick: make(chan struct{}, 1)}
	return true
}

// keep claims the job of keeping a relay connected: true for the first
// caller only.
func (rs *relaySet) keep(p peer.ID) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	e, ok := rs.relays[p]
	if !ok || e.kept {
		return false
	}
	e.kept = true
	return true
}

// all lists every relay.
func (rs *relaySet) all() []peer.AddrInfo {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make([]peer.AddrInfo, 0, len(rs.relays))
	for _, e := range rs.relays {
		out = append(out, e.info)
	}
	return out
}

func (rs *relaySet) has(p peer.ID) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	_, ok := rs.relays[p]
	return ok
}

// setReady marks a relay ready (or not, after it refused this node).
func (rs *relaySet) setReady(p peer.ID, ready bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if e, ok := rs.relays[p]; ok {
		e.ready = ready
		wake(e.kick)
	}
}

// wakeUp wakes a relay's holdReservation loop.
func (rs *relaySet) wakeUp(p peer.ID) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if e, ok := rs.relays[p]; ok {
		wake(e.kick)
	}
}

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// entry returns a copy of a relay's entry.
func (rs *relaySet) entry(p peer.ID) (relayEntry, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	e, ok := rs.relays[p]
	if !ok {
		return relayEntry{}, false
	}
	return *e, true
}

func (rs *relaySet) setReserved(p peer.ID, until time.Time) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if e, ok := rs.relays[p]; ok {
		e.reservedUntil = until
		rs.circuitsUntil = time.Time{}
	}
}

// circuitAddrs are this node's addresses through the relays it holds
// reservations on: each relay address with /p2p/RELAY/p2p-circuit.
// libp2p's AutoRelay advertises only relays' public addresses, which a
// venue LAN does not have; these include private ones.
func (rs *relaySet) circuitAddrs(now time.Time) []ma.Multiaddr {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if now.Before(rs.circuitsUntil) {
		return slices.Clip(rs.circuits)
	}
	var out []ma.Multiaddr
	until := now.Add(time.Hour)
	for id, e := range rs.relays {
		if !now.Before(e.reservedUntil) {
			continue
		}
		if e.reservedUntil.Before(until) {
			until = e.reservedUntil
		}
		circuit := ma.StringCast("/p2p/" + id.String() + "/p2p-circuit")
		for _, a := range e.info.Addrs {
			if _, err := a.ValueForProtocol(ma.P_CIRCUIT); err == nil {
				continue
			}
			out = append(out, a.Encapsulate(circuit))
		}
	}
	rs.circuits, rs.circuitsUntil = out, until
	return slices.Clip(out)
}

// ips lists the IP networks of the relays' addresses, exempt from gossip's
// IP-colocation penalty: every peer that reaches this node through a relay
// appears under the relay's IP.
func (rs *relaySet) ips() []*net.IPNet {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var out []*net.IPNet
	for _, e := range rs.relays {
		for _, a := range e.info.Addrs {
			ip, err := manet.ToIP(a)
			if err != nil {
				continue
			}
			bits := 8 * len(ip)
			if ip4 := ip.To4(); ip4 != nil {
				ip, bits = ip4, 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
		}
	}
	return out
}

// addRelay starts using a relay: it is remembered, kept connected, handed
// this node's tickets on every connection, and reserved on. It reports
// whether the relay is new; one in use already only learns new addresses.
func (sv *Service) addRelay(info peer.AddrInfo) bool {
	if info.ID == sv.host.ID() {
		return true // nothing to do, ever
	}
	if !sv.relays.add(info) {
		return false
	}
	addrs := make([]string, len(info.Addrs))
	for i, a := range info.Addrs {
		addrs[i] = a.String()
	}
	if err := sv.cfg.Known.PutPeer(store.Peer{ID: info.ID.String(), Addrs: addrs, LastSeen: sv.cfg.Clock(), Relay: true}); err != nil {
		sv.log.Warn("could not remember relay", "relay", Short(info.ID), "err", err)
	}
	sv.keepRelay(info)
	return true
}

// keepRelay keeps a relay connected and a reservation on it, once.
func (sv *Service) keepRelay(info peer.AddrInfo) {
	if sv.relays.keep(info.ID) {
		sv.goFunc(func(context.Context) { sv.keepConnected(info) }) // nothing before Run, as holdReservation
		sv.goFunc(func(ctx context.Context) { sv.holdReservation(ctx, info) })
	}
}

// holdReservation keeps a reservation on a relay: it reserves once the
// relay is connected and ready, refreshes at half the reservation's life,
// and after a refusal or failure tries again after relayBackoff, or as soon
// as the relay reconnects (a restarted relay has forgotten every slot). A
// relay that refused this node's tickets is handed them again every
// relayBackoff while it stays connected.
func (sv *Service) holdReservation(ctx context.Context, info peer.AddrInfo) {
	e, ok := sv.relays.entry(info.ID)
	if !ok {
		return
	}
	notifiee := &network.NotifyBundle{DisconnectedF: func(_ network.Network, c network.Conn) {
		if c.RemotePeer() == info.ID {
			sv.relays.setReserved(info.ID, time.Time{})
			sv.relays.wakeUp(info.ID)
		}
	}}
	sv.host.Network().Notify(notifiee)
	defer sv.host.Network().StopNotify(notifiee)
	retry := false // hand the relay this node's tickets again
	for {
		var wait time.Duration
		cur, _ := sv.relays.entry(info.ID)
		connected := sv.host.Network().Connectedness(info.ID) == network.Connected
		switch {
		case retry && connected && !cur.ready && sv.cfg.RelayService == nil:
			// It refused this node a while ago: it may carry one of its
			// groups by now (an organiser makes the relay's link before
			// the relay joins with it).
			retry = false
			sv.presentTickets(ctx, info.ID)
			continue
		case !cur.ready || !connected:
			wait = sv.rand.Jitter(relayBackoff) // or until kicked
			retry = connected
		default:
			rctx, cancel := context.WithTimeout(ctx, dialTimeout)
			rsvp, err := client.Reserve(rctx, sv.host, info)
			cancel()
			sv.watch.dials.Reserved(info.ID.String(), err, sv.cfg.Clock())
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				sv.relays.setReserved(info.ID, time.Time{})
				sv.log.Info("relay reservation failed", "relay", Short(info.ID), "retry_in", relayBackoff, "err", err)
				wait = sv.rand.Jitter(relayBackoff)
				break
			}
			if !cur.reservedUntil.After(sv.cfg.Clock()) {
				sv.log.Info("reserved a slot on relay", "relay", Short(info.ID), "until", rsvp.Expiration)
			}
			sv.relays.setReserved(info.ID, rsvp.Expiration)
			wait = max(time.Until(rsvp.Expiration)/2, time.Second)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-e.kick:
			retry = false // something changed: look again at once
		case <-t.C:
		}
		t.Stop()
	}
}

// loadRelays seeds the relay set from the config and the store.
func (sv *Service) loadRelays() error {
	for _, info := range sv.cfg.Relays {
		sv.relays.add(info)
	}
	known, err := sv.cfg.Known.Peers()
	if err != nil {
		return err
	}
	for _, kp := range known {
		if !kp.Relay {
			continue
		}
		if info, ok := parseKnownPeer(kp); ok {
			sv.relays.add(info)
		}
	}
	return nil
}

// startRelays keeps every relay of the set connected.
func (sv *Service) startRelays() {
	for _, info := range sv.relays.all() {
		sv.keepRelay(info)
	}
}

// Relays lists the organiser relays this node uses, whether it is
// connected to each and whether it holds a reservation there.
func (sv *Service) Relays() []relay.Link {
	sv.relays.mu.Lock()
	defer sv.relays.mu.Unlock()
	var out []relay.Link
	for id, e := range sv.relays.relays {
		out = append(out, relay.Link{
			ID:        id,
			Addrs:     slices.Clone(e.info.Addrs),
			Connected: sv.host.Network().Connectedness(id) == network.Connected,
			Ready:     e.ready,
			Reserved:  sv.cfg.Clock().Before(e.reservedUntil),
		})
	}
	slices.SortFunc(out, func(a, b relay.Link) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out
}
