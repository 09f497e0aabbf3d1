// Package wire is the frame codec of Starling's catch-up protocol
// (/starling/catchup/1.1.0 and 2.0.0, see package catchup): length
// prefixes, strict frame decoding, frame constructors, exact frame sizes
// and the check that an answer covers what was asked. It does no I/O and
// links no libp2p, so that the phone's engine (phone/engine), which runs
// the client side in the browser, speaks the protocol with the same code
// as the daemon's catchup package.
package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "starling/catchup/catchuppb"
	"starling/message"
)

// Protocol IDs.
const (
	ProtocolV1 = "/starling/catchup/1.1.0"
	ProtocolV2 = "/starling/catchup/2.0.0"
)

// Protocol limits: both sides must agree on them.
const (
	// MaxFrameSize caps every frame read, length prefix excluded.
	MaxFrameSize = 1 << 20
	// MaxBatchSize caps the IDs in a Want and the envelopes in a Messages
	// frame.
	MaxBatchSize = 1024
	// MaxLengthBytes is the longest length prefix read: MaxFrameSize needs
	// 21 bits, three varint digits; a fourth is read only to report the
	// size.
	MaxLengthBytes = 4
)

// Violation is a peer's breach of the protocol, as one line. Unrequested
// marks a message it was not asked for (or answers out of order).
type Violation struct {
	Msg         string
	Unrequested bool
}

func (v *Violation) Error() string { return v.Msg }

func violation(format string, args ...any) error {
	return &Violation{Msg: fmt.Sprintf(format, args...)}
}

var marshalOpts = proto.MarshalOptions{Deterministic: true}

// Marshal encodes a frame's body (no length prefix), as Decode expects it.
func Marshal(f *pb.Frame) ([]byte, error) { return marshalOpts.Marshal(f) }

// Append appends f with its length prefix to dst; a frame over limit is not
// written.
func Append(dst []byte, f *pb.Frame, limit int) ([]byte, error) {
	body, err := Marshal(f)
	if err != nil {
		return dst, fmt.Errorf("encode %s frame: %w", KindName(f), err)
	}
	if len(body) > limit {
		return dst, fmt.Errorf("internal error: %s frame of %d bytes exceeds the frame limit %d", KindName(f), len(body), limit)
	}
	dst = protowire.AppendVarint(dst, uint64(len(body)))
	return append(dst, body...), nil
}

