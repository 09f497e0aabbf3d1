package memtest_test

import (
	"context"
	"testing"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"go.uber.org/goleak"

	"starling/sim/memnet/memtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newHost(t *testing.T, opts ...libp2p.Option) host.Host {
	t.Helper()
	h, err := libp2p.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func info(h host.Host) peer.AddrInfo { return peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()} }

// Hosts on a test's network connect, several share an IP when asked to,
// and a host that restarts on its old address takes it over.
func TestRun(t *testing.T) {
	if memtest.Net(t) != nil {
		t.Fatal("a test outside Run has a network")
	}
	memtest.Run(t, func(t *testing.T) {
		n := memtest.Net(t)
		if n == nil {
			t.Fatal("a test inside Run has no network")
		}
		a := newHost(t, n.Host("")...)
		defer a.Close()
		addr := n.Addr("127.0.0.7")
		b := newHost(t, append(n.Transports(), libp2p.ListenAddrs(addr))...)
		c := newHost(t, n.Host("127.0.0.7")...)
		defer c.Close()
		for _, h := range []host.Host{b, c} {
			if err := a.Connect(context.Background(), info(h)); err != nil {
				t.Fatalf("connect to %s: %v", h.Addrs(), err)
			}
		}
		if b.Addrs()[0].Equal(c.Addrs()[0]) {
			t.Fatalf("two hosts listen on %s", b.Addrs()[0])
		}

		b.Close()
		a.Network().ClosePeer(b.ID())
		again := newHost(t, append(n.Transports(), libp2p.ListenAddrs(addr))...)
		defer again.Close()
		if err := a.Connect(context.Background(), info(again)); err != nil {
			t.Fatalf("connect to the host restarted on %s: %v", addr, err)
		}
	})
}
