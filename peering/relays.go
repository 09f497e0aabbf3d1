package peering

import (
	"context"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	// relayBackoff is how long the reservation loop waits before trying a relay
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
	// ids is the relays' IDs, replaced (never written) as add adds one:
	// has reads it without the lock, for gossip's score of every peer at
	// every heartbeat and on every RPC. A node knows a few relays, so a
	// slice, whose comparisons stop at the first differing byte, beats
	// hashing a 38-byte peer ID for a map.
	ids atomic.Pointer[[]peer.ID]
	// circuits caches circuitAddrs, which libp2p asks for many times a
	// second, until circuitsUntil (the first of their reservations to
	// end) or until add or setReserved changes what it is made of.
	circuits      []ma.Multiaddr
	circuitsUntil time.Time
	// kick wakes the reservation loop (reservations.run); kicked says for
	// which relays.
	kick chan struct{}
}

type relayEntry struct {
	info  peer.AddrInfo
	ready bool
	kept  bool // kept connected, and reserved on
	// reservedUntil is when this node's reservation on the relay ends;
	// zero when it holds none.
	reservedUntil time.Time
	// kicked: the relay became ready or disconnected since the
	// reservation loop last looked at it.
	kicked bool
}

func newRelaySet() *relaySet {
	return &relaySet{relays: map[peer.ID]*relayEntry{}, kick: make(chan struct{}, 1)}
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
	rs.relays[info.ID] = &relayEntry{info: info}
	ids := slices.Collect(maps.Keys(rs.relays))
	rs.ids.Store(&ids)
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
	ids := rs.ids.Load()
	return ids != nil && slices.Contains(*ids, p)
}

// setReady marks a relay ready (or not, after it refused this node).
func (rs *relaySet) setReady(p peer.ID, ready bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if e, ok := rs.relays[p]; ok {
		e.ready = ready
		e.kicked = true
		wake(rs.kick)
	}
}

// wakeUp has the reservation loop look at a relay again at once.
func (rs *relaySet) wakeUp(p peer.ID) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if e, ok := rs.relays[p]; ok {
		e.kicked = true
		wake(rs.kick)
	}
}

// takeKicked reports whether p was kicked since the last call.
func (rs *relaySet) takeKicked(p peer.ID) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	e, ok := rs.relays[p]
	if !ok || !e.kicked {
		return false
	}
	e.kicked = false
	return true
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
		sv.goFunc(func(context.Context) { // nothing before Run: Run starts what the set holds
			sv.keepConnected(info)
			sv.reservations.add(info)
		})
	}
}

// reservations keeps a reservation on every relay kept, on one goroutine
// (run) however many relays there are: for each relay it reserves once
// the relay is connected and ready, refreshes at half the reservation's
// life, and after a refusal or failure tries again after relayBackoff, or
// as soon as the relay reconnects (a restarted relay has forgotten every
// slot). A relay that refused this node's tickets is handed them again
// every relayBackoff while it stays connected. Reservations and ticket
// presentations run on goroutines of their own while they last.
type reservations struct {
	sv   *Service
	mu   sync.Mutex
	held []*reservation
}

// reservation is one relay's state; reservations.mu guards it.
type reservation struct {
	info  peer.AddrInfo
	due   time.Time // look again then
	retry bool      // hand the relay this node's tickets again
	busy  bool      // reserving or presenting tickets
}

func (rv *reservations) add(info peer.AddrInfo) {
	rv.mu.Lock()
	rv.held = append(rv.held, &reservation{info: info})
	rv.mu.Unlock()
	wake(rv.sv.relays.kick)
}

// run holds the reservations until ctx ends, then returns once the
// reservations and presentations it started have.
func (rv *reservations) run(ctx context.Context) {
	sv := rv.sv
	notifiee := &network.NotifyBundle{DisconnectedF: func(_ network.Network, c network.Conn) {
		if p := c.RemotePeer(); sv.relays.has(p) {
			sv.relays.setReserved(p, time.Time{})
			sv.relays.wakeUp(p)
		}
	}}
	lookLoop(ctx, sv.host, notifiee, sv.relays.kick, rv.look)
}

// look does what is due for each relay that is not busy and returns how
// long until the next relay is due (false: none is).
func (rv *reservations) look(ctx context.Context, work *sync.WaitGroup) (time.Duration, bool) {
	sv := rv.sv
	rv.mu.Lock()
	defer rv.mu.Unlock()
	var next time.Duration
	pending := false
	for _, r := range rv.held {
		if r.busy {
			continue
		}
		now := time.Now()
		if sv.relays.takeKicked(r.info.ID) {
			r.retry = false // something changed: look again at once
			r.due = now
		}
		if wait := r.due.Sub(now); wait > 0 {
			if !pending || wait < next {
				next, pending = wait, true
			}
			continue
		}
		cur, ok := sv.relays.entry(r.info.ID)
		if !ok {
			continue
		}
		connected := sv.host.Network().Connectedness(r.info.ID) == network.Connected
		switch {
		case r.retry && connected && !cur.ready && sv.cfg.RelayService == nil:
			// It refused this node a while ago: it may carry one of its
			// groups by now (an organiser makes the relay's link before
			// the relay joins with it).
			r.retry, r.busy = false, true
			work.Go(func() {
				sv.presentTickets(ctx, r.info.ID)
				rv.done(r, 0) // and look again at once
			})
		case !cur.ready || !connected:
			r.due, r.retry = now.Add(sv.rand.Jitter(relayBackoff)), connected // or until kicked
		default:
			r.busy = true
			work.Go(func() { rv.done(r, rv.reserve(ctx, r.info, cur)) })
		}
		if !r.busy && (!pending || r.due.Sub(now) < next) {
			next, pending = r.due.Sub(now), true
		}
	}
	return next, pending
}

// done ends r's busy spell: it is due again after wait.
func (rv *reservations) done(r *reservation, wait time.Duration) {
	rv.mu.Lock()
	r.busy, r.due = false, time.Now().Add(wait)
	rv.mu.Unlock()
	wake(rv.sv.relays.kick)
}

// reserve asks a relay for a slot and returns when to look again.
func (rv *reservations) reserve(ctx context.Context, info peer.AddrInfo, cur relayEntry) time.Duration {
	sv := rv.sv
	rctx, cancel := context.WithTimeout(ctx, dialTimeout)
	rsvp, err := client.Reserve(rctx, sv.host, info)
	cancel()
	sv.watch.dials.Reserved(info.ID.String(), err, sv.cfg.Clock())
	if err != nil {
		if ctx.Err() != nil {
			return 0
		}
		sv.relays.setReserved(info.ID, time.Time{})
		sv.log.Info("relay reservation failed", "relay", Short(info.ID), "retry_in", relayBackoff, "err", err)
		return sv.rand.Jitter(relayBackoff)
	}
	if !cur.reservedUntil.After(sv.cfg.Clock()) {
		sv.log.Info("reserved a slot on relay", "relay", Short(info.ID), "until", rsvp.Expiration)
	}
	sv.relays.setReserved(info.ID, rsvp.Expiration)
	return max(time.Until(rsvp.Expiration)/2, time.Second)
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
