package node_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"starling/node"
	"starling/store"
)

// A node whose disk (simulated) falls below the floor ignores what its
// peers send, without blaming them, still sends its own messages, saves
// nothing below the hard floor, and once space comes back catches up on
// what it ignored.
func TestDiskLowNode(t *testing.T) {
	t.Parallel()
	virtual(t, testDiskLowNode)
}

func testDiskLowNode(t *testing.T) {
	var free atomic.Int64
	free.Store(1 << 40)
	alice := startNode(t, "alice", func(c *node.Config) {
		c.StoreDisk = store.DiskConfig{
			FreeSpace:     func(string) (int64, error) { return free.Load(), nil },
			CheckInterval: 10 * time.Millisecond,
		}
	})
	bob := startNode(t, "bob")
	connect(t, alice, bob)
	alice.join(t, "lobby")
	bob.join(t, "lobby")
	waitTopicPeers(t, "lobby", alice, bob)
	lobby := groupID(t, "lobby")
	has := func(tn *testNode, id [32]byte) bool { _, err := tn.Store().Get(id); return err == nil }

	before := bob.send(t, "lobby", "before")
	waitUntil(t, "alice to store bob's first message", func() bool { return has(alice, before.ID) })

	d := alice.Disk()
	free.Store(d.Floor - 1)
	waitUntil(t, "alice's disk to be low", func() bool { return alice.Disk().State == store.DiskLow })
	ignored := alice.GossipStats().IgnoredPolicy
	low := bob.send(t, "lobby", "while alice's disk is low")
	waitUntil(t, "alice to ignore it", func() bool { return alice.GossipStats().IgnoredPolicy > ignored })
	if has(alice, low.ID) {
		t.Error("alice stored a message while her disk was low")
	}
	if s := alice.GossipStats(); s.RejectedPolicy != 0 {
		t.Errorf("alice rejected %d messages: bob did nothing wrong", s.RejectedPolicy)
	}
	own := alice.send(t, "lobby", "alice's own, disk low")
	waitUntil(t, "bob to get alice's own message", func() bool { return has(bob, own.ID) })

	free.Store(d.HardFloor - 1)
	waitUntil(t, "alice's disk to be full", func() bool { return alice.Disk().State == store.DiskFull })
	if _, _, err := alice.Send(context.Background(), "lobby", "not saved"); !errors.Is(err, store.ErrDiskFull) {
		t.Errorf("send on a full disk: %v, want ErrDiskFull", err)
	}
	if n, err := alice.Count(lobby); err != nil || n != 2 {
		t.Errorf("alice's history on a full disk: %d, %v; want the 2 saved", n, err)
	}

	free.Store(1 << 40)
	waitUntil(t, "alice to fetch what she ignored", func() bool { return has(alice, low.ID) })
	if alice.Disk().State != store.DiskOK {
		t.Errorf("disk state after recovery: %s", alice.Disk().State)
	}
}
