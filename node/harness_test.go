package node_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"go.uber.org/goleak"

	"starling/group"
	"starling/identity"
	"starling/internal/testwait"
	"starling/message"
	"starling/node"
	"starling/sim/memnet/memtest"
)

// This file is the multi-node harness: real nodes in one process, connected
// in chosen shapes, and an assertion that they converge on the same
// messages. A test that runs its body with virtual (virtual_test.go) gets
// them on an in-memory network and virtual time, so that neither its waits
// nor a busy machine cost it real time; every other test gets them on
// 127.0.0.1 with TCP, and real time.
//
// GossipSub relays only along its mesh. A node's own messages go to every
// topic peer (flood publish), but a message relayed one hop further reaches
// only the relay's mesh peers, and one relayed before a peer is grafted
// reaches that peer only through catch-up, which does not exist yet. So
// tests whose messages travel more than one hop call waitMesh before they
// send; tests between direct neighbours need only waitTopicPeers.

var nodeLog = flag.Bool("nodelog", false, "write the test nodes' debug logs to stderr")

// TestMain fails the package if a goroutine outlives the tests: every node
// is shut down in t.Cleanup, and Run returns only after its goroutines,
// gossip, host and store are closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait for the network. Meshes form within a few
// GossipSub heartbeats (1 s each); the rest is slack for -race on 2 cores.
// On virtual time it is virtual too: it passes only if the nodes wait that
// long, however busy the machine.
const waitTimeout = 30 * time.Second

// waitUntil polls cond until it holds, or fails the test after waitTimeout
// with what it waited for and, if given, why cond still fails.
func waitUntil(t testing.TB, what string, cond func() bool, why ...func() string) {
	t.Helper()
	testwait.Until(t, waitTimeout, what, cond, why...)
}

// testNode is a running node and what the harness knows about it.
type testNode struct {
	*node.Node
	name string
	cfg  node.Config
	// joined maps the channel names this node is in to their IDs:
	// requireConverged expects exactly these channels' messages.
	joined map[string]message.GroupID
	// stop cancels Run and returns its error; later calls return the same.
	stop func() error
}

// option changes a node's config before it starts.
type option func(*node.Config)

func withStore(dir string) option { return func(c *node.Config) { c.StoreDir = dir } }

func withUser(u *identity.User) option { return func(c *node.Config) { c.User = u } }

func withListen(addr string) option {
	return func(c *node.Config) { c.ListenAddrs = []ma.Multiaddr{ma.StringCast(addr)} }
}

// startNode runs a fresh node named name: new user and transport keys, TCP
// on 127.0.0.1 with a random port (or, in a test on virtual time, QUIC on
// the test's in-memory network: see virtual), an in-memory store, no mDNS
// and no redial of remembered peers. t.Cleanup shuts it down.
func startNode(t testing.TB, name string, opts ...option) *testNode {
	t.Helper()
	cfg := nodeConfig(t, name)
	for _, o := range opts {
		o(&cfg)
	}
	return runNode(t, name, cfg)
}

// nodeConfig is the config startNode starts from.
func nodeConfig(t testing.TB, name string) node.Config {
	t.Helper()
	user, err := identity.NewUser(name)
	if err != nil {
		t.Fatalf("new user %s: %v", name, err)
	}
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg := node.Config{
		User:              user,
		TransportKey:      key,
		ListenAddrs:       []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")},
		DisableKnownPeers: true,
	}
	if n := memtest.Net(t); n != nil {
		cfg.ListenAddrs, cfg.Transports = []ma.Multiaddr{n.Addr("")}, n.Transports()
	}
	return cfg
}

// startNodes starts n nodes named node0, node1, ...
func startNodes(t testing.TB, n int, opts ...option) []*testNode {
	t.Helper()
	nodes := make([]*testNode, n)
	for i := range nodes {
		nodes[i] = startNode(t, fmt.Sprintf("node%d", i), opts...)
	}
	return nodes
}

