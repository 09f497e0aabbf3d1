package daemon

import (
	"context"
	"fmt"
	"net"

	ma "github.com/multiformats/go-multiaddr"

	"starling/node"
	"starling/peering"
	"starling/relay"
)

// relayService makes the node an organiser relay: the ACL Config.Relay
// names, metrics that trace the relay service, and its mesh degree.
func relayService(r *Relay) (*peering.RelayService, *relay.Metrics) {
	acl := relay.NewACL(r.ACL, nil)
	m := relay.NewMetrics(acl)
	return &peering.RelayService{ACL: acl, Tracer: m, Registerer: m.Registry(), MeshDegree: r.MeshDegree}, m
}

// startMetrics listens for an organiser relay's metrics and has them read
// the node too.
func (d *daemon) startMetrics() (job, error) {
	addr := d.cfg.Relay.Metrics
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return job{}, &ListenError{What: "metrics", Addr: addr, Err: err}
	}
	d.undo = append(d.undo, func() error { ln.Close(); return nil })
	d.metrics.Watch(relaySource{d.n})
	d.started.Metrics = ln.Addr()
	fmt.Fprintf(d.cfg.Out, "metrics http://%s/metrics\n", ln.Addr())
	log := d.cfg.Logger.With("component", "metrics")
	return job{name: "metrics", run: func(ctx context.Context) error { return d.metrics.ServeListener(ctx, ln, log) }}, nil
}

// relaySource is the node as a relay's metrics read it (relay.Source).
type relaySource struct{ *node.Node }

func (s relaySource) GossipOutcomes() map[string]uint64 { return s.GossipStats().Map() }

func (s relaySource) CatchupServed() (sessions, messages uint64) {
	st := s.CatchupStats()
	return st.Sessions, st.Messages
}

func (s relaySource) Alerts() relay.AlertFigures {
	a := s.Node.Alerts()
	st := a.Stats()
	f := relay.AlertFigures{AcksIn: st.AcksIn, AcksRefused: st.AcksRejected, Offers: st.OffersSent, Taken: st.Taken}
	for _, r := range a.All() {
		f.Reach = append(f.Reach, relay.AlertReach{Alert: r.ID.Short(), Group: r.Group.Short(), Reached: r.Acked, Devices: r.Devices})
	}
	return f
}

// PhonePeers counts the connected peers whose every connection is over
// WebSocket: phones, whose browsers dial nothing else (a node with a TCP or
// QUIC connection too is a laptop).
func (s relaySource) PhonePeers() int {
	nw := s.Host().Network()
	n := 0
	for _, p := range nw.Peers() {
		conns := nw.ConnsToPeer(p)
		phone := len(conns) > 0
		for _, c := range conns {
			phone = phone && overWebSocket(c.LocalMultiaddr())
		}
		if phone {
			n++
		}
	}
	return n
}

func overWebSocket(a ma.Multiaddr) bool {
	for _, c := range a {
		if code := c.Protocol().Code; code == ma.P_WS || code == ma.P_WSS {
			return true
		}
	}
	return false
}
