package catchup

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"

	"starling/internal/testwait"
	"starling/negentropy"
	"starling/sim/memnet/memtest"
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
func TestSessionLimits(t *testing.T) { memtest.Run(t, testSessionLimits) }

func testSessionLimits(t *testing.T) {
	g := groupID("limits")
	server := newNode(t, Config{MaxSessionsPerPeer: 2, MaxSessions: 3, StallTime: time.Hour, IdleTime: time.Hour}, g)
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
	testwait.Until(t, waitTimeout, "a session slot to free up", func() bool {
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
func TestBan(t *testing.T) { memtest.Run(t, testBan) }

func testBan(t *testing.T) {
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
	testwait.Until(t, waitTimeout, "the rogue to be banned", func() bool { return server.svc.Banned(rogue.h.ID(), g) })

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
func TestClose(t *testing.T) { memtest.Run(t, testClose) }

func testClose(t *testing.T) {
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

// newHostAt is a host listening on ip (in 127.0.0.0/8), whose connections
// come from that address.
func newHostAt(t testing.TB, ip string) host.Host {
	t.Helper()
	h, err := libp2p.New(append(memtest.HostOptions(t, ip), libp2p.DisableRelay())...)
	if err != nil {
		t.Fatalf("new host on %s: %v", ip, err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// alive reports whether a held session still answers: a Reconcile round
// trip works.
func (r *rawSession) alive(neg []byte) bool {
	if err := r.c.write(reconcileFrame(neg)); err != nil {
		return false
	}
	f, err := r.c.read()
	return err == nil && f.GetReconcile() != nil
}

// An address holds at most MaxSessionsPerAddr sessions whatever its peer
// IDs, and when the server is full a newcomer takes the slot of a stalled
// session, but only from an address that holds more sessions than its own
// would: sessions hostile peers hold without a word do not lock an honest
// peer out, and a crowded address cannot push out a lone one.
func TestSessionFairness(t *testing.T) { memtest.Run(t, testSessionFairness) }

func testSessionFairness(t *testing.T) {
	g := groupID("fairness")
	const stall = 300 * time.Millisecond
	server := newNode(t, Config{MaxSessions: 4, MaxSessionsPerAddr: 3, StallTime: stall, IdleTime: time.Hour}, g)
	server.put(t, gen(t, g, "held", 20, spread)...)
	var crowd []host.Host // three peers on one address
	for range 3 {
		h := newHostAt(t, "127.0.0.2")
		connect(t, h, server.h)
		crowd = append(crowd, h)
	}
	lone := newHostAt(t, "127.0.0.3")
	connect(t, lone, server.h)
	honest := newNode(t, Config{}, g)
	connect(t, honest.h, server.h)
	if a := server.h.Network().ConnsToPeer(crowd[0].ID())[0].RemoteMultiaddr(); AddrKey(a, crowd[0].ID()) != "127.0.0.2" {
		t.Fatalf("the crowd's connection comes from %s, want 127.0.0.2", a)
	}

	// The crowd's address gets three slots, however many peers it uses.
	for i := range 4 {
		openRaw(t, crowd[i%3], server.h.ID()).hello(g)
	}
	if got := server.svc.slots.byAddrCount("127.0.0.2"); got != 3 {
		t.Fatalf("the crowd's address holds %d sessions, want 3", got)
	}
	loneSession := openRaw(t, lone, server.h.ID())
	if f := loneSession.hello(g); f.GetReconcile() == nil {
		t.Fatalf("the lone peer's Hello answered with %s", kindName(f))
	}

	// Full, with every session silent for longer than StallTime: an honest
	// newcomer takes a crowd session's slot and gets the whole history.
	testwait.Until(t, waitTimeout, "the held sessions to stall", func() bool { return server.svc.slots.stalledCount() == 4 })
	res := honest.sync(t, server.h.ID(), g)
	if res.Fetched != 20 {
		t.Errorf("honest sync on a full server = %+v, want 20 fetched", res)
	}
	if got := server.svc.slots.byAddrCount("127.0.0.2"); got != 2 {
		t.Errorf("the crowd holds %d sessions after the honest one, want 2", got)
	}

	// The crowd comes back for its slot: it may end one of its own stalled
	// sessions, never the lone peer's.
	for range 3 {
		r := openRaw(t, crowd[2], server.h.ID())
		r.hello(g)
	}
	if got := server.svc.slots.byAddrCount("127.0.0.2"); got > 3 {
		t.Errorf("the crowd holds %d sessions, more than its 3", got)
	}
	neg := emptyInitiate(t)
	if !loneSession.alive(neg) {
		t.Error("the lone peer's session was ended for the crowd")
	}
	if p := server.pen.peers(); len(p) != 0 {
		t.Errorf("peers penalised for being slow: %v", p)
	}
}

// An address that has had more work than its account holds gets "busy"
// until the account refills.
func TestWorkAccount(t *testing.T) { memtest.Run(t, testWorkAccount) }

func testWorkAccount(t *testing.T) {
	g := groupID("work")
	clock := &fakeClock{now: time.Now()}
	server := newNode(t, Config{Clock: clock.Now, WorkBurst: 8 << 10, WorkRate: 1 << 10}, g)
	client := newNode(t, Config{}, g)
	connect(t, client.h, server.h)
	server.put(t, gen(t, g, "history", 100, spread)...)
	ctx := context.Background()

	if res := client.sync(t, server.h.ID(), g); res.Fetched != 100 {
		t.Fatalf("first sync = %+v, want 100 fetched", res)
	}
	if _, err := client.svc.Sync(ctx, server.h.ID(), g); !errors.Is(err, ErrBusy) {
		t.Fatalf("sync after using up the account: %v, want ErrBusy", err)
	}
	clock.advance(time.Minute)
	if res := client.sync(t, server.h.ID(), g); !res.Complete {
		t.Errorf("sync after the account refilled = %+v", res)
	}
}

// emptyInitiate is the first negentropy message of a client holding
// nothing.
func emptyInitiate(t testing.TB) []byte {
	t.Helper()
	v := negentropy.NewVector()
	if err := v.Seal(); err != nil {
		t.Fatal(err)
	}
	neg, err := negentropy.New(v, negentropy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	first, err := neg.Initiate()
	if err != nil {
		t.Fatal(err)
	}
	return first
}

// count returns the sessions holding slots.
func (ss *sessions) count() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.slots)
}

// byAddrCount returns the sessions held from addr.
func (ss *sessions) byAddrCount(addr string) int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.byAddr[addr]
}

// stalledCount returns how many sessions are stalled now.
func (ss *sessions) stalledCount() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	n, now := 0, ss.now()
	for s := range ss.slots {
		if ss.stalled(s, now) {
			n++
		}
	}
	return n
}

// slowServer reconciles correctly over 10,000 items, answering every frame
// after delay, as a peer that means to hold a node's outbound sessions
// does. It stops when ctx ends.
func slowServer(ctx context.Context, t testing.TB, h host.Host, delay time.Duration) {
	items := newIndexStore(groupID("slow"), 10000).items
	h.SetStreamHandler(ProtocolID, func(st network.Stream) {
		defer func() { _ = st.Reset() }()
		v := negentropy.NewVector()
		for _, it := range items {
			_ = v.Insert(it.SentAtMS, it.ID)
		}
		_ = v.Seal()
		neg, _ := negentropy.New(v, negentropy.Config{FrameSizeLimit: negentropy.MinFrameSizeLimit})
		c := newConn(st, MaxFrameSize, time.Minute, time.Now().Add(time.Hour))
		for {
			f, err := c.read()
			if err != nil {
				return
			}
			msg := f.GetReconcile().GetNegentropy()
			if hello := f.GetHello(); hello != nil {
				msg = hello.GetNegentropy()
			}
			out, err := neg.Reconcile(msg)
			if err != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			if c.write(reconcileFrame(out)) != nil {
				return
			}
		}
	})
}

// An outbound session whose peer answers, but slowly, ends with ErrSlow
// once it has waited SlowWait, without blaming the peer.
func TestSlowPeer(t *testing.T) {
	memtest.Run(t, testSlowPeer)
}

func testSlowPeer(t *testing.T) {
	g := groupID("slow")
	client := newNode(t, Config{SlowWait: time.Second}, g)
	slow := newHost(t)
	connect(t, client.h, slow)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slowServer(ctx, t, slow, 1500*time.Millisecond)

	_, err := client.svc.Sync(ctx, slow.ID(), g)
	if !errors.Is(err, ErrSlow) || errors.Is(err, ErrMisbehaving) {
		t.Fatalf("sync with a slow peer: %v, want ErrSlow", err)
	}
	if p := client.pen.peers(); len(p) != 0 || client.svc.Banned(slow.ID(), g) {
		t.Errorf("slow peer penalised or banned: %v", p)
	}
}
