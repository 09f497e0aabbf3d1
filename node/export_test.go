package node

// PeriodicRounds counts the groups' periodic catch-up rounds, and those of
// them that started no session, every peer of the group being in step
// (quiet.go).
func (n *Node) PeriodicRounds() (rounds, skipped uint64) {
	n.sync.mu.Lock()
	defer n.sync.mu.Unlock()
	return n.sync.rounds, n.sync.skipped
}
