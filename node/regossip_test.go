package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"starling/node"
	"starling/store"
)

func withDropGossip(share float64) option { return func(c *node.Config) { c.DropGossip = share } }

// A message a node learns by catch-up reaches the rest of its group by
// gossip, without waiting for their own rounds (issue 17, goal 5). bob
// loses every gossip message (DropGossip 1), so what he holds of alice's
// came by catch-up; carol hears only bob, and her periodic catch-up is an
// hour away: she gets alice's message only if bob passes it on.
func TestCatchupLearntIsGossiped(t *testing.T) {
	t.Parallel()
	alice := startNode(t, "alice", withSyncInterval(time.Hour))
	bob := startNode(t, "bob", withSyncInterval(time.Hour), withDropGossip(1))
	carol := startNode(t, "carol", withSyncInterval(time.Hour))
	for _, n := range []*testNode{alice, bob, carol} {
		n.join(t, "lobby")
	}
	connect(t, bob, carol)
	waitTopicPeers(t, "lobby", bob, carol)

	m, peers, err := alice.Send(context.Background(), "lobby", "while nobody listened")
	if err != nil || peers != 0 {
		t.Fatalf("alice's send = %d peers, %v; want queued with nobody around", peers, err)
	}
	connect(t, alice, bob)

	held := func(n *testNode) (store.Origin, bool) {
		st, err := n.Store().Get(m.ID)
		if err != nil {
			return 0, false
		}
		return st.Origin, true
	}
	waitUntil(t, "bob to learn alice's message by catch-up", func() bool {
		o, ok := held(bob)
		return ok && o == store.OriginCatchup
	})
	waitUntil(t, "carol to get it from bob by gossip", func() bool {
		o, ok := held(carol)
		return ok && o == store.OriginGossip
	}, func() string {
		sent, dropped := bob.Regossiped()
		return fmt.Sprintf("bob passed on %d and dropped %d", sent, dropped)
	})
	if sent, _ := bob.Regossiped(); sent < 1 {
		t.Errorf("bob.Regossiped() sent = %d, want at least 1", sent)
	}
	if _, ok := held(alice); !ok {
		t.Error("alice no longer holds her own message")
	}
}
