package node_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"starling/group"
	"starling/message"
)

// A peer running plain pubsub, with Starling's wire settings but no
// validator, publishes a forged and a malformed envelope on alice's topic.
// Alice rejects both, stores nothing, and keeps exchanging messages with an
// honest peer. (Each kind of bad input has its own test in gossip; this one
// checks that the node wires the validator in front of its store.)
func TestBadInputFromNetwork(t *testing.T) {
	t.Parallel()
	virtual(t, testBadInputFromNetwork)
}

func testBadInputFromNetwork(t *testing.T) {
	alice := startNode(t, "alice")
	carol := startNode(t, "carol")
	connect(t, carol, alice)
	alice.join(t, "lobby")
	carol.join(t, "lobby")
	waitTopicPeers(t, "lobby", alice, carol)
	sent := map[string][]*message.Message{"lobby": {carol.send(t, "lobby", "before the attack")}}
	requireConverged(t, []*testNode{alice, carol}, sent)

	lobby := groupID(t, "lobby")
	evil := newRawPeer(t, group.Topic(lobby))
	evil.connect(t, alice, lobby)

	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := message.EncodeText(message.Text{Text: "genuine words, forged signature"})
	if err != nil {
		t.Fatal(err)
	}
	genuine, err := message.Sign(key, message.Body{Group: lobby, SentAtMS: message.TimeMS(time.Now()), Kind: message.KindText, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Clone(genuine.Raw)
	forged[len(forged)-1] ^= 1 // the signature is the envelope's last field
	for _, data := range [][]byte{forged, []byte("this is not an envelope")} {
		if err := evil.topic.Publish(context.Background(), data); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "alice to reject both", func() bool {
		s := alice.GossipStats()
		return s.RejectedBadSignature == 1 && s.RejectedMalformed == 1
	})
	if s := alice.GossipStats(); s.Rejected() != 2 {
		t.Errorf("alice rejected %d messages, want 2: %v", s.Rejected(), s.Map())
	}
	if ok, err := alice.Store().Has(genuine.ID); err != nil || ok {
		t.Errorf("alice stored the forgery's ID: %v, %v", ok, err)
	}
	if n, err := alice.Count(lobby); err != nil || n != 1 {
		t.Errorf("alice's Count = %d, %v; want 1", n, err)
	}
	if err := alice.Store().Check(); err != nil {
		t.Error(err)
	}

	sent["lobby"] = append(sent["lobby"],
		carol.send(t, "lobby", "after the attack"),
		alice.send(t, "lobby", "still here"))
	requireConverged(t, []*testNode{alice, carol}, sent)
}
