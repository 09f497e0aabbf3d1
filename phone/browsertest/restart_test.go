package browsertest

import (
	"testing"
)

// TestPhoneRelayRestart: the relay the phone depends on stops; while it is
// down the laptop sends (its message waits in its outbox) and the phone
// posts (it waits in the page's outbox); the relay comes back on the same
// port, the phone redials it on its own and both messages arrive, by
// gossip or catch-up.
func TestPhoneRelayRestart(t *testing.T) {
	requireEngine(t)
	browser := newBrowser(t)
	e := newEvent(t, "hall", "open")
	relayNode, laptop, link := e.relay, e.laptop, e.link
	laptop.send("hall", "before the restart")

	p := newPhone(t, browser, "phone")
	p.start(relayNode.pageWithInvite(link), "erin")
	p.waitGroup("hall")
	p.waitText("before the restart")

	relayID := jsString(relayNode.node.ID().String())
	relayNode.stop()
	p.waitJS("the phone notices the relay is gone", `!__phone.net.peers().includes(`+relayID+`)`)
	laptop.send("hall", "sent while the relay was down")
	p.post("posted while the relay was down")
	p.waitJS("the phone's post waits in its outbox", `[...__phone.delivery.values()].some(d => d.state === 'queued')`)
	p.screenshot("phone-relay-down")

	before := relayNode.wsAddr()
	relayNode.restart()
	t.Logf("the relay listened on %s and listens on %s after its restart", before, relayNode.wsAddr())
	p.waitJS("the phone reconnects to the relay", `__phone.net.peers().includes(`+relayID+`)`)
	p.waitText("sent while the relay was down")
	laptop.waitHistory("hall", "posted while the relay was down")
	p.waitJS("the outbox is empty", `![...__phone.delivery.values()].some(d => d.state === 'queued')`)
	p.screenshot("phone-relay-back")
}
