// Package relay holds what an organiser relay adds to a node: the ACL that
// decides who may reserve a slot and open circuits (open, or only peers
// that presented a ticket from a current invite), and its Prometheus
// metrics. The node runs the circuit relay service itself
// (peering.RelayService); cmd/starling's `relay` command wires the two.
package relay
