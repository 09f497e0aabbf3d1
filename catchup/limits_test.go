package catchup

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
)

// holdSession opens a raw session from n's host and waits until the server
// has answered the Hello, so the session certainly counts against its
// limits.
func holdSession(t *testing.T, from *node, to *node, g [32]byte) *rawSession {
	t.Helper()
	r := openRaw(t, from.h, to.h.ID())
	if f := r.hello(g); f.GetReconcile() == nil {
		t.Fatalf("held session answered with %s, want Reconcile", kindName(f))
	}
	return r
}

// The server admits MaxSessionsPerPeer concurrent sessions per peer and
// MaxSessions in all; beyond them peers get ErrBusy, and a freed slot can
// be used again.
func TestSessionLimits(t *testing.T) {
	g := groupID("limits")
	server := newNode(t, Config{MaxSessionsPerPeer: 2, MaxSessions: 3}, g)
	c1, c2 := newNode(t, Config{}, g), newNode(t, Config{}, g)
	connect(t, c1.h, server.h)
	connect(t, c2.h, server.h)
	server.put(t, gen(t, g, "held", 3, spread)...)
	ctx := context.Background()

	first := holdSession(t, c1, server, g)
	holdSession(t, c1, server, g)
	if _, err := c1.svc.Sync(ctx, server.h.ID(), g); !errors.Is(err, ErrBusy) {
		t.Fatalf("third session from one peer: %v, want ErrBusy", err)
	}
	holdSession(t, c2, server, g)
	if _, err := c2.svc.Sync(ctx, server.h.ID(), g); !errors.Is(err, ErrBusy) {
		t.Fatalf("fourth session in all: %v, want ErrBusy", err)
	}

	// Ending the first session frees a slot for either peer.
	first.send(doneFrame())
	if f := first.recv(); f.GetDone() == nil {
		t.Fatalf("Done answered with %s", kindName(f))
	}
	var res Result
	waitUntil(t, "a session slot to free up", func() bool {
		var err error
		res, err = c2.svc.Sync(ctx, server.h.ID(), g)
		if err != nil && !errors.Is(err, ErrBusy) {
			t.Fatalf("sync: %v", err)
		}
		return err == nil
	})
	if res.Fetched != 3 {
		t.Errorf("result = %+v, want 3 fetched", res)
	}
	if p := server.pen.peers(); len(p) != 0 {
		t.Errorf("busy peers penalised: %v", p)
	}
}

// A peer that misbehaved is refused in both directions until BanTime has
// passed on the Clock.
func TestBan(t *testing.T) {
	g := groupID("ban")
	clock := &fakeClock{now: time.Now()}
	server := newNode(t, Config{Clock: clock.Now, BanTime: time.Minute}, g)
	rogue := newNode(t, Config{}, g)
	connect(t, rogue.h, server.h)
	server.put(t, gen(t, g, "held", 2, spread)...)
	ctx := context.Background()

	r := openRaw(t, rogue.h, server.h.ID())
	r.sendBytes(garbage)
	r.expectEnd()
	waitUntil(t, "the rogue to be banned", func() bool { return server.svc.Banned(rogue.h.ID(), g) })

	if _, err := rogue.svc.Sync(ctx, server.h.ID(), g); !errors.Is(err, ErrBanned) || !errors.Is(err, ErrRemote) {
		t.Errorf("banned peer's sync: %v, want ErrBanned from the server", err)
	}
	if _, err := server.svc.Sync(ctx, rogue.h.ID(), g); !errors.Is(err, ErrBanned) || errors.Is(err, ErrRemote) {
		t.Errorf("sync with a banned peer: %v, want a local ErrBanned", err)
	}

	clock.advance(time.Minute)
	if server.svc.Banned(rogue.h.ID(), g) {
		t.Fatal("ban outlived BanTime")
	}
	if res := rogue.sync(t, server.h.ID(), g); res.Fetched != 2 {
		t.Errorf("sync after the ban = %+v, want 2 fetched", res)
	}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Close ends sessions in flight in both directions and waits for them; a
// Sync after Close fails with ErrClosed.
func TestClose(t *testing.T) {
	g := groupID("close")
	server := newNode(t, Config{}, g)
	client := newNode(t, Config{}, g)
	stall := newHost(t)
	connect(t, client.h, server.h)
	connect(t, client.h, stall)
	// The stalling peer reads the Hello and never answers.
	reached := make(chan struct{}, 1)
	stall.SetStreamHandler(ProtocolID, func(st network.Stream) {
		defer func() { _ = st.Reset() }()
		buf := make([]byte, 1<<16)
		for {
			if _, err := st.Read(buf); err != nil {
				return
			}
			select {
			case reached <- struct{}{}:
			default:
			}
		}
	})

	held := holdSession(t, client, server, g)
	if err := server.svc.Close(); err != nil {
		t.Fatal(err)
	}
	held.expectEnd()

	done := make(chan error, 1)
	go func() {
		_, err := client.svc.Sync(context.Background(), stall.ID(), g)
		done <- err
	}()
	select {
	case <-reached:
	case <-time.After(waitTimeout):
		t.Fatal("the sync never reached the stalling peer")
	}
	if err := client.svc.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("sync cut by Close: %v, want ErrClosed", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the Sync in flight did not return after Close")
	}
	if _, err := client.svc.Sync(context.Background(), server.h.ID(), g); !errors.Is(err, ErrClosed) {
		t.Errorf("sync after Close: %v, want ErrClosed", err)
	}
	if err := client.svc.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
