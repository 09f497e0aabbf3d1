package node_test

import (
	"context"
	"testing"

	"starling/delivery"
	"starling/message"
)

// A message sent with nobody around is queued; when a peer arrives the
// outbox hands it over (sent to 1); once a relay is in the group, a
// complete catch-up session with it leaves it with the relay (relayed),
// and a new message goes to the relay directly. Subscribers see each step.
func TestDeliveryStates(t *testing.T) {
	t.Parallel()
	virtual(t, testDeliveryStates)
}

func testDeliveryStates(t *testing.T) {
	r := startNode(t, "relay", asRelay(nil))
	alice := startNode(t, "alice", withRelay(r))
	updates, errf := alice.SubscribeDeliveries(context.Background())
	defer errf()
	alice.join(t, "hall")

	m, peers, err := alice.Send(context.Background(), "hall", "anyone?")
	if err != nil || peers != 0 {
		t.Fatalf("send with nobody in the group: %d peers, %v", peers, err)
	}
	state := func() delivery.Status { s, _ := alice.Delivery(m.ID); return s }
	if s := state(); s.State != delivery.Queued {
		t.Fatalf("with nobody in the group the message is %v, want queued", s.State)
	}

	bob := startNode(t, "bob")
	bob.join(t, "hall")
	connect(t, bob, alice)
	waitUntil(t, "alice hands the queued message to bob", func() bool { return state().State == delivery.Sent },
		func() string { return state().State.String() })
	if s := state(); s.Peers != 1 || s.Relays != 0 {
		t.Errorf("sent to bob: %d peers and %d relays, want 1 and 0", s.Peers, s.Relays)
	}

	r.join(t, "hall")
	waitTopicPeers(t, "hall", alice, r)
	waitUntil(t, "a catch-up session with the relay vouches for alice's message", func() bool {
		if _, err := alice.Sync(context.Background(), "hall"); err != nil {
			t.Fatal(err)
		}
		return state().State == delivery.Relayed
	}, func() string { return state().State.String() })
	if s := state(); s.Peers != 2 || s.Relays != 1 {
		t.Errorf("held by the relay: %d peers and %d relays, want 2 and 1", s.Peers, s.Relays)
	}
	if n, _ := r.Count(m.Body.Group); n != 1 {
		t.Errorf("the relay stores %d messages of the group, want 1", n)
	}

	var seen []delivery.State
	for len(seen) < 3 {
		u := <-updates
		if u.ID != m.ID {
			t.Fatalf("an update for another message: %+v", u)
		}
		seen = append(seen, u.State)
	}
	want := []delivery.State{delivery.Queued, delivery.Sent, delivery.Relayed}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("subscriber saw %v, want %v", seen, want)
		}
	}

	direct := alice.send(t, "hall", "the relay is here")
	if s, _ := alice.Delivery(direct.ID); s.State != delivery.Relayed || s.Peers != 2 || s.Relays != 1 {
		t.Errorf("a message sent with the relay in the group: %+v, want relayed to 2 peers, 1 relay", s)
	}

	// A message of someone else has no delivery here.
	if _, ok := alice.Delivery(message.ID{1}); ok {
		t.Error("a message alice never sent has a delivery")
	}
}
