package message_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"starling/message"
)

var update = flag.Bool("update", false, "rewrite the golden files and fuzz seed corpora in testdata")

// goldenNow is when the golden envelopes are verified: after they were sent
// and before the reply expires.
var goldenNow = time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)

// goldenKey signs every golden envelope. Change it and every golden changes.
var goldenKey = keyNamed("golden")

// trickyText holds what people use to slip past keyword filters: zero-width
// space and joiner, an emoji with a variation selector, a combining acute
// (not the precomposed é), a right-to-left override and its pop, a NUL.
const trickyText = "fr\u200bee e\u0301 \u2764\ufe0f \U0001F469\u200d\U0001F4BB \u202eevil\u202c nul:\x00."

type goldenCase struct {
	name string
	body message.Body
}

// goldenCases cover every body field between them: a plain text, a reply
// that refers to another message and expires, and a sealed payload (epoch >
// 0), whose bytes this package carries without reading them.
func goldenCases(t testing.TB) []goldenCase {
	t.Helper()
	base := func(payload []byte) message.Body {
		return message.Body{
			Version:  message.Version,
			Group:    message.GroupID(sha256.Sum256([]byte("starling golden group"))),
			Author:   pubOf(goldenKey),
			SentAtMS: uint64(time.Date(2026, 1, 1, 0, 0, 0, 123e6, time.UTC).UnixMilli()),
			Kind:     message.KindText,
			Payload:  payload,
		}
	}
	encode := func(text, nick string) []byte {
		t.Helper()
		p, err := message.EncodeText(message.Text{Text: text, Nick: nick})
		if err != nil {
			t.Fatalf("EncodeText: %v", err)
		}
		return p
	}

	text := base(encode(trickyText, "Zoe\u0308"))

	reply := base(encode("\U0001F468\u200d\U0001F469\u200d\U0001F467 \U0001D573\U0001D58A", ""))
	reply.Ref = message.ID(sha256.Sum256([]byte("parent")))
	reply.ExpiresMS = uint64(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC).UnixMilli())

	sealed := base([]byte{0x00, 0xff, 0x80, 0x01, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0x0a, 0x00})
	sealed.Epoch = 7

	return []goldenCase{{"text", text}, {"reply", reply}, {"sealed", sealed}}
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			m := mustSign(t, goldenKey, tc.body)
			envPath := filepath.Join("testdata", "golden", tc.name+".envelope.hex")
			idPath := filepath.Join("testdata", "golden", tc.name+".id")
			if *update {
				writeFile(t, envPath, wrapHex(m.Raw))
				writeFile(t, idPath, m.ID.String()+"\n")
			}

			want := readHex(t, envPath)
			if !bytes.Equal(m.Raw, want) {
				t.Errorf("Sign wrote\n%s\nwant (%s)\n%s", wrapHex(m.Raw), envPath, wrapHex(want))
			}
			wantID := strings.TrimSpace(readFile(t, idPath))
			if m.ID.String() != wantID {
				t.Errorf("ID = %s, want %s (%s)", m.ID, wantID, idPath)
			}

			// Independent of the golden files, so -update cannot hide a
			// change of format: the bytes are this file's own encoding of
			// the body, signed over the domain prefix, and the ID is the
			// body's SHA-256.
			body := encodeFields(bodyFields(tc.body))
			if spec := envelope(body, signBody(goldenKey, body)); !bytes.Equal(m.Raw, spec) {
				t.Errorf("Sign wrote\n%s\nthe wire format says\n%s", wrapHex(m.Raw), wrapHex(spec))
			}
			if m.ID != sha256.Sum256(body) {
				t.Errorf("ID %s is not SHA-256 of the body bytes", m.ID)
			}

			got, err := message.Verify(want, goldenNow)
			if err != nil {
				t.Fatalf("Verify(golden): %v", err)
			}
			if diff := cmp.Diff(tc.body, got.Body); diff != "" {
				t.Errorf("Verify(golden) body (-want +got):\n%s", diff)
			}
			if got.ID.String() != wantID {
				t.Errorf("Verify(golden) ID = %s, want %s", got.ID, wantID)
			}
		})
	}
}

// TestGoldenText reads the golden text back: the tricky characters survive
// byte for byte.
func TestGoldenText(t *testing.T) {
	m, err := message.Verify(readHex(t, filepath.Join("testdata", "golden", "text.envelope.hex")), goldenNow)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	got, err := m.Text()
	if err != nil {
		t.Fatalf("Text: %v", err)
	}
	if diff := cmp.Diff(message.Text{Text: trickyText, Nick: "Zoe\u0308"}, got); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
}

func wrapHex(b []byte) string {
	h := hex.EncodeToString(b)
	var s strings.Builder
	for len(h) > 64 {
		s.WriteString(h[:64] + "\n")
		h = h[64:]
	}
	s.WriteString(h + "\n")
	return s.String()
}

func readHex(t testing.TB, path string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(readFile(t, path)), ""))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./message -run %s -update` to create it)", err, t.Name())
	}
	return string(b)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
