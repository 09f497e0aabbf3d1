package node_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"starling/message"
)

// A peer that serves a forged message in one group is banned from that
// group's catch-up alone: the same peer still serves the node's other group,
// and the two stay connected. Before, one bad message cost the peer catch-up
// in every group and its connection.
func TestBadMessageInOneGroupSparesOthers(t *testing.T) {
	t.Parallel()
	virtual(t, testBadMessageInOneGroupSparesOthers)
}

func testBadMessageInOneGroupSparesOthers(t *testing.T) {
	lobby, talks := groupID(t, "lobby"), groupID(t, "talks")
	alice := startNode(t, "alice", withSyncInterval(time.Hour))
	mallory := startNode(t, "mallory", withSyncInterval(time.Hour))
	alice.join(t, "lobby")
	mallory.join(t, "lobby", "talks")

	// Mallory holds a forged message in lobby (a node that validates
	// nothing) and three genuine ones in talks that alice lacks.
	genuine := signBody(t, mallory.User(), message.Body{Group: lobby, Kind: message.KindText, Payload: textPayload(t, "genuine")})
	forgedRaw := slices.Clone(genuine.Raw)
	forgedRaw[len(forgedRaw)-1] ^= 1
	forged, err := message.Decode(forgedRaw)
	if err != nil {
		t.Fatal(err)
	}
	mallory.inject(t, forged)
	var history []*message.Message
	for i := range 3 {
		m := signBody(t, mallory.User(), message.Body{Group: talks, Kind: message.KindText,
			Payload: textPayload(t, fmt.Sprintf("talks #%d", i))})
		mallory.inject(t, m)
		history = append(history, m)
	}

	connect(t, alice, mallory)
	waitTopicPeers(t, "lobby", alice, mallory)
	catchUpUntilPenalized(t, alice, lobby, mallory.ID())

	alice.join(t, "talks")
	waitUntil(t, "alice to see mallory in talks", func() bool { return slices.Contains(alice.GroupPeers(talks), mallory.ID()) })
	waitUntil(t, "alice to catch up on talks from mallory", func() bool {
		if alice.has(history...) {
			return true
		}
		if _, err := alice.Sync(context.Background(), "talks"); err != nil {
			t.Logf("sync: %v", err)
		}
		return false
	})
	if !alice.connectedTo(mallory.ID()) {
		t.Error("alice disconnected mallory")
	}
	if alice.has(forged) {
		t.Error("alice stored the forged message")
	}
}

func textPayload(t testing.TB, text string) []byte {
	t.Helper()
	p, err := message.EncodeText(message.Text{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
