package node_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/host/eventbus"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"

	"starling/message"
	"starling/node"
)

func withStaticPeers(infos ...peer.AddrInfo) option {
	return func(c *node.Config) { c.Peers = infos }
}

func withRedial(lo, hi time.Duration) option {
	return func(c *node.Config) { c.RedialMin, c.RedialMax = lo, hi }
}

// tcpPort returns the port of the node's TCP listener.
func tcpPort(t testing.TB, n *testNode) int {
	t.Helper()
	for _, a := range n.Host().Addrs() {
		if s, err := a.ValueForProtocol(ma.P_TCP); err == nil {
			port, err := strconv.Atoi(s)
			if err != nil {
				t.Fatal(err)
			}
			return port
		}
	}
	t.Fatalf("%s has no TCP address: %v", n.name, n.Host().Addrs())
	return 0
}

// Bob keeps alice, a static peer, connected: when she shuts down and comes
// back on the same port with the same transport key, bob dials her again
// on his own, within his RedialMax rather than libp2p's longer dial backoff,
// and they exchange messages. Not parallel: alice's port must stay free
// while she is down.
func TestStaticPeerRedial(t *testing.T) {
	alice := startNode(t, "alice")
	port := tcpPort(t, alice)
	addr := ma.StringCast(fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port))
	bob := startNode(t, "bob", withStaticPeers(alice.info()), withRedial(100*time.Millisecond, 300*time.Millisecond))
	waitUntil(t, "bob to dial alice", func() bool { return bob.connectedTo(alice.ID()) })

	if err := alice.stop(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "bob to notice alice left", func() bool { return !bob.connectedTo(alice.ID()) })
	// libp2p backs off from an address after a failed dial (5 s and more,
	// growing to 5 min); bob's own backoff must be what counts.
	sw, ok := bob.Host().Network().(*swarm.Swarm)
	if !ok {
		t.Fatalf("bob's network is a %T, not a swarm", bob.Host().Network())
	}
	waitUntil(t, "bob to fail a dial to alice", func() bool { return sw.Backoff().Backoff(alice.ID(), addr) })

	alice = alice.restart(t, withListen(addr.String()))
	waitUntil(t, "bob to redial alice", func() bool { return bob.connectedTo(alice.ID()) && alice.connectedTo(bob.ID()) })
	for _, c := range bob.Host().Network().ConnsToPeer(alice.ID()) {
		if c.Stat().Direction != network.DirOutbound {
			t.Errorf("a connection to alice is %s; bob should have dialled it", c.Stat().Direction)
		}
	}

	alice.join(t, "lobby")
	bob.join(t, "lobby")
	waitTopicPeers(t, "lobby", alice, bob)
	requireConverged(t, []*testNode{alice, bob}, map[string][]*message.Message{"lobby": {
		bob.send(t, "lobby", "there you are again"),
		alice.send(t, "lobby", "back on the same port"),
	}})
}

// A static peer that cannot be reached must not stall the host's event bus:
// libp2p's bus blocks every emitter while a subscriber's buffer is full, so
// a subscriber that stops reading while it backs off would freeze
// connection events for everyone.
func TestUnreachableStaticPeerDoesNotStallEvents(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ghostID, err := peer.IDFromPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ghost := peer.AddrInfo{ID: ghostID, Addrs: []ma.Multiaddr{ma.StringCast(fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", closed))}}
	// Registered before bob starts so that it runs after bob has stopped:
	// while the bus is stalled, closing a subscription blocks too.
	var sub event.Subscription
	t.Cleanup(func() {
		if sub != nil {
			sub.Close()
		}
	})
	bob := startNode(t, "bob", withStaticPeers(ghost), withRedial(time.Hour, time.Hour))
	sub, err = bob.Host().EventBus().Subscribe(new(event.EvtPeerConnectednessChanged), eventbus.BufSize(256))
	if err != nil {
		t.Fatal(err)
	}
	saw := func(p peer.ID, want network.Connectedness) func() bool {
		return func() bool {
			for {
				select {
				case e := <-sub.Out():
					ev := e.(event.EvtPeerConnectednessChanged)
					if ev.Peer == p && ev.Connectedness == want {
						return true
					}
				default:
					return false
				}
			}
		}
	}

	// More connections than the event bus's default buffer of 16, each
	// from a fresh dial-only host that never hangs up: a host that
	// reconnects (pubsub dials to open its stream) would blur the count.
	for i := range 24 {
		h, err := libp2p.New(libp2p.NoListenAddrs, libp2p.DisableRelay(), libp2p.NoTransports, libp2p.Transport(tcp.NewTCPTransport))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		if err := h.Connect(context.Background(), bob.info()); err != nil {
			t.Fatalf("visitor %d: %v", i, err)
		}
		waitUntil(t, fmt.Sprintf("connect event %d", i), saw(h.ID(), network.Connected))
	}
}
