package message_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"starling/message"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/ and run in every plain
// `go test`. Files named seed-* are written by TestSeedCorpus -update; any
// other file there is an input a fuzzing run found and must keep passing.

// FuzzDecode: Decode and IDOf never panic, every error wraps exactly one
// sentinel, and whatever decodes has exactly one encoding: the wire format's
// own encoding of the decoded body, in the decoded envelope, gives back the
// input byte for byte.
func FuzzDecode(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s.raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := message.Decode(raw)
		id, idErr := message.IDOf(raw)
		if idErr != nil {
			family(t, idErr)
		}
		if err != nil {
			family(t, err)
			return
		}
		if idErr != nil || id != m.ID {
			t.Fatalf("IDOf = %s, %v; Decode's ID %s", id, idErr, m.ID)
		}
		if m.ID != sha256.Sum256(m.BodyBytes) {
			t.Fatalf("ID %s is not SHA-256 of the body", m.ID)
		}
		if again := encodeFields(bodyFields(m.Body)); !bytes.Equal(again, m.BodyBytes) {
			t.Fatalf("body %x decodes to %+v, which encodes as %x", m.BodyBytes, m.Body, again)
		}
		if again := envelope(m.BodyBytes, m.Signature); !bytes.Equal(again, raw) {
			t.Fatalf("envelope %x decodes, but its parts encode as %x", raw, again)
		}
	})
}

// FuzzVerify: Verify never panics, every error wraps exactly one sentinel,
// and what it accepts passes each rule on its own.
func FuzzVerify(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s.raw, s.nowMS)
	}
	f.Fuzz(func(t *testing.T, raw []byte, nowMS int64) {
		now := time.UnixMilli(nowMS)
		m, err := message.Verify(raw, now)
		if err != nil {
			family(t, err)
			return
		}
		d, err := message.Decode(raw)
		if err != nil || d.ID != m.ID {
			t.Fatalf("Verify accepted what Decode refuses: %v", err)
		}
		if err := m.VerifySignature(); err != nil {
			t.Fatalf("Verify accepted a bad signature: %v", err)
		}
		if err := m.CheckTime(now); err != nil {
			t.Fatalf("Verify accepted a message CheckTime refuses: %v", err)
		}
		if m.Body.Kind == message.KindText && m.Body.Epoch == 0 {
			text, err := m.Text()
			if err != nil {
				t.Fatalf("Verify accepted an unreadable text: %v", err)
			}
			if p, err := message.EncodeText(text); err != nil || !bytes.Equal(p, m.Body.Payload) {
				t.Fatalf("text payload %x re-encodes as %x, %v", m.Body.Payload, p, err)
			}
		}
	})
}

type seed struct {
	name  string
	raw   []byte
	nowMS int64
}

// seeds are valid envelopes, each with a receiver clock at which it verifies,
// and near misses of them.
func seeds(t testing.TB) []seed {
	t.Helper()
	now := goldenNow.UnixMilli()
	var out []seed
	for _, tc := range goldenCases(t) {
		raw := mustSign(t, goldenKey, tc.body).Raw
		flipped := slices.Clone(raw)
		flipped[len(flipped)-1] ^= 0x01
		out = append(out,
			seed{tc.name, raw, now},
			seed{tc.name + "-bad-signature", flipped, now},
			seed{tc.name + "-truncated", raw[:len(raw)-1], now},
			seed{tc.name + "-trailing-byte", append(slices.Clone(raw), 0), now},
			seed{tc.name + "-too-early", raw, int64(tc.body.SentAtMS) - int64(message.MaxFutureSkew/time.Millisecond) - 1},
		)
	}
	fs := validFields(t)
	out = append(out,
		seed{"unknown-body-field", sealFields(testKey, append(validFields(t), varintField(10, 1))), testNow.UnixMilli()},
		seed{"non-minimal-varint", sealFields(testKey, set(fs, field{tag: varintField(bodySentAt, 0).tag, val: nonMinimal(testSentMS)})), testNow.UnixMilli()},
		seed{"no-version", sealFields(testKey, drop(fs, bodyVersion)), testNow.UnixMilli()},
		seed{"zero-ref", sealFields(testKey, set(fs, bytesField(bodyRef, make([]byte, 32)))), testNow.UnixMilli()},
		seed{"empty", nil, testNow.UnixMilli()},
	)
	return out
}

// corpusFile is the `go test fuzz v1` encoding of one input.
func corpusFile(values ...any) string {
	s := "go test fuzz v1\n"
	for _, v := range values {
		switch v := v.(type) {
		case []byte:
			s += fmt.Sprintf("[]byte(%q)\n", v)
		default:
			s += fmt.Sprintf("%T(%v)\n", v, v)
		}
	}
	return s
}

// TestSeedCorpus keeps the seed files in testdata/fuzz in step with the
// code: a change of format fails here until -update rewrites them.
func TestSeedCorpus(t *testing.T) {
	for _, s := range seeds(t) {
		files := map[string]string{
			filepath.Join("testdata", "fuzz", "FuzzDecode", "seed-"+s.name): corpusFile(s.raw),
			filepath.Join("testdata", "fuzz", "FuzzVerify", "seed-"+s.name): corpusFile(s.raw, s.nowMS),
		}
		for path, want := range files {
			if *update {
				writeFile(t, path, want)
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%v (run `go test ./message -run TestSeedCorpus -update`)", err)
				continue
			}
			if string(got) != want {
				t.Errorf("%s is stale; run `go test ./message -run TestSeedCorpus -update`", path)
			}
		}
	}
}
