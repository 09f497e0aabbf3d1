// Package doctor says in plain words why a node finds nobody, and what to
// do: it turns facts (the node's status from the local API, with its
// network block, and this machine's network interfaces) into findings,
// each a cause, the evidence, and one sentence of advice, most important
// first.
//
// The causes: no node running; no network at all; a full disk; no relay
// reachable, or none holding a reservation for this device; mDNS blocked on
// this device (it does not hear its own announcements), off, hearing no
// other device, or hearing no other Starling node; client isolation (peers
// on this LAN reachable only through a relay, direct dials to them
// failing); this clock far from the peers'; a disk almost full; and, when
// nothing explains it, no peer yet.
//
// Diagnose is a pure function of its Facts, so that `starling doctor`, the
// API's status (which the terminal chat and the web UI show) and the tests
// agree. The package links only the API's types and the standard library:
// every client may use it.
package doctor
