package catchup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"google.golang.org/protobuf/proto"

	pb "starling/catchup/catchuppb"
	"starling/catchup/wire"
)

// marshalOpts is the encoding frames are written with (the tests write
// frames by hand).
var marshalOpts = proto.MarshalOptions{Deterministic: true}

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
	out, err := wire.Append(make([]byte, 0, 64), f, c.limit)
	if err != nil {
		return err
	}
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
	n, read, err = wire.ReadLength(r)
	return n, read, fromWire(err)
}

// decodeFrame parses a frame strictly (wire.Decode).
func decodeFrame(b []byte) (*pb.Frame, error) {
	f, err := wire.Decode(b)
	return f, fromWire(err)
}

// fromWire turns the wire package's violations into this package's errors,
// which blame the peer.
func fromWire(err error) error {
	var v *wire.Violation
	switch {
	case !errors.As(err, &v):
		return err
	case v.Unrequested:
		return fmt.Errorf("%w: %s", ErrUnrequested, v.Msg)
	}
	return protocolErr("%s", v.Msg)
}

func kindName(f *pb.Frame) string { return wire.KindName(f) }

func messagesSize(cur, n int) int               { return wire.MessagesSize(cur, n) }
func messagesFrameSize(n int) int               { return wire.MessagesFrameSize(n) }
func helloFrameSize(n int) int                  { return wire.HelloFrameSize(n) }
func helloFrame(group, neg []byte) *pb.Frame    { return wire.Hello(group, neg) }
func reconcileFrame(neg []byte) *pb.Frame       { return wire.Reconcile(neg) }
func wantFrame(ids [][]byte) *pb.Frame          { return wire.Want(ids) }
func messagesFrame(envs [][]byte) *pb.Frame     { return wire.Messages(envs) }
func answerFrame(envs, gone [][]byte) *pb.Frame { return wire.Answer(envs, gone) }
func ackFrame(stored int) *pb.Frame             { return wire.Ack(stored) }
func doneFrame() *pb.Frame                      { return wire.Done() }
func errorFrame(reason string) *pb.Frame        { return wire.Error(reason) }
