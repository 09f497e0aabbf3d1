package message_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"starling/message"
)

// validFields is the canonical body of a text message by testKey.
func validFields(t testing.TB) []field {
	t.Helper()
	return bodyFields(textBody(t, "hello", "ada"))
}

// withField returns fs with the field numbered num replaced by f (or f
// appended in order when fs has none), leaving fs itself alone.
func withField(fs []field, num protowire.Number, f *field) []field {
	out := make([]field, 0, len(fs)+1)
	placed := false
	for _, g := range fs {
		n, _, _ := protowire.ConsumeTag(g.tag)
		if n == num {
			if f != nil {
				out = append(out, *f)
			}
			placed = true
			continue
		}
		if n > num && !placed && f != nil {
			out = append(out, *f)
			placed = true
		}
		out = append(out, g)
	}
	if !placed && f != nil {
		out = append(out, *f)
	}
	return out
}

func set(fs []field, f field) []field {
	n, _, _ := protowire.ConsumeTag(f.tag)
	return withField(fs, n, &f)
}

func drop(fs []field, num protowire.Number) []field { return withField(fs, num, nil) }

// nonMinimal writes v as a varint one byte longer than it needs.
func nonMinimal(v uint64) []byte {
	b := protowire.AppendVarint(nil, v)
	b[len(b)-1] |= 0x80
	return append(b, 0x00)
}

