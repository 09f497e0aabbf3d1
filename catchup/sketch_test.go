package catchup

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	pb "starling/catchup/catchuppb"
	"starling/internal/testwait"
	"starling/message"
	"starling/riblt"
	"starling/sim/memnet/memtest"
)

// legacyOnly is what a peer that predates 2.0.0 offers.
var legacyOnly = []protocol.ID{ProtocolID}

// makeLegacy turns a node into one that speaks only 1.1.0, as nodes before
// 2.0.0 do: it neither offers nor serves 2.0.0. Call it before the node
// connects, so that identify tells its peers.
func (n *node) makeLegacy() {
	n.svc.sketch.offer = legacyOnly
	n.h.RemoveStreamHandler(ProtocolID2)
}

// TestSketchInterop reconciles a new node and an old one (1.1.0 only) in
// both roles, and two new ones, with differences on both sides: every pair
// converges, and only two new nodes use 2.0.0.
func TestSketchInterop(t *testing.T) {
	g := poolGroup
	all := pool(t, "spread", 400, spread)
	var onServer, onClient []*message.Message
	for i, m := range all {
		if i%20 != 3 {
			onServer = append(onServer, m)
		}
		if i%25 != 7 {
			onClient = append(onClient, m)
		}
	}
	for _, tc := range []struct {
		oldClient, oldServer bool
		want                 string
	}{
		{false, false, ProtocolID2},
		{false, true, ProtocolID},
		{true, false, ProtocolID},
		{true, true, ProtocolID},
	} {
		t.Run(fmt.Sprintf("oldClient=%v/oldServer=%v", tc.oldClient, tc.oldServer), virtual(func(t *testing.T) {
			client, server := newNode(t, Config{}, g), newNode(t, Config{}, g)
			if tc.oldClient {
				client.makeLegacy()
			}
			if tc.oldServer {
				server.makeLegacy()
			}
			connect(t, client.h, server.h)
			client.put(t, onClient...)
			server.put(t, onServer...)

			res := client.sync(t, server.h.ID(), g)
			if res.Protocol != tc.want || (res.Symbols > 0) != (tc.want == ProtocolID2) || !res.Complete {
				t.Errorf("result = %+v, want protocol %s, symbols only with 2.0.0, complete", res, tc.want)
			}
			if res.Fetched != len(all)-len(onClient) || res.Pushed != len(all)-len(onServer) {
				t.Errorf("fetched %d, pushed %d; want %d and %d", res.Fetched, res.Pushed, len(all)-len(onClient), len(all)-len(onServer))
			}
			for name, n := range map[string]*node{"client": client, "server": server} {
				if diff := cmp.Diff(idsOf(all), n.ids(t, g)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
				n.storeOK(t)
			}
			if again := client.sync(t, server.h.ID(), g); again.Fetched+again.Pushed != 0 || again.Batches != 0 {
				t.Errorf("second sync = %+v, want nothing to do", again)
			}
		}))
	}
}

// TestSketchFallsBack: when the server's cap cannot hold the difference,
// it declines the sketch and the session goes on with Negentropy.
func TestSketchFallsBack(t *testing.T) { memtest.Run(t, testSketchFallsBack) }

func testSketchFallsBack(t *testing.T) {
	g := poolGroup
	all := pool(t, "spread", 300, spread)
	client, server := pair(t, Config{}, Config{}, g)
	server.svc.sketch.maxSymbols = 16
	server.put(t, all...)
	client.put(t, all[:200]...)

	res := client.sync(t, server.h.ID(), g)
	if res.Protocol != ProtocolID2 || res.Symbols != 0 || res.Rounds < 2 || !res.Complete || res.Fetched != 100 {
		t.Fatalf("result = %+v, want 2.0.0, no symbols, a sketch round then Negentropy, 100 fetched", res)
	}
	if diff := cmp.Diff(idsOf(all), client.ids(t, g)); diff != "" {
		t.Errorf("client (-want +got):\n%s", diff)
	}
}

// TestSketchSmallFrames: when its symbols do not fit in one frame, the
// server cuts them into several Sketch frames and the client asks for the
// rest. (The smallest MaxFrame holds 5,000 symbols; the test shrinks the
// server's riblt messages instead of storing that many messages.)
func TestSketchSmallFrames(t *testing.T) { memtest.Run(t, testSketchSmallFrames) }

func testSketchSmallFrames(t *testing.T) {
	g := poolGroup
	all := pool(t, "spread", 400, spread)
	client, server := pair(t, Config{}, Config{}, g)
	server.svc.sketch.maxMessage = 300 // about 20 symbols
	server.put(t, all...)
	client.put(t, all[:300]...)

	res := client.sync(t, server.h.ID(), g)
	if res.Protocol != ProtocolID2 || res.Rounds < 5 || res.Fetched != 100 {
		t.Fatalf("result = %+v, want 2.0.0 over many rounds, 100 fetched", res)
	}
}

// TestSketchDeletedNotFetchedAgain: a message this node deleted but a peer
// keeps (a relay cannot read a private group's deletion) is delivered once,
// dropped before any check and remembered, and the next session cancels it
// out instead of fetching it again.
func TestSketchDeletedNotFetchedAgain(t *testing.T) { memtest.Run(t, testSketchDeletedNotFetchedAgain) }

func testSketchDeletedNotFetchedAgain(t *testing.T) {
	g := poolGroup
	all := pool(t, "spread", 100, spread)
	client, server := pair(t, Config{}, Config{}, g)
	server.put(t, all...)
	client.put(t, all...)
	gone := all[42]
	if err := client.st.Delete(context.Background(), gone.ID); err != nil {
		t.Fatal(err)
	}

	first := client.sync(t, server.h.ID(), g)
	if first.Symbols == 0 || first.Batches != 1 || first.Fetched != 0 {
		t.Fatalf("first sync = %+v, want the deleted message asked for once and not stored", first)
	}
	if has, _ := client.st.Has(gone.ID); !has || !client.st.Deleted(gone.ID) {
		t.Fatal("the deleted message came back")
	}
	second := client.sync(t, server.h.ID(), g)
	if second.Symbols != 1 || second.Batches != 0 {
		t.Fatalf("second sync = %+v, want identical sets: one symbol, no transfer", second)
	}
}

// rawServer answers 2.0.0 streams on its own host with handle, for the
// tests that play a misbehaving server. It returns the host's ID.
func rawServer(t *testing.T, client *node, handle func(c *conn)) peer.ID {
	t.Helper()
	h := newHost(t)
	done := make(chan struct{})
	h.SetStreamHandler(ProtocolID2, func(st network.Stream) {
		defer close(done)
		defer st.Close()
		handle(newConn(st, MaxFrameSize, waitTimeout, time.Now().Add(waitTimeout)))
	})
	connect(t, client.h, h)
	t.Cleanup(func() {
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Error("raw server did not finish")
		}
	})
	return h.ID()
}

