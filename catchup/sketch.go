package catchup

import (
	"cmp"

	"github.com/libp2p/go-libp2p/core/protocol"
	"google.golang.org/protobuf/encoding/protowire"

	pb "starling/catchup/catchuppb"
	"starling/catchup/wire"
	"starling/negentropy"
	"starling/riblt"
)

// ProtocolID2 is the catch-up protocol that reconciles with Rateless IBLTs
// (package riblt) first and Negentropy when the difference is too large.
// A Service serves both it and ProtocolID, and Sync offers both, this one
// first, so a peer that only speaks ProtocolID still reconciles.
const ProtocolID2 = wire.ProtocolV2

// MaxSymbols caps the coded symbols of one 2.0.0 session: about 880 KB on
// the wire and 1.5 MB in the initiator's decoder, enough for a difference
// of 45,000 messages; a larger one is reconciled with Negentropy.
const MaxSymbols = riblt.DefaultMaxSymbols

// keySize is the size of a riblt key in a WantKeys frame.
const keySize = 8

// sketchOptions holds a Service's settings and state for 2.0.0. Its zero
// value is the protocol's: tests change the settings to play an old peer or
// a low cap.
type sketchOptions struct {
	offer      []protocol.ID // what Sync offers, preferred first; nil: both, 2.0.0 first
	maxSymbols int           // 0: MaxSymbols
	maxMessage int           // riblt messages' cap in bytes; 0: what the frame limit allows
	deleted    deletedIDs
}

func (o *sketchOptions) offered() []protocol.ID {
	if o.offer == nil {
		return []protocol.ID{ProtocolID2, ProtocolID}
	}
	return o.offer
}

// sketchSet lets riblt read a snapshot's IDs, and then extra IDs this node
// knows to be deleted (see deletedIDs), so that a peer's copies of them
// cancel out instead of being fetched again.
type sketchSet struct {
	items *negentropy.Vector
	extra [][negentropy.IDSize]byte
}

func (s sketchSet) Size() int { return s.items.Size() + len(s.extra) }

func (s sketchSet) ID(i int) [riblt.IDSize]byte {
	if i < s.items.Size() {
		return s.items.Get(i).ID
	}
	return s.extra[i-s.items.Size()]
}

// config is riblt's config for a side whose frames hold at most maxFrame
// bytes: a Sketch frame wraps the riblt message in two tags and two length
// varints.
func (o *sketchOptions) config(maxFrame int) riblt.Config {
	return riblt.Config{
		MaxSymbols:     cmp.Or(o.maxSymbols, MaxSymbols),
		MaxMessageSize: cmp.Or(o.maxMessage, maxFrame-2*(1+protowire.SizeVarint(MaxFrameSize))),
	}
}

// Frame constructors of 2.0.0.

func sketchHelloFrame(group, request []byte) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Hello{Hello: &pb.Hello{GroupId: group, Sketch: request}}}
}

func sketchFrame(msg []byte) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_Sketch{Sketch: &pb.Sketch{Riblt: msg}}}
}

func wantKeysFrame(keys []byte) *pb.Frame {
	return &pb.Frame{Kind: &pb.Frame_WantKeys{WantKeys: &pb.WantKeys{Keys: keys}}}
}