func TestStrictness(t *testing.T) {
	sign := func(fs []field) []byte { return sealFields(testKey, fs) }
	body := func() []byte { return encodeFields(validFields(t)) }
	sig := func(b []byte) []byte { return signBody(testKey, b) }
	ref := message.ID(sha256.Sum256([]byte("parent")))
	textOf := func(payload []byte) []field { return set(validFields(t), bytesField(bodyPayload, payload)) }

	tests := []struct {
		name string
		raw  func() []byte
		want error
	}{
		// Body encoding: one message, one encoding.
		{"body unknown varint field", func() []byte { return sign(append(validFields(t), varintField(10, 1))) }, message.ErrNonCanonical},
		{"body unknown bytes field", func() []byte { return sign(append(validFields(t), bytesField(100, []byte("x")))) }, message.ErrNonCanonical},
		{"body unknown field first", func() []byte { return sign(append([]field{varintField(15, 1)}, validFields(t)...)) }, message.ErrNonCanonical},
		{"body explicit zero epoch", func() []byte { return sign(set(validFields(t), varintField(bodyEpoch, 0))) }, message.ErrNonCanonical},
		{"body explicit zero expiry", func() []byte { return sign(set(validFields(t), varintField(bodyExpires, 0))) }, message.ErrNonCanonical},
		{"body explicit empty ref", func() []byte { return sign(set(validFields(t), bytesField(bodyRef, nil))) }, message.ErrNonCanonical},
		{"body fields out of order", func() []byte {
			fs := validFields(t)
			fs[1], fs[2] = fs[2], fs[1]
			return sign(fs)
		}, message.ErrNonCanonical},
		{"body fields reversed", func() []byte {
			fs := validFields(t)
			slices.Reverse(fs)
			return sign(fs)
		}, message.ErrNonCanonical},
		{"body duplicated varint", func() []byte {
			fs := validFields(t)
			return sign(append(fs, varintField(bodyExpires, testSentMS+1), varintField(bodyExpires, testSentMS+1)))
		}, message.ErrNonCanonical},
		{"body duplicated bytes", func() []byte {
			fs := validFields(t)
			return sign(slices.Insert(fs, 2, fs[1]))
		}, message.ErrNonCanonical},
		{"body non-minimal varint", func() []byte {
			return sign(set(validFields(t), field{tag: varintField(bodySentAt, 0).tag, val: nonMinimal(testSentMS)}))
		}, message.ErrNonCanonical},
		{"body non-minimal length", func() []byte {
			return sign(set(validFields(t), field{tag: bytesField(bodyGroup, nil).tag, val: append(nonMinimal(32), testGroup[:]...)}))
		}, message.ErrNonCanonical},
		{"body non-minimal tag", func() []byte {
			fs := validFields(t)
			fs[0].tag = nonMinimal(uint64(protowire.EncodeTag(bodyVersion, protowire.VarintType)))
			return sign(fs)
		}, message.ErrNonCanonical},
		{"body version as bytes", func() []byte { return sign(set(validFields(t), bytesField(bodyVersion, []byte{1}))) }, message.ErrNonCanonical},
		{"body version beyond uint32", func() []byte {
			return sign(set(validFields(t), varintField(bodyVersion, 1<<32|message.Version)))
		}, message.ErrNonCanonical},
		{"body trailing zero byte", func() []byte { return sign(append(validFields(t), field{val: []byte{0}})) }, message.ErrMalformed},
		{"body trailing half varint", func() []byte { return sign(append(validFields(t), field{val: []byte{0x80}})) }, message.ErrMalformed},
		{"body truncated", func() []byte {
			b := body()
			b = b[:len(b)-1]
			return envelope(b, sig(b))
		}, message.ErrMalformed},
		{"body end group without start", func() []byte {
			return sign(append(validFields(t), field{tag: protowire.AppendTag(nil, 11, protowire.EndGroupType)}))
		}, message.ErrMalformed},

		// Body content.
		{"version 0", func() []byte { return sign(drop(validFields(t), bodyVersion)) }, message.ErrVersion},
		{"version 2", func() []byte { return sign(set(validFields(t), varintField(bodyVersion, 2))) }, message.ErrVersion},
		{"no group", func() []byte { return sign(drop(validFields(t), bodyGroup)) }, message.ErrMalformed},
		{"group 31 bytes", func() []byte { return sign(set(validFields(t), bytesField(bodyGroup, testGroup[:31]))) }, message.ErrMalformed},
		{"group 33 bytes", func() []byte {
			return sign(set(validFields(t), bytesField(bodyGroup, append(testGroup[:], 0))))
		}, message.ErrMalformed},
		{"no author", func() []byte { return sign(drop(validFields(t), bodyAuthor)) }, message.ErrMalformed},
		{"author 31 bytes", func() []byte { return sign(set(validFields(t), bytesField(bodyAuthor, pubOf(testKey)[:31]))) }, message.ErrMalformed},
		{"author 33 bytes", func() []byte {
			return sign(set(validFields(t), bytesField(bodyAuthor, append(slices.Clone(pubOf(testKey)), 0))))
		}, message.ErrMalformed},
		{"ref 31 bytes", func() []byte { return sign(set(validFields(t), bytesField(bodyRef, ref[:31]))) }, message.ErrMalformed},
		{"ref 33 bytes", func() []byte { return sign(set(validFields(t), bytesField(bodyRef, append(ref[:], 1)))) }, message.ErrMalformed},
		{"zero ref", func() []byte { return sign(set(validFields(t), bytesField(bodyRef, make([]byte, 32)))) }, message.ErrMalformed},
		{"no send time", func() []byte { return sign(drop(validFields(t), bodySentAt)) }, message.ErrMalformed},
		{"no kind", func() []byte { return sign(drop(validFields(t), bodyKind)) }, message.ErrUnknownKind},
		{"unknown kind", func() []byte { return sign(set(validFields(t), varintField(bodyKind, 99))) }, message.ErrUnknownKind},
		{"no payload", func() []byte { return sign(drop(validFields(t), bodyPayload)) }, message.ErrBadPayload},
		{"empty text", func() []byte { return sign(textOf(textPayload("", "ada"))) }, message.ErrBadPayload},
		{"invalid UTF-8 text", func() []byte {
			return sign(textOf(encodeFields([]field{bytesField(textText, []byte("\xed\xa0\x80"))})))
		}, message.ErrBadPayload},
		{"text too long", func() []byte { return sign(textOf(textPayload(strings.Repeat("a", message.MaxTextSize+1), ""))) }, message.ErrBadPayload},
		{"text payload unknown field", func() []byte {
			return sign(textOf(append(textPayload("a", ""), encodeFields([]field{varintField(9, 1)})...)))
		}, message.ErrBadPayload},

		// Envelope encoding.
		{"empty input", func() []byte { return nil }, message.ErrMalformed},
		{"envelope unknown field", func() []byte {
			b := body()
			return append(envelope(b, sig(b)), encodeFields([]field{varintField(3, 1)})...)
		}, message.ErrNonCanonical},
		{"envelope signature first", func() []byte {
			b := body()
			return encodeFields([]field{bytesField(envSignature, sig(b)), bytesField(envBody, b)})
		}, message.ErrNonCanonical},
		{"envelope duplicated body", func() []byte {
			b := body()
			return encodeFields([]field{bytesField(envBody, b), bytesField(envBody, b), bytesField(envSignature, sig(b))})
		}, message.ErrNonCanonical},
		{"envelope non-minimal body length", func() []byte {
			b := body()
			return encodeFields([]field{{tag: bytesField(envBody, nil).tag, val: append(nonMinimal(uint64(len(b))), b...)}, bytesField(envSignature, sig(b))})
		}, message.ErrNonCanonical},
		{"envelope trailing zero byte", func() []byte {
			b := body()
			return append(envelope(b, sig(b)), 0)
		}, message.ErrMalformed},
		{"envelope trailing 0xff", func() []byte {
			b := body()
			return append(envelope(b, sig(b)), 0xff)
		}, message.ErrMalformed},
		{"envelope no body", func() []byte { return encodeFields([]field{bytesField(envSignature, sig(nil))}) }, message.ErrVersion},
		{"no signature", func() []byte { return encodeFields([]field{bytesField(envBody, body())}) }, message.ErrMalformed},
		{"signature 63 bytes", func() []byte {
			b := body()
			return envelope(b, sig(b)[:63])
		}, message.ErrMalformed},
		{"signature 65 bytes", func() []byte {
			b := body()
			return envelope(b, append(sig(b), 0))
		}, message.ErrMalformed},
		{"oversized envelope", func() []byte {
			b := body()
			return append(envelope(b, sig(b)), make([]byte, message.MaxEnvelopeSize)...)
		}, message.ErrTooLarge},
		{"oversized garbage", func() []byte { return bytes.Repeat([]byte{0xff}, message.MaxEnvelopeSize+1) }, message.ErrTooLarge},
		{"envelope at limit+1", func() []byte { return sizedEnvelope(t, message.MaxEnvelopeSize+1) }, message.ErrTooLarge},

		// Signature.
		{"signed by another key", func() []byte { return sealFields(otherKey, validFields(t)) }, message.ErrBadSignature},
		{"zero signature", func() []byte {
			b := body()
			return envelope(b, make([]byte, 64))
		}, message.ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.raw()
			m, err := message.Verify(raw, testNow)
			if err == nil {
				t.Fatalf("Verify accepted %x as %+v", raw, m.Body)
			}
			wantFamily(t, err, tc.want)
			if m != nil {
				t.Errorf("Verify returned a message beside %v", err)
			}
		})
	}
}

