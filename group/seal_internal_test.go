package group

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"starling/message"
)

// Golden vectors computed apart from this code by testdata/golden/vectors.py
// (Python's cryptography package; HChaCha20 written out and checked against
// draft-irtf-cfrg-xchacha A.3.1). Members on every version must derive and
// open the same bytes.
const (
	goldenSeal       = "767d5741b5a157bc404142434445464748494a4b4c4d4e4f5051525354555657de3c6d15bc8c16048c95e3df6076c6c2483e16abb5451ac8cd92cc74"
	goldenEpoch1Key  = "345cc330ea87efa048ede9529a6f8b0755fcd85b5f410bde8de308a95e58491c"
	goldenEpoch1KID  = "03d7d8a0ecb7a0cd"
	goldenTopic      = "/starling/1/g/9615f708c955c08f287590308e73aef6d06cdbf5546867f23a93bd7c0a5b2e01"
	goldenIDForOwner = "a8c3e5694d7b7d3e0cf0b75d4447731caec7a3bc7d4b1a0353bdebda120528f9"
)

func seq(from, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(from + i)
	}
	return b
}

func goldenBody() message.Body {
	return message.Body{
		Version:   message.Version,
		Group:     message.GroupID(sha256.Sum256([]byte("starling golden group"))),
		Author:    ed25519.NewKeyFromSeed(seq(0, 32)).Public().(ed25519.PublicKey),
		SentAtMS:  uint64(time.Date(2026, 1, 1, 0, 0, 0, 123e6, time.UTC).UnixMilli()),
		Kind:      message.KindText,
		Ref:       message.ID(sha256.Sum256([]byte("parent"))),
		Epoch:     3,
		ExpiresMS: uint64(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC).UnixMilli()),
	}
}

func TestSealGolden(t *testing.T) {
	b := goldenBody()
	pt, err := EncodePayload(Text{Text: "hello", Nick: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sealWithNonce(seq(0, 32), seq(0x40, 24), &b, pt)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got) != goldenSeal {
		t.Fatalf("sealed\n%x\nwant\n%s", got, goldenSeal)
	}
	opened, err := Open(seq(0, 32), &b, got)
	if err != nil || !bytes.Equal(opened, pt) {
		t.Fatalf("Open = %x, %v; want %x", opened, err, pt)
	}
}

// Every header field is in the associated data: changing any one of them
// makes the sealed payload fail to open.
func TestSealBindsHeader(t *testing.T) {
	key := seq(0, 32)
	b := goldenBody()
	sealed, err := Seal(key, &b, []byte("secret words"))
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*message.Body){
		"group":   func(b *message.Body) { b.Group[0] ^= 1 },
		"epoch":   func(b *message.Body) { b.Epoch++ },
		"kind":    func(b *message.Body) { b.Kind = message.KindProfile },
		"author":  func(b *message.Body) { b.Author = ed25519.NewKeyFromSeed(seq(1, 32)).Public().(ed25519.PublicKey) },
		"sent at": func(b *message.Body) { b.SentAtMS++ },
		"ref":     func(b *message.Body) { b.Ref = message.ID{} },
		"expires": func(b *message.Body) { b.ExpiresMS = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			other := goldenBody()
			change(&other)
			if _, err := Open(key, &other, sealed); !errors.Is(err, ErrDecrypt) {
				t.Errorf("Open with a changed %s: %v, want %v", name, err, ErrDecrypt)
			}
		})
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	if _, err := Open(key, &b, flipped); !errors.Is(err, ErrDecrypt) {
		t.Errorf("Open of a flipped byte: %v, want %v", err, ErrDecrypt)
	}
	if _, err := Open(seq(1, 32), &b, sealed); !errors.Is(err, ErrBadPayload) {
		t.Errorf("Open with another key: %v, want %v", err, ErrBadPayload)
	}
	if _, err := Open(key, &b, sealed[:sealOverhead-1]); !errors.Is(err, ErrBadPayload) {
		t.Errorf("Open of a short payload: %v, want %v", err, ErrBadPayload)
	}
}

func TestKeyDerivationGolden(t *testing.T) {
	id := goldenBody().Group
	k1, err := FirstEpochKey(seq(0x80, 32), id)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(k1) != goldenEpoch1Key {
		t.Errorf("FirstEpochKey = %x, want %s", k1, goldenEpoch1Key)
	}
	if kid := KeyIDOf(k1); hex.EncodeToString(kid[:]) != goldenEpoch1KID {
		t.Errorf("KeyIDOf = %x, want %s", kid, goldenEpoch1KID)
	}
	if got := TopicFor(id, seq(0x80, 32)); got != goldenTopic {
		t.Errorf("TopicFor = %s, want %s", got, goldenTopic)
	}
	if !TopicPattern.MatchString(goldenTopic) {
		t.Error("a private topic does not match TopicPattern")
	}
	if got := TopicFor(id, nil); got != Topic(id) {
		t.Errorf("TopicFor without a secret = %s, want %s", got, Topic(id))
	}
	owner := goldenBody().Author
	if got := IDFor(owner, seq(0, 16)); got.String() != goldenIDForOwner {
		t.Errorf("IDFor = %s, want %s", got, goldenIDForOwner)
	}
	if _, err := FirstEpochKey(seq(0, 31), id); err == nil {
		t.Error("FirstEpochKey accepted a 31-byte secret")
	}
}

// HPKE key delivery: each recipient opens its own entry, a stranger has
// none, and the info binds group and epoch.
func TestRekeyEntries(t *testing.T) {
	id := goldenBody().Group
	alice, bob := testX25519(t, "alice"), testX25519(t, "bob")
	stranger := testX25519(t, "stranger")
	key := seq(7, 32)
	r, err := sealRekey(id, 2, key, [][]byte{bob.PublicKey().Bytes(), alice.PublicKey().Bytes(), bob.PublicKey().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Entries) != 2 {
		t.Fatalf("%d entries, want 2 (duplicates dropped)", len(r.Entries))
	}
	for _, priv := range []*ecdh.PrivateKey{alice, bob} {
		got, found, err := openRekey(&r, id, 2, priv)
		if err != nil || !found || !bytes.Equal(got, key) {
			t.Errorf("openRekey = %x, %v, %v; want the key", got, found, err)
		}
	}
	if _, found, err := openRekey(&r, id, 2, stranger); found || err != nil {
		t.Errorf("a stranger found an entry: %v, %v", found, err)
	}
	if _, _, err := openRekey(&r, id, 3, alice); !errors.Is(err, ErrDecrypt) {
		t.Errorf("opening for another epoch: %v, want %v", err, ErrDecrypt)
	}
	other := id
	other[0] ^= 1
	if _, _, err := openRekey(&r, other, 2, alice); !errors.Is(err, ErrDecrypt) {
		t.Errorf("opening for another group: %v, want %v", err, ErrDecrypt)
	}
	payload, err := EncodePayload(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodePayload(message.KindRekey, payload)
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := openRekey(new(back.(Rekey)), id, 2, alice); !found || err != nil {
		t.Errorf("after a round trip: %v, %v", found, err)
	}
}

func testX25519(t *testing.T, name string) *ecdh.PrivateKey {
	t.Helper()
	seed := sha256.Sum256([]byte("starling test x25519: " + name))
	k, err := ecdh.X25519().NewPrivateKey(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}
