package streamnet

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	tpt "github.com/libp2p/go-libp2p/core/transport"
)

// pairOf is two hosts on a network whose path between them is open while
// open holds, and one connection from a to b.
type pairOf struct {
	n          *Network
	a, b       *transport
	ab, ba     tpt.CapableConn
	lb         tpt.Listener // b's
	open       atomic.Bool
	addrA, adB netip.AddrPort
}

func newPair(t *testing.T, cfg Config, bps int) *pairOf {
	t.Helper()
	p := &pairOf{}
	p.open.Store(true)
	cfg.Pass = func(int, int) bool { return p.open.Load() }
	p.n = New(cfg)
	p.addrA, p.adB = netip.MustParseAddrPort("10.0.0.1:4001"), netip.MustParseAddrPort("10.0.0.2:4001")
	p.a = newTransport(t, p.n, 1, p.addrA, bps)
	p.b = newTransport(t, p.n, 2, p.adB, bps)
	l, err := p.b.Listen(Multiaddr(p.adB))
	if err != nil {
		t.Fatal(err)
	}
	p.lb = l
	t.Cleanup(func() { l.Close() })
	if p.ab, err = p.a.Dial(context.Background(), Multiaddr(p.adB), p.b.id); err != nil {
		t.Fatal(err)
	}
	if p.ba, err = l.Accept(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.ab.Close(); p.ba.Close() })
	return p
}

// opened opens a stream from a, writes first on it, and returns it with
// b's end of it.
func (p *pairOf) opened(t *testing.T, first []byte) (s, r network.MuxedStream) {
	t.Helper()
	s, err := p.ab.OpenStream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(first); err != nil {
		t.Fatal(err)
	}
	if r, err = p.ba.AcceptStream(); err != nil {
		t.Fatal(err)
	}
	return s, r
}

// readNext returns what the next stream b accepts carries, read to its
// end (nil if none is accepted).
func (p *pairOf) readNext() <-chan []byte {
	got := make(chan []byte, 1)
	go func() {
		r, err := p.ba.AcceptStream()
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(r)
		got <- b
	}()
	return got
}

// send writes msg on a new stream from a and returns when b read it all.
func (p *pairOf) send(t *testing.T, msg []byte) time.Duration {
	t.Helper()
	start := time.Now()
	s, err := p.ab.OpenStream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(msg); err != nil {
		t.Fatal(err)
	}
	s.CloseWrite()
	r, err := p.ba.AcceptStream()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || len(got) != len(msg) {
		t.Fatalf("read %d of %d bytes: %v", len(got), len(msg), err)
	}
	r.Close()
	s.Close()
	return time.Since(start)
}

func TestDialTakesARoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		newPair(t, Config{BaseLatency: 10 * time.Millisecond}, 0)
		if d := time.Since(start); d != 20*time.Millisecond {
			t.Errorf("dial took %s, want one round trip of 20ms", d)
		}
	})
}

func TestLatencyAndBandwidth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 10 * time.Millisecond}, 8_000_000) // 1 MB/s
		// 100 kB: 0.1 s through a's uplink, the latency, and b's downlink
		// passing it on as it arrives (its frame, 0.1 s more).
		d := p.send(t, make([]byte, 100_000-FrameOverhead))
		want := 10*time.Millisecond + 200*time.Millisecond
		if d < want || d > want+5*time.Millisecond {
			t.Errorf("100 kB at 1 MB/s with 10ms latency took %s, want about %s", d, want)
		}
		in, _ := p.n.Traffic(2)
		_, out := p.n.Traffic(1)
		if in < 100_000 || out < 100_000 {
			t.Errorf("traffic: b received %d, a sent %d bytes; want at least 100,000", in, out)
		}
	})
}

func TestStreamOrderUnderJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var k int64
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond, Latency: func() time.Duration {
			k++
			return time.Duration(k*7919%20) * time.Millisecond // 0-19 ms, shuffled
		}}, 0)
		s, _ := p.ab.OpenStream(context.Background())
		for i := range 200 {
			s.Write([]byte{byte(i)})
		}
		s.CloseWrite()
		r, _ := p.ba.AcceptStream()
		got, err := io.ReadAll(r)
		if err != nil || len(got) != 200 {
			t.Fatalf("read %d bytes: %v", len(got), err)
		}
		for i, b := range got {
			if b != byte(i) {
				t.Fatalf("byte %d is %d: a stream's bytes arrived out of order", i, b)
			}
		}
		// Streams opened one after the other all arrive, whatever their
		// frames' latencies.
		for i := range 50 {
			s, err := p.ab.OpenStream(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			s.Write([]byte{byte(i)})
			s.Close()
		}
		for i := range 50 {
			r, err := p.ba.AcceptStream()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			if err != nil || len(b) != 1 {
				t.Fatalf("stream %d: %v %v", i, b, err)
			}
		}
	})
}

