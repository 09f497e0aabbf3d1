package delivery_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/delivery"
	"starling/message"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func newMsg(t *testing.T, g message.GroupID, at time.Time, text string) *message.Message {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := message.EncodeText(message.Text{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	m, err := message.Sign(key, message.Body{Group: g, Kind: message.KindText, SentAtMS: message.TimeMS(at), Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestStatesAdvance(t *testing.T) {
	var seen []delivery.Status
	tr := delivery.NewTracker(0, func() time.Time { return t0 }, func(s delivery.Status) { seen = append(seen, s) })
	g := message.GroupID{1}
	m := newMsg(t, g, t0, "hello")
	relay, a, b := peer.ID("relay"), peer.ID("a"), peer.ID("b")
	isRelay := func(p peer.ID) bool { return p == relay }

	tr.Queued(m)
	tr.Handed(m, []peer.ID{a, b}, isRelay)
	tr.Handed(m, []peer.ID{a}, isRelay) // nothing new: no report
	tr.Synced(g, relay, true, t0.Add(time.Second))

	want := []struct {
		state         delivery.State
		peers, relays int
	}{{delivery.Queued, 0, 0}, {delivery.Sent, 2, 0}, {delivery.Relayed, 3, 1}}
	if len(seen) != len(want) {
		t.Fatalf("got %d reports %+v, want %d", len(seen), seen, len(want))
	}
	for i, w := range want {
		if s := seen[i]; s.State != w.state || s.Peers != w.peers || s.Relays != w.relays || s.ID != m.ID {
			t.Errorf("report %d = %+v, want %v with %d peers and %d relays", i, s, w.state, w.peers, w.relays)
		}
	}
	if got, ok := tr.Get(m.ID); !ok || got.State != delivery.Relayed {
		t.Errorf("Get = %+v, %v; want relayed", got, ok)
	}
	if got := delivery.Relayed.String(); got != "relayed" {
		t.Errorf("Relayed.String() = %q", got)
	}
}

// A catch-up session vouches only for messages of its group sent before it
// began.
func TestSyncedCoversEarlierMessagesOfItsGroup(t *testing.T) {
	tr := delivery.NewTracker(0, func() time.Time { return t0 }, nil)
	hall, other := message.GroupID{1}, message.GroupID{2}
	before := newMsg(t, hall, t0, "before")
	after := newMsg(t, hall, t0.Add(time.Minute), "after")
	elsewhere := newMsg(t, other, t0, "elsewhere")
	for _, m := range []*message.Message{before, after, elsewhere} {
		tr.Queued(m)
	}
	tr.Synced(hall, "relay", true, t0.Add(time.Second))

	for _, c := range []struct {
		m    *message.Message
		want delivery.State
	}{{before, delivery.Relayed}, {after, delivery.Queued}, {elsewhere, delivery.Queued}} {
		if got, _ := tr.Get(c.m.ID); got.State != c.want {
			t.Errorf("%s: %v, want %v", c.m.ID.Short(), got.State, c.want)
		}
	}
}

// A relay first seen as a plain peer still counts as a relay later, and
// the tracker forgets the oldest messages beyond its limit.
func TestRelayUpgradeAndEviction(t *testing.T) {
	tr := delivery.NewTracker(2, nil, nil)
	g := message.GroupID{1}
	m1, m2, m3 := newMsg(t, g, t0, "1"), newMsg(t, g, t0, "2"), newMsg(t, g, t0, "3")
	tr.Handed(m1, []peer.ID{"r"}, nil)
	tr.Synced(g, "r", true, t0)
	if s, _ := tr.Get(m1.ID); s.State != delivery.Relayed || s.Peers != 1 || s.Relays != 1 {
		t.Errorf("after the relay's sync: %+v", s)
	}
	tr.Queued(m2)
	tr.Queued(m3)
	if _, ok := tr.Get(m1.ID); ok {
		t.Error("the oldest message is still tracked beyond the limit")
	}
	if _, ok := tr.Get(m3.ID); !ok {
		t.Error("the newest message is not tracked")
	}
}
