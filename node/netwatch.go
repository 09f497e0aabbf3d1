package node

import (
	"context"

	"starling/netwatch"
	"starling/store"
)

// The node's side of `starling doctor`: what it sees of its network that
// its connections do not say. Package peering keeps the facts of the host
// (mDNS heard, dials, reservations, peers by how they are connected,
// direct probes); the node adds the clock's offset against its peers',
// which only messages tell: catchup.go's stored hands each committed batch
// to clockSamples.

// clockSamples samples the peers' clocks from the messages that arrived
// live: by catch-up they may be hours old, and the user's own say
// nothing. It runs on the store's writer goroutine, so it only takes a
// lock.
func (n *Node) clockSamples(batch []store.Stored) {
	for _, s := range batch {
		if s.Origin == store.OriginGossip {
			n.clock.Observe(string(s.Msg.Body.Author), s.Msg.Body.SentAt(), s.ReceivedAt)
		}
	}
}

// Network reports what the node knows of its network: mDNS heard, dials
// and their failures, peers by how they are connected, the clock's offset.
func (n *Node) Network() netwatch.Report {
	r := n.peers.Network()
	r.Clock = n.clock.Report(n.cfg.Clock())
	return r
}

// ProbeDirect dials directly, once, some of the peers the node reaches only
// through a relay, and returns the probes' counts since the node started
// (peering.Service.ProbeDirect).
func (n *Node) ProbeDirect(ctx context.Context) netwatch.ProbeReport {
	return n.peers.ProbeDirect(ctx)
}
