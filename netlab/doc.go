// Package netlab builds small networks out of Linux network namespaces on one
// machine and runs real `starling` processes in them, so that discovery,
// relays, NAT, partitions and packet loss are exercised by the same binary
// people run, over real sockets and a real kernel network stack.
//
// A Lab owns everything it makes: namespaces (named with the process ID and
// a sequence number, so parallel runs and stale leftovers never clash),
// bridges, veth pairs, routes, nftables rules and the daemons it starts. Its
// Close stops the daemons and deletes the namespaces, and it is meant to run
// on every exit path: deferred, and after a signal cancels the context.
//
// Topology:
//
//   - a Segment is one Ethernet: a Linux bridge in a namespace of its own and
//     an IPv4 subnet. Its nftables rules (bridge family, forward hook) isolate
//     hosts from each other, partition them, or drop a share of all frames
//     (`numgen random mod 100 < N drop`).
//   - a Host is a namespace with one veth port on a segment, an address, and
//     either a default route through the segment's NAT or, lacking one, a
//     route for 224.0.0.0/4 so that mDNS works.
//   - a NAT is a router namespace between an inside and an outside segment
//     that masquerades the inside's traffic and, like a router's firewall,
//     drops whatever arrives on the outside unasked; so two NATs let a hole
//     be punched through them, as at real venues.
//
// The public segment of the NAT scenarios uses a public range (see
// publicSubnet): libp2p punches holes only from public addresses. It is
// lab-only like every other address here.
//
// Hosts run starling through `ip netns exec`, one process per command, with
// daemons in the background; the lab talks to them only through the command
// line (`id --json`, `send --json`, `log --json`, `peers --json`).
//
// RunExport runs the hosts of a simulator scenario's Shadow export the way
// Shadow would, each at its exported address with its exported arguments,
// writing its event log: the export's proof on real sockets. It takes the
// export as plain data (Export), so that netlab links neither the simulator
// nor the node; cmd/netlab reads the export's files (package sim/shadow)
// into it and the logs into the simulator's report.
//
// Scenarios (Scenarios, Lookup) put these together and check that every
// message reaches every host; cmd/netlab and this package's tests run them.
// Everything here needs root, iproute2 and nftables. The package sends
// traffic only inside the namespaces it created: nothing touches the
// machine's own interfaces.
package netlab
