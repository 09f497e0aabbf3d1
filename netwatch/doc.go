// Package netwatch keeps what a node sees of its network that its open
// connections do not say: the mDNS traffic heard on the LAN (its own
// announcements looped back, other devices', other Starling nodes'), how
// its dials and reservations failed, and how far the clocks of the authors
// whose messages arrive live lie from its own. `starling doctor` (package
// doctor) turns these facts, through the local API's status, into findings
// a person can act on.
//
// It holds counters and small bounded tables, nothing a peer can grow: an
// mDNS packet is counted, never stored; dial outcomes and clock samples are
// kept for a bounded number of peers and authors. It links no libp2p and
// no store: the node feeds it (node/netwatch.go) and reads its Report.
package netwatch
