// Package daemon runs a Starling daemon: a node, its local API (and the
// endpoint record other commands find it by), and, as configured, the web
// UI, an organiser relay's metrics, the groups it joins at start and a
// simulation's script and event log. Run starts them all under one
// errgroup and returns once every one has ended: when its context ends,
// when the node or the API stops, or when any of them fails.
//
// It is the composition root of `starling up` and `starling relay`; the
// command parses flags into a Config and prints what Run reports.
package daemon