// TestStrictnessBaseline proves the builders above make a valid envelope, so
// each case in TestStrictness fails for its own reason.
func TestStrictnessBaseline(t *testing.T) {
	raw := sealFields(testKey, validFields(t))
	m, err := message.Verify(raw, testNow)
	if err != nil {
		t.Fatalf("Verify(baseline): %v", err)
	}
	if want := mustSign(t, testKey, textBody(t, "hello", "ada")); !bytes.Equal(raw, want.Raw) {
		t.Fatalf("hand-built envelope\n%x\ndiffers from Sign's\n%x", raw, want.Raw)
	}
	if _, err := m.Text(); err != nil {
		t.Fatalf("Text: %v", err)
	}
}

// sizedEnvelope builds a validly signed sealed envelope of exactly n bytes.
func sizedEnvelope(t testing.TB, n int) []byte {
	t.Helper()
	fs := set(validFields(t), varintField(bodyEpoch, 1))
	size := n - 200
	for range 5 {
		raw := sealFields(testKey, set(fs, bytesField(bodyPayload, make([]byte, size))))
		if len(raw) == n {
			return raw
		}
		size += n - len(raw)
	}
	t.Fatalf("cannot build an envelope of %d bytes", n)
	return nil
}

func TestSizeLimit(t *testing.T) {
	raw := sizedEnvelope(t, message.MaxEnvelopeSize)
	if _, err := message.Verify(raw, testNow); err != nil {
		t.Fatalf("Verify(%d bytes, the limit): %v", len(raw), err)
	}
}

