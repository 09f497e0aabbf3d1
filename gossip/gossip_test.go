package gossip

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/internal/testwait"
	"starling/message"
	"starling/sim/memnet/memtest"
)

// Five hosts: a line 0-1-2-3 for group A, and 4 hanging off 1 for group B.
// A message crosses the line to every A subscriber exactly once and never
// reaches the B-only node; B's message reaches node 1 only.
func TestDeliveryAcrossLine(t *testing.T) {
	memtest.Run(t, testDeliveryAcrossLine)
}

func testDeliveryAcrossLine(t *testing.T) {
	a, b := groupID(t, "alpha"), groupID(t, "bravo")
	key := newKey(t)
	nodes := make([]*node, 5)
	for i := range nodes {
		nodes[i] = newNode(t, Config{}, funcs{})
	}
	for _, e := range [][2]int{{0, 1}, {1, 2}, {2, 3}, {1, 4}} {
		connect(t, nodes[e[0]].h, nodes[e[1]].h)
	}
	for _, i := range []int{0, 1, 2, 3} {
		nodes[i].join(t, a)
	}
	nodes[1].join(t, b)
	nodes[4].join(t, b)
	for _, e := range [][2]int{{0, 1}, {1, 2}, {2, 3}} {
		nodes[e[0]].waitMesh(t, a, nodes[e[1]].h.ID())
		nodes[e[1]].waitMesh(t, a, nodes[e[0]].h.ID())
	}
	nodes[1].waitPeer(t, b, nodes[4].h.ID())
	nodes[4].waitPeer(t, b, nodes[1].h.ID())

	mA := textMsg(t, key, a, "from the end of the line")
	nodes[3].publish(t, mA)
	mB := textMsg(t, key, b, "to bravo")
	nodes[4].publish(t, mB)
	for _, i := range []int{0, 1, 2} {
		testwait.Until(t, waitTimeout, "mA everywhere on A", func() bool { return nodes[i].in.count(mA.ID) > 0 })
	}
	testwait.Until(t, waitTimeout, "mB at node 1", func() bool { return nodes[1].in.count(mB.ID) > 0 })

	// A second message through the whole line is the barrier after which a
	// duplicate of the first would have arrived.
	barrier := textMsg(t, key, a, "barrier")
	nodes[0].publish(t, barrier)
	for _, i := range []int{1, 2, 3} {
		testwait.Until(t, waitTimeout, "barrier everywhere on A", func() bool { return nodes[i].in.count(barrier.ID) > 0 })
	}

	wantA := []int{1, 1, 1, 0, 0} // node 3 published it; node 4 is not in A
	wantB := []int{0, 1, 0, 0, 0} // node 4 published it
	for i, n := range nodes {
		if got := n.in.count(mA.ID); got != wantA[i] {
			t.Errorf("node %d got mA %d times, want %d", i, got, wantA[i])
		}
		if got := n.in.count(mB.ID); got != wantB[i] {
			t.Errorf("node %d got mB %d times, want %d", i, got, wantB[i])
		}
	}
	if got := nodes[1].g.Stats(); got.Delivered != 3 || got.Rejected() != 0 || got.Ignored() != 0 {
		t.Errorf("node 1 stats = %+v, want 3 delivered and nothing rejected or ignored", got)
	}
}

func TestPublishErrors(t *testing.T) {
	a, b := groupID(t, "alpha"), groupID(t, "bravo")
	key := newKey(t)
	n := newNode(t, Config{}, funcs{})
	n.join(t, a)
	ctx := context.Background()

	peers, err := n.g.Publish(ctx, textMsg(t, key, a, "anyone?"))
	if !errors.Is(err, ErrNoPeers) || peers != 0 {
		t.Errorf("publish without peers = %d, %v; want 0, ErrNoPeers", peers, err)
	}
	if _, err := n.g.Publish(ctx, textMsg(t, key, b, "elsewhere")); !errors.Is(err, ErrNotJoined) {
		t.Errorf("publish to a group not joined: %v, want ErrNotJoined", err)
	}
	if _, err := n.g.Publish(ctx, nil); !errors.Is(err, ErrRefused) {
		t.Errorf("publish nil: %v, want ErrRefused", err)
	}
	expired := textMsg(t, key, a, "old news", func(b *message.Body) { b.ExpiresMS = b.SentAtMS - 1 })
	if _, err := n.g.Publish(ctx, expired); !errors.Is(err, ErrRefused) || !errors.Is(err, message.ErrExpired) {
		t.Errorf("publish expired: %v, want ErrRefused wrapping ErrExpired", err)
	}

	if err := n.g.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := n.g.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := n.g.Publish(ctx, textMsg(t, key, a, "after close")); !errors.Is(err, ErrClosed) {
		t.Errorf("publish after close: %v, want ErrClosed", err)
	}
	if err := n.g.Join(b); !errors.Is(err, ErrClosed) {
		t.Errorf("join after close: %v, want ErrClosed", err)
	}
	if got := n.g.Joined(); len(got) != 0 {
		t.Errorf("joined after close = %v", got)
	}
}

