package node

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/sec"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"starling/netwatch"
	"starling/store"
)

// The node's side of `starling doctor`: what it sees of its network that
// its connections do not say (package netwatch), reported by Network and
// served in the API's status.
//
// It hooks into the rest of the node in four places, each one line, to be
// carried over wherever connectivity moves:
//   - node.go: Node.watch is made in New (newNetWatch), and startBackground
//     calls startWatch, which runs the mDNS listener when mDNS is on;
//   - peers.go: Connect reports each dial's outcome (dialed);
//   - relays.go: holdReservation reports each reservation's outcome
//     (watch.dials.Reserved);
//   - catchup.go: stored hands each committed batch to watch.stored, whose
//     live messages sample the peers' clocks.
//
// Nothing here sends a packet on its own: the direct probes (ProbeDirect)
// run only when asked (`starling doctor`), so neither a venue's network nor
// the simulator's figures carry traffic for diagnosis.

// Direct probes: how many peers one round tries, each within how long.
const (
	probeMax     = 8
	probeTimeout = 5 * time.Second
)

// netWatch holds the node's network facts.
type netWatch struct {
	mdns    *netwatch.MDNS // nil when mDNS is off
	dials   *netwatch.Dials
	clock   *netwatch.Clock
	probing sync.Mutex // one round of probes at a time
}

func newNetWatch(cfg Config) *netWatch {
	w := &netWatch{dials: netwatch.NewDials(), clock: netwatch.NewClock()}
	if cfg.MDNS {
		w.mdns = netwatch.NewMDNS(netwatch.MDNSConfig{
			Service: cfg.MDNSService,
			Clock:   cfg.Clock,
			Logger:  cfg.Logger.With("component", "mdns-watch"),
		})
	}
	return w
}

// startWatch starts listening to mDNS beside the node's own mDNS service.
func (n *Node) startWatch() {
	if n.watch.mdns != nil {
		n.goFunc(n.watch.mdns.Run)
	}
}

// stored samples the peers' clocks from the messages that arrived live:
// by catch-up they may be hours old, and the user's own say nothing. It
// runs on the store's writer goroutine, so it only takes a lock.
func (w *netWatch) stored(batch []store.Stored) {
	for _, s := range batch {
		if s.Origin == store.OriginGossip {
			w.clock.Observe(string(s.Msg.Body.Author), s.Msg.Body.SentAt(), s.ReceivedAt)
		}
	}
}

// dialed records the outcome of one of the node's own dials. A dial that
// was not really tried (the node is stopping, the caller gave up, libp2p's
// backoff) is not counted.
func (n *Node) dialed(p peer.ID, err error) {
	if err != nil && (n.ctx.Err() != nil || errors.Is(err, swarm.ErrDialBackoff) ||
		(errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded))) {
		return
	}
	n.watch.dials.Dialed(p.String(), n.relays.has(p), dialReason(err), err, n.cfg.Clock())
}

// dialReason sorts a libp2p dial error: first what only libp2p can say,
// then what the standard library can (netwatch.Classify).
func dialReason(err error) netwatch.Reason {
	var mismatch sec.ErrPeerIDMismatch
	var mismatchPtr *sec.ErrPeerIDMismatch
	switch {
	case err == nil:
		return ""
	case errors.Is(err, swarm.ErrNoAddresses), errors.Is(err, swarm.ErrNoGoodAddresses):
		return netwatch.ReasonNoAddress
	case errors.As(err, &mismatch), errors.As(err, &mismatchPtr):
		return netwatch.ReasonWrongPeer
	}
	return netwatch.Classify(err)
}

// Network reports what the node knows of its network: mDNS heard, dials
// and their failures, peers by how they are connected, the clock's offset.
func (n *Node) Network() netwatch.Report {
	r := netwatch.Report{Now: n.cfg.Clock(), Relay: n.cfg.RelayService != nil}
	if n.watch.mdns != nil {
		r.MDNS = n.watch.mdns.Report()
	}
	r.Dials, r.Probes, r.Relays = n.watch.dials.Report()
	r.Clock = n.watch.clock.Report(n.cfg.Clock())
	r.Subnets, _ = netwatch.Subnets() // none known: no peer counts as on the LAN
	for _, p := range n.host.Network().Peers() {
		if n.relays.has(p) {
			continue
		}
		switch direct, relayed := n.connKinds(p); {
		case direct:
			r.DirectPeers++
		case relayed:
			r.RelayedPeers++
			if netwatch.OnSubnets(n.directIPs(p), r.Subnets) {
				r.RelayedSameLAN++
			}
		}
	}
	return r
}

// connKinds says whether the node has direct and relayed connections to p.
func (n *Node) connKinds(p peer.ID) (direct, relayed bool) {
	for _, c := range n.host.Network().ConnsToPeer(p) {
		if isCircuit(c.RemoteMultiaddr()) {
			relayed = true
		} else {
			direct = true
		}
	}
	return direct, relayed
}

func isCircuit(a ma.Multiaddr) bool {
	_, err := a.ValueForProtocol(ma.P_CIRCUIT)
	return err == nil
}

// directIPs are the IP addresses of p's direct (not relayed) addresses
// that the node knows.
func (n *Node) directIPs(p peer.ID) []netip.Addr {
	var out []netip.Addr
	for _, a := range n.host.Peerstore().Addrs(p) {
		if isCircuit(a) {
			continue
		}
		ip, err := manet.ToIP(a)
		if err != nil {
			continue
		}
		if addr, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, addr.Unmap())
		}
	}
	return out
}

// ProbeDirect dials directly, once, up to probeMax of the peers the node
// reaches only through a relay and that have a direct address, in
// parallel, each within probeTimeout, and returns the probes' counts since
// the node started. A probe that succeeds leaves a direct connection; one
// that fails on the node's own LAN is what client isolation looks like.
// One round runs at a time; it returns early when ctx ends or the node
// stops.
func (n *Node) ProbeDirect(ctx context.Context) netwatch.ProbeReport {
	n.watch.probing.Lock()
	defer n.watch.probing.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(n.ctx, cancel)
	defer stop()

	subnets, _ := netwatch.Subnets()
	var wg sync.WaitGroup
	tried := 0
	for _, p := range n.host.Network().Peers() {
		if tried >= probeMax || ctx.Err() != nil {
			break
		}
		if direct, relayed := n.connKinds(p); direct || !relayed || n.relays.has(p) {
			continue
		}
		ips := n.directIPs(p)
		if len(ips) == 0 {
			continue
		}
		tried++
		sameLAN := netwatch.OnSubnets(ips, subnets)
		wg.Go(func() {
			clearDialBackoff(n.host, p)
			dctx, cancel := context.WithTimeout(network.WithForceDirectDial(ctx, "starling doctor"), probeTimeout)
			_, err := n.host.Network().DialPeer(dctx, p)
			cancel()
			if err != nil && ctx.Err() != nil {
				return // not a probe's failure: the caller or the node stopped
			}
			n.watch.dials.Probed(p.String(), sameLAN, dialReason(err), err, n.cfg.Clock())
		})
	}
	wg.Wait()
	_, probes, _ := n.watch.dials.Report()
	return probes
}