// TestSketchInconsistentNotBlamed: symbols that contradict the client's own
// set (here: the server's set holds one of the client's IDs twice, so the
// difference claims the client lacks an ID it holds) make the client fall
// back to Negentropy, not blame the server: honest peers cause it too, once
// in billions of sessions.
func TestSketchInconsistentNotBlamed(t *testing.T) { memtest.Run(t, testSketchInconsistentNotBlamed) }

func testSketchInconsistentNotBlamed(t *testing.T) {
	g := poolGroup
	all := pool(t, "spread", 50, spread)
	client := newNode(t, Config{}, g)
	client.put(t, all...)
	var set riblt.IDs
	for _, m := range all {
		set = append(set, m.ID)
	}
	set = append(set, all[7].ID)
	next := make(chan string, 1)
	srv := rawServer(t, client, func(c *conn) {
		f, err := c.read()
		if err != nil || f.GetHello().GetSketch() == nil {
			next <- fmt.Sprintf("hello: %v %v", f, err)
			return
		}
		rs, err := riblt.NewServer(set, riblt.Config{})
		if err != nil {
			t.Error(err)
			return
		}
		answer, err := rs.Answer(f.GetHello().GetSketch())
		if err != nil {
			t.Error(err)
			return
		}
		if err := c.write(sketchFrame(answer)); err != nil {
			t.Error(err)
			return
		}
		f, err = c.read()
		next <- fmt.Sprintf("%s %v", kindName(f), err)
	})

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	_, err := client.svc.Sync(ctx, srv, g)
	if got := <-next; got != "Reconcile <nil>" {
		t.Errorf("after inconsistent symbols the client sent %q, want a Reconcile", got)
	}
	if errors.Is(err, ErrMisbehaving) || client.svc.Banned(srv, g) || len(client.pen.peers()) > 0 {
		t.Errorf("server blamed for inconsistent symbols: %v", err)
	}
}

