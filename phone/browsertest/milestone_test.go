package browsertest

import (
	"context"
	"testing"

	"starling/group"
)

// TestPhoneReceivesGossip is the first milestone: the page, from a name
// that is not a secure context, dials the organiser relay that served it
// over WebSockets, joins a channel's topic with Starling's GossipSub
// settings, and receives a message that a laptop node (connected to the
// relay over TCP) published.
func TestPhoneReceivesGossip(t *testing.T) {
	browser := newBrowser(t)
	relayNode := startDaemon(t, "relay", asRelay, withJoin("lobby"))
	laptop := startDaemon(t, "laptop", withPeers(relayNode), withJoin("lobby"))

	p := newPhone(t, browser, "phone")
	p.open(relayNode.pageURL())
	if secure := mustEval[bool](p, `isSecureContext || globalThis.crypto?.subtle != null`); secure {
		t.Fatal("the page is a secure context (or has crypto.subtle); the test must run it as http://LAN-IP does")
	}
	p.waitJS("the page's network starts", `globalThis.__phone?.net?.node != null`)
	gid, _, err := group.OpenChannelID("lobby")
	if err != nil {
		t.Fatal(err)
	}
	topic := group.Topic(gid)
	engine := hasEngine(t)
	if engine {
		// The engine judges every message, with the person's identity.
		p.start(relayNode.pageURL(), "milo")
		mustEval[any](p, `__phone.joinChannel("lobby").then(() => null)`)
	} else {
		// Without the engine the page accepts what it is given: this
		// proves the network alone.
		mustEval[any](p, `__phone.net.subscribe(`+jsString(topic)+`), null`)
	}
	p.waitJS("the page connects to the relay over /ws", `__phone.net.peers().includes(`+jsString(relayNode.node.ID().String())+`)`)
	p.waitJS("the relay is in the page's mesh for the topic", `__phone.net.meshPeers(`+jsString(topic)+`).length > 0`)

	text := "hello phone, from the laptop"
	if _, err := laptop.client.Send(context.Background(), "lobby", text); err != nil {
		t.Fatal(err)
	}
	p.waitJS("the page receives the laptop's message", `__phone.received.some(r => r.topic === `+jsString(topic)+` && new TextDecoder().decode(r.data).includes(`+jsString(text)+`))`)
	if engine {
		p.waitText(text)
	}
	p.screenshot("milestone")
}

// TestPhoneBadLink: a link that does not parse, or that lost its end (a
// QR code cut off), gets a clear line on the page and joins nothing.
func TestPhoneBadLink(t *testing.T) {
	requireEngine(t)
	browser := newBrowser(t)
	relayNode := startDaemon(t, "relay", asRelay)
	laptop := startDaemon(t, "laptop", withPeers(relayNode))
	if _, err := laptop.client.CreateGroup(context.Background(), "party", "open", nil); err != nil {
		t.Fatal(err)
	}
	link := laptop.invite("party", relayNode)
	p := newPhone(t, browser, "phone")
	for i, bad := range []string{"starling://join?g=zz", link[:len(link)-12]} {
		if i > 0 {
			mustEval[any](p, `document.getElementById('notice').hidden = true, null`)
		}
		p.start(relayNode.pageWithInvite(bad), "ivy")
		p.waitJS("the page says the link did not work", `!document.getElementById('notice').hidden && document.getElementById('notice').textContent.includes('link')`)
		t.Logf("the page says, for %.40q...: %s", bad, mustEval[string](p, `document.getElementById('notice').textContent`))
		if n := mustEval[int](p, `__phone.groups.size`); n != 0 {
			t.Fatalf("a bad link (%q) joined %d groups", bad, n)
		}
	}
	p.screenshot("phone-bad-link")
}
