package catchup

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/encoding/protowire"

	pb "starling/catchup/catchuppb"
	"starling/internal/testwait"
	"starling/message"
	"starling/negentropy"
	"starling/sim/memnet/memtest"
)

// fakeServer is a hand-written server on ProtocolID. It reconciles honestly
// over claims, then answers every Want with answer's envelopes and gone's
// IDs (gone may be nil); with raw set it answers the Hello with raw's bytes
// instead.
type fakeServer struct {
	claims []*message.Message
	answer func(want [][]byte) [][]byte
	gone   func(want [][]byte) [][]byte
	raw    []byte
}

func (f fakeServer) serve(t testing.TB, h host.Host) {
	h.SetStreamHandler(ProtocolID, func(st network.Stream) {
		defer func() { _ = st.Reset() }()
		c := newConn(st, MaxFrameSize, waitTimeout, time.Now().Add(waitTimeout))
		first, err := c.read()
		if err != nil || first.GetHello() == nil {
			return
		}
		if f.raw != nil {
			_, _ = st.Write(f.raw)
			_, _ = c.read() // until the client hangs up
			return
		}
		v := negentropy.NewVector()
		for _, m := range f.claims {
			_ = v.Insert(m.Body.SentAtMS, m.ID)
		}
		_ = v.Seal()
		neg, _ := negentropy.New(v, negentropy.Config{})
		reply, err := neg.Reconcile(first.GetHello().GetNegentropy())
		if err == nil {
			err = c.write(reconcileFrame(reply))
		}
		for err == nil {
			var fr *pb.Frame
			if fr, err = c.read(); err != nil {
				return
			}
			switch {
			case fr.GetReconcile() != nil:
				if reply, err = neg.Reconcile(fr.GetReconcile().GetNegentropy()); err == nil {
					err = c.write(reconcileFrame(reply))
				}
			case fr.GetWant() != nil:
				want := fr.GetWant().GetIds()
				var gone [][]byte
				if f.gone != nil {
					gone = f.gone(want)
				}
				err = c.write(answerFrame(f.answer(want), gone))
			case fr.GetMessages() != nil:
				err = c.write(ackFrame(0))
			case fr.GetDone() != nil:
				_ = c.write(doneFrame())
				_, _ = c.read() // until the client hangs up
				return
			default:
				return
			}
		}
	})
}

// answer returns a fake's fixed answer to any Want.
func answer(raws ...[]byte) func([][]byte) [][]byte {
	return func([][]byte) [][]byte { return raws }
}