// TestSketchMalformedBlamed: a Sketch answer that breaks riblt's format
// cuts the server off.
func TestSketchMalformedBlamed(t *testing.T) { memtest.Run(t, testSketchMalformedBlamed) }

func testSketchMalformedBlamed(t *testing.T) {
	g := poolGroup
	client := newNode(t, Config{}, g)
	client.put(t, pool(t, "spread", 10, spread)...)
	srv := rawServer(t, client, func(c *conn) {
		if _, err := c.read(); err != nil {
			return
		}
		_ = c.write(sketchFrame([]byte{9, 9, 9}))
		_, _ = c.read()
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	_, err := client.svc.Sync(ctx, srv, g)
	if !errors.Is(err, ErrProtocol) || !client.svc.Banned(srv, g) {
		t.Fatalf("error %v, banned %v; want a protocol violation and a ban", err, client.svc.Banned(srv, g))
	}
}

// TestSketchServerRejects plays a misbehaving client against a new server:
// each case is cut off as a protocol violation.
func TestSketchServerRejects(t *testing.T) {
	g := poolGroup
	all := pool(t, "spread", 30, spread)
	request := func() []byte {
		rc, err := riblt.NewClient([riblt.SecretSize]byte{1}, riblt.IDs{}, riblt.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return rc.Request()
	}
	for name, tc := range map[string]struct {
		proto  protocol.ID
		frames func() []*pb.Frame
	}{
		"sketch on 1.1.0": {ProtocolID, func() []*pb.Frame {
			return []*pb.Frame{sketchHelloFrame(g[:], request())}
		}},
		"sketch and negentropy": {ProtocolID2, func() []*pb.Frame {
			f := sketchHelloFrame(g[:], request())
			f.GetHello().Negentropy = []byte{0x61}
			return []*pb.Frame{f}
		}},
		"malformed request": {ProtocolID2, func() []*pb.Frame {
			return []*pb.Frame{sketchHelloFrame(g[:], []byte{1, 2, 3})}
		}},
		"sketch without hello sketch": {ProtocolID2, func() []*pb.Frame {
			return []*pb.Frame{helloFrame(g[:], emptyInitiate(t)), sketchFrame([]byte{1})}
		}},
		"unknown key": {ProtocolID2, func() []*pb.Frame {
			return []*pb.Frame{sketchHelloFrame(g[:], request()), wantKeysFrame(make([]byte, keySize))}
		}},
		"ragged keys": {ProtocolID2, func() []*pb.Frame {
			return []*pb.Frame{sketchHelloFrame(g[:], request()), wantKeysFrame(make([]byte, keySize+1))}
		}},
		"keys without sketch": {ProtocolID2, func() []*pb.Frame {
			return []*pb.Frame{helloFrame(g[:], emptyInitiate(t)), wantKeysFrame(make([]byte, keySize))}
		}},
	} {
		t.Run(name, virtual(func(t *testing.T) {
			client, server := pair(t, Config{}, Config{}, g)
			server.put(t, all...)
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			st, err := client.h.NewStream(ctx, server.h.ID(), tc.proto)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Reset() })
			r := &rawSession{t: t, st: st, c: newConn(st, MaxFrameSize, waitTimeout, time.Now().Add(waitTimeout))}
			for _, f := range tc.frames() {
				r.send(f)
			}
			r.expectEndAfterAnswers()
			testwait.Until(t, waitTimeout, "the server to ban the client", func() bool { return server.svc.Banned(client.h.ID(), g) })
		}))
	}
}

// expectEndAfterAnswers reads until the stream ends, skipping the server's
// answers to frames that were fine.
func (r *rawSession) expectEndAfterAnswers() {
	r.t.Helper()
	for {
		f, err := r.c.read()
		if err != nil {
			return
		}
		if f.GetError() != nil {
			continue
		}
	}
}