func TestJoinBookkeeping(t *testing.T) {
	gids := []message.GroupID{groupID(t, "one"), groupID(t, "two"), groupID(t, "three")}
	n := newNode(t, Config{MaxTopics: 2}, funcs{})
	n.join(t, gids[0], gids[1], gids[0]) // the second join of gids[0] is a no-op
	if err := n.g.Join(gids[2]); !errors.Is(err, ErrTooManyGroups) {
		t.Errorf("third join with MaxTopics 2: %v, want ErrTooManyGroups", err)
	}
	want := slices.Clone(gids[:2])
	slices.SortFunc(want, func(x, y message.GroupID) int { return slices.Compare(x[:], y[:]) })
	if got := n.g.Joined(); !slices.Equal(got, want) {
		t.Errorf("joined = %v, want %v", got, want)
	}
	if err := n.g.Leave(gids[2]); err != nil {
		t.Errorf("leave a group not joined: %v", err)
	}
	if err := n.g.Leave(gids[0]); err != nil {
		t.Fatalf("leave: %v", err)
	}
	n.join(t, gids[2]) // room again
	if err := n.g.Leave(gids[1]); err != nil {
		t.Fatalf("leave: %v", err)
	}
	n.join(t, gids[0]) // a left topic can be joined again
	if got := len(n.g.Joined()); got != 2 {
		t.Errorf("joined %d groups, want 2", got)
	}
	if _, err := New(n.h, Config{QueueSize: -1}); err == nil {
		t.Error("New accepted a negative queue size")
	}
	if _, err := New(n.h, Config{InboundQueueSize: -1}); err == nil {
		t.Error("New accepted a negative inbound queue size")
	}
}

// TestInboundQueueDefaults: a hub's inbound queues are as long as its
// outbound ones; another node's at most DefaultInboundQueue; a size given
// is kept.
func TestInboundQueueDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want int
	}{
		{"node", Config{}, DefaultInboundQueue},
		{"node, short queues", Config{QueueSize: 8}, 8},
		{"hub", Config{HubDegree: 100}, DefaultQueueSize},
		{"given", Config{InboundQueueSize: 4096}, 4096},
	} {
		cfg, err := tc.cfg.withDefaults()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cfg.InboundQueueSize != tc.want {
			t.Errorf("%s: inbound queue %d, want %d", tc.name, cfg.InboundQueueSize, tc.want)
		}
	}
}

// Seen stops stored messages; it is not asked about the host's own publishes.
func TestSeen(t *testing.T) {
	memtest.Run(t, testSeen)
}

func testSeen(t *testing.T) {
	a := groupID(t, "alpha")
	key := newKey(t)
	stored := textMsg(t, key, a, "already stored")
	fresh := textMsg(t, key, a, "fresh")
	sender := newNode(t, Config{}, funcs{seen: func(message.ID) bool { return true }})
	receiver := newNode(t, Config{}, funcs{seen: func(id message.ID) bool { return id == stored.ID }})
	connect(t, sender.h, receiver.h)
	sender.join(t, a)
	receiver.join(t, a)
	sender.waitPeer(t, a, receiver.h.ID())

	sender.publish(t, stored)
	testwait.Until(t, waitTimeout, "the stored message to be ignored", func() bool { return receiver.g.Stats().IgnoredSeen == 1 })
	sender.publish(t, fresh)
	testwait.Until(t, waitTimeout, "the fresh message", func() bool { return receiver.in.count(fresh.ID) == 1 })
	if got := receiver.in.count(stored.ID); got != 0 {
		t.Errorf("stored message delivered %d times", got)
	}
}