// ReadLength reads a frame's length prefix from r, a minimal varint between
// 1 and MaxFrameSize, and says how many bytes it read. Errors that are the
// peer's fault are *Violation.
func ReadLength(r io.ByteReader) (n, read int, err error) {
	var v uint64
	for i := range MaxLengthBytes {
		b, err := r.ReadByte()
		if err != nil {
			if i > 0 && errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, i, fmt.Errorf("read frame length: %w", err)
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b&0x80 != 0 {
			continue
		}
		switch {
		case b == 0 && i > 0:
			return 0, i + 1, violation("frame length is not minimally encoded")
		case v == 0:
			return 0, i + 1, violation("empty frame")
		case v > MaxFrameSize:
			return 0, i + 1, violation("frame of %d bytes exceeds the limit of %d", v, MaxFrameSize)
		}
		return int(v), i + 1, nil
	}
	return 0, MaxLengthBytes, violation("frame length exceeds the limit of %d bytes", MaxFrameSize)
}

// Decode parses a frame strictly: exactly one kind, no unknown fields, and
// the one encoding this implementation would write. Its errors are
// *Violation.
func Decode(b []byte) (*pb.Frame, error) {
	var f pb.Frame
	if err := proto.Unmarshal(b, &f); err != nil {
		return nil, violation("frame does not decode: %v", err)
	}
	inner := Inner(&f)
	if inner == nil {
		return nil, violation("frame has no content")
	}
	if len(f.ProtoReflect().GetUnknown()) > 0 || len(inner.ProtoReflect().GetUnknown()) > 0 {
		return nil, violation("%s frame has unknown fields", KindName(&f))
	}
	again, err := Marshal(&f)
	if err != nil || !bytes.Equal(again, b) {
		return nil, violation("%s frame is not canonically encoded", KindName(&f))
	}
	return &f, nil
}

// Inner returns the message in a frame's oneof, or nil.
func Inner(f *pb.Frame) proto.Message {
	switch k := f.GetKind().(type) {
	case *pb.Frame_Hello:
		return k.Hello
	case *pb.Frame_Reconcile:
		return k.Reconcile
	case *pb.Frame_Want:
		return k.Want
	case *pb.Frame_Messages:
		return k.Messages
	case *pb.Frame_Ack:
		return k.Ack
	case *pb.Frame_Done:
		return k.Done
	case *pb.Frame_Error:
		return k.Error
	case *pb.Frame_Sketch:
		return k.Sketch
	case *pb.Frame_WantKeys:
		return k.WantKeys
	}
	return nil
}

// KindName names a frame's kind for errors and logs.
func KindName(f *pb.Frame) string {
	if m := Inner(f); m != nil {
		return string(m.ProtoReflect().Descriptor().Name())
	}
	return "empty"
}

// Frame sizes, computed exactly so that batches fill frames without
// crossing the limit: a bytes field costs its tag (one byte for these field
// numbers), its length varint and its bytes.

// MessagesSize is the size of a Messages body of cur bytes after appending
// an envelope (or a gone ID) of n bytes.
func MessagesSize(cur, n int) int { return cur + 1 + protowire.SizeBytes(n) }

// MessagesFrameSize is the size of a Frame holding a Messages body of n
// bytes.
func MessagesFrameSize(n int) int { return 1 + protowire.SizeBytes(n) }

// HelloFrameSize bounds the size of a Hello or Reconcile frame carrying a
// negentropy message of at most n bytes.
func HelloFrameSize(n int) int {
	hello := 1 + protowire.SizeBytes(32) + 1 + protowire.SizeBytes(n)
	return 1 + protowire.SizeBytes(hello)
}

// Frame constructors.

// Hello is the initiator's first frame (1.1.0: a Negentropy message).
func Hello(group []byte, neg []byte) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Hello{Hello: &pb.Hello{GroupId: group, Negentropy: neg}}}
}

// Reconcile carries a further Negentropy message.
func Reconcile(neg []byte) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Reconcile{Reconcile: &pb.Reconcile{Negentropy: neg}}}
}

// Want asks for messages by ID.
func Want(ids [][]byte) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Want{Want: &pb.Want{Ids: ids}}}
}

// Messages pushes envelopes.
func Messages(envs [][]byte) *pb.Frame { return Answer(envs, nil) }

// Answer answers a Want with envelopes and the IDs that are gone.
func Answer(envs, gone [][]byte) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Messages{Messages: &pb.Messages{Envelopes: envs, Gone: gone}}}
}

// Ack answers pushed envelopes with how many were stored.
func Ack(stored int) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Ack{Ack: &pb.Ack{Stored: uint32(stored)}}}
}

// Done ends a session.
func Done() *pb.Frame { return &pb.Frame{Kind: &pb.Frame_Done{Done: &pb.Done{}}} }

// Error ends a session saying why.
func Error(reason string) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Error{Error: &pb.Error{Reason: reason}}}
}

// MatchAnswer checks that an answer covers a prefix of want, each ID in it
// either delivered (got, in order) or declared gone (in order), and returns
// the prefix's length. A peer may declare anything gone: that withholds,
// which gossip or another peer makes up for, but cannot forge anything.
// Its errors are *Violation.
func MatchAnswer(want [][32]byte, got []message.ID, gone [][]byte) (int, error) {
	for _, id := range gone {
		if len(id) != len(message.ID{}) {
			return 0, violation("gone id of %d bytes", len(id))
		}
	}
	i, e, g := 0, 0, 0
	for ; i < len(want) && (e < len(got) || g < len(gone)); i++ {
		w := message.ID(want[i])
		switch {
		case e < len(got) && got[e] == w:
			e++
		case g < len(gone) && message.ID(gone[g]) == w:
			g++
		case e < len(got):
			return 0, &Violation{Msg: fmt.Sprintf("message %s where %s was asked for", got[e].Short(), w.Short()), Unrequested: true}
		default:
			return 0, violation("message %x declared gone where %s was asked for", gone[g][:4], w.Short())
		}
	}
	if e < len(got) || g < len(gone) {
		return 0, &Violation{Msg: "answer out of the order asked for", Unrequested: true}
	}
	return i, nil
}
