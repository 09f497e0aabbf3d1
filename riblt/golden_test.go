package riblt

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestSipHash checks SipHash-2-4 against the vectors of its paper
// (Aumasson and Bernstein, appendix A: key 00..0f, messages 00..n-1).
func TestSipHash(t *testing.T) {
	var key [16]byte
	msg := make([]byte, 64)
	for i := range key {
		key[i] = byte(i)
	}
	for i := range msg {
		msg[i] = byte(i)
	}
	k0, k1 := binary.LittleEndian.Uint64(key[:8]), binary.LittleEndian.Uint64(key[8:])
	for _, tc := range []struct {
		n    int
		want uint64
	}{
		{0, 0x726fdb47dd0e0e31},
		{15, 0xa129ca6149be45e5},
	} {
		if got := sipHash24(k0, k1, msg[:tc.n]); got != tc.want {
			t.Errorf("SipHash-2-4 of %d bytes: %016x, want %016x", tc.n, got, tc.want)
		}
	}
	id := [IDSize]byte(msg[:IDSize])
	if NewHasher(key).Key(id) != sipHash24(k0, k1, id[:]) {
		t.Error("Hasher.Key differs from SipHash-2-4 of the ID")
	}
}

// goldenSets derives both sides from SHA-256 of a counter: 800 IDs; ID i is
// only on the client when i%50 == 0, only on the server when i%50 == 1 or
// i%31 == 2.
func goldenSets() (client, server IDs) {
	for i := range 800 {
		id := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("starling riblt golden "), uint64(i)))
		switch {
		case i%50 == 0:
			client = append(client, id)
		case i%50 == 1, i%31 == 2:
			server = append(server, id)
		default:
			client = append(client, id)
			server = append(server, id)
		}
	}
	return client, server
}

// TestGoldenTranscript pins the bytes of a whole session, answers cut to
// 300 bytes, and so the keys, the symbol indices every key maps to and the
// wire format: two peers on different hardware must draw the same indices,
// and a change to any of them must not pass unnoticed.
func TestGoldenTranscript(t *testing.T) {
	client, server := goldenSets()
	secret := [SecretSize]byte([]byte("golden secret 16"))
	var b strings.Builder
	c, err := NewClient(secret, client, Config{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(server, Config{MaxMessageSize: 300})
	if err != nil {
		t.Fatal(err)
	}
	for msg := c.Request(); msg != nil; {
		fmt.Fprintf(&b, "client %s\n", hex.EncodeToString(msg))
		answer, err := s.Answer(msg)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "server %s\n", hex.EncodeToString(answer))
		if msg, err = c.Receive(answer); err != nil {
			t.Fatal(err)
		}
	}
	if !c.Decoded() {
		t.Fatal("golden session did not decode")
	}
	fmt.Fprintf(&b, "have %d need %d symbols %d\n", len(c.Have()), len(c.Need()), s.Sent())
	m := newMapping(0x0123456789abcdef)
	fmt.Fprint(&b, "indices of 0123456789abcdef:")
	for m.index < 1<<20 {
		fmt.Fprintf(&b, " %d", m.index)
		m.advance()
	}
	fmt.Fprintln(&b)

	path := filepath.Join("testdata", "session.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Fatalf("transcript differs from %s; if the change is intended, run with -update", path)
	}
}
