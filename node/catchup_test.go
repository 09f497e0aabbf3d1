package node_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"starling/message"
	"starling/node"
	"starling/store"
)

// These tests show catch-up closing every gap gossip leaves: a partition,
// a late joiner, a node that was offline, and lost gossip.

// partition is a switchable split of the test network into two sides. Each
// node's connection gater asks it whether a connection may exist.
type partition struct {
	mu    sync.Mutex
	sideA map[peer.ID]bool
	split bool
}

func (p *partition) cut(a []*testNode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sideA = map[peer.ID]bool{}
	for _, n := range a {
		p.sideA[n.ID()] = true
	}
	p.split = true
}

func (p *partition) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.split = false
}

func (p *partition) blocked(a, b peer.ID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.split && p.sideA[a] != p.sideA[b]
}

// gate is one node's connection gater over the shared partition.
type gate struct {
	self peer.ID
	p    *partition
}

func (g gate) InterceptPeerDial(p peer.ID) bool                 { return !g.p.blocked(g.self, p) }
func (g gate) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return !g.p.blocked(g.self, p) }
func (g gate) InterceptAccept(network.ConnMultiaddrs) bool      { return true }
func (g gate) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return !g.p.blocked(g.self, p)
}
func (g gate) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }

func withPartition(p *partition) option {
	return func(c *node.Config) {
		id, err := peer.IDFromPrivateKey(c.TransportKey)
		if err != nil {
			panic(err) // a key nodeConfig just made
		}
		c.ConnectionGater = gate{self: id, p: p}
	}
}

func withSyncInterval(d time.Duration) option { return func(c *node.Config) { c.SyncInterval = d } }

// sendN sends n numbered messages from tn and returns them.
func sendN(t testing.TB, tn *testNode, channel string, n int) []*message.Message {
	t.Helper()
	out := make([]*message.Message, 0, n)
	for i := range n {
		out = append(out, tn.send(t, channel, fmt.Sprintf("%s #%d", tn.name, i)))
	}
	return out
}

// Six nodes split 3/3; both sides post; after the heal every node holds the
// union, once. The heal needs no periodic catch-up: reconnecting peers join
// each other's topics, and that starts a session.
func TestPartitionHeal(t *testing.T) {
	t.Parallel()
	virtual(t, testPartitionHeal)
}

func testPartitionHeal(t *testing.T) {
	part := &partition{}
	nodes := startNodes(t, 6, withPartition(part), withSyncInterval(time.Hour))
	for _, n := range nodes {
		n.join(t, "lobby")
	}
	connectFull(t, nodes)
	waitMesh(t, "lobby", nodes...)
	before := []*message.Message{nodes[0].send(t, "lobby", "before the split")}
	requireConverged(t, nodes, map[string][]*message.Message{"lobby": before})

	a, b := nodes[:3], nodes[3:]
	part.cut(a)
	for _, x := range a {
		for _, y := range b {
			x.Host().Network().ClosePeer(y.ID())
			y.Host().Network().ClosePeer(x.ID())
		}
	}
	waitUntil(t, "the two sides to disconnect", func() bool {
		for _, x := range a {
			for _, y := range b {
				if x.connectedTo(y.ID()) || y.connectedTo(x.ID()) {
					return false
				}
			}
		}
		return true
	})
	waitTopicPeers(t, "lobby", a...)
	waitTopicPeers(t, "lobby", b...)

	sideA, sideB := append([]*message.Message{}, before...), append([]*message.Message{}, before...)
	for _, n := range a {
		sideA = append(sideA, sendN(t, n, "lobby", 5)...)
	}
	for _, n := range b {
		sideB = append(sideB, sendN(t, n, "lobby", 5)...)
	}
	requireConverged(t, a, map[string][]*message.Message{"lobby": sideA})
	requireConverged(t, b, map[string][]*message.Message{"lobby": sideB})

	part.heal()
	for _, x := range a {
		for _, y := range b {
			connect(t, x, y)
		}
	}
	union := append(sideA, sideB[len(before):]...)
	requireConverged(t, nodes, map[string][]*message.Message{"lobby": union})
}

// A node that joins after 500 messages ends with all 500, marked as late
// arrivals, each delivered once to its subscribers.
func TestLateJoiner(t *testing.T) {
	t.Parallel()
	virtual(t, testLateJoiner)
}

