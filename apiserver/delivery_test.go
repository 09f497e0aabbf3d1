package apiserver_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"

	"starling/api"
	"starling/delivery"
	"starling/group"
	"starling/message"
	"starling/relay"
	"starling/store"
)

// Watch hears delivery updates of the watched group only, after the
// messages they belong to; Events ignores them.
func TestWatchDeliveries(t *testing.T) {
	b := newFakeBackend(t)
	for _, name := range []string{"lobby", "talks"} {
		if _, err := b.Join(context.Background(), name); err != nil {
			t.Fatal(err)
		}
	}
	s := startServer(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	got, done := make(chan api.Event, 16), make(chan error, 1)
	go func() {
		done <- s.client.Watch(ctx, "lobby", nil, func(e api.Event) error { got <- e; return nil })
	}()
	defer func() { cancel(); <-done }()
	sub := b.subscription(t)

	talks, lobby := stored(t, b, "talks", "elsewhere"), stored(t, b, "lobby", "here")
	b.deliveries <- delivery.Status{ID: talks.Msg.ID, Group: talks.Msg.Body.Group, State: delivery.Sent, Peers: 1}
	sub.send(lobby)
	b.deliveries <- delivery.Status{ID: lobby.Msg.ID, Group: lobby.Msg.Body.Group, State: delivery.Relayed, Peers: 3, Relays: 1, At: time.Now()}

	next := func() api.Event {
		t.Helper()
		select {
		case e := <-got:
			return e
		case err := <-done:
			t.Fatalf("the stream ended: %v", err)
		case <-time.After(waitTimeout):
			t.Fatalf("no event within %s", waitTimeout)
		}
		return api.Event{}
	}
	// The two subscriptions are read concurrently, so the message and the
	// lobby's delivery may come in either order; talks' never comes.
	var sawMessage, sawDelivery bool
	for range 2 {
		switch e := next(); {
		case e.Message != nil:
			sawMessage = e.Message.ID == lobby.Msg.ID.String()
		case e.Delivery != nil:
			d := *e.Delivery
			if d.ID != lobby.Msg.ID.String() || d.Group != "lobby" || d.State != "relayed" || d.Peers != 3 || d.Relays != 1 {
				t.Errorf("delivery event %+v, want the lobby message relayed to 3 peers, 1 relay", d)
			}
			sawDelivery = true
		}
	}
	if !sawMessage || !sawDelivery {
		t.Errorf("saw the message: %v, its delivery: %v", sawMessage, sawDelivery)
	}
}

// Status lists the relays; history shows the delivery of own messages.
func TestStatusRelaysAndHistoryDelivery(t *testing.T) {
	b := newFakeBackend(t)
	relayID := fixedPeerID(t, "relay")
	b.relays = []relay.Link{{ID: relayID, Addrs: []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/4002")}, Connected: true, Reserved: true}}
	s := startServer(t, b)
	var st api.Status
	s.get(t, http.MethodGet, "/v1/status", "", &st)
	if len(st.Relays) != 1 || st.Relays[0].PeerID != relayID.String() || !st.Relays[0].Connected || !st.Relays[0].Reserved ||
		len(st.Relays[0].Addrs) != 1 {
		t.Errorf("status relays = %+v", st.Relays)
	}

	if _, err := b.Join(context.Background(), "lobby"); err != nil {
		t.Fatal(err)
	}
	b.sendPeers = 2
	resp, err := s.client.Send(context.Background(), "lobby", "hello")
	if err != nil {
		t.Fatal(err)
	}
	if d := resp.Message.Delivery; d == nil || d.State != "sent" || d.Peers != 2 || d.Group != "lobby" {
		t.Errorf("send answered delivery %+v, want sent to 2 peers", d)
	}
	page, err := s.client.History(context.Background(), "lobby", 10, true, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 1 || page.Messages[0].Delivery == nil || page.Messages[0].Delivery.State != "sent" ||
		page.Messages[0].Delivery.Peers != 2 {
		t.Errorf("history = %+v, want the message sent to 2 peers", page.Messages)
	}
}

// History and the stream show deletions (kind "delete", Ref the deleted
// message, Text the reason) beside texts, and no other control message.
func TestDeletionsShown(t *testing.T) {
	b := newFakeBackend(t)
	if _, err := b.Join(context.Background(), "lobby"); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, b)
	st := startStream(t, s, "lobby")
	sub := b.subscription(t)

	text := stored(t, b, "lobby", "oops")
	payload, err := group.EncodePayload(group.Delete{Target: text.Msg.ID, Reason: "typo"})
	if err != nil {
		t.Fatal(err)
	}
	del, err := message.Sign(b.user.PrivateKey(), message.Body{Group: text.Msg.Body.Group,
		SentAtMS: message.TimeMS(time.Now()), Kind: message.KindDelete, Ref: text.Msg.ID, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	sub.send(text)
	sub.send(store.Stored{Msg: del, Origin: store.OriginGossip, ReceivedAt: time.Now()})
	if got := st.next(t); got.ID != text.Msg.ID.String() {
		t.Fatalf("first event %+v, want the text", got)
	}
	got := st.next(t)
	if got.Kind != "delete" || got.Ref != text.Msg.ID.String() || got.Text != "typo" {
		t.Errorf("deletion shown as %+v, want kind delete, ref %s, text typo", got, text.Msg.ID)
	}
}
