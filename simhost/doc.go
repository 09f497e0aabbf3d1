// Package simhost lets a real starling daemon take part in a simulation
// that runs real processes over a simulated or emulated network (Shadow,
// or the network lab's namespaces): it sends a scripted load on schedule
// and records, as JSON lines, what the simulator's report needs to know of
// the node: which planned message it sent when, every message it stored,
// when and how (gossip or catch-up), and its counters at the end.
//
// The formats are stable and versioned (Version): the simulator writes
// scripts (WriteScript) and reads events (ReadEvents) of processes it never
// linked. A script is one JSON object per line:
//
//	{"at":"10.5s","group":"lobby","msg":17,"text":"..."}
//
// at is the send's time after the script's start (the scenario's time
// zero, shared by every host), group the group as `starling send` names it,
// msg the simulator's index of the planned message, text what to send.
// An event is one JSON object per line with v (Version), t (RFC 3339 with
// nanoseconds), ev (the kind) and the kind's fields; see Event.
//
// Run drives a node through the small Node interface it declares, so that
// it links neither the daemon nor the simulator; cmd/starling wires it to
// the daemon's --script, --script-start and --events flags.
package simhost
