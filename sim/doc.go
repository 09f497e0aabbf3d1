// Package sim is Starling's simulator: it runs a scenario with real node
// code (gossip, an in-memory store, catch-up, groups, relays and relay
// circuits) for every simulated attendee, many nodes in one process, on an
// in-memory network, and measures what happens. The network's connections
// are in-memory streams with each link's latency, bandwidth, loss and
// cuts (package sim/streamnet, the default, light enough for 10,000
// nodes), or, with link.transport quic, QUIC over marcopolo/simnet's
// packets (go-libp2p's x/simlibp2p approach: every handshake and
// retransmission real, at several times the CPU and memory).
//
// A Scenario, read strictly from YAML (ReadFile, Parse, Builtin; see
// sim/scenarios), sets the nodes (attendees, relays, attackers), the
// groups, the topology (lan, isolated Wi-Fi, rooms, random graph), the
// links (latency, jitter, bandwidth, loss), churn, partitions, relay
// outages, the message load, organiser alerts (a private group's owner
// sends one; attendees' nodes acknowledge it on arrival, and the report's
// "alert" event times 50/90/99 % reach and counts the bytes) and the
// duration. A seed drives every random
// choice, so one scenario and seed always make the same plan: the same
// keys, addresses, connections, memberships, messages and event times.
//
// Run plays the plan and returns a report.Report: delivery ratio, latency
// percentiles (to the first member and to every member), bytes and
// duplicates per node, catch-up traffic, convergence after each heal and
// relay return, GossipSub queue drops, CPU per delivered message and heap
// per node. With Options.CompareBare it plays the same plan again with
// bare go-libp2p-pubsub set up like Starling's gossip (see bareFleet), so
// that Starling's overhead shows as ratios.
//
// Faults are injected where a real network has them: packets (or, on the
// streams, frames) are held or dropped as they leave and as they arrive
// (offline nodes, partitions, client isolation, random loss), so
// connections time out, nodes redial and
// catch-up recovers exactly as they would at an event. Churn takes a node
// offline without stopping it (Wi-Fi off, phone asleep): it keeps its
// store.
//
// # Time
//
// Run uses the time package only. Inside a testing/synctest bubble the
// whole run is on virtual time: a simulated minute costs only the CPU it
// needs, CPU contention does not show up as latency, and two runs of one
// seed agree on every delivery (latencies to within the order in which
// goroutines run inside one instant, and GossipSub's own unseeded random
// choices). `go test ./sim -run TestScenario -sim.scenario NAME` runs a
// scenario that way. Outside a bubble, as `starling-sim` runs it, the
// same code runs on real time; the report's clock event says which.
//
// One deviation from production, forced by synctest: yamux (the muxer of
// relayed connections) runs without its keepalive, whose goroutine can
// stall a bubble (see memnet.Options).
//
// The package must not be imported by node or anything below it: it
// drives nodes from outside, through their public API only.
package sim