// A server that lies or sends garbage is cut off and penalised, nothing it
// sent is stored, and the client goes on working with honest peers.
func TestByzantineServer(t *testing.T) {
	a, b := groupID("a"), groupID("b")
	claimed := sign(t, a, spread(1000), "claimed")
	other := sign(t, a, spread(1001), "valid but unrequested")
	wrong := sign(t, b, spread(1002), "of group b")
	for _, tc := range []struct {
		name string
		fake fakeServer
		want error
	}{
		{"forged signature", fakeServer{claims: []*message.Message{claimed}, answer: answer(forge(claimed))}, ErrInvalid},
		{"malformed envelope", fakeServer{claims: []*message.Message{claimed}, answer: answer(shortSignature(claimed))}, ErrInvalid},
		{"wrong group", fakeServer{claims: []*message.Message{wrong}, answer: answer(wrong.Raw)}, ErrInvalid},
		{"unrequested message", fakeServer{claims: []*message.Message{claimed}, answer: answer(other.Raw)}, ErrUnrequested},
		{"more than asked", fakeServer{claims: []*message.Message{claimed}, answer: answer(claimed.Raw, other.Raw)}, ErrUnrequested},
		{"claimed then withheld", fakeServer{claims: []*message.Message{claimed, other}, answer: answer()}, ErrWithheld},
		{"gone, not asked for", fakeServer{claims: []*message.Message{claimed}, answer: answer(),
			gone: answer(other.ID[:])}, ErrProtocol},
		{"gone out of order", fakeServer{claims: []*message.Message{claimed, other}, answer: answer(),
			gone: func(want [][]byte) [][]byte { return want[1:] }}, ErrProtocol},
		{"delivered and gone", fakeServer{claims: []*message.Message{claimed}, answer: answer(claimed.Raw),
			gone: answer(claimed.ID[:])}, ErrUnrequested},
		{"gone id of 2 bytes", fakeServer{claims: []*message.Message{claimed}, answer: answer(),
			gone: answer([]byte{1, 2})}, ErrProtocol},
		{"oversized frame", fakeServer{raw: oversized}, ErrProtocol},
		{"garbage", fakeServer{raw: garbage}, ErrProtocol},
		{"malformed negentropy", fakeServer{raw: frameBytes(t, reconcileFrame([]byte{0x61, 0xff}))}, ErrProtocol},
		{"frame out of turn", fakeServer{raw: frameBytes(t, wantFrame(ids(claimed)))}, ErrProtocol},
	} {
		t.Run(tc.name, virtual(func(t *testing.T) {
			own := gen(t, a, "own", 3, spread)
			honestMsgs := gen(t, a, "honest", 5, spread)
			client := newNode(t, Config{}, a)
			honest := newNode(t, Config{}, a)
			fake := newHost(t)
			tc.fake.serve(t, fake)
			connect(t, client.h, fake)
			connect(t, client.h, honest.h)
			client.put(t, own...)
			honest.put(t, honestMsgs...)

			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			_, err := client.svc.Sync(ctx, fake.ID(), a)
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrMisbehaving) {
				t.Fatalf("sync with the fake: %v, want %v", err, tc.want)
			}
			if got := client.pen.peers(); !slices.Equal(got, []peer.ID{fake.ID()}) {
				t.Errorf("penalised %v, want just the fake %s", got, fake.ID())
			}
			if diff := cmp.Diff(idsOf(own), client.ids(t, a)); diff != "" {
				t.Errorf("client stored something from the fake (-want +got):\n%s", diff)
			}
			if got := client.ids(t, b); len(got) != 0 {
				t.Errorf("client stored %d messages of group b", len(got))
			}
			client.storeOK(t)

			if _, err := client.svc.Sync(ctx, fake.ID(), a); !errors.Is(err, ErrBanned) {
				t.Errorf("second sync with the fake: %v, want ErrBanned", err)
			}
			if g := client.pen.inGroups(); !slices.Equal(g, []message.GroupID{a}) || client.svc.Banned(fake.ID(), b) {
				t.Errorf("penalised in groups %v, banned in b: %v; want a ban in a alone", g, client.svc.Banned(fake.ID(), b))
			}
			if res := client.sync(t, honest.h.ID(), a); res.Fetched != 5 || res.Pushed != 3 {
				t.Errorf("honest sync after the fake = %+v, want 5 fetched, 3 pushed", res)
			}
		}))
	}
}

