package streamnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

// jittery returns latencies that make later frames overtake earlier ones
// unless something keeps them in order.
func jittery() func() time.Duration {
	var k int64
	return func() time.Duration {
		k++
		return time.Duration(k*7919%20) * time.Millisecond
	}
}

func TestDataAfterCloseReadKeepsOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond, Latency: jittery()}, 0)
		s, _ := p.ab.OpenStream(context.Background())
		s.Write([]byte{0})
		r, err := p.ba.AcceptStream()
		if err != nil {
			t.Fatal(err)
		}
		// b writes back, stops reading half-way, and writes on: its
		// bytes arrive in order all the same.
		for i := range 100 {
			if i == 50 {
				r.CloseRead()
			}
			r.Write([]byte{byte(i)})
		}
		r.CloseWrite()
		got, err := io.ReadAll(s)
		if err != nil || len(got) != 100 {
			t.Fatalf("read %d bytes: %v", len(got), err)
		}
		for i, b := range got {
			if b != byte(i) {
				t.Fatalf("byte %d is %d: bytes sent after a CloseRead overtook earlier ones", i, b)
			}
		}
	})
}

func TestRemoteResetForgetsStreamOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		ab, ba := p.ab.(*conn), p.ba.(*conn)
		for range 10 {
			s, r := p.opened(t, []byte("x"))
			r.Write([]byte("y"))
			synctest.Wait()
			time.Sleep(time.Second)
			r.Reset() // b resets; a learns it and sends no more on it
			time.Sleep(time.Second)
			s.Reset()
			time.Sleep(time.Second)
		}
		for _, c := range []*conn{ab, ba} {
			c.out.mu.Lock()
			n := len(c.out.streams)
			c.out.mu.Unlock()
			c.mu.Lock()
			open := len(c.streams)
			c.mu.Unlock()
			if n != 0 || open != 0 {
				t.Errorf("after 10 reset streams, a path keeps %d streams' order, its conn %d streams", n, open)
			}
		}
	})
}

// TestCutDuringDeliveryStartsIdleTimeout cuts a path (and calls Changed)
// while the path's timer is delivering a frame, as a simulation's
// partition may at the instant a frame arrives: the connection dies
// IdleTimeout after the cut all the same.
func TestCutDuringDeliveryStartsIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var p *pairOf
		var trap, cut atomic.Bool
		cfg := Config{BaseLatency: 5 * time.Millisecond}
		p = newPair(t, cfg, 0)
		p.n.cfg.Pass = func(from, to int) bool {
			if from != 1 {
				return true // only a→b is cut
			}
			if trap.CompareAndSwap(true, false) {
				// The delivery asked before the cut; the cut and its
				// Changed happen before it goes on.
				cut.Store(true)
				var done atomic.Bool
				go func() { p.n.Changed(); done.Store(true) }()
				for i := 0; i < 10_000 && !done.Load(); i++ {
					runtime.Gosched()
				}
				return true
			}
			return !cut.Load()
		}
		s, _ := p.ab.OpenStream(context.Background())
		trap.Store(true)
		s.Write([]byte("x"))
		r, err := p.ba.AcceptStream()
		if err != nil {
			t.Fatal(err)
		}
		cutAt := time.Now()
		if _, err := io.ReadAll(r); err == nil {
			t.Fatal("the stream ended without an error across a cut path")
		}
		if d := time.Since(cutAt); d != IdleTimeout {
			t.Errorf("the connection died %s after the cut, want the idle timeout, %s", d, IdleTimeout)
		}
	})
}

func TestWriteAfterDeadlineFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		s, _ := p.ab.OpenStream(context.Background())
		s.SetWriteDeadline(time.Now().Add(time.Second))
		time.Sleep(time.Second)
		if n, err := s.Write([]byte("late")); !errors.Is(err, os.ErrDeadlineExceeded) || n != 0 {
			t.Fatalf("write after its deadline: %d, %v; want 0 and the deadline exceeded", n, err)
		}
		_, out := p.n.Traffic(1)
		s.SetDeadline(time.Time{})
		if _, err := s.Write([]byte("x")); err != nil {
			t.Fatalf("write with no deadline: %v", err)
		}
		if _, out2 := p.n.Traffic(1); out2 != out+1+FrameOverhead {
			t.Errorf("a sent %d bytes for a 1-byte write, want %d", out2-out, 1+FrameOverhead)
		}
	})
}

func TestResetEndsABlockedWrite(t *testing.T) {
	for _, remote := range []bool{false, true} {
		t.Run(fmt.Sprint("remote=", remote), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 1_000_000) // 1 MB: 8 s through the uplink
				s, r := p.opened(t, []byte("x"))
				go func() {
					time.Sleep(time.Second)
					if remote {
						r.Reset()
					} else {
						s.Reset()
					}
				}()
				start := time.Now()
				_, err := s.Write(make([]byte, 1_000_000))
				if !errors.Is(err, network.ErrReset) {
					t.Errorf("reset (remote %v) during a write: the write returned %v, want a reset", remote, err)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("reset (remote %v) after 1s: the write returned after %s", remote, d)
				}
			})
		})
	}
}

