package browsertest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/transport/websocket"
	"google.golang.org/protobuf/proto"

	"starling/gossip"
	"starling/group"
	"starling/message"
	"starling/message/messagepb"
)

// hostile is a Go peer that forwards anything: GossipSub with Starling's
// settings but a validator that accepts every message, on a /ws listener
// a phone can dial.
type hostile struct {
	host  host.Host
	topic *pubsub.Topic
}

func startHostile(t *testing.T, topic string) *hostile {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0/ws"), libp2p.Transport(websocket.New), libp2p.DisableRelay())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	opts, err := gossip.Settings(gossip.Config{}, func(context.Context, peer.ID, *pubsub.Message) pubsub.ValidationResult {
		return pubsub.ValidationAccept
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ps, err := pubsub.NewGossipSub(ctx, h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := ps.Join(topic)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tp.Subscribe(); err != nil {
		t.Fatal(err)
	}
	return &hostile{host: h, topic: tp}
}

func (h *hostile) addr() string {
	return h.host.Addrs()[0].String() + "/p2p/" + h.host.ID().String()
}

// hostileLobby: a relay daemon in the open channel "lobby" serves the page
// to a phone that joins the channel and adds a hostile Go peer as a relay,
// through the page; setup, if not nil, prepares the peer before the phone
// dials it. It returns once each is on the other's topic.
func hostileLobby(t *testing.T, setup func(*hostile)) (*phone, message.GroupID, *hostile) {
	t.Helper()
	requireEngine(t)
	browser := newBrowser(t)
	relayNode := startDaemon(t, "relay", asRelay, withJoin("lobby"))
	gid, _, err := group.OpenChannelID("lobby")
	if err != nil {
		t.Fatal(err)
	}
	topic := group.Topic(gid)
	evil := startHostile(t, topic)
	if setup != nil {
		setup(evil)
	}
	p := newPhone(t, browser, "phone")
	p.start(relayNode.pageURL(), "carol")
	mustEval[any](p, `__phone.joinChannel("lobby").then(() => null)`)
	p.do(chromedp.Click(chromedp.CSS("#open-drawer")), chromedp.Click(chromedp.CSS("#open-relay")),
		chromedp.SendKeys(chromedp.CSS("#relay-input"), evil.addr()), chromedp.Click(chromedp.CSS("#relay-submit")))
	p.waitJS("the relay dialog closes", `!document.getElementById('relay-dialog').open`)
	p.waitJS("the phone connects to the hostile peer", `__phone.net.peers().includes(`+jsString(evil.host.ID().String())+`)`)
	p.waitJS("the hostile peer is on the phone's topic", `__phone.net.topicPeers(`+jsString(topic)+`).includes(`+jsString(evil.host.ID().String())+`)`)
	waitFor(t, "the phone is on the hostile peer's topic", func() bool { return len(evil.topic.ListPeers()) > 0 })
	return p, gid, evil
}

// text signs a text by key in gid.
func signText(t *testing.T, key ed25519.PrivateKey, gid message.GroupID, text string) *message.Message {
	t.Helper()
	payload, err := message.EncodeText(message.Text{Text: text, Nick: "mallory"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := message.Sign(key, message.Body{Group: gid, SentAtMS: uint64(time.Now().UnixMilli()), Kind: message.KindText, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPhoneRejectsForgedEnvelope: a hostile Go peer the phone connects to
// (added as a relay) publishes a genuine message and then envelopes it
// forged: another text under the genuine signature, and a genuine body
// with a flipped signature bit. The phone's own engine rejects both (its
// GossipSub validator answers reject, as the daemon's does) and shows only
// the genuine one.
func TestPhoneRejectsForgedEnvelope(t *testing.T) {
	p, gid, evil := hostileLobby(t, nil)
	topic := group.Topic(gid)
	p.do(chromedp.Click(chromedp.CSS("#open-drawer")))
	p.screenshot("phone-drawer")
	p.do(chromedp.Click(chromedp.CSS("#close-drawer")))
	p.waitJS("the drawer closes", `!document.getElementById('app').classList.contains('drawer-open')`)

	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	genuine := signText(t, key, gid, `a genuine message from mallory <img src=x onerror="document.title='owned'">`)
	other := signText(t, key, gid, "a forged message: this text was never signed")
	forgedText, err := proto.Marshal(&messagepb.Envelope{Body: other.BodyBytes, Signature: genuine.Signature})
	if err != nil {
		t.Fatal(err)
	}
	flipped := signText(t, key, gid, "a genuine body under a broken signature")
	flippedSig := append([]byte(nil), flipped.Signature...)
	flippedSig[0] ^= 1
	forgedSig, err := proto.Marshal(&messagepb.Envelope{Body: flipped.BodyBytes, Signature: flippedSig})
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	for _, raw := range [][]byte{forgedText, forgedSig, genuine.Raw} {
		if err := evil.topic.Publish(ctx, raw); err != nil {
			t.Fatal(err)
		}
	}
	p.waitText(`a genuine message from mallory <img src=x onerror="document.title='owned'">`)
	if n := mustEval[int](p, `document.querySelectorAll('#messages img').length`); n != 0 || mustEval[string](p, `document.title`) == "owned" {
		t.Fatal("a message's text became markup on the page")
	}
	p.waitJS("the phone rejected both forgeries", `__phone.stats.rejected >= 2`)
	for _, s := range p.texts() {
		if s == "a forged message: this text was never signed" || s == "a genuine body under a broken signature" {
			t.Fatalf("the phone shows a forged envelope: %q", s)
		}
	}
	if n := mustEval[int](p, `__phone.received.filter(r => r.topic === `+jsString(topic)+`).length`); n != 1 {
		t.Errorf("gossip delivered %d messages to the page, want 1 (the genuine one)", n)
	}
	p.screenshot("phone-forged-rejected")
}
