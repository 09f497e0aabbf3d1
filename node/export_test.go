package node

// PeriodicRounds counts the groups' periodic catch-up rounds, and those of
// them that started no session, every peer of the group being in step
// (quiet.go).
func (n *Node) PeriodicRounds() (rounds, skipped uint64) {
	return n.sched.Rounds()
}

// DroppedGossip counts the gossip messages Config.DropGossip dropped.
func (n *Node) DroppedGossip() uint64 { return n.in.dropped.Load() }

// Regossiped is how many messages learnt by catch-up this node passed on
// by gossip, and how many it could not (queue full, nobody to tell).
func (n *Node) Regossiped() (sent, dropped uint64) {
	return n.regossip.sent.Load(), n.regossip.dropped.Load()
}

// Draining reports whether drainOutbox runs (or is about to start).
func (n *Node) Draining() bool { return n.outboxLoop.Running() }
