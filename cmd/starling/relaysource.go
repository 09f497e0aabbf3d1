package main

import "starling/node"

// relaySource is the node as a relay's metrics read it (relay.Source).
type relaySource struct{ *node.Node }

func (s relaySource) GossipOutcomes() map[string]uint64 { return s.GossipStats().Map() }

func (s relaySource) CatchupServed() (sessions, messages uint64) {
	st := s.CatchupStats()
	return st.Sessions, st.Messages
}
