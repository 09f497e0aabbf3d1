package catchup

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/encoding/protowire"

	pb "starling/catchup/catchuppb"
	"starling/message"
)

// rawSession drives a catch-up stream by hand, for the tests that play a
// misbehaving or stalling peer.
type rawSession struct {
	t  testing.TB
	st network.Stream
	c  *conn
}

func openRaw(t testing.TB, from host.Host, to peer.ID) *rawSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	st, err := from.NewStream(ctx, to, ProtocolID)
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	t.Cleanup(func() { _ = st.Reset() })
	return &rawSession{t: t, st: st, c: newConn(st, MaxFrameSize, waitTimeout, time.Now().Add(waitTimeout))}
}

func (r *rawSession) send(f *pb.Frame) {
	r.t.Helper()
	if err := r.c.write(f); err != nil {
		r.t.Fatalf("send %s: %v", kindName(f), err)
	}
}

func (r *rawSession) sendBytes(b []byte) {
	r.t.Helper()
	if _, err := r.st.Write(b); err != nil {
		r.t.Fatalf("send bytes: %v", err)
	}
}

func (r *rawSession) recv() *pb.Frame {
	r.t.Helper()
	f, err := r.c.read()
	if err != nil {
		r.t.Fatalf("receive: %v", err)
	}
	return f
}

// hello starts a session for g as a client that holds nothing and returns
// the server's first Reconcile.
func (r *rawSession) hello(g message.GroupID) *pb.Frame {
	r.t.Helper()
	r.send(helloFrame(g[:], emptyInitiate(r.t)))
	return r.recv()
}

// expectEnd reads until the stream ends and fails if a frame other than an
// Error arrives first. It returns the Error's reason, if one came.
func (r *rawSession) expectEnd() string {
	r.t.Helper()
	reason := ""
	for {
		f, err := r.c.read()
		if err != nil {
			return reason
		}
		e := f.GetError()
		if e == nil {
			r.t.Fatalf("got a %s frame, want the session to end", kindName(f))
		}
		reason = e.GetReason()
	}
}

// Raw wire bytes for attacks.

// oversized is a length prefix beyond MaxFrameSize and a little data.
var oversized = append(protowire.AppendVarint(nil, MaxFrameSize+1), make([]byte, 64)...)

// garbage is a well-framed body that is no Frame.
var garbage = []byte{4, 0xff, 0xff, 0xff, 0xff}

// forge flips a bit of the signature, the envelope's last field: the ID
// stays the same.
func forge(m *message.Message) []byte {
	raw := append([]byte(nil), m.Raw...)
	raw[len(raw)-1] ^= 1
	return raw
}

// shortSignature is m's envelope with a 10-byte signature: same ID,
// malformed.
func shortSignature(m *message.Message) []byte {
	var raw []byte
	raw = protowire.AppendTag(raw, 1, protowire.BytesType)
	raw = protowire.AppendBytes(raw, m.BodyBytes)
	raw = protowire.AppendTag(raw, 2, protowire.BytesType)
	return protowire.AppendBytes(raw, m.Signature[:10])
}

func ids(ms ...*message.Message) [][]byte {
	out := make([][]byte, len(ms))
	for i, m := range ms {
		out[i] = m.ID[:]
	}
	return out
}
