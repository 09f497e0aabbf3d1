// Package peering keeps a Starling node connected: the libp2p host and its
// resource limits, LAN discovery (mDNS, only inside a network you own),
// static peers redialled with backoff, the peers remembered from earlier
// runs, organiser relays (kept connected, reserved on, handed this node's
// tickets) and hole punching through them. On an organiser relay it also
// runs the circuit relay service and checks the tickets attendees present.
//
// It knows nothing of messages or groups beyond relay tickets: the node
// answers for those through Tickets, and remembers peers through
// KnownPeers. New listens at once, so that a taken port is an error at
// start-up; Run does the background work until its context ends.
package peering
