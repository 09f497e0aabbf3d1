// Package node wires a Starling peer together: the libp2p host, discovery
// (mDNS, static peers, remembered peers), gossip, the store and the outbox.
// It owns their lifecycle and is the Go API that cmd, api, sim and tests use.
//
// New acquires everything (the store's lock, listening sockets) so that its
// errors come back at once; Run runs the node until its context ends and
// then releases everything. Close releases a node whose Run was never
// called. Nothing but cmd, sim and tests imports this package.
package node
