package message_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"starling/message"
)

// This file is the tests' own, independent statement of the wire format: the
// field numbers, the canonical field order and the signature's domain prefix.
// The encoder under test must agree with it byte for byte, and the strictness
// tests bend it to write encodings the real encoder never produces.

// domainPrefix is what an author signs before the body bytes.
const domainPrefix = "starling/message/v1\x00"

// Field numbers of Envelope, Body and Text.
const (
	envBody      protowire.Number = 1
	envSignature protowire.Number = 2

	bodyVersion protowire.Number = 1
	bodyGroup   protowire.Number = 2
	bodyAuthor  protowire.Number = 3
	bodySentAt  protowire.Number = 4
	bodyKind    protowire.Number = 5
	bodyPayload protowire.Number = 6
	bodyRef     protowire.Number = 7
	bodyEpoch   protowire.Number = 8
	bodyExpires protowire.Number = 9

	textText protowire.Number = 1
	textNick protowire.Number = 2
)

var (
	// testNow is the receiver's clock in every test that does not vary it.
	testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	// testSentMS is a minute before testNow.
	testSentMS = message.TimeMS(testNow.Add(-time.Minute))
	testGroup  = message.GroupID(sha256.Sum256([]byte("starling test group")))
	testKey    = keyNamed("alice")
	otherKey   = keyNamed("mallory")
)

// keyNamed derives a fixed Ed25519 key, so signatures (deterministic in
// Ed25519) and therefore whole envelopes are the same on every run.
func keyNamed(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("starling test key: " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// field is one protobuf field as it goes on the wire. tag and val hold encoded
// bytes, so a test can write a non-minimal tag, length or varint.
type field struct {
	tag []byte
	val []byte
}

func varintField(num protowire.Number, v uint64) field {
	return field{tag: protowire.AppendTag(nil, num, protowire.VarintType), val: protowire.AppendVarint(nil, v)}
}

func bytesField(num protowire.Number, b []byte) field {
	return field{tag: protowire.AppendTag(nil, num, protowire.BytesType), val: protowire.AppendBytes(nil, b)}
}

func encodeFields(fs []field) []byte {
	var out []byte
	for _, f := range fs {
		out = append(append(out, f.tag...), f.val...)
	}
	return out
}

// bodyFields is the canonical encoding of b: fields in number order, zero
// values left out.
func bodyFields(b message.Body) []field {
	var fs []field
	addVarint := func(num protowire.Number, v uint64) {
		if v != 0 {
			fs = append(fs, varintField(num, v))
		}
	}
	addBytes := func(num protowire.Number, v []byte) {
		if len(v) != 0 {
			fs = append(fs, bytesField(num, v))
		}
	}
	addVarint(bodyVersion, uint64(b.Version))
	if b.Group != (message.GroupID{}) {
		addBytes(bodyGroup, b.Group[:])
	}
	addBytes(bodyAuthor, b.Author)
	addVarint(bodySentAt, b.SentAtMS)
	addVarint(bodyKind, uint64(b.Kind))
	addBytes(bodyPayload, b.Payload)
	if !b.Ref.IsZero() {
		addBytes(bodyRef, b.Ref[:])
	}
	addVarint(bodyEpoch, b.Epoch)
	addVarint(bodyExpires, b.ExpiresMS)
	return fs
}

// textPayload is the canonical encoding of a Text payload.
func textPayload(text, nick string) []byte {
	var fs []field
	if text != "" {
		fs = append(fs, bytesField(textText, []byte(text)))
	}
	if nick != "" {
		fs = append(fs, bytesField(textNick, []byte(nick)))
	}
	return encodeFields(fs)
}

func signBody(key ed25519.PrivateKey, body []byte) []byte {
	return ed25519.Sign(key, append([]byte(domainPrefix), body...))
}

func envelope(body, sig []byte) []byte {
	return encodeFields([]field{bytesField(envBody, body), bytesField(envSignature, sig)})
}

// sealFields encodes body fields and signs them with key, so the envelope
// fails only for whatever the fields themselves break.
func sealFields(key ed25519.PrivateKey, fs []field) []byte {
	body := encodeFields(fs)
	return envelope(body, signBody(key, body))
}

// textBody is a valid text body by testKey, sent a minute before testNow.
func textBody(t testing.TB, text, nick string) message.Body {
	t.Helper()
	payload, err := message.EncodeText(message.Text{Text: text, Nick: nick})
	if err != nil {
		t.Fatalf("EncodeText(%q, %q): %v", text, nick, err)
	}
	return message.Body{
		Version:  message.Version,
		Group:    testGroup,
		Author:   pubOf(testKey),
		SentAtMS: testSentMS,
		Kind:     message.KindText,
		Payload:  payload,
	}
}

func mustSign(t testing.TB, key ed25519.PrivateKey, b message.Body) *message.Message {
	t.Helper()
	m, err := message.Sign(key, b)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return m
}

var sentinels = []error{
	message.ErrTooLarge,
	message.ErrMalformed,
	message.ErrNonCanonical,
	message.ErrVersion,
	message.ErrUnknownKind,
	message.ErrBadPayload,
	message.ErrBadSignature,
	message.ErrFutureSkew,
	message.ErrExpired,
}

// family returns the one sentinel err wraps, failing the test when err wraps
// none or several: the package promises exactly one, so callers can map
// errors to validation results with errors.Is.
func family(t testing.TB, err error) error {
	t.Helper()
	var found []error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("error %q wraps %d sentinels %v, want exactly one", err, len(found), found)
	}
	return found[0]
}

// wantFamily checks that err wraps want and no other sentinel.
func wantFamily(t testing.TB, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %q", want)
	}
	if got := family(t, err); got != want {
		t.Fatalf("got %q, want it to wrap %q", err, want)
	}
}
