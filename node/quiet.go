package node

import (
	"starling/catchup/schedule"
	"starling/message"
)

// summary is a group's cheap summary for the catch-up scheduler's quiet
// rounds (catchup/schedule): a session with a peer found in step at the
// same summary could only bring what the peer learnt.
func (n *Node) summary(g message.GroupID) schedule.Summary {
	return schedule.Summary{Version: n.versions.version(g), View: n.view(g)}
}
