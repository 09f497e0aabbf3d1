package node_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"

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
	alice := startNode(t, "alice")
	carol := startNode(t, "carol")
	connect(t, carol, alice)
	alice.join(t, "lobby")
	carol.join(t, "lobby")
	waitTopicPeers(t, "lobby", alice, carol)
	sent := map[string][]*message.Message{"lobby": {carol.send(t, "lobby", "before the attack")}}
	requireConverged(t, []*testNode{alice, carol}, sent)

	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableRelay())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ps, err := pubsub.NewGossipSub(ctx, h,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(func(m *pb.Message) string {
			sum := sha256.Sum256(m.GetData())
			return string(sum[:])
		}),
		// Straight to every topic peer, without waiting for a mesh.
		pubsub.WithFloodPublish(true))
	if err != nil {
		t.Fatal(err)
	}
	lobby := groupID(t, "lobby")
	topic, err := ps.Join(group.Topic(lobby))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { topic.Close() })
	sub, err := topic.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Cancel)
	if err := h.Connect(ctx, alice.info()); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the attacker and alice to see each other on the topic", func() bool {
		return slices.Contains(topic.ListPeers(), alice.ID()) && slices.Contains(alice.GroupPeers(lobby), h.ID())
	})

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
		if err := topic.Publish(ctx, data); err != nil {
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