// restart starts a new node with tn's config (same user, transport key and
// store directory) after tn has been stopped; opts may change it further.
func (tn *testNode) restart(t testing.TB, opts ...option) *testNode {
	t.Helper()
	if err := tn.stop(); err != nil {
		t.Fatalf("%s: Run returned %v", tn.name, err)
	}
	cfg := tn.cfg
	for _, o := range opts {
		o(&cfg)
	}
	return runNode(t, tn.name, cfg)
}

func runNode(t testing.TB, name string, cfg node.Config) *testNode {
	t.Helper()
	if *nodeLog {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", name)
	}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	tn := &testNode{
		Node:   n,
		name:   name,
		cfg:    cfg,
		joined: map[string]message.GroupID{},
		stop: sync.OnceValue(func() error {
			cancel()
			return <-done
		}),
	}
	t.Cleanup(func() {
		if err := tn.stop(); err != nil {
			t.Errorf("%s: Run returned %v", name, err)
		}
	})
	// A node rejoins the groups its store remembers.
	groups, err := n.Groups()
	if err != nil {
		t.Fatalf("%s: groups: %v", name, err)
	}
	for _, g := range groups {
		tn.joined[g.Name] = g.ID
	}
	return tn
}

// join joins the node to open channels.
func (tn *testNode) join(t testing.TB, names ...string) {
	t.Helper()
	for _, name := range names {
		g, err := tn.Join(context.Background(), name)
		if err != nil {
			t.Fatalf("%s: join %s: %v", tn.name, name, err)
		}
		tn.joined[g.Name] = g.ID
	}
}

// send sends text to a channel and fails the test unless a peer took it.
func (tn *testNode) send(t testing.TB, channel, text string) *message.Message {
	t.Helper()
	m, peers, err := tn.Send(context.Background(), channel, text)
	if err != nil {
		t.Fatalf("%s: send to %s: %v", tn.name, channel, err)
	}
	if peers == 0 {
		t.Fatalf("%s: send to %s reached no peer; the message is queued", tn.name, channel)
	}
	return m
}

func (tn *testNode) info() peer.AddrInfo {
	return peer.AddrInfo{ID: tn.ID(), Addrs: tn.Host().Addrs()}
}

func (tn *testNode) connectedTo(p peer.ID) bool {
	return tn.Host().Network().Connectedness(p) == network.Connected
}

// connect dials b from a.
func connect(t testing.TB, a, b *testNode) {
	t.Helper()
	if err := a.Connect(context.Background(), b.info()); err != nil {
		t.Fatalf("connect %s to %s: %v", a.name, b.name, err)
	}
}

// connectLine connects nodes[i] to nodes[i+1].
func connectLine(t testing.TB, nodes []*testNode) {
	t.Helper()
	for i := 1; i < len(nodes); i++ {
		connect(t, nodes[i-1], nodes[i])
	}
}

// connectStar connects nodes[0] to each of the others.
func connectStar(t testing.TB, nodes []*testNode) {
	t.Helper()
	for _, n := range nodes[1:] {
		connect(t, n, nodes[0])
	}
}

// connectFull connects every pair.
func connectFull(t testing.TB, nodes []*testNode) {
	t.Helper()
	for i, a := range nodes {
		for _, b := range nodes[i+1:] {
			connect(t, a, b)
		}
	}
}

func groupID(t testing.TB, name string) message.GroupID {
	t.Helper()
	gid, _, err := group.OpenChannelID(name)
	if err != nil {
		t.Fatal(err)
	}
	return gid
}

// linked lists the connected pairs of nodes that are both in the channel.
func linked(channel string, nodes []*testNode) [][2]*testNode {
	var pairs [][2]*testNode
	for i, a := range nodes {
		for _, b := range nodes[i+1:] {
			_, inA := a.joined[channel]
			_, inB := b.joined[channel]
			// Either side: the dialler sees the connection a moment
			// before the listener does.
			if inA && inB && (a.connectedTo(b.ID()) || b.connectedTo(a.ID())) {
				pairs = append(pairs, [2]*testNode{a, b})
			}
		}
	}
	return pairs
}

