package message_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"starling/message"
)

// trickyTexts are kept byte for byte: no normalisation, no trimming, nothing
// invisible dropped.
var trickyTexts = []struct{ name, text, nick string }{
	{"ascii", "hello, world", "ada"},
	{"zero-width", "a\u200bb\u200cc\u200dd\u2060e", "z\u200bw"},
	{"bom inside", "\ufeffhello\ufeff", ""},
	{"combining acute", "cafe\u0301", "e\u0301"},
	{"precomposed", "caf\u00e9", "\u00e9"},
	{"stacked combining", "Z\u0351\u0352\u0357\u0358\u035b\u0300\u0301\u0302", ""},
	{"bidi override", "\u202egnp.exe\u202c \u2066isolate\u2069 \u200e\u200f", "\u202enick"},
	{"emoji zwj", "\U0001F469\u200d\U0001F4BB \U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466", "\U0001F9D1\u200d\U0001F680"},
	{"flags and skin tone", "\U0001F1FA\U0001F1E6 \U0001F44D\U0001F3FD 1\ufe0f\u20e3", ""},
	{"variation selectors", "\u2764\ufe0f \u2764\ufe0e", ""},
	{"4-byte", "\U0001D573\U0001D58A\U0001D591\U0001D591\U0001D594 \U0002070E \U0010FFFF", "\U0001F600"},
	{"tag characters", "hi\U000E0068\U000E0069\U000E007F", ""},
	{"controls and nul", "a\x00b\x01c\x7fd\u0085e", "n\x00l"},
	{"noncharacters", "\ufffe\uffff\ufdd0\ufffd", ""},
	{"hangul filler", "\u3164\u115f", "\u3164"},
	{"surrounding space", " \t\n\r\u00a0\u3000x\u3000\u00a0\r\n\t ", " "},
	{"max ascii", strings.Repeat("a", message.MaxTextSize), strings.Repeat("n", message.MaxNickSize)},
	{"max 2-byte", strings.Repeat("\u00e9", message.MaxTextSize/2), strings.Repeat("\u00e9", message.MaxNickSize/2)},
	{"max 3-byte", strings.Repeat("\u20ac", message.MaxTextSize/3) + "a", strings.Repeat("\u20ac", message.MaxNickSize/3) + "a"},
	{"max 4-byte", strings.Repeat("\U0001F600", message.MaxTextSize/4), strings.Repeat("\U0001F600", message.MaxNickSize/4)},
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range trickyTexts {
		t.Run(tc.name, func(t *testing.T) {
			b := textBody(t, tc.text, tc.nick)
			if want := textPayload(tc.text, tc.nick); !bytes.Equal(b.Payload, want) {
				t.Fatalf("EncodeText = %x, want %x", b.Payload, want)
			}
			signed := mustSign(t, testKey, b)

			got, err := message.Verify(signed.Raw, testNow)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(b, got.Body); diff != "" {
				t.Errorf("body (-sent +verified):\n%s", diff)
			}
			if got.ID != signed.ID || got.ID != sha256.Sum256(got.BodyBytes) {
				t.Errorf("ID = %s, signed %s; want both SHA-256 of the body", got.ID, signed.ID)
			}
			if !bytes.Equal(got.Raw, signed.Raw) || !bytes.Equal(got.BodyBytes, signed.BodyBytes) || !bytes.Equal(got.Signature, signed.Signature) {
				t.Error("Verify's Raw, BodyBytes or Signature differ from Sign's")
			}
			text, err := got.Text()
			if err != nil {
				t.Fatalf("Text: %v", err)
			}
			if text.Text != tc.text || text.Nick != tc.nick {
				t.Errorf("Text = %+q, want %+q / %+q", text, tc.text, tc.nick)
			}
		})
	}
}

func TestEncodeTextRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   message.Text
	}{
		{"empty", message.Text{Nick: "ada"}},
		{"text too long", message.Text{Text: strings.Repeat("a", message.MaxTextSize+1)}},
		{"4-byte text too long", message.Text{Text: strings.Repeat("\U0001F600", message.MaxTextSize/4) + "a"}},
		{"nick too long", message.Text{Text: "hi", Nick: strings.Repeat("n", message.MaxNickSize+1)}},
		{"lone continuation byte", message.Text{Text: "a\x80b"}},
		{"invalid byte", message.Text{Text: "\xff"}},
		{"truncated sequence", message.Text{Text: "ok \xe2\x80"}},
		{"overlong slash", message.Text{Text: "\xc0\xaf"}},
		{"surrogate half", message.Text{Text: "\xed\xa0\x80"}},
		{"beyond U+10FFFF", message.Text{Text: "\xf4\x90\x80\x80"}},
		{"invalid nick", message.Text{Text: "hi", Nick: "\xfe"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := message.EncodeText(tc.in)
			wantFamily(t, err, message.ErrBadPayload)
			if p != nil {
				t.Errorf("EncodeText returned %x beside its error", p)
			}
		})
	}
}

