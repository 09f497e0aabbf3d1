package message

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"
)

// Version is the only body version this code writes and accepts.
const Version = 1

// Limits of the stateless rules.
const (
	// MaxEnvelopeSize caps an encoded envelope. Chat messages are small; the
	// cap leaves room for key deliveries to a few hundred members.
	MaxEnvelopeSize = 64 << 10
	// MaxTextSize caps the UTF-8 bytes of a text message.
	MaxTextSize = 16 << 10
	// MaxNickSize caps the UTF-8 bytes of a display name.
	MaxNickSize = 64
	// MaxFutureSkew is how far past the receiver's clock a sent_at may be.
	// Later messages are not accepted yet; catch-up brings them once the
	// receiver's clock has moved on.
	MaxFutureSkew = 5 * time.Minute
)

// signaturePrefix separates Starling message signatures from anything else
// the same key might ever sign.
const signaturePrefix = "starling/message/v1\x00"

// ID identifies a message: SHA-256 of its body bytes.
type ID [32]byte

// String returns the ID in lower-case hex.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 8 hex digits, for logs and people.
func (id ID) Short() string { return hex.EncodeToString(id[:4]) }

// IsZero reports whether id is the zero ID (no message).
func (id ID) IsZero() bool { return id == ID{} }

// ParseID parses a 64-digit hex message ID.
func ParseID(s string) (ID, error) {
	var id ID
	if err := parseHex32(s, id[:]); err != nil {
		return ID{}, fmt.Errorf("message id: %w", err)
	}
	return id, nil
}

// GroupID identifies a group. For an open channel it derives from the name;
// for other kinds it is chosen when the group is created.
type GroupID [32]byte

// String returns the group ID in lower-case hex.
func (g GroupID) String() string { return hex.EncodeToString(g[:]) }

// Short returns the first 8 hex digits, for logs and people.
func (g GroupID) Short() string { return hex.EncodeToString(g[:4]) }

// ParseGroupID parses a 64-digit hex group ID.
func ParseGroupID(s string) (GroupID, error) {
	var g GroupID
	if err := parseHex32(s, g[:]); err != nil {
		return GroupID{}, fmt.Errorf("group id: %w", err)
	}
	return g, nil
}

func parseHex32(s string, dst []byte) error {
	if len(s) != 64 {
		return fmt.Errorf("want 64 hex digits, got %d characters", len(s))
	}
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		return fmt.Errorf("not hex: %w", err)
	}
	return nil
}

// Kind says how to read a body's payload.
type Kind uint32

// The kinds this version knows. Unknown kinds decode (they may come from a
// newer peer) but fail Validate with ErrUnknownKind.
const (
	KindText       Kind = 1
	KindDescriptor Kind = 2
	KindDelete     Kind = 3
	// 4 and 5 (standalone bans and rekeys) are retired: they are Ops now.
	KindProfile Kind = 6
	KindOp      Kind = 7
	KindOpPart  Kind = 8
	// KindImage is a picture's manifest; KindImageChunk a piece of it
	// (media/design.md).
	KindImage      Kind = 9
	KindImageChunk Kind = 10
	// KindAlert is an organiser's alert: only the owner and admins of a
	// created group send one, and it travels ahead of ordinary traffic.
	KindAlert Kind = 11
	// KindReaction is an emoji reaction to the message ref names.
	KindReaction Kind = 12
	// KindAlertAck says that the author's device displayed the alert ref
	// names. It is never stored, gossiped or reconciled: it goes to a few
	// peers, which count it (group/alert.go).
	KindAlertAck Kind = 13
)

var kindNames = map[Kind]string{
	KindText:       "text",
	KindDescriptor: "descriptor",
	KindDelete:     "delete",
	KindProfile:    "profile",
	KindOp:         "op",
	KindOpPart:     "op-part",
	KindImage:      "image",
	KindImageChunk: "image-chunk",
	KindAlert:      "alert",
	KindReaction:   "reaction",
	KindAlertAck:   "alert-ack",
}

func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", uint32(k))
}

func (k Kind) known() bool { _, ok := kindNames[k]; return ok }

// Body is the signed content of a message.
type Body struct {
	Version uint32
	Group   GroupID
	// Author is the author's Ed25519 public key.
	Author    ed25519.PublicKey
	SentAtMS  uint64
	Kind      Kind
	Payload   []byte
	Ref       ID // zero: none
	Epoch     uint64
	ExpiresMS uint64 // zero: never
}

// SentAt returns the author's send time.
func (b *Body) SentAt() time.Time { return time.UnixMilli(int64(b.SentAtMS)) }

// Message is a decoded envelope. Raw holds the envelope bytes exactly as
// signed and received; a Message never re-encodes.
type Message struct {
	ID        ID
	Body      Body
	BodyBytes []byte
	Signature []byte
	Raw       []byte
}

// LogValue keeps payloads out of logs.
func (m *Message) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", m.ID.Short()),
		slog.String("group", m.Body.Group.Short()),
		slog.String("kind", m.Body.Kind.String()),
		slog.Int("size", len(m.Raw)),
	)
}

// TimeMS converts t to the milliseconds a body carries.
func TimeMS(t time.Time) uint64 {
	ms := t.UnixMilli()
	if ms < 0 {
		return 0
	}
	return uint64(ms)
}
