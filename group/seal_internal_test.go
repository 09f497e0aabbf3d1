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
	goldenControlKey = "f5e592d7e89bb9c7baf9c95c429958d11bde84f81963d2194d6470563481c9d9"
	goldenControlKID = "5745535c5c8eddfb"
	goldenTopic      = "/starling/1/g/9615f708c955c08f287590308e73aef6d06cdbf5546867f23a93bd7c0a5b2e01"
	goldenIDForOwner = "a8c3e5694d7b7d3e0cf0b75d4447731caec7a3bc7d4b1a0353bdebda120528f9"
	// A key entry Python's HPKE sealed (random each run of vectors.py; any
	// of its outputs opens the same): the key seq(7, 32) for epoch 2 of the
	// golden group, to testX25519("alice").
	goldenEntryEnc    = "6d65a0a1e04c88046b919f909fa758dbcd636d0cccc5f67670613157f979b374"
	goldenEntrySealed = "61ffdd9464fd7e36198773888c1f33de5b1372932bea6502922ccfda7cfdef0fa56c09fe56df6706035803573683f3bc"
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
	noAuthor := b
	noAuthor.Author = nil
	if _, err := Seal(key, &noAuthor, []byte("x")); err == nil {
		t.Error("Seal without an author")
	}
}

func TestKeyDerivationGolden(t *testing.T) {
	id := goldenBody().Group
	secret := seq(0x80, 32)
	k1, err := FirstEpochKey(secret, id)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(k1) != goldenEpoch1Key {
		t.Errorf("FirstEpochKey = %x, want %s", k1, goldenEpoch1Key)
	}
	if kid := KeyIDOf(k1); hex.EncodeToString(kid[:]) != goldenEpoch1KID {
		t.Errorf("KeyIDOf = %x, want %s", kid, goldenEpoch1KID)
	}
	ctl, err := ControlKey(secret, id)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(ctl) != goldenControlKey {
		t.Errorf("ControlKey = %x, want %s", ctl, goldenControlKey)
	}
	if kid := KeyIDOf(ctl); hex.EncodeToString(kid[:]) != goldenControlKID {
		t.Errorf("KeyIDOf(control key) = %x, want %s", kid, goldenControlKID)
	}
	// The control key opens the genesis and Ops, which removed members and
	// carriers read: it must be none of the keys that open what members say.
	if bytes.Equal(ctl, k1) || bytes.Equal(ctl, secret) {
		t.Error("the control key is the epoch-1 key or the secret")
	}
	other := id
	other[0] ^= 1
	if c2, _ := ControlKey(secret, other); bytes.Equal(c2, ctl) {
		t.Error("the control key does not depend on the group")
	}
	if got := TopicFor(id, secret); got != goldenTopic {
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
	if _, err := ControlKey(seq(0, 31), id); err == nil {
		t.Error("ControlKey accepted a 31-byte secret")
	}
}

// HPKE key delivery: each recipient opens its own entry, a stranger has
// none, and the info binds group and epoch. Entries survive a part's
// encoding, and an entry Python's HPKE sealed opens here.
func TestKeyEntries(t *testing.T) {
	id := goldenBody().Group
	alice, bob := testX25519(t, "alice"), testX25519(t, "bob")
	stranger := testX25519(t, "stranger")
	ka, kb := bytes.Repeat([]byte{0xaa}, 32), bytes.Repeat([]byte{0xbb}, 32)
	key := seq(7, 32)
	es, err := sealEntries(id, 2, key, []recipient{{kb, bob.PublicKey().Bytes()}, {ka, alice.PublicKey().Bytes()}, {kb, bob.PublicKey().Bytes()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || !bytes.Equal(es[0].Member, ka) || !bytes.Equal(es[1].Member, kb) {
		t.Fatalf("%d entries, want 2 sorted by member (duplicates dropped)", len(es))
	}
	for i, priv := range []*ecdh.PrivateKey{alice, bob} {
		got, err := openEntry(&es[i], id, 2, priv)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("openEntry = %x, %v; want the key", got, err)
		}
	}
	if _, err := openEntry(&es[0], id, 2, stranger); !errors.Is(err, ErrDecrypt) {
		t.Errorf("a stranger opens alice's entry: %v", err)
	}
	if _, err := openEntry(&es[0], id, 3, alice); !errors.Is(err, ErrDecrypt) {
		t.Errorf("opening for another epoch: %v, want %v", err, ErrDecrypt)
	}
	other := id
	other[0] ^= 1
	if _, err := openEntry(&es[0], other, 2, alice); !errors.Is(err, ErrDecrypt) {
		t.Errorf("opening for another group: %v, want %v", err, ErrDecrypt)
	}
	if _, err := sealEntries(id, 2, key, []recipient{{ka, make([]byte, 31)}}); err == nil {
		t.Error("sealEntries to a 31-byte X25519 key")
	}
	p := OpPart{Keys: es}
	payload, err := EncodePayload(p)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodePayload(message.KindOpPart, payload)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := openEntry(&back.(OpPart).Keys[0], id, 2, alice); err != nil || !bytes.Equal(got, key) {
		t.Errorf("after a round trip: %x, %v", got, err)
	}

	enc, _ := hex.DecodeString(goldenEntryEnc)
	sealed, _ := hex.DecodeString(goldenEntrySealed)
	got, err := openEntry(&KeyEntry{Member: ka, Enc: enc, SealedKey: sealed}, id, 2, alice)
	if err != nil || !bytes.Equal(got, key) {
		t.Errorf("Python's entry opens to %x, %v; want %x", got, err, key)
	}
}

// Key entries and cuts are split into parts that each fit in an envelope
// once sealed under the control key and signed: a 5,000-member rekey, and
// a cut as long as MaxCut with entries before it.
func TestSplitPartsFit(t *testing.T) {
	entries := func(n int) []KeyEntry {
		out := make([]KeyEntry, n)
		for i := range out {
			m := make([]byte, 32)
			m[0], m[1], m[2] = byte(i>>16), byte(i>>8), byte(i)
			out[i] = KeyEntry{Member: m, Enc: bytes.Repeat([]byte{0xff}, hpkeEncSize), SealedKey: bytes.Repeat([]byte{0xff}, hpkeSealedSize)}
		}
		return out
	}
	cut := func(n int) []message.ID {
		out := make([]message.ID, n)
		for i := range out {
			out[i][0], out[i][1], out[i][2] = byte(i>>16), byte(i>>8), byte(i)
			out[i][31] = 0xff
		}
		return out
	}
	author := ed25519.NewKeyFromSeed(seq(0, 32))
	for _, c := range []struct {
		name       string
		entries    int
		cut        int
		wantParts  int
		wantMaxCut bool
	}{
		{"nothing", 0, 0, 0, false},
		{"one entry", 1, 0, 1, false},
		{"5,000 entries", 5000, 0, -1, false},
		{"5,000 entries and a full cut", 5000, MaxCut, -1, true},
		{"a full cut", 0, MaxCut, -1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			parts, err := splitParts(entries(c.entries), cut(c.cut))
			if err != nil {
				t.Fatal(err)
			}
			if c.wantParts >= 0 && len(parts) != c.wantParts {
				t.Errorf("%d parts, want %d", len(parts), c.wantParts)
			}
			keys, ids := 0, 0
			for i, p := range parts {
				if p.Index != i {
					t.Errorf("part %d has index %d", i, p.Index)
				}
				keys += len(p.Keys)
				ids += len(p.Cut)
				plain, err := EncodePayload(p)
				if err != nil {
					t.Fatalf("part %d: %v", i, err)
				}
				b := goldenBody()
				b.Kind, b.Epoch, b.Ref, b.Author = message.KindOpPart, 0, message.ID{1}, author.Public().(ed25519.PublicKey)
				if b.Payload, err = Seal(seq(0, 32), &b, plain); err != nil {
					t.Fatal(err)
				}
				m, err := message.Sign(author, b)
				if err != nil {
					t.Fatalf("part %d of %d bytes does not fit in an envelope: %v", i, len(plain), err)
				}
				if len(m.Raw) > message.MaxEnvelopeSize {
					t.Errorf("part %d: %d bytes", i, len(m.Raw))
				}
			}
			if keys != c.entries || ids != c.cut {
				t.Errorf("the parts hold %d entries and %d IDs, want %d and %d", keys, ids, c.entries, c.cut)
			}
		})
	}
	// MaxParts is what a rekey can reach: more entries are refused, not
	// cut short.
	perPart := len(mustSplit(t, entries(2000))[0].Keys)
	if _, err := splitParts(entries(perPart*MaxParts+1), nil); !errors.Is(err, ErrBadPayload) {
		t.Errorf("%d entries in more than %d parts: %v", perPart*MaxParts+1, MaxParts, err)
	}
	t.Logf("%d key entries per part; at most %d members in one rekey", perPart, perPart*MaxParts)
}

func mustSplit(t *testing.T, es []KeyEntry) []OpPart {
	t.Helper()
	ps, err := splitParts(es, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ps
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
