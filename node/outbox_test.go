package node_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"starling/identity"
	"starling/message"
	"starling/node"
	"starling/store"
)

// noPeriodicRetry leaves only the arrival of a peer to send queued
// messages: the periodic retry would hide a missed arrival.
func noPeriodicRetry(c *node.Config) { c.OutboxInterval = time.Hour }

// A message sent with no peer in the group waits in the outbox and goes
// out as soon as a peer joins the group's topic. The outbox's goroutine
// runs only while something waits in it, or a kick is being retried.
func TestOutboxDrainsWhenPeerArrives(t *testing.T) {
	t.Parallel()
	virtual(t, testOutboxDrainsWhenPeerArrives)
}

func testOutboxDrainsWhenPeerArrives(t *testing.T) {
	alice := startNode(t, "alice", noPeriodicRetry)
	alice.join(t, "lobby")
	waitUntil(t, "alice's empty outbox to keep no goroutine", func() bool { return !alice.Draining() })
	m, peers, err := alice.Send(context.Background(), "lobby", "anyone here?")
	if err != nil {
		t.Fatal(err)
	}
	if peers != 0 {
		t.Fatalf("send reached %d peers, want 0: alice is alone", peers)
	}
	if n, err := alice.OutboxLen(); err != nil || n != 1 {
		t.Fatalf("OutboxLen = %d, %v; want 1", n, err)
	}
	if !alice.Draining() {
		t.Fatal("a message waits in the outbox, and nothing drains it")
	}

	requireDelivered(t, alice, m)
	waitUntil(t, "alice's outbox, empty again, to keep no goroutine", func() bool { return !alice.Draining() })
}

// A message queued with node.Local while no daemon runs goes out when a
// node starts on that store and a peer appears.
func TestLocalSendGoesOutLater(t *testing.T) {
	t.Parallel()
	virtual(t, testLocalSendGoesOutLater)
}

func testLocalSendGoesOutLater(t *testing.T) {
	dir := t.TempDir()
	user, err := identity.NewUser("carol")
	if err != nil {
		t.Fatal(err)
	}
	local, err := node.OpenLocal(dir, user, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := local.Join("lobby"); err != nil {
		t.Fatal(err)
	}
	m, err := local.Send(context.Background(), "lobby", "written on the train")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := local.Outbox(); err != nil || n != 1 {
		t.Fatalf("Outbox = %d, %v; want 1", n, err)
	}
	if _, page, err := local.History("lobby", store.Query{}); err != nil || len(page.Messages) != 1 {
		t.Fatalf("History = %d messages, %v; want 1", len(page.Messages), err)
	}
	if err := local.Close(); err != nil {
		t.Fatal(err)
	}

	carol := startNode(t, "carol", withStore(dir), withUser(user), noPeriodicRetry)
	if _, ok := carol.joined["lobby"]; !ok {
		t.Fatalf("the node did not take over the group joined offline: %v", carol.joined)
	}
	requireDelivered(t, carol, m)
}

// OpenLocal fails while a node holds the store.
func TestLocalRefusesLockedStore(t *testing.T) {
	t.Parallel()
	virtual(t, testLocalRefusesLockedStore)
}

func testLocalRefusesLockedStore(t *testing.T) {
	dir := t.TempDir()
	startNode(t, "dave", withStore(dir))
	l, err := node.OpenLocal(dir, nil, nil)
	if err == nil {
		l.Close()
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("OpenLocal on a store a running node holds: %v, want %v", err, store.ErrLocked)
	}
}

// requireDelivered brings a peer into lobby next to sender, whose outbox
// holds m, and checks that m reaches it and leaves the outbox.
func requireDelivered(t testing.TB, sender *testNode, m *message.Message) {
	t.Helper()
	bob := startNode(t, "bob")
	bob.join(t, "lobby")
	connect(t, bob, sender)
	requireConverged(t, []*testNode{sender, bob}, map[string][]*message.Message{"lobby": {m}})
	waitUntil(t, sender.name+"'s outbox to empty", func() bool {
		n, err := sender.OutboxLen()
		return err == nil && n == 0
	})
	requireOrigin(t, sender, m.ID, store.OriginOwn)
	requireOrigin(t, bob, m.ID, store.OriginGossip)
}

func requireOrigin(t testing.TB, n *testNode, id message.ID, want store.Origin) {
	t.Helper()
	st, err := n.Store().Get(id)
	if err != nil {
		t.Fatalf("%s: %v", n.name, err)
	}
	if st.Origin != want {
		t.Errorf("%s holds %s with origin %s, want %s", n.name, id.Short(), st.Origin, want)
	}
}
