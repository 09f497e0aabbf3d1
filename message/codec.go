package message

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"starling/message/messagepb"
)

var (
	marshalOpts   = proto.MarshalOptions{Deterministic: true}
	unmarshalOpts = proto.UnmarshalOptions{DiscardUnknown: false}
)

// Sign encodes b, signs the body bytes with key and returns the message. It
// sets b.Version and b.Author from key when they are zero, and refuses a body
// that its own Validate would reject (except for time, which the receiver
// judges).
func Sign(key ed25519.PrivateKey, b Body) (*Message, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("sign: private key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	pub := key.Public().(ed25519.PublicKey)
	if b.Version == 0 {
		b.Version = Version
	}
	if b.Author == nil {
		b.Author = pub
	} else if !bytes.Equal(b.Author, pub) {
		return nil, fmt.Errorf("sign: body author is not the signing key")
	}
	if err := b.check(); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	pb := &messagepb.Body{
		Version:     b.Version,
		GroupId:     b.Group[:],
		Author:      b.Author,
		SentAtMs:    b.SentAtMS,
		Kind:        messagepb.Kind(b.Kind),
		Payload:     b.Payload,
		Epoch:       b.Epoch,
		ExpiresAtMs: b.ExpiresMS,
	}
	if !b.Ref.IsZero() {
		pb.Ref = b.Ref[:]
	}
	body, err := marshalOpts.Marshal(pb)
	if err != nil {
		return nil, fmt.Errorf("sign: encode body: %w", err)
	}
	sig := ed25519.Sign(key, signedBytes(body))
	raw, err := marshalOpts.Marshal(&messagepb.Envelope{Body: body, Signature: sig})
	if err != nil {
		return nil, fmt.Errorf("sign: encode envelope: %w", err)
	}
	if len(raw) > MaxEnvelopeSize {
		return nil, fmt.Errorf("sign: %w: %d bytes, limit %d", ErrTooLarge, len(raw), MaxEnvelopeSize)
	}
	b.Payload = bytes.Clone(b.Payload)
	return &Message{ID: sha256.Sum256(body), Body: b, BodyBytes: body, Signature: sig, Raw: raw}, nil
}

func signedBytes(body []byte) []byte {
	return appendSigned(make([]byte, 0, len(signaturePrefix)+len(body)), body)
}

// appendSigned appends the bytes a signature covers to dst.
func appendSigned(dst, body []byte) []byte {
	return append(append(dst, signaturePrefix...), body...)
}

// Decode parses an envelope strictly: size cap, exactly one encoding, field
// sizes and version. It does not check the signature or the time; Verify does
// all of it. The returned Message keeps raw (not a copy).
func Decode(raw []byte) (*Message, error) {
	if len(raw) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(raw), MaxEnvelopeSize)
	}
	var env messagepb.Envelope
	if err := decodeCanonical(raw, &env); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	if len(env.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature has %d bytes, want %d", ErrMalformed, len(env.Signature), ed25519.SignatureSize)
	}
	var pb messagepb.Body
	if err := decodeCanonical(env.Body, &pb); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	b := Body{
		Version:   pb.Version,
		Author:    ed25519.PublicKey(pb.Author),
		SentAtMS:  pb.SentAtMs,
		Kind:      Kind(pb.Kind),
		Payload:   pb.Payload,
		Epoch:     pb.Epoch,
		ExpiresMS: pb.ExpiresAtMs,
	}
	if b.Version != Version {
		return nil, fmt.Errorf("%w: %d (this node speaks %d)", ErrVersion, b.Version, Version)
	}
	if len(pb.GroupId) != len(b.Group) {
		return nil, fmt.Errorf("%w: group id has %d bytes, want %d", ErrMalformed, len(pb.GroupId), len(b.Group))
	}
	copy(b.Group[:], pb.GroupId)
	if len(pb.Author) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: author key has %d bytes, want %d", ErrMalformed, len(pb.Author), ed25519.PublicKeySize)
	}
	switch len(pb.Ref) {
	case 0:
	case len(b.Ref):
		copy(b.Ref[:], pb.Ref)
		if b.Ref.IsZero() {
			return nil, fmt.Errorf("%w: ref is the zero id", ErrMalformed)
		}
	default:
		return nil, fmt.Errorf("%w: ref has %d bytes, want %d", ErrMalformed, len(pb.Ref), len(b.Ref))
	}
	return &Message{ID: sha256.Sum256(env.Body), Body: b, BodyBytes: env.Body, Signature: env.Signature, Raw: raw}, nil
}