// TestDeadlineBroughtForwardEndsABlockedWrite: a write waiting for the
// uplink returns at a write deadline set while it waits, as a QUIC
// stream's does, and one moved later lets it wait on.
func TestDeadlineBroughtForwardEndsABlockedWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 1_000_000) // 1 MB: 8 s through the uplink
		s, _ := p.opened(t, []byte("x"))
		go func() {
			time.Sleep(time.Second)
			s.SetWriteDeadline(time.Now().Add(time.Hour)) // later than the write's end: no change
			time.Sleep(time.Second)
			s.SetWriteDeadline(time.Now().Add(time.Second))
		}()
		start := time.Now()
		_, err := s.Write(make([]byte, 1_000_000))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("a write past a deadline set while it waited returned %v, want the deadline exceeded", err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("the write returned after %s, want 3s (the deadline set at 2s, 1s ahead)", d)
		}
	})
}

// TestClosedConnectionFailsStreamsAsConnError: a stream of a closed
// connection fails with libp2p's ConnError, local at the end that closed
// and remote with the closer's code at the other, as over QUIC.
func TestClosedConnectionFailsStreamsAsConnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		s, r := p.opened(t, []byte("x"))
		p.ab.CloseWithError(network.ConnGarbageCollected)
		for _, c := range []struct {
			s      network.MuxedStream
			remote bool
		}{{s, false}, {r, true}} {
			_, err := io.ReadAll(c.s)
			var ce *network.ConnError
			if !errors.As(err, &ce) || ce.Remote != c.remote || ce.ErrorCode != network.ConnGarbageCollected || !errors.Is(err, network.ErrReset) {
				t.Errorf("read on a closed connection (remote %v): %v, want a ConnError with the close's code", c.remote, err)
			}
		}
	})
}

// TestReadToTheEndFreesTheStream: a stream both ends have finished, whose
// last bytes were read (without a read returning EOF), no longer counts
// against the opener's streams, as a QUIC stream is complete once its fin
// has been read up to.
func TestReadToTheEndFreesTheStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		go func() {
			for {
				r, err := p.ba.AcceptStream()
				if err != nil {
					return
				}
				r.Write([]byte("pong"))
				r.Close()
			}
		}()
		for i := range maxStreams + 1 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			s, err := p.ab.OpenStream(ctx)
			cancel()
			if err != nil {
				t.Fatalf("stream %d: %v", i, err)
			}
			s.CloseWrite()
			time.Sleep(time.Second) // the pong and its end have arrived
			if _, err := io.ReadFull(s, make([]byte, 4)); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestHealKeepsStreamOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond, Latency: jittery(), Loss: 0.3}, 8_000_000)
		s, _ := p.ab.OpenStream(context.Background())
		got := p.readNext()
		for i := range 300 {
			switch i {
			case 100: // cut with frames on the way
				p.open.Store(false)
				p.n.Changed()
			case 200:
				time.Sleep(3 * time.Second)
				p.open.Store(true)
				p.n.Changed()
			}
			if i%7 == 0 {
				time.Sleep(time.Millisecond)
			}
			s.Write([]byte{byte(i)})
		}
		s.CloseWrite()
		b := <-got
		if len(b) != 300 {
			t.Fatalf("got %d bytes, want 300", len(b))
		}
		for i := range b {
			if b[i] != byte(i) {
				t.Fatalf("byte %d is %d: the heal delivered out of order", i, b[i])
			}
		}
	})
}

func TestReadAfterDeadlineFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		_, r := p.opened(t, []byte("x"))
		r.SetReadDeadline(time.Now().Add(time.Second))
		time.Sleep(time.Second) // the byte waits, the deadline has passed
		if n, err := r.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read after its deadline: %d, %v; want the deadline exceeded", n, err)
		}
		r.SetReadDeadline(time.Time{})
		if n, err := r.Read(make([]byte, 1)); n != 1 || err != nil {
			t.Fatalf("read with no deadline: %d, %v", n, err)
		}
	})
}

// TestReadAfterCloseReadIsAReset: libp2p's QUIC streams close for reading
// with a STOP_SENDING (CancelRead), and a read after it fails as a reset.
func TestReadAfterCloseReadIsAReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 0)
		s, _ := p.ab.OpenStream(context.Background())
		s.CloseRead()
		if _, err := s.Read(make([]byte, 1)); !errors.Is(err, network.ErrReset) {
			t.Fatalf("read after CloseRead: %v, want a reset", err)
		}
	})
}

// TestCloseEndsAWriteOnAClosedStream: a write waiting for the uplink on a
// stream whose both directions were closed meanwhile (so its connection no
// longer holds it) returns when the connection closes, with an error. It
// runs on real time because the bug it guards against, a write spinning
// on the closed connection, would stop a synctest bubble's clock: 60 s of
// uplink, so a spinning write overruns the 10 s allowed.
func TestCloseEndsAWriteOnAClosedStream(t *testing.T) {
	p := newPair(t, Config{BaseLatency: 5 * time.Millisecond}, 1_000_000) // 1 Mb/s
	s, _ := p.opened(t, []byte("x"))
	closed := make(chan time.Time, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		s.CloseRead()
		s.CloseWrite()
		p.ab.Close()
		closed <- time.Now()
	}()
	_, err := s.Write(make([]byte, 7_500_000)) // 60 s through the uplink
	returned := time.Now()
	if err == nil {
		t.Error("a write on a closed connection returned no error")
	}
	if d := returned.Sub(<-closed); d > 10*time.Second {
		t.Errorf("the write returned %s after its connection closed, want at once", d)
	}
}
