package peering

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
)

// The service's side of `starling doctor`: what it sees of its network
// that its connections do not say (package netwatch), reported by Network.
// Connect reports each dial's outcome (dialed), the reservation loop each
// reservation's, and Run starts the mDNS listener beside mDNS discovery.
//
// Nothing here sends a packet on its own: the direct probes (ProbeDirect)
// run only when asked (`starling doctor`), so neither a venue's network nor
// the simulator's figures carry traffic for diagnosis.

// Direct probes: how many peers one round tries, each within how long.
const (
	probeMax     = 8
	probeTimeout = 5 * time.Second
)

// watch holds the service's network facts.
type watch struct {
	mdns    *netwatch.MDNS // nil when mDNS is off
	dials   *netwatch.Dials
	probing sync.Mutex // one round of probes at a time
}

func newWatch(cfg Config) *watch {
	w := &watch{dials: netwatch.NewDials()}
	if cfg.MDNS {
		w.mdns = netwatch.NewMDNS(netwatch.MDNSConfig{
			Service: cfg.MDNSService,
			Clock:   cfg.Clock,
			Logger:  cfg.Logger.With("component", "mdns-watch"),
		})
	}
	return w
}

// dialed records the outcome of one of the service's own dials; ctx is
// the caller's, before the dial's own timeout. A dial that was not really
// tried (the caller gave up or is stopping, libp2p's backoff) is not
// counted; one that ran out of time is.
func (sv *Service) dialed(ctx context.Context, p peer.ID, err error) {
	if err != nil && (errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, swarm.ErrDialBackoff) ||
		(errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded))) {
		return
	}
	sv.watch.dials.Dialed(p.String(), sv.relays.has(p), dialReason(err), err, sv.cfg.Clock())
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

// Network reports what the service knows of its network: mDNS heard,
// dials and their failures, peers by how they are connected. The clock's
// offset is the node's to add (it reads messages).
func (sv *Service) Network() netwatch.Report {
	r := netwatch.Report{Now: sv.cfg.Clock(), Relay: sv.cfg.RelayService != nil}
	if sv.watch.mdns != nil {
		r.MDNS = sv.watch.mdns.Report()
	}
	r.Dials, r.Probes, r.Relays = sv.watch.dials.Report()
	r.Subnets, _ = netwatch.Subnets() // none known: no peer counts as on the LAN
	for _, p := range sv.host.Network().Peers() {
		if sv.relays.has(p) {
			continue
		}
		switch direct, relayed := sv.connKinds(p); {
		case direct:
			r.DirectPeers++
		case relayed:
			r.RelayedPeers++
			if netwatch.OnSubnets(sv.directIPs(p), r.Subnets) {
				r.RelayedSameLAN++
			}
		}
	}
	return r
}

// connKinds says whether the host has direct and relayed connections to p.
func (sv *Service) connKinds(p peer.ID) (direct, relayed bool) {
	for _, c := range sv.host.Network().ConnsToPeer(p) {
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
// that the host knows.
func (sv *Service) directIPs(p peer.ID) []netip.Addr {
	var out []netip.Addr
	for _, a := range sv.host.Peerstore().Addrs(p) {
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

// ProbeDirect dials directly, once, up to probeMax of the peers the host
// reaches only through a relay and that have a direct address, in
// parallel, each within probeTimeout, and returns the probes' counts since
// the service started. A probe that succeeds leaves a direct connection;
// one that fails on the node's own LAN is what client isolation looks
// like. One round runs at a time; it returns early when ctx ends or the
// service's Run does.
func (sv *Service) ProbeDirect(ctx context.Context) netwatch.ProbeReport {
	sv.watch.probing.Lock()
	defer sv.watch.probing.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sv.goMu.Lock()
	run := sv.ctx
	sv.goMu.Unlock()
	if run == nil {
		run = context.Background() // not running yet: only ctx bounds it
	}
	stop := context.AfterFunc(run, cancel)
	defer stop()

	subnets, _ := netwatch.Subnets()
	var wg sync.WaitGroup
	tried := 0
	for _, p := range sv.host.Network().Peers() {
		if tried >= probeMax || ctx.Err() != nil {
			break
		}
		if direct, relayed := sv.connKinds(p); direct || !relayed || sv.relays.has(p) {
			continue
		}
		ips := sv.directIPs(p)
		if len(ips) == 0 {
			continue
		}
		tried++
		sameLAN := netwatch.OnSubnets(ips, subnets)
		wg.Go(func() {
			clearDialBackoff(sv.host, p)
			dctx, cancel := context.WithTimeout(network.WithForceDirectDial(ctx, "starling doctor"), probeTimeout)
			_, err := sv.host.Network().DialPeer(dctx, p)
			cancel()
			if err != nil && ctx.Err() != nil {
				return // not a probe's failure: the caller or the service stopped
			}
			sv.watch.dials.Probed(p.String(), sameLAN, dialReason(err), err, sv.cfg.Clock())
		})
	}
	wg.Wait()
	_, probes, _ := sv.watch.dials.Report()
	return probes
}