// decodeCanonical unmarshals b into m and accepts it only if the deterministic
// re-encoding is byte-identical: that rules out unknown fields, repeated or
// out-of-order fields, zero values written out and non-minimal varints.
func decodeCanonical(b []byte, m proto.Message) error {
	if err := unmarshalOpts.Unmarshal(b, m); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(m.ProtoReflect().GetUnknown()) > 0 {
		return fmt.Errorf("%w: unknown fields", ErrNonCanonical)
	}
	buf := scratchBufs.Get().(*[]byte)
	defer scratchBufs.Put(buf)
	again, err := marshalOpts.MarshalAppend((*buf)[:0], m)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	*buf = again[:0] // keeps what it grew to
	if !bytes.Equal(again, b) {
		return fmt.Errorf("%w", ErrNonCanonical)
	}
	return nil
}

// scratchBufs are buffers for bytes only looked at, never kept: the
// re-encoding decodeCanonical compares (every message each node receives
// is decoded at least twice, its validator's and its store's copy, and a
// new buffer each time was a third of a decode's allocation) and the
// signed bytes VerifySignature checks.
var scratchBufs = sync.Pool{New: func() any { return new([]byte) }}

// DecodeCanonical is the strict decoder of this package for other protobuf
// payloads (package group's): it accepts b only if the deterministic
// re-encoding of m reproduces it. Errors wrap ErrMalformed or ErrNonCanonical.
func DecodeCanonical(b []byte, m proto.Message) error { return decodeCanonical(b, m) }

// VerifySignature checks the author's signature over the body bytes.
func (m *Message) VerifySignature() error {
	buf := scratchBufs.Get().(*[]byte)
	defer scratchBufs.Put(buf)
	signed := appendSigned((*buf)[:0], m.BodyBytes)
	*buf = signed[:0]
	if !ed25519.Verify(m.Body.Author, signed, m.Signature) {
		return ErrBadSignature
	}
	return nil
}

// CheckTime applies the clock rules at now: not dated past now+MaxFutureSkew,
// not expired.
func (m *Message) CheckTime(now time.Time) error {
	limit := TimeMS(now.Add(MaxFutureSkew))
	if m.Body.SentAtMS > limit {
		return fmt.Errorf("%w: sent %s, now %s", ErrFutureSkew,
			m.Body.SentAt().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if m.Body.ExpiresMS != 0 && m.Body.ExpiresMS <= TimeMS(now) {
		return fmt.Errorf("%w: at %s", ErrExpired, time.UnixMilli(int64(m.Body.ExpiresMS)).UTC().Format(time.RFC3339))
	}
	return nil
}

// CheckBody applies the rules on the body's content that need no clock and
// no key: version, author, send time present, known kind, valid payload.
func (m *Message) CheckBody() error { return m.Body.check() }

// VerifyTimeless applies the stateless rules but the clock to an encoded
// envelope: size and format, kind and payload, then the signature. It is
// for messages whose time is judged against something else, such as a
// picture's chunks against their manifest.
func VerifyTimeless(raw []byte) (*Message, error) {
	m, err := Decode(raw)
	if err != nil {
		return nil, err
	}
	if err := m.Body.check(); err != nil {
		return nil, err
	}
	if err := m.VerifySignature(); err != nil {
		return nil, err
	}
	return m, nil
}

// Verify applies every stateless rule to an encoded envelope, cheapest first:
// size and format, kind and payload, time, then the signature.
func Verify(raw []byte, now time.Time) (*Message, error) {
	m, err := Decode(raw)
	if err != nil {
		return nil, err
	}
	if err := m.Body.check(); err != nil {
		return nil, err
	}
	if err := m.CheckTime(now); err != nil {
		return nil, err
	}
	if err := m.VerifySignature(); err != nil {
		return nil, err
	}
	return m, nil
}

// check applies the rules on a body's content that need no clock.
func (b *Body) check() error {
	if b.Version != Version {
		return fmt.Errorf("%w: %d", ErrVersion, b.Version)
	}
	if len(b.Author) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: author key has %d bytes", ErrMalformed, len(b.Author))
	}
	if b.SentAtMS == 0 {
		return fmt.Errorf("%w: no send time", ErrMalformed)
	}
	if !b.Kind.known() {
		return fmt.Errorf("%w: %d", ErrUnknownKind, uint32(b.Kind))
	}
	if b.Kind == KindText && b.Epoch == 0 {
		if _, err := DecodeText(b.Payload); err != nil {
			return err
		}
	}
	return nil
}

// IDOf returns the ID of an encoded envelope without decoding or verifying
// it: SHA-256 of its body field. It is for GossipSub's message-ID function,
// which runs before validation; a malformed envelope gets an error and is
// rejected by the validator anyway.
func IDOf(raw []byte) (ID, error) {
	var body []byte
	found := false
	for b := raw; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ID{}, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType && !found {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return ID{}, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(m))
			}
			body, found = v, true
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return ID{}, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(m))
		}
		b = b[m:]
	}
	if !found {
		return ID{}, fmt.Errorf("%w: no body", ErrMalformed)
	}
	return sha256.Sum256(body), nil
}
