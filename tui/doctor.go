package tui

import (
	"starling/doctor"
)

// peerWarning is the warning line above the status bar while this node is
// cut off, "" when it is not: while it has found nobody at all, the
// doctor's top finding says why and what to do (the daemon's status
// carries the findings); else, while the group on screen has no peer
// reachable, that messages wait here.
func (m *model) peerWarning() string {
	if !m.statusKnown || m.lost() != nil {
		return ""
	}
	if f, ok := doctor.Why(&m.status); ok {
		return "no peer found: " + doctor.Line(f) + " (starling doctor says more)"
	}
	if m.cutOff() {
		return "cut off: no peer of this group is reachable; messages wait on this device"
	}
	return ""
}
