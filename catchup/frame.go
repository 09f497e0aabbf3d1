package catchup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "starling/catchup/catchuppb"
)

var marshalOpts = proto.MarshalOptions{Deterministic: true}

// maxLengthBytes is the longest length prefix read: MaxFrameSize needs 21
// bits, three varint digits; a fourth is read only to report the size.
const maxLengthBytes = 4

// A held session should cost little: the read buffer is small (larger
// reads bypass it), and a frame buffer larger than keepFrameBuffer is
// dropped once its frame is decoded, so a peer cannot make every session
// it holds keep a MaxFrameSize buffer.
const (
	readBufferSize  = 1 << 10
	keepFrameBuffer = 64 << 10
)

// conn frames one session's stream. It is owned by the session's goroutine.
type conn struct {
	s        network.Stream
	r        *bufio.Reader
	buf      []byte // the last frame read; proto copies what it keeps
	limit    int    // the largest frame this side writes
	io       time.Duration
	deadline time.Time // the session's end

	sent, received int64 // bytes on the stream, length prefixes included

	// A server's conn marks its slot waiting while it reads and charges
	// its peer's address for every byte; a client's has neither.
	slot   *slot
	clock  func() time.Time
	charge func(n int)
}

func newConn(s network.Stream, limit int, io time.Duration, deadline time.Time) *conn {
	return &conn{s: s, r: bufio.NewReaderSize(s, readBufferSize), limit: limit, io: io, deadline: deadline, charge: func(int) {}}
}

// ioDeadline is the deadline of the next read or write: IOTimeout from now,
// but never past the session's end.
func (c *conn) ioDeadline() time.Time {
	d := time.Now().Add(c.io)
	if d.After(c.deadline) {
		return c.deadline
	}
	return d
}

// write sends one frame. A frame over this side's own limit is a bug here,
// not the peer's fault, and is not sent.
func (c *conn) write(f *pb.Frame) error {
	body, err := marshalOpts.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode %s frame: %w", kindName(f), err)
	}
	if len(body) > c.limit {
		return fmt.Errorf("internal error: %s frame of %d bytes exceeds the frame limit %d", kindName(f), len(body), c.limit)
	}
	out := protowire.AppendVarint(make([]byte, 0, len(body)+maxLengthBytes), uint64(len(body)))
	out = append(out, body...)
	if err := c.s.SetWriteDeadline(c.ioDeadline()); err != nil {
		return fmt.Errorf("write %s frame: %w", kindName(f), err)
	}
	n, err := c.s.Write(out)
	c.sent += int64(n)
	c.charge(n)
	if err != nil {
		return fmt.Errorf("write %s frame: %w", kindName(f), err)
	}
	return nil
}

// read receives one frame. Errors that wrap ErrProtocol are the peer's
// fault; the rest are the network's.
func (c *conn) read() (*pb.Frame, error) {
	if err := c.s.SetReadDeadline(c.ioDeadline()); err != nil {
		return nil, fmt.Errorf("read frame: %w", err)
	}
	if c.slot != nil {
		c.slot.wait(c.clock())
		defer c.slot.work()
	}
	before := c.received
	defer func() { c.charge(int(c.received - before)) }()
	n, err := c.readLength()
	if err != nil {
		return nil, err
	}
	if cap(c.buf) < n {
		c.buf = make([]byte, n)
	}
	c.buf = c.buf[:n]
	got, err := io.ReadFull(c.r, c.buf)
	c.received += int64(got)
	if err != nil {
		return nil, fmt.Errorf("read frame of %d bytes: %w", n, err)
	}
	f, err := decodeFrame(c.buf)
	if cap(c.buf) > keepFrameBuffer {
		c.buf = nil
	}
	return f, err
}

// answer reads the peer's next frame; an Error frame becomes the error its
// reason stands for.
func (c *conn) answer() (*pb.Frame, error) {
	f, err := c.read()
	if err != nil {
		return nil, err
	}
	if e := f.GetError(); e != nil {
		return nil, remoteError(e.GetReason())
	}
	return f, nil
}