// Policy runs last, on incoming messages and on the host's own publishes.
func TestPolicy(t *testing.T) {
	memtest.Run(t, testPolicy)
}

func testPolicy(t *testing.T) {
	a := groupID(t, "alpha")
	member, banned, muted := newKey(t), newKey(t), newKey(t)
	policy := func(_ peer.ID, m *message.Message) message.Verdict {
		switch {
		case m.Body.Author.Equal(banned.Public()):
			return message.Reject
		case m.Body.Author.Equal(muted.Public()):
			return message.Ignore
		}
		return message.Accept
	}
	sender := newNode(t, Config{}, funcs{})
	receiver := newNode(t, Config{}, funcs{judge: policy})
	connect(t, sender.h, receiver.h)
	sender.join(t, a)
	receiver.join(t, a)
	sender.waitPeer(t, a, receiver.h.ID())
	receiver.waitPeer(t, a, sender.h.ID())

	sender.publish(t, textMsg(t, muted, a, "shh"))
	testwait.Until(t, waitTimeout, "the muted message to be ignored", func() bool { return receiver.g.Stats().IgnoredPolicy == 1 })
	sender.publish(t, textMsg(t, banned, a, "spam"))
	testwait.Until(t, waitTimeout, "the banned message to be rejected", func() bool { return receiver.g.Stats().RejectedPolicy == 1 })
	testwait.Until(t, waitTimeout, "the forwarder's score to drop", func() bool { return receiver.g.Scores()[sender.h.ID()] < 0 })
	ok := textMsg(t, member, a, "hello")
	sender.publish(t, ok)
	testwait.Until(t, waitTimeout, "the member's message", func() bool { return receiver.in.count(ok.ID) == 1 })
	if got := receiver.in.total(); got != 1 {
		t.Errorf("receiver got %d messages, want 1", got)
	}

	if _, err := receiver.g.Publish(context.Background(), textMsg(t, banned, a, "me too")); !errors.Is(err, ErrRefused) {
		t.Errorf("own publish refused by policy: %v, want ErrRefused", err)
	}
}

// After Leave returns, Deliver is not called for the group; joining again
// works.
func TestLeave(t *testing.T) {
	memtest.Run(t, testLeave)
}

func testLeave(t *testing.T) {
	a := groupID(t, "alpha")
	key := newKey(t)
	x, y, z := newNode(t, Config{}, funcs{}), newNode(t, Config{}, funcs{}), newNode(t, Config{}, funcs{})
	connect(t, x.h, y.h)
	connect(t, x.h, z.h)
	for _, n := range []*node{x, y, z} {
		n.join(t, a)
	}
	x.waitPeer(t, a, y.h.ID())
	x.waitPeer(t, a, z.h.ID())

	before := textMsg(t, key, a, "before")
	x.publish(t, before)
	testwait.Until(t, waitTimeout, "z to get the first message", func() bool { return z.in.count(before.ID) == 1 })
	if err := z.g.Leave(a); err != nil {
		t.Fatalf("leave: %v", err)
	}
	if got := z.g.Peers(a); got != nil {
		t.Errorf("peers after leave = %v", got)
	}
	if _, err := z.g.Publish(context.Background(), textMsg(t, key, a, "z")); !errors.Is(err, ErrNotJoined) {
		t.Errorf("publish after leave: %v, want ErrNotJoined", err)
	}

	after := textMsg(t, key, a, "after")
	x.publish(t, after)
	testwait.Until(t, waitTimeout, "y to get the second message", func() bool { return y.in.count(after.ID) == 1 })
	if got := z.in.count(after.ID); got != 0 {
		t.Errorf("z got a message after leaving")
	}

	z.join(t, a)
	x.waitPeer(t, a, z.h.ID())
	again := textMsg(t, key, a, "again")
	x.publish(t, again)
	testwait.Until(t, waitTimeout, "z to get a message after joining again", func() bool { return z.in.count(again.ID) == 1 })
}

func TestOnPeerJoin(t *testing.T) {
	memtest.Run(t, testOnPeerJoin)
}

func testOnPeerJoin(t *testing.T) {
	a := groupID(t, "alpha")
	var mu sync.Mutex
	var joined []peer.ID
	n := newNode(t, Config{OnPeerJoin: func(gid message.GroupID, p peer.ID) {
		if gid == a {
			mu.Lock()
			joined = append(joined, p)
			mu.Unlock()
		}
	}}, funcs{})
	other := newNode(t, Config{}, funcs{})
	connect(t, n.h, other.h)
	n.join(t, a)
	other.join(t, a)
	testwait.Until(t, waitTimeout, "the join event", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(joined, other.h.ID())
	})
}

