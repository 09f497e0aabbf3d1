package catchup

import (
	"bufio"
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	pb "starling/catchup/catchuppb"
	"starling/catchup/wire"
)

// seedFrames is one frame of every kind.
func seedFrames() []*pb.Frame {
	g := groupID("fuzz")
	return []*pb.Frame{
		helloFrame(g[:], []byte{0x61}),
		reconcileFrame([]byte{0x61, 0x00, 0x00}),
		wantFrame([][]byte{g[:], make([]byte, 32)}),
		messagesFrame([][]byte{{1, 2, 3}, {}}),
		ackFrame(7),
		doneFrame(),
		errorFrame("busy"),
	}
}

// decodeFrame never panics, and what it accepts is the one encoding of a
// frame with exactly one kind and no unknown fields.
func FuzzDecodeFrame(f *testing.F) {
	for _, fr := range seedFrames() {
		b, err := marshalOpts.Marshal(fr)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add(garbage[1:])
	f.Add([]byte{0x32, 0x00, 0x32, 0x00})       // Done twice
	f.Add([]byte{0x1a, 0x03, 0xfa, 0x01, 0x00}) // Want with an unknown field
	f.Add([]byte{0x2a, 0x02, 0x08, 0x00})       // Ack with an explicit zero
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := decodeFrame(b)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("error %v does not wrap ErrProtocol", err)
			}
			return
		}
		if wire.Inner(fr) == nil {
			t.Fatal("accepted a frame without content")
		}
		again, err := marshalOpts.Marshal(fr)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted a frame that does not re-encode to itself: %x", b)
		}
	})
}

// readLength accepts exactly the minimal varints from 1 to MaxFrameSize.
func FuzzReadLength(f *testing.F) {
	for _, n := range []uint64{0, 1, 127, 128, MaxFrameSize, MaxFrameSize + 1, 1 << 40} {
		f.Add(protowire.AppendVarint(nil, n))
	}
	f.Add([]byte{0x80, 0x00})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, read, err := readLength(bufio.NewReader(bytes.NewReader(b)))
		v, m := protowire.ConsumeVarint(b)
		minimal := m > 0 && m == protowire.SizeVarint(v)
		switch {
		case err == nil:
			if !minimal || uint64(n) != v || read != m || n < 1 || n > MaxFrameSize {
				t.Fatalf("accepted %x as %d (read %d)", b, n, read)
			}
		case minimal && v >= 1 && v <= MaxFrameSize:
			t.Fatalf("refused %x (%d): %v", b, v, err)
		}
	})
}