// TestBitFlips flips every bit of valid envelopes in turn: each copy must fail,
// with exactly one sentinel.
func TestBitFlips(t *testing.T) {
	seen := map[error]int{}
	for _, tc := range goldenCases(t) {
		raw := mustSign(t, goldenKey, tc.body).Raw
		for i := range len(raw) * 8 {
			flipped := slices.Clone(raw)
			flipped[i/8] ^= 1 << (i % 8)
			m, err := message.Verify(flipped, goldenNow)
			if err == nil {
				t.Fatalf("%s: flipping bit %d gave a valid message %+v", tc.name, i, m.Body)
			}
			seen[family(t, err)]++
			if d, err := message.Decode(flipped); err == nil {
				if id, err := message.IDOf(flipped); err != nil || id != d.ID {
					t.Fatalf("%s: bit %d: IDOf = %s, %v; Decode's ID %s", tc.name, i, id, err, d.ID)
				}
			}
		}
	}
	t.Logf("error families over all flips: %v", seen)
	for _, want := range []error{message.ErrBadSignature, message.ErrMalformed, message.ErrNonCanonical} {
		if seen[want] == 0 {
			t.Errorf("no flip gave %q; seen %v", want, seen)
		}
	}
	if seen[message.ErrTooLarge] != 0 {
		t.Errorf("a flip gave %q without changing the size", message.ErrTooLarge)
	}
}

// TestTruncations: no prefix of a valid envelope verifies.
func TestTruncations(t *testing.T) {
	for _, tc := range goldenCases(t) {
		raw := mustSign(t, goldenKey, tc.body).Raw
		for n := range len(raw) {
			if _, err := message.Verify(raw[:n], goldenNow); err == nil {
				t.Fatalf("%s: the first %d of %d bytes verify", tc.name, n, len(raw))
			} else {
				family(t, err)
			}
		}
	}
}

func TestTime(t *testing.T) {
	now := testNow
	nowMS := message.TimeMS(now)
	skewMS := uint64(message.MaxFutureSkew / time.Millisecond)
	tests := []struct {
		name      string
		sent      uint64
		expires   uint64
		now       time.Time
		wantError error
	}{
		{"now", nowMS, 0, now, nil},
		{"long ago", 1, 0, now, nil},
		{"at the skew limit", nowMS + skewMS, 0, now, nil},
		{"1 ms past the skew limit", nowMS + skewMS + 1, 0, now, message.ErrFutureSkew},
		{"skew limit with sub-ms clock", nowMS + skewMS, 0, now.Add(999 * time.Microsecond), nil},
		{"far future", 1 << 62, 0, now, message.ErrFutureSkew},
		{"max uint64 send time", 1<<64 - 1, 0, now, message.ErrFutureSkew},
		{"expires in 1 ms", nowMS - 1000, nowMS + 1, now, nil},
		{"expires now", nowMS - 1000, nowMS, now, message.ErrExpired},
		{"expired an hour ago", nowMS - 1000, nowMS - 3_600_000, now, message.ErrExpired},
		{"expired before sent", nowMS - 1000, nowMS - 2000, now, message.ErrExpired},
		{"receiver clock before 1970", 1, 0, time.Unix(-10, 0), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := textBody(t, "tick", "")
			b.SentAtMS, b.ExpiresMS = tc.sent, tc.expires
			raw := mustSign(t, testKey, b).Raw

			_, err := message.Verify(raw, tc.now)
			m, derr := message.Decode(raw)
			if derr != nil {
				t.Fatalf("Decode: %v", derr)
			}
			cerr := m.CheckTime(tc.now)
			if tc.wantError == nil {
				if err != nil || cerr != nil {
					t.Fatalf("Verify: %v, CheckTime: %v; want both nil", err, cerr)
				}
				return
			}
			wantFamily(t, err, tc.wantError)
			wantFamily(t, cerr, tc.wantError)
		})
	}
}

// TestVerifyOrder: a message that breaks several rules reports the cheapest.
func TestVerifyOrder(t *testing.T) {
	b := textBody(t, "late", "")
	b.SentAtMS = message.TimeMS(testNow.Add(time.Hour))
	m := mustSign(t, testKey, b)
	sig := slices.Clone(m.Signature)
	sig[0] ^= 1
	_, err := message.Verify(envelope(m.BodyBytes, sig), testNow)
	wantFamily(t, err, message.ErrFutureSkew)
}

