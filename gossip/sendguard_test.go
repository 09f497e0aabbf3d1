package gossip

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/internal/testwait"
	"starling/sim/memnet/memtest"
)

// TestSendGuardChoosesStuckPeers: a drop counts only for a peer without an
// outbound stream, and each peer is reset at most once per repairEvery.
func TestSendGuardChoosesStuckPeers(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := newSendGuard(func() time.Time { return now })
	a, b, c := peer.ID("a"), peer.ID("b"), peer.ID("c")
	s.OnNewOutboundStream(a, "")
	s.DropRPC(nil, a) // a full queue: a has a stream
	s.DropRPC(nil, b)
	s.DropRPC(nil, c)
	if got := s.due(now.Add(stuckAfter / 2)); len(got) != 0 {
		t.Fatalf("due before stuckAfter: %v", got)
	}
	s.OnNewOutboundStream(c, "") // c's stream was only late
	now = now.Add(stuckAfter)
	if got := s.due(now); len(got) != 1 || got[0] != b {
		t.Fatalf("due = %v, want [b]", got)
	}
	s.DropRPC(nil, b)
	if got := s.due(now.Add(repairEvery / 2)); len(got) != 0 {
		t.Fatalf("due again within repairEvery: %v", got)
	}
	if got := s.due(now.Add(repairEvery)); len(got) != 1 || got[0] != b {
		t.Fatalf("due after repairEvery = %v, want [b]", got)
	}
	s.DropRPC(nil, b)
	s.OnNewOutboundStream(b, "") // pubsub found its stream after all
	if got := s.due(now.Add(3 * repairEvery)); len(got) != 0 {
		t.Fatalf("due after b got a stream: %v", got)
	}
}

// TestSendGuardResetsConnection: a connected peer that pubsub drops RPCs
// for without a stream to it (here a host that runs no pubsub at all) has
// its connection closed, stuckAfter later.
func TestSendGuardResetsConnection(t *testing.T) {
	t.Parallel()
	memtest.Run(t, testSendGuardResetsConnection)
}

func testSendGuardResetsConnection(t *testing.T) {
	n := newNode(t, Config{}, funcs{})
	other := newHost(t)
	connect(t, n.h, other)
	if n.h.Network().Connectedness(other.ID()) != network.Connected {
		t.Fatal("not connected")
	}
	n.g.guard.DropRPC(nil, other.ID())
	testwait.Until(t, waitTimeout, "the guard closes the connection", func() bool {
		return n.h.Network().Connectedness(other.ID()) != network.Connected
	})
	if got := n.g.Stats().SendRepairs; got != 1 {
		t.Errorf("SendRepairs = %d, want 1", got)
	}
}

// TestSendGuardArmsOnlyWhenStuck: the guard's loop is started, and keeps
// running, only while a peer without a stream is stuck; drops for peers
// with a stream start nothing, and the next stuck peer starts it again.
func TestSendGuardArmsOnlyWhenStuck(t *testing.T) {
	s := newSendGuard(time.Now)
	starts := 0
	s.start = func() { starts++ }
	a, b, c := peer.ID("a"), peer.ID("b"), peer.ID("c")
	s.OnNewOutboundStream(a, "")
	s.DropRPC(nil, a)
	if starts != 0 {
		t.Fatal("a drop for a peer with a stream started the guard")
	}
	if s.watching() {
		t.Fatal("watching with no stuck peer")
	}
	s.DropRPC(nil, b)
	s.DropRPC(nil, b)
	s.DropRPC(nil, c)
	if starts != 1 {
		t.Fatalf("drops for two peers without a stream started the guard %d times, want once", starts)
	}
	if !s.keepRunning() {
		t.Fatal("not running with stuck peers")
	}
	s.OnNewOutboundStream(b, "")
	s.OnNewOutboundStream(c, "")
	if s.watching() || s.keepRunning() {
		t.Fatal("still running once the peers have streams")
	}
	s.OnClosedOutboundStream(b)
	s.DropRPC(nil, b)
	if starts != 2 {
		t.Fatalf("a peer stuck after the guard ended: %d starts, want 2", starts)
	}
}