func testLateJoiner(t *testing.T) {
	lobby := groupID(t, "lobby")
	early := startNodes(t, 2, withSyncInterval(time.Hour))
	for _, n := range early {
		n.join(t, "lobby")
	}
	// 500 messages by 40 people over the last minutes (one person's 500
	// at once would be over the rate limit, which every node applies),
	// stored before the early nodes meet: the session their meeting starts
	// moves them, and it is over before the late node comes. A node keeps
	// only its last session per group (LastSync), so one between the early
	// nodes that ended after the late node's would hide it (issue 15).
	sent := fillHistory(t, early[0], lobby, 500)
	connect(t, early[0], early[1])
	requireConverged(t, early, map[string][]*message.Message{"lobby": sent})
	waitUntil(t, "the early nodes' session to end", func() bool {
		_, a := early[0].LastSync(lobby)
		_, b := early[1].LastSync(lobby)
		return a || b
	})

	late := startNode(t, "late", withSyncInterval(time.Hour))
	events, errf := late.Subscribe(context.Background())
	defer errf()
	connect(t, late, early[1])
	late.join(t, "lobby")
	all := append(early, late)
	requireConverged(t, all, map[string][]*message.Message{"lobby": sent})

	seen := map[message.ID]int{}
	waitUntil(t, "every caught-up message on the subscription", func() bool {
		for {
			select {
			case st := <-events:
				seen[st.Msg.ID]++
				if st.Origin != store.OriginCatchup {
					t.Errorf("message %s arrived with origin %s, want catchup", st.Msg.ID.Short(), st.Origin)
				}
				continue
			default:
			}
			return len(seen) == len(sent)
		}
	})
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s delivered %d times to the subscriber", id.Short(), n)
		}
	}
	// The session ran from whichever side has the smaller peer ID. It
	// stores its last messages a moment before it ends and is recorded.
	lastSyncs := func() string {
		a, aok := late.LastSync(lobby)
		b, bok := early[1].LastSync(lobby)
		return fmt.Sprintf("LastSync = %+v, %v and %+v, %v", a, aok, b, bok)
	}
	waitUntil(t, "a session that moved the whole history", func() bool {
		a, aok := late.LastSync(lobby)
		b, bok := early[1].LastSync(lobby)
		return (aok && a.Fetched == len(sent)) || (bok && b.Pushed == len(sent))
	}, lastSyncs)
}

// A node stopped while the others post 40 messages catches up after its
// restart, and the messages it queued while offline reach everyone.
func TestOfflineNodeCatchesUp(t *testing.T) {
	t.Parallel()
	virtual(t, testOfflineNodeCatchesUp)
}

func testOfflineNodeCatchesUp(t *testing.T) {
	dir := t.TempDir()
	a := startNode(t, "a", withStore(dir), withSyncInterval(time.Hour))
	b := startNode(t, "b", withSyncInterval(time.Hour))
	c := startNode(t, "c", withSyncInterval(time.Hour))
	nodes := []*testNode{a, b, c}
	for _, n := range nodes {
		n.join(t, "lobby")
	}
	connectFull(t, nodes)
	waitTopicPeers(t, "lobby", nodes...)
	sent := []*message.Message{a.send(t, "lobby", "a, before going offline")}
	requireConverged(t, nodes, map[string][]*message.Message{"lobby": sent})

	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	waitTopicPeers(t, "lobby", b, c)
	sent = append(sent, sendN(t, b, "lobby", 20)...)
	sent = append(sent, sendN(t, c, "lobby", 20)...)

	local, err := node.OpenLocal(dir, a.cfg.User, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		m, err := local.Send(context.Background(), "lobby", fmt.Sprintf("a, written offline #%d", i))
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, m)
	}
	if err := local.Close(); err != nil {
		t.Fatal(err)
	}

	a = a.restart(t)
	connect(t, a, b)
	requireConverged(t, []*testNode{a, b, c}, map[string][]*message.Message{"lobby": sent})
}

// With half of all gossip deliveries dropped on a line of five nodes
// (messages relayed before the mesh forms are lost too), periodic catch-up
// still brings every node every message.
func TestLossyGossipConverges(t *testing.T) {
	t.Parallel()
	virtual(t, testLossyGossipConverges)
}

func testLossyGossipConverges(t *testing.T) {
	nodes := startNodes(t, 5, withSyncInterval(300*time.Millisecond), func(c *node.Config) { c.DropGossip = 0.5 })
	for _, n := range nodes {
		n.join(t, "lobby")
	}
	connectLine(t, nodes)
	waitTopicPeers(t, "lobby", nodes...)
	var sent []*message.Message
	for _, n := range nodes {
		sent = append(sent, sendN(t, n, "lobby", 20)...)
	}
	requireConverged(t, nodes, map[string][]*message.Message{"lobby": sent})
	var dropped uint64
	for _, n := range nodes {
		dropped += n.DroppedGossip()
	}
	if dropped == 0 {
		t.Error("no gossip message was dropped; the test proves nothing")
	}
}