// TestDecodeTextRefuses feeds payloads that EncodeText never writes.
func TestDecodeTextRefuses(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
	}{
		{"nil", nil},
		{"empty text", textPayload("", "ada")},
		{"invalid UTF-8 text", encodeFields([]field{bytesField(textText, []byte("a\xffb"))})},
		{"invalid UTF-8 nick", encodeFields([]field{bytesField(textText, []byte("a")), bytesField(textNick, []byte("\xc3"))})},
		{"text too long", textPayload(strings.Repeat("a", message.MaxTextSize+1), "")},
		{"nick too long", textPayload("a", strings.Repeat("n", message.MaxNickSize+1))},
		{"explicit empty nick", encodeFields([]field{bytesField(textText, []byte("a")), bytesField(textNick, nil)})},
		{"nick before text", encodeFields([]field{bytesField(textNick, []byte("n")), bytesField(textText, []byte("a"))})},
		{"duplicated text", encodeFields([]field{bytesField(textText, []byte("a")), bytesField(textText, []byte("a"))})},
		{"unknown field", append(textPayload("a", ""), encodeFields([]field{varintField(3, 1)})...)},
		{"truncated", textPayload("hello", "")[:4]},
		{"garbage", []byte{0xff, 0xff, 0xff}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := message.DecodeText(tc.payload)
			wantFamily(t, err, message.ErrBadPayload)
		})
	}
}

func TestTextOfOtherKind(t *testing.T) {
	m := &message.Message{Body: message.Body{Kind: 2, Payload: textPayload("a", "")}}
	_, err := m.Text()
	wantFamily(t, err, message.ErrBadPayload)
}

func TestSignRefuses(t *testing.T) {
	ok := func() message.Body { return textBody(t, "hi", "") }
	tests := []struct {
		name   string
		key    ed25519.PrivateKey
		edit   func(*message.Body)
		family error // nil: any error will do (a caller's bug, not a message fault)
	}{
		{"short key", testKey[:32], func(*message.Body) {}, nil},
		{"nil key", nil, func(*message.Body) {}, nil},
		{"author is not the key", testKey, func(b *message.Body) { b.Author = pubOf(otherKey) }, nil},
		{"version 2", testKey, func(b *message.Body) { b.Version = 2 }, message.ErrVersion},
		{"no send time", testKey, func(b *message.Body) { b.SentAtMS = 0 }, message.ErrMalformed},
		{"kind 0", testKey, func(b *message.Body) { b.Kind = 0 }, message.ErrUnknownKind},
		{"unknown kind", testKey, func(b *message.Body) { b.Kind = 99 }, message.ErrUnknownKind},
		{"empty text", testKey, func(b *message.Body) { b.Payload = textPayload("", "ada") }, message.ErrBadPayload},
		{"no payload", testKey, func(b *message.Body) { b.Payload = nil }, message.ErrBadPayload},
		{"sealed payload too large", testKey, func(b *message.Body) {
			b.Epoch = 1
			b.Payload = make([]byte, message.MaxEnvelopeSize)
		}, message.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := ok()
			tc.edit(&b)
			m, err := message.Sign(tc.key, b)
			if err == nil {
				t.Fatalf("Sign succeeded: %x", m.Raw)
			}
			if tc.family != nil {
				wantFamily(t, err, tc.family)
			}
		})
	}
}

// TestSignFillsDefaults: a zero Version and a nil Author come from the key.
func TestSignFillsDefaults(t *testing.T) {
	b := textBody(t, "hi", "")
	want := b
	b.Version, b.Author = 0, nil
	m := mustSign(t, testKey, b)
	if diff := cmp.Diff(want, m.Body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if !bytes.Equal(m.Raw, mustSign(t, testKey, want).Raw) {
		t.Error("filled-in body encodes differently from the explicit one")
	}
}

// TestSignCopiesPayload: the caller may reuse its buffer after Sign.
func TestSignCopiesPayload(t *testing.T) {
	b := textBody(t, "hello", "")
	m := mustSign(t, testKey, b)
	for i := range b.Payload {
		b.Payload[i] = 0
	}
	if _, err := m.Text(); err != nil {
		t.Fatalf("message changed with the caller's buffer: %v", err)
	}
	if _, err := message.Verify(m.Raw, testNow); err != nil {
		t.Fatalf("Verify after reusing the buffer: %v", err)
	}
}

// TestLogValue keeps payloads out of logs.
func TestLogValue(t *testing.T) {
	const secret = "meet at the north gate"
	m := mustSign(t, testKey, textBody(t, secret, "ada"))
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("got", "msg", m)
	out := buf.String()
	for _, leak := range []string{secret, "ada"} {
		if strings.Contains(out, leak) {
			t.Errorf("log line %q contains %q", out, leak)
		}
	}
	if !strings.Contains(out, m.ID.Short()) || !strings.Contains(out, testGroup.Short()) {
		t.Errorf("log line %q lacks the ID %s or the group %s", out, m.ID.Short(), testGroup.Short())
	}
}

func TestParseIDs(t *testing.T) {
	id := message.ID(sha256.Sum256([]byte("x")))
	got, err := message.ParseID(id.String())
	if err != nil || got != id {
		t.Errorf("ParseID(%s) = %s, %v", id, got, err)
	}
	if !strings.HasPrefix(id.String(), id.Short()) || len(id.Short()) != 8 {
		t.Errorf("Short %q is not the first 8 digits of %s", id.Short(), id)
	}
	g, err := message.ParseGroupID(testGroup.String())
	if err != nil || g != testGroup {
		t.Errorf("ParseGroupID(%s) = %s, %v", testGroup, g, err)
	}
	for _, bad := range []string{"", id.String()[:63], id.String() + "0", "zz" + id.String()[2:], " " + id.String()[1:]} {
		if _, err := message.ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) succeeded", bad)
		}
		if _, err := message.ParseGroupID(bad); err == nil {
			t.Errorf("ParseGroupID(%q) succeeded", bad)
		}
	}
}