func TestCutPathWaitsThenDelivers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		s, _ := p.ab.OpenStream(context.Background())
		r := p.readNext()
		p.open.Store(false)
		p.n.Changed()
		s.Write([]byte("hello"))
		s.CloseWrite()
		time.Sleep(10 * time.Second)
		select {
		case b := <-r:
			t.Fatalf("%q arrived across a cut path", b)
		default:
		}
		p.open.Store(true)
		p.n.Changed()
		synctest.Wait()
		if b := <-r; string(b) != "hello" {
			t.Fatalf("after the heal got %q, want hello", b)
		}
		if p.ab.IsClosed() || p.ba.IsClosed() {
			t.Error("a connection cut for 10s died; the idle timeout is 30s")
		}
	})
}

func TestCutPathKillsAfterIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		start := time.Now()
		p.open.Store(false)
		p.n.Changed()
		_, err := p.ba.AcceptStream() // returns when the connection dies
		if err == nil || !errors.Is(err, errTimedOut) {
			t.Fatalf("AcceptStream: %v, want the idle timeout", err)
		}
		requireTimeout(t, err)
		if d := time.Since(start); d != IdleTimeout {
			t.Errorf("died after %s, want %s", d, IdleTimeout)
		}
		if !p.ab.IsClosed() {
			t.Error("the other end lives on")
		}
	})
}

func TestDialAcrossCutTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		p.open.Store(false)
		start := time.Now()
		_, err := p.a.Dial(context.Background(), Multiaddr(p.adB), p.b.id)
		if !errors.Is(err, ErrNoAnswer) || time.Since(start) != HandshakeTimeout {
			t.Fatalf("dial across a cut: %v after %s, want no answer after %s", err, time.Since(start), HandshakeTimeout)
		}
		requireTimeout(t, err)
	})
}

// requireTimeout fails unless err is a timeout as quic-go's idle and
// handshake timeouts are: a net.Error whose Timeout is true, and
// net.ErrClosed.
func requireTimeout(t *testing.T, err error) {
	t.Helper()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, net.ErrClosed) {
		t.Errorf("%v: not a net.Error timeout wrapping net.ErrClosed, as QUIC's timeouts are", err)
	}
}

// A dial that starts during a cut gets through at QUIC's first handshake
// probe after the heal (probes at 0, 0.2, 0.6, 1.4 and 3 s), and fails if
// the cut outlasts the last.
func TestDialAcrossCutThatHeals(t *testing.T) {
	for _, c := range []struct {
		heal, want time.Duration // want 0: no answer
	}{
		{heal: 100 * time.Millisecond, want: 200*time.Millisecond + 10*time.Millisecond},
		{heal: time.Second, want: 1400*time.Millisecond + 10*time.Millisecond},
		{heal: 2999 * time.Millisecond, want: 3*time.Second + 10*time.Millisecond},
		{heal: 3001 * time.Millisecond},
	} {
		t.Run(c.heal.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
				p.open.Store(false)
				start := time.Now()
				time.AfterFunc(c.heal, func() {
					p.open.Store(true)
					p.n.Changed()
				})
				conn, err := p.a.Dial(context.Background(), Multiaddr(p.adB), p.b.id)
				took := time.Since(start)
				if c.want == 0 {
					if !errors.Is(err, ErrNoAnswer) || took != HandshakeTimeout {
						t.Fatalf("cut healed after the last probe: %v after %s, want no answer after %s", err, took, HandshakeTimeout)
					}
					return
				}
				if err != nil {
					t.Fatalf("cut healed after %s: %v", c.heal, err)
				}
				conn.Close()
				if took != c.want {
					t.Errorf("cut healed after %s: connected after %s, want %s", c.heal, took, c.want)
				}
			})
		})
	}
}

func TestDialWrongPeerFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		_, err := p.b.Dial(context.Background(), Multiaddr(p.adB), p.a.id) // b's address, a's ID
		if !errors.Is(err, ErrPeerMismatch) {
			t.Fatalf("dialled the wrong peer: %v", err)
		}
	})
}

func TestCloseReachesOtherEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		_, r := p.opened(t, []byte("x"))
		start := time.Now()
		p.ab.Close()
		_, err := io.ReadAll(r)
		if !errors.Is(err, network.ErrReset) {
			t.Fatalf("read after the other end closed: %v, want a reset", err)
		}
		if d := time.Since(start); d != 5*time.Millisecond {
			t.Errorf("the close took %s to arrive, want the latency, 5ms", d)
		}
		if !p.ba.IsClosed() {
			t.Error("the other end is still open")
		}
	})
}

func TestLossDelays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 10 * time.Millisecond, Loss: 0.5, Seed: 7}, 0)
		var late int
		for range 40 {
			// A stream's open and its data frame, each lost half the
			// time: one 45ms retransmission timeout each time.
			if p.send(t, []byte("x")) > 10*time.Millisecond {
				late++
			}
		}
		if late < 10 || late > 39 {
			t.Errorf("%d of 40 sends were late at 50%% loss", late)
		}
	})
}

func TestResetReachesOtherEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		s, r := p.opened(t, []byte("x"))
		s.ResetWithError(42)
		var se *network.StreamError
		if _, err := io.ReadAll(r); !errors.As(err, &se) || se.ErrorCode != 42 || !se.Remote {
			t.Fatalf("read after a reset: %v, want a remote reset with code 42", err)
		}
		if _, err := r.Write([]byte("y")); err == nil {
			t.Error("wrote on a reset stream")
		}
	})
}
