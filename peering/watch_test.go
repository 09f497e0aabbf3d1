package peering

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"starling/netwatch"
)

// randomPeer is a peer ID nobody runs.
func randomPeer(t *testing.T) peer.ID {
	t.Helper()
	_, pub, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func tcpAddr(t *testing.T, a net.Addr) ma.Multiaddr {
	t.Helper()
	return ma.StringCast(fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", a.(*net.TCPAddr).Port))
}

// TestNetworkCountsDials: Connect's outcomes reach Network's report: a
// dial that connects, one refused, one that runs out of the caller's time
// (a listener that never speaks), and none for a dial the caller cancelled.
func TestNetworkCountsDials(t *testing.T) {
	a, err := New(loopbackConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := New(loopbackConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()

	if err := b.Connect(ctx, peer.AddrInfo{ID: a.Host().ID(), Addrs: a.Host().Addrs()}); err != nil {
		t.Fatal(err)
	}
	r := b.Network()
	if r.Dials.Attempts != 1 || r.Dials.Failures != 0 || r.DirectPeers != 1 || r.RelayedPeers != 0 {
		t.Fatalf("after one dial that connected: %+v, %d direct and %d relayed peers", r.Dials, r.DirectPeers, r.RelayedPeers)
	}

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusing := tcpAddr(t, closed.Addr())
	closed.Close()
	if err := b.Connect(ctx, peer.AddrInfo{ID: randomPeer(t), Addrs: []ma.Multiaddr{refusing}}); err == nil {
		t.Fatal("a dial to a closed port connected")
	}

	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() { // accept and say nothing, until the test ends
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = b.Connect(short, peer.AddrInfo{ID: randomPeer(t), Addrs: []ma.Multiaddr{tcpAddr(t, silent.Addr())}})
	cancel()
	if err == nil {
		t.Fatal("a dial to a listener that never speaks connected")
	}

	gone, cancel := context.WithCancel(ctx)
	cancel()
	b.Connect(gone, peer.AddrInfo{ID: randomPeer(t), Addrs: []ma.Multiaddr{refusing}})

	r = b.Network()
	want := map[netwatch.Reason]uint64{netwatch.ReasonRefused: 1, netwatch.ReasonTimeout: 1}
	if r.Dials.Attempts != 3 || r.Dials.Failures != 2 || len(r.Dials.ByReason) != 2 ||
		r.Dials.ByReason[netwatch.ReasonRefused] != want[netwatch.ReasonRefused] ||
		r.Dials.ByReason[netwatch.ReasonTimeout] != want[netwatch.ReasonTimeout] {
		t.Fatalf("dials %+v; want 3 attempts, failures %v (the cancelled dial uncounted)", r.Dials, want)
	}
}
