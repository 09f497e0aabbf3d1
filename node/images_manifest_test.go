package node_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"starling/group"
	"starling/media"
	"starling/media/mediapb"
	"starling/message"
	"starling/node"
	"starling/pictures"
)

// A manifest that declares a 10 MiB picture (40 times the wire limit) and
// lists the 171 chunks it would take is rejected from gossip before
// anything is fetched: the node stores it not, asks nobody for its chunks,
// and scores its sender down.
func TestImageHugeManifest(t *testing.T) {
	t.Parallel()
	virtual(t, func(t *testing.T) {
		alice := startNode(t, "alice", func(c *node.Config) { c.Images.Fetch = pictures.FetchAlways })
		alice.join(t, "lobby")
		lobby := groupID(t, "lobby")
		evil := newRawPeer(t, group.Topic(lobby))
		evil.connect(t, alice, lobby)
		_, key, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		const size = 10 << 20
		pb := &mediapb.Image{Format: mediapb.Format_FORMAT_JPEG, Width: 4000, Height: 3000, Size: size, Digest: make([]byte, 32)}
		for i := range media.ChunkCount(size) {
			id := message.ID{byte(i), byte(i >> 8), 1}
			pb.Chunks = append(pb.Chunks, id[:])
		}
		payload, err := proto.MarshalOptions{Deterministic: true}.Marshal(pb)
		if err != nil {
			t.Fatal(err)
		}
		m, err := message.Sign(key, message.Body{Version: message.Version, Group: lobby, Author: key.Public().(ed25519.PublicKey),
			SentAtMS: message.TimeMS(time.Now()), Kind: message.KindImage, Payload: payload})
		if err != nil {
			t.Fatal(err)
		}
		if err := evil.topic.Publish(context.Background(), m.Raw); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "alice to reject the manifest", func() bool { return alice.GossipStats().Rejected() >= 1 },
			func() string { return fmt.Sprint(alice.GossipStats().Map()) })
		if ok, _ := alice.Store().Has(m.ID); ok {
			t.Fatal("alice stored a manifest of 10 MiB")
		}
		waitUntil(t, "alice to score the sender down", func() bool { return alice.PeerScores()[evil.ID()] < 0 })
	})
}