// readLength reads a frame's length prefix: a minimal varint between 1 and
// MaxFrameSize.
func (c *conn) readLength() (int, error) {
	n, read, err := readLength(c.r)
	c.received += int64(read)
	return n, err
}

// readLength reads a minimal varint between 1 and MaxFrameSize from r and
// says how many bytes it read.
func readLength(r io.ByteReader) (n, read int, err error) {
	var v uint64
	for i := range maxLengthBytes {
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
			return 0, i + 1, protocolErr("frame length is not minimally encoded")
		case v == 0:
			return 0, i + 1, protocolErr("empty frame")
		case v > MaxFrameSize:
			return 0, i + 1, protocolErr("frame of %d bytes exceeds the limit of %d", v, MaxFrameSize)
		}
		return int(v), i + 1, nil
	}
	return 0, maxLengthBytes, protocolErr("frame length exceeds the limit of %d bytes", MaxFrameSize)
}

// decodeFrame parses a frame strictly: exactly one kind, no unknown fields,
// and the one encoding this implementation would write.
func decodeFrame(b []byte) (*pb.Frame, error) {
	var f pb.Frame
	if err := proto.Unmarshal(b, &f); err != nil {
		return nil, protocolErr("frame does not decode: %v", err)
	}
	inner := innerMessage(&f)
	if inner == nil {
		return nil, protocolErr("frame has no content")
	}
	if len(f.ProtoReflect().GetUnknown()) > 0 || len(inner.ProtoReflect().GetUnknown()) > 0 {
		return nil, protocolErr("%s frame has unknown fields", kindName(&f))
	}
	again, err := marshalOpts.Marshal(&f)
	if err != nil || !bytes.Equal(again, b) {
		return nil, protocolErr("%s frame is not canonically encoded", kindName(&f))
	}
	return &f, nil
}

// innerMessage returns the message in a frame's oneof, or nil.
func innerMessage(f *pb.Frame) proto.Message {
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

// kindName names a frame's kind for errors and logs.
func kindName(f *pb.Frame) string {
	if m := innerMessage(f); m != nil {
		return string(m.ProtoReflect().Descriptor().Name())
	}
	return "empty"
}

// Frame sizes, computed exactly so that batches fill frames without
// crossing the limit: a bytes field costs its tag (one byte for these field
// numbers), its length varint and its bytes.

// messagesSize is the size of a Messages body of cur bytes after appending
// an envelope (or a gone ID) of n bytes.
func messagesSize(cur, n int) int { return cur + 1 + protowire.SizeBytes(n) }

// messagesFrameSize is the size of a Frame holding a Messages body of n
// bytes.
func messagesFrameSize(n int) int { return 1 + protowire.SizeBytes(n) }

// helloFrameSize bounds the size of a Hello or Reconcile frame carrying a
// negentropy message of at most n bytes.
func helloFrameSize(n int) int {
	hello := 1 + protowire.SizeBytes(32) + 1 + protowire.SizeBytes(n)
	return 1 + protowire.SizeBytes(hello)
}

// Frame constructors.

func helloFrame(group []byte, neg []byte) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Hello{Hello: &pb.Hello{GroupId: group, Negentropy: neg}}}
}

func reconcileFrame(neg []byte) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Reconcile{Reconcile: &pb.Reconcile{Negentropy: neg}}}
}

func wantFrame(ids [][]byte) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Want{Want: &pb.Want{Ids: ids}}}
}

func messagesFrame(envs [][]byte) *pb.Frame { return answerFrame(envs, nil) }

// answerFrame answers a Want with envelopes and the IDs that are gone.
func answerFrame(envs, gone [][]byte) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Messages{Messages: &pb.Messages{Envelopes: envs, Gone: gone}}}
}

func ackFrame(stored int) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Ack{Ack: &pb.Ack{Stored: uint32(stored)}}}
}

func doneFrame() *pb.Frame { return &pb.Frame{Kind: &pb.Frame_Done{Done: &pb.Done{}}} }

func errorFrame(reason string) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Error{Error: &pb.Error{Reason: reason}}}
}
