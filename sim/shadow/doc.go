// Package shadow exports a simulator scenario to Shadow
// (https://shadow.github.io), which runs real binaries over a simulated
// network in simulated time and so reaches tens of thousands of hosts, and
// reads such a run's events back into the simulator's report.
//
// # The export
//
// Export writes a directory:
//
//	shadow.yaml        Shadow's configuration: general (seed, stop_time),
//	                   network (the graph file, use_shortest_path false) and
//	                   one host per relay and attendee, each running one
//	                   starling process
//	network.gml        the network graph (see below)
//	scripts/NAME.jsonl each sending host's load (simhost's script format)
//	scenario.yaml      the scenario as exported, defaults filled in
//	export.json        the manifest: scenario, seed, the scenario's time
//	                   zero on the hosts' clocks, and every host's name,
//	                   role, address and peer ID
//
// Run it with `cd DIR && shadow shadow.yaml`: Shadow runs each host in
// DIR/shadow.data/hosts/NAME, where the host's process writes its event log,
// events.jsonl, and its API record (--home .). ReadRun then reads those logs
// into the simulator's report (`starling-sim shadow report DIR`).
//
// Each host runs `starling up` (an attendee) or `starling relay` with keys
// derived from its name (--derive-keys, so every host knows every peer ID
// in advance), an in-memory store, no mDNS, TCP only on ADDR:4001 (as
// libp2p's own GossipSub interop tests run under Shadow), its static peers
// and relays as the simulator's plan has them, its groups joined at start,
// its script timed from the scenario's zero (--script, --script-start) and
// its event log (--events). A private group's invite links come from the
// member who creates it, so it is handed over in files, as an organiser hands
// out QR codes before the event: its creator runs --create-private NAME and
// writes NAME.link and NAME.carrier to DATA/invites (--invites ../../invites),
// where its members (--join-invite NAME) and the relays (--carry-invite NAME)
// wait for them at start. Shadow's clock starts at 2000-01-01 00:00:00
// UTC; the processes start at 1 s, which is the scenario's zero, and get
// SIGTERM when the scenario ends, then write their counters and exit 0.
//
// # The network graph
//
// Shadow attaches each host to a node of the graph and delays and drops its
// packets by the edge between the two hosts' nodes (use_shortest_path is
// false, so the graph is complete, self-loops included). A graph node
// stands for a class of hosts of one role whose reach to every other host
// is the same: all attendees of a LAN, the attendees of one room, the
// attendees of client-isolated Wi-Fi, the relays. Each node carries its
// hosts' bandwidth (the scenario's link.bandwidth, relay_bandwidth for
// relays), each edge the scenario's latency and loss, or a loss of 1 where
// the topology gives no path (two attendees on isolated Wi-Fi; two rooms).
// Rooms and bridge attendees each make a class; a random graph makes a
// class of every attendee, so it exports only up to MaxGraphNodes of them.
//
// # What does not export
//
// Shadow's network is fixed for a run and runs only the processes it is
// given, so Export refuses attackers (raw pubsub hosts inside the
// simulator), churn, partitions and relay outages. It exports with a
// note what Shadow only approximates: jitter (Shadow's edge jitter is not
// implemented), node.sync_interval (the daemon has no flag for it),
// node.store disk (hosts keep their stores in memory), and QUIC (the
// simulator's transport) becomes TCP.
package shadow