// A client that sends garbage, breaks the protocol or pushes invalid
// messages is cut off and penalised; the server stores nothing of it and
// keeps serving others.
func TestByzantineClient(t *testing.T) {
	a, b := groupID("a"), groupID("b")
	held := gen(t, a, "held", 5, spread)
	notHeld := sign(t, a, spread(100), "not held")
	ofB := sign(t, b, spread(101), "valid, of group b")
	for _, tc := range []struct {
		name   string
		attack func(r *rawSession)
		want   string // in the Error reason, when the server could still send one
		// everywhere: the attack came before a Hello named a group, so the
		// ban holds in every group; otherwise in group a alone.
		everywhere bool
	}{
		{"garbage", func(r *rawSession) { r.sendBytes(garbage) }, "does not decode", true},
		{"oversized frame", func(r *rawSession) { r.sendBytes(oversized) }, "exceeds the limit", true},
		{"no Hello", func(r *rawSession) { r.send(wantFrame(ids(held[0]))) }, "instead of Hello", true},
		{"short group id", func(r *rawSession) { r.send(helloFrame([]byte{1, 2, 3}, []byte{0x61})) }, "group id of 3 bytes", true},
		{"malformed negentropy", func(r *rawSession) { r.send(helloFrame(a[:], []byte{0x61, 0xff})) }, "negentropy", false},
		{"forged push", func(r *rawSession) { r.hello(a); r.send(messagesFrame([][]byte{forge(notHeld)})) }, "invalid message", false},
		{"push of another group's message", func(r *rawSession) {
			r.hello(a)
			r.send(messagesFrame([][]byte{ofB.Raw}))
		}, "invalid message", false},
		{"push with a malformed envelope", func(r *rawSession) {
			r.hello(a)
			r.send(messagesFrame([][]byte{notHeld.Raw, shortSignature(held[0])}))
		}, "invalid message", false},
		{"want of a message not held", func(r *rawSession) { r.hello(a); r.send(wantFrame(ids(notHeld))) }, "does not hold", false},
		{"want twice", func(r *rawSession) {
			r.hello(a)
			r.send(wantFrame(ids(held[0])))
			if r.recv().GetMessages() == nil {
				r.t.Fatal("first Want not answered with Messages")
			}
			r.send(wantFrame(ids(held[0])))
		}, "asked twice", false},
		{"short id", func(r *rawSession) { r.hello(a); r.send(wantFrame([][]byte{held[0].ID[:31]})) }, "id of 31 bytes", false},
		{"empty want", func(r *rawSession) { r.hello(a); r.send(wantFrame(nil)) }, "Want of 0 ids", false},
		{"reconcile after transfer", func(r *rawSession) {
			r.hello(a)
			r.send(wantFrame(ids(held[0])))
			r.recv()
			r.send(reconcileFrame([]byte{0x61}))
		}, "after the transfer began", false},
	} {
		t.Run(tc.name, virtual(func(t *testing.T) {
			server := newNode(t, Config{}, a, b)
			honest := newNode(t, Config{}, a)
			rogue := newHost(t)
			connect(t, rogue, server.h)
			connect(t, honest.h, server.h)
			server.put(t, held...)

			r := openRaw(t, rogue, server.h.ID())
			tc.attack(r)
			if reason := r.expectEnd(); !strings.Contains(reason, tc.want) {
				t.Errorf("server's reason %q does not mention %q", reason, tc.want)
			}
			testwait.Until(t, waitTimeout, "the server to penalise the rogue", func() bool { return len(server.pen.peers()) > 0 })
			if got := server.pen.peers(); !slices.Equal(got, []peer.ID{rogue.ID()}) {
				t.Errorf("penalised %v, want just the rogue %s", got, rogue.ID())
			}
			if !server.svc.Banned(rogue.ID(), a) || server.svc.Banned(rogue.ID(), b) != tc.everywhere {
				t.Errorf("rogue banned in a: %v, in b: %v; want in a, and in b %v",
					server.svc.Banned(rogue.ID(), a), server.svc.Banned(rogue.ID(), b), tc.everywhere)
			}
			if diff := cmp.Diff(idsOf(held), server.ids(t, a)); diff != "" {
				t.Errorf("server's group a changed (-want +got):\n%s", diff)
			}
			if got := server.ids(t, b); len(got) != 0 {
				t.Errorf("server stored %d messages of group b", len(got))
			}
			server.storeOK(t)

			if res := honest.sync(t, server.h.ID(), a); res.Fetched != len(held) {
				t.Errorf("honest sync after the rogue = %+v, want %d fetched", res, len(held))
			}
			again := openRaw(t, rogue, server.h.ID())
			again.send(helloFrame(a[:], []byte{0x61}))
			if reason := again.expectEnd(); reason != reasonBanned {
				t.Errorf("banned rogue's new session ended with %q, want %q", reason, reasonBanned)
			}
			other := openRaw(t, rogue, server.h.ID())
			if tc.everywhere {
				other.send(helloFrame(b[:], []byte{0x61}))
				if reason := other.expectEnd(); reason != reasonBanned {
					t.Errorf("rogue's session of group b ended with %q, want %q", reason, reasonBanned)
				}
			} else if f := other.hello(b); f.GetReconcile() == nil {
				t.Errorf("rogue's session of group b answered with %s, want Reconcile: a ban in a holds in b", kindName(f))
			}
		}))
	}
}

// A client cannot get a message of another group by asking for its ID, even
// from a server that has joined both groups.
func TestGroupIsolation(t *testing.T) { memtest.Run(t, testGroupIsolation) }

func testGroupIsolation(t *testing.T) {
	a, b := groupID("a"), groupID("b")
	server := newNode(t, Config{}, a, b)
	mA, mB := sign(t, a, spread(0), "in a"), sign(t, b, spread(0), "in b")
	server.put(t, mA, mB)
	rogue := newHost(t)
	connect(t, rogue, server.h)

	r := openRaw(t, rogue, server.h.ID())
	if r.hello(a).GetReconcile() == nil {
		t.Fatal("Hello not answered with Reconcile")
	}
	r.send(wantFrame(ids(mA)))
	if got := r.recv().GetMessages().GetEnvelopes(); len(got) != 1 || !slices.Equal(got[0], mA.Raw) {
		t.Fatalf("Want of a's message answered with %d envelopes, want a's message", len(got))
	}
	r.send(wantFrame(ids(mB)))
	if reason := r.expectEnd(); !strings.Contains(reason, "not of group") {
		t.Errorf("reason %q, want it to say the message is not of the group", reason)
	}
	testwait.Until(t, waitTimeout, "the rogue to be penalised", func() bool { return slices.Contains(server.pen.peers(), rogue.ID()) })
}

// frameBytes encodes a frame as it goes on the wire.
func frameBytes(t testing.TB, f *pb.Frame) []byte {
	t.Helper()
	body, err := marshalOpts.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return append(protowire.AppendVarint(nil, uint64(len(body))), body...)
}
