package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"starling/message"
)

// Origin says how a message reached this node.
type Origin uint8

// Origins. The zero value is not an origin, so a forgotten one is caught.
const (
	OriginOwn     Origin = 1 // written by this node's user
	OriginGossip  Origin = 2 // received on a GossipSub topic
	OriginCatchup Origin = 3 // fetched by history catch-up
)

func (o Origin) String() string {
	switch o {
	case OriginOwn:
		return "own"
	case OriginGossip:
		return "gossip"
	case OriginCatchup:
		return "catchup"
	default:
		return fmt.Sprintf("origin(%d)", uint8(o))
	}
}

func (o Origin) valid() bool { return o >= OriginOwn && o <= OriginCatchup }

// Stored is a message as the store holds it.
type Stored struct {
	Msg        *message.Message
	Origin     Origin
	ReceivedAt time.Time
}

// A message record is received_at (unix ns, 8 bytes big-endian), the origin
// (1 byte) and the raw envelope.
const recordHeaderLen = 9

func encodeRecord(st Stored) []byte {
	return append(recordHeader(st, len(st.Msg.Raw)), st.Msg.Raw...)
}

// recordHeader is a record's header, with room for extra bytes after it.
func recordHeader(st Stored, extra int) []byte {
	rec := make([]byte, 0, recordHeaderLen+extra)
	rec = binary.BigEndian.AppendUint64(rec, uint64(timeNS(st.ReceivedAt)))
	return append(rec, byte(st.Origin))
}

// decodeRecord parses the record stored under id. rec must be the caller's
// own copy: the message keeps referring to it. Errors wrap ErrCorrupt.
func decodeRecord(id message.ID, rec []byte) (Stored, error) {
	st, err := parseRecord(id, rec)
	if err != nil {
		return Stored{}, fmt.Errorf("%w: message %s: %w", ErrCorrupt, id.Short(), err)
	}
	return st, nil
}

func parseRecord(id message.ID, rec []byte) (Stored, error) {
	if len(rec) < recordHeaderLen {
		return Stored{}, fmt.Errorf("record has %d bytes, less than its header", len(rec))
	}
	m, err := message.Decode(rec[recordHeaderLen:])
	if err != nil {
		return Stored{}, fmt.Errorf("envelope does not decode: %w", err)
	}
	if m.ID != id {
		return Stored{}, fmt.Errorf("envelope has id %s", m.ID.Short())
	}
	return Stored{
		Msg:        m,
		Origin:     Origin(rec[8]),
		ReceivedAt: timeFromNS(int64(binary.BigEndian.Uint64(rec))),
	}, nil
}

// timeNS and timeFromNS store times as Unix nanoseconds, with 0 for the
// zero time.
func timeNS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func timeFromNS(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
