package message_test

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"starling/message"
)

// Each benchmark of this package's work sits beside its floor, the bare
// Ed25519 operation over the same number of bytes, so the overhead of
// encoding and strict decoding reads straight off one run:
//
//	go test -bench . -run '^$' ./message/

// benchText is a typical chat line, 100 bytes.
var benchText = strings.Repeat("0123456789", 10)

func benchBody(b *testing.B) message.Body {
	b.Helper()
	return textBody(b, benchText, "ada")
}

func BenchmarkSignEncode(b *testing.B) {
	body := benchBody(b)
	b.ReportAllocs()
	for b.Loop() {
		payload, err := message.EncodeText(message.Text{Text: benchText, Nick: "ada"})
		if err != nil {
			b.Fatal(err)
		}
		body.Payload = payload
		if _, err := message.Sign(testKey, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawEd25519Sign is the floor of BenchmarkSignEncode.
func BenchmarkRawEd25519Sign(b *testing.B) {
	m := mustSign(b, testKey, benchBody(b))
	signed := append([]byte(domainPrefix), m.BodyBytes...)
	b.ReportAllocs()
	for b.Loop() {
		ed25519.Sign(testKey, signed)
	}
}

func BenchmarkDecodeVerify(b *testing.B) {
	raw := mustSign(b, testKey, benchBody(b)).Raw
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := message.Verify(raw, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawEd25519Verify is the floor of BenchmarkDecodeVerify.
func BenchmarkRawEd25519Verify(b *testing.B) {
	m := mustSign(b, testKey, benchBody(b))
	signed := append([]byte(domainPrefix), m.BodyBytes...)
	pub := pubOf(testKey)
	b.SetBytes(int64(len(m.Raw)))
	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, signed, m.Signature) {
			b.Fatal("bad signature")
		}
	}
}

// BenchmarkIDOf is GossipSub's message-ID function, run on every arrival
// before validation.
func BenchmarkIDOf(b *testing.B) {
	raw := mustSign(b, testKey, benchBody(b)).Raw
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := message.IDOf(raw); err != nil {
			b.Fatal(err)
		}
	}
}