func TestSignatureBinding(t *testing.T) {
	a := mustSign(t, testKey, textBody(t, "yes", ""))
	b := mustSign(t, testKey, textBody(t, "no", ""))
	tests := []struct {
		name string
		raw  []byte
	}{
		{"another body's signature", envelope(b.BodyBytes, a.Signature)},
		{"signature without the domain prefix", envelope(a.BodyBytes, ed25519Sign(a.BodyBytes))},
		{"signature under another prefix", envelope(a.BodyBytes, ed25519Sign(append([]byte("starling/message/v2\x00"), a.BodyBytes...)))},
		{"signature over the prefix without its NUL", envelope(a.BodyBytes, ed25519Sign(append([]byte(strings.TrimSuffix(domainPrefix, "\x00")), a.BodyBytes...)))},
		{"signature over the whole envelope", envelope(a.BodyBytes, signBody(testKey, a.Raw))},
		{"signature by another key", envelope(a.BodyBytes, signBody(otherKey, a.BodyBytes))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := message.Verify(tc.raw, testNow)
			wantFamily(t, err, message.ErrBadSignature)
			m, err := message.Decode(tc.raw)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if err := m.VerifySignature(); !errors.Is(err, message.ErrBadSignature) {
				t.Errorf("VerifySignature = %v, want %v", err, message.ErrBadSignature)
			}
		})
	}
	// The author field names whose key must verify: another author with a
	// signature by testKey fails too.
	other := textBody(t, "yes", "")
	other.Author = pubOf(otherKey)
	body := encodeFields(bodyFields(other))
	_, err := message.Verify(envelope(body, signBody(testKey, body)), testNow)
	wantFamily(t, err, message.ErrBadSignature)
}

// ed25519Sign signs msg with testKey as is, without the domain prefix.
func ed25519Sign(msg []byte) []byte { return ed25519.Sign(testKey, msg) }

func TestIDOf(t *testing.T) {
	for _, tc := range goldenCases(t) {
		m := mustSign(t, goldenKey, tc.body)
		d, err := message.Decode(m.Raw)
		if err != nil {
			t.Fatalf("%s: Decode: %v", tc.name, err)
		}
		id, err := message.IDOf(m.Raw)
		if err != nil || id != d.ID || id != m.ID {
			t.Errorf("%s: IDOf = %s, %v; Decode's ID %s, Sign's %s", tc.name, id, err, d.ID, m.ID)
		}
	}

	body := encodeFields(validFields(t))
	bad := []struct {
		name string
		raw  []byte
	}{
		{"empty", nil},
		{"signature only", encodeFields([]field{bytesField(envSignature, make([]byte, 64))})},
		{"body as varint", encodeFields([]field{varintField(envBody, 5)})},
		{"truncated tag", []byte{0x80}},
		{"field number 0", []byte{0x02, 0x00}},
		{"truncated body length", []byte{0x0a}},
		{"body longer than input", append([]byte{0x0a, 0x7f}, body[:10]...)},
		{"garbage after body", append(envelope(body, nil), 0xff)},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			id, err := message.IDOf(tc.raw)
			if err == nil {
				t.Fatalf("IDOf(%x) = %s, want an error", tc.raw, id)
			}
			wantFamily(t, err, message.ErrMalformed)
		})
	}
}

// TestVerifyTimeless: every stateless rule but the clock. A message dated
// an hour ahead passes, which Verify refuses; a bad signature or a bad
// body does not.
func TestVerifyTimeless(t *testing.T) {
	b := textBody(t, "late", "")
	b.SentAtMS = message.TimeMS(testNow.Add(time.Hour))
	m := mustSign(t, testKey, b)
	if _, err := message.Verify(m.Raw, testNow); !errors.Is(err, message.ErrFutureSkew) {
		t.Fatalf("Verify: %v, want a future skew", err)
	}
	got, err := message.VerifyTimeless(m.Raw)
	if err != nil || got.ID != m.ID {
		t.Fatalf("VerifyTimeless: %v", err)
	}
	sig := slices.Clone(m.Signature)
	sig[0] ^= 1
	_, err = message.VerifyTimeless(envelope(m.BodyBytes, sig))
	wantFamily(t, err, message.ErrBadSignature)

	bad := textBody(t, "x", "")
	bad.Version = 99
	_, err = message.VerifyTimeless(sealFields(testKey, bodyFields(bad)))
	wantFamily(t, err, message.ErrVersion)
}