// waitTopicPeers waits until every connected pair of nodes in the channel
// sees each other on its topic: enough for a node's own messages to reach
// its direct neighbours.
func waitTopicPeers(t testing.TB, channel string, nodes ...*testNode) {
	t.Helper()
	waitPairs(t, channel, "on the topic", nodes, func(a *testNode, gid message.GroupID) []peer.ID { return a.GroupPeers(gid) })
}

// waitMesh waits until every connected pair of nodes in the channel has
// grafted each other into its GossipSub mesh: needed before a message is
// relayed more than one hop.
func waitMesh(t testing.TB, channel string, nodes ...*testNode) {
	t.Helper()
	waitPairs(t, channel, "in the mesh", nodes, func(a *testNode, gid message.GroupID) []peer.ID { return a.MeshPeers(gid) })
}

func waitPairs(t testing.TB, channel, where string, nodes []*testNode, peersOf func(*testNode, message.GroupID) []peer.ID) {
	t.Helper()
	gid := groupID(t, channel)
	pairs := linked(channel, nodes)
	if len(pairs) == 0 {
		t.Fatalf("no connected pair of nodes is in %s", channel)
	}
	missing := func() []string {
		var out []string
		for _, p := range pairs {
			for _, d := range [][2]*testNode{p, {p[1], p[0]}} {
				if !slices.Contains(peersOf(d[0], gid), d[1].ID()) {
					out = append(out, d[0].name+" lacks "+d[1].name)
				}
			}
		}
		return out
	}
	waitUntil(t, fmt.Sprintf("every linked pair %s of %s", where, channel),
		func() bool { return len(missing()) == 0 },
		func() string { return strings.Join(missing(), ", ") })
}

// requireConverged waits until every node holds, for every channel in sent,
// exactly the messages sent there if it joined the channel and none if it
// did not, reading the store's index (Items). It then checks that every copy
// is byte for byte the sent envelope, that Count agrees (no duplicates) and
// that each store passes Check.
func requireConverged(t testing.TB, nodes []*testNode, sent map[string][]*message.Message) {
	t.Helper()
	want := func(n *testNode, channel string) map[message.ID]bool {
		ids := map[message.ID]bool{}
		if _, ok := n.joined[channel]; ok {
			for _, m := range sent[channel] {
				ids[m.ID] = true
			}
		}
		return ids
	}
	diff := func() []string {
		var out []string
		for _, n := range nodes {
			for _, channel := range slices.Sorted(maps.Keys(sent)) {
				items, err := n.Store().Items(groupID(t, channel))
				if err != nil {
					out = append(out, fmt.Sprintf("%s: %v", n.name, err))
					continue
				}
				got := map[message.ID]bool{}
				for _, it := range items {
					got[it.ID] = true
				}
				exp := want(n, channel)
				var missing, extra int
				for id := range exp {
					if !got[id] {
						missing++
					}
				}
				for id := range got {
					if !exp[id] {
						extra++
					}
				}
				if missing > 0 || extra > 0 || len(items) != len(exp) {
					out = append(out, fmt.Sprintf("%s/%s: %d of %d stored, %d missing, %d unexpected",
						n.name, channel, len(items), len(exp), missing, extra))
				}
			}
		}
		return out
	}
	waitUntil(t, "the nodes to converge", func() bool { return len(diff()) == 0 },
		func() string { return strings.Join(diff(), "\n") })

	for _, n := range nodes {
		for channel, msgs := range sent {
			if _, ok := n.joined[channel]; !ok {
				continue
			}
			for _, m := range msgs {
				st, err := n.Store().Get(m.ID)
				if err != nil {
					t.Errorf("%s: get %s: %v", n.name, m.ID.Short(), err)
					continue
				}
				if !bytes.Equal(st.Msg.Raw, m.Raw) {
					t.Errorf("%s: message %s differs from the one sent", n.name, m.ID.Short())
				}
			}
			if c, err := n.Count(groupID(t, channel)); err != nil || c != len(msgs) {
				t.Errorf("%s/%s: Count = %d, %v; want %d", n.name, channel, c, err, len(msgs))
			}
		}
		if err := n.Store().Check(); err != nil {
			t.Errorf("%s: %v", n.name, err)
		}
	}
}
