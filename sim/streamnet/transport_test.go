package streamnet

import (
	"context"
	"errors"
	"net/netip"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	tpt "github.com/libp2p/go-libp2p/core/transport"
	ma "github.com/multiformats/go-multiaddr"
)

// countingRcmgr counts the Done calls of the connection scopes it opens.
type countingRcmgr struct {
	network.NullResourceManager
	opened, done atomic.Int64
}

type countingScope struct {
	*network.NullScope
	m    *countingRcmgr
	once atomic.Bool
}

func (s *countingScope) Done() {
	s.m.done.Add(1)
	s.once.Store(true)
}

func (m *countingRcmgr) OpenConnection(network.Direction, bool, ma.Multiaddr) (network.ConnManagementScope, error) {
	m.opened.Add(1)
	return &countingScope{NullScope: &network.NullScope{}, m: m}, nil
}

func TestRefusedDialReleasesScopeOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		rm := &countingRcmgr{}
		p.a.rcmgr, p.b.rcmgr = rm, rm
		l, err := p.b.Listen(Multiaddr(p.adB)) // never accepts
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		var refused int
		for range maxStreams + 2 {
			if _, err := p.a.Dial(context.Background(), Multiaddr(p.adB), p.b.id); err != nil {
				refused++
			}
		}
		if refused != 2 {
			t.Fatalf("%d dials refused, want the 2 beyond the accept queue", refused)
		}
		// Each refused dial opened two scopes (both ends); each must be
		// done exactly once.
		if o, d := rm.opened.Load(), rm.done.Load(); d != 4 {
			t.Errorf("after 2 refused dials (%d scopes opened), Done was called %d times, want 4", o, d)
		}
	})
}

func TestDialCutDuringRoundTripTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 10 * time.Millisecond}, 0)
		start := time.Now()
		go func() {
			time.Sleep(5 * time.Millisecond) // the answer is on its way
			p.open.Store(false)
			p.n.Changed()
		}()
		c, err := p.a.Dial(context.Background(), Multiaddr(p.adB), p.b.id)
		if err == nil {
			c.Close()
			t.Fatal("a dial cut off during its round trip succeeded")
		}
		if !errors.Is(err, ErrNoAnswer) || time.Since(start) != HandshakeTimeout {
			t.Fatalf("dial cut off during its round trip: %v after %s, want no answer after %s", err, time.Since(start), HandshakeTimeout)
		}
	})
}

func TestDialListenerClosedDuringRoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 10 * time.Millisecond}, 0)
		rm := &countingRcmgr{}
		p.a.rcmgr, p.b.rcmgr = rm, rm
		l, err := p.b.Listen(Multiaddr(p.adB))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		go func() {
			time.Sleep(5 * time.Millisecond)
			l.Close()
		}()
		// The closed listener never answers; the pair's own, listening on
		// the same address still, answers the next handshake probe.
		c, err := p.a.Dial(context.Background(), Multiaddr(p.adB), p.b.id)
		if err != nil {
			t.Fatalf("dial to the address of a listener closed during the round trip and one still open: %v", err)
		}
		if d := time.Since(start); d != 220*time.Millisecond {
			t.Errorf("answered after %s, want at the second probe's round trip (220ms)", d)
		}
		if _, err := l.Accept(); err == nil {
			t.Error("the closed listener was handed the connection")
		}
		c.Close()
		in, err := p.lb.Accept()
		if err != nil {
			t.Fatal(err)
		}
		in.Close()
		if o, d := rm.opened.Load(), rm.done.Load(); o != d {
			t.Errorf("%d scopes opened, %d done", o, d)
		}
	})
}

// TestListenOnPortZero: each listen on port 0 gets a port of its own, a
// dial to it reaches that listener and no other, with that port as the
// connection's address at both ends, and a listen on a port that is not
// the host's fails.
func TestListenOnPortZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		port0 := Multiaddr(netip.AddrPortFrom(p.adB.Addr(), 0))
		l1, err := p.b.Listen(port0)
		if err != nil {
			t.Fatal(err)
		}
		defer l1.Close()
		l2, err := p.b.Listen(port0)
		if err != nil {
			t.Fatal(err)
		}
		defer l2.Close()
		if l1.Multiaddr().Equal(l2.Multiaddr()) || l1.Multiaddr().Equal(Multiaddr(p.adB)) {
			t.Fatalf("listens on port 0 got %s and %s (host's %s), want two ports of their own", l1.Multiaddr(), l2.Multiaddr(), Multiaddr(p.adB))
		}
		for _, l := range []interface {
			Multiaddr() ma.Multiaddr
			Accept() (tpt.CapableConn, error)
		}{l1, l2} {
			c, err := p.a.Dial(context.Background(), l.Multiaddr(), p.b.id)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			acc, err := l.Accept()
			if err != nil {
				t.Fatalf("dial to %s: %v", l.Multiaddr(), err)
			}
			if !c.RemoteMultiaddr().Equal(l.Multiaddr()) || !acc.LocalMultiaddr().Equal(l.Multiaddr()) {
				t.Errorf("a connection to %s has %s at the dialler and %s at the listener", l.Multiaddr(), c.RemoteMultiaddr(), acc.LocalMultiaddr())
			}
		}
		if _, err := p.b.Listen(Multiaddr(netip.AddrPortFrom(p.adB.Addr(), 9999))); err == nil {
			t.Error("listen on a port that is not the host's: no error")
		}
	})
}