// While Deliver blocks, pubsub buffers QueueSize messages and drops the
// rest; every message is either delivered later or counted as dropped.
func TestSlowDeliverDropsAreCounted(t *testing.T) {
	memtest.Run(t, testSlowDeliverDropsAreCounted)
}

func testSlowDeliverDropsAreCounted(t *testing.T) {
	a := groupID(t, "alpha")
	key := newKey(t)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	receiver := newNode(t, Config{QueueSize: 4}, funcs{deliver: func(Received) { <-release }})
	sender := newNode(t, Config{}, funcs{})
	connect(t, sender.h, receiver.h)
	sender.join(t, a)
	receiver.join(t, a)
	sender.waitPeer(t, a, receiver.h.ID())

	// One at a time, so only the subscription buffer can overflow, not the
	// validation queue.
	const sent = 12 // the reader holds 1 and the buffer 4
	start := message.TimeMS(time.Now())
	for i := range sent {
		sender.publish(t, textMsg(t, key, a, "burst", func(b *message.Body) { b.SentAtMS = start + uint64(i) }))
		testwait.Until(t, waitTimeout, "acceptance", func() bool { return receiver.g.Stats().Accepted == uint64(i+1) })
	}
	testwait.Until(t, waitTimeout, "drops to be counted", func() bool { return receiver.g.Stats().DroppedSubscription >= sent-1-4 })
	once.Do(func() { close(release) })
	testwait.Until(t, waitTimeout, "every message delivered or dropped", func() bool {
		s := receiver.g.Stats()
		return s.Delivered+s.DroppedSubscription == sent
	})
}

// LivePolicy judges only what arrives by gossip: Check (catch-up) and this
// host's own publishes skip it.
func TestLivePolicy(t *testing.T) {
	memtest.Run(t, testLivePolicy)
}

func testLivePolicy(t *testing.T) {
	a := groupID(t, "alpha")
	key := newKey(t)
	live := func(_ peer.ID, m *message.Message) message.Verdict { return message.Ignore }
	sender := newNode(t, Config{}, funcs{live: live})
	receiver := newNode(t, Config{}, funcs{live: live})
	connect(t, sender.h, receiver.h)
	sender.join(t, a)
	receiver.join(t, a)
	sender.waitPeer(t, a, receiver.h.ID())

	m := textMsg(t, key, a, "over the rate")
	sender.publish(t, m) // its own publish passes
	testwait.Until(t, waitTimeout, "the live message to be ignored", func() bool { return receiver.g.Stats().IgnoredPolicy == 1 })
	if got := receiver.in.count(m.ID); got != 0 {
		t.Errorf("live-ignored message delivered %d times", got)
	}
	if _, r, err := receiver.g.Check(sender.h.ID(), a, m.Raw); r != message.Accept {
		t.Errorf("Check = %s, %v; want accept: catch-up must not see live rules", r, err)
	}
}

// A group can live on a topic whose name does not derive from its ID, and
// the validator binds messages to the group by that name.
func TestJoinTopic(t *testing.T) {
	memtest.Run(t, testJoinTopic)
}

func testJoinTopic(t *testing.T) {
	a, b := groupID(t, "alpha"), groupID(t, "beta")
	hidden := "/starling/1/g/" + strings.Repeat("ab", 32)
	key := newKey(t)
	sender := newNode(t, Config{}, funcs{})
	receiver := newNode(t, Config{}, funcs{})
	connect(t, sender.h, receiver.h)
	for _, n := range []*node{sender, receiver} {
		if err := n.g.JoinTopic(a, hidden); err != nil {
			t.Fatal(err)
		}
	}
	sender.waitPeer(t, a, receiver.h.ID())
	m := textMsg(t, key, a, "on a hidden topic")
	sender.publish(t, m)
	testwait.Until(t, waitTimeout, "the message on the hidden topic", func() bool { return receiver.in.count(m.ID) == 1 })
	if err := receiver.g.JoinTopic(b, "/not/a/starling/topic"); err == nil {
		t.Error("JoinTopic accepted a topic name outside the pattern")
	}
}
