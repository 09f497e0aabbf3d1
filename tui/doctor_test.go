package tui

import (
	"testing"

	"starling/api"
)

// While the node has found nobody, the line above the status bar says why
// and what to do, from the daemon's findings; the disk's findings stay on
// their own line; once a peer is found, the line goes.
func TestChatSaysWhyNoPeer(t *testing.T) {
	groups := lobbyAndParty()
	groups[0].Peers = 0
	fake := newFake(groups...)
	fake.status.Peers = 0
	fake.status.Findings = []api.Finding{
		{Cause: "disk-almost-full", Severity: "warning", Summary: "The disk is almost full.", Advice: "Free space."},
		{Cause: "mdns-blocked", Severity: "problem", Summary: "mDNS is blocked on this device.", Advice: "Allow UDP port 5353."},
	}
	x := newHarness(t, fake, "lobby", 160, 20)
	why := "no peer found: mDNS is blocked on this device. Allow UDP port 5353."
	x.mustShow(why, "(starling doctor says more)")
	x.mustNotShow("cut off", "The disk is almost full")

	// Only the disk to speak of: the group's own warning comes back.
	fake.mu.Lock()
	fake.status.Findings = fake.status.Findings[:1]
	fake.mu.Unlock()
	x.send(tickMsg{})
	x.mustNotShow("no peer found")
	x.mustShow("cut off: no peer of this group is reachable")

	// A peer found: nothing to explain.
	fake.mu.Lock()
	fake.status.Findings = []api.Finding{{Cause: "mdns-blocked", Severity: "warning", Summary: "mDNS is blocked on this device.", Advice: "Allow it."}}
	fake.status.Peers = 1
	fake.status.Groups[0].Peers = 1
	fake.mu.Unlock()
	x.send(tickMsg{})
	x.mustNotShow("no peer found", "cut off", "mDNS is blocked")
}
