package gossip

import (
	"errors"
	"testing"

	"starling/message"
)

func TestVerifiedSharesOnlyGoodSignatures(t *testing.T) {
	key := newKey(t)
	gid := groupID(t, "lobby")
	m := textMsg(t, key, gid, "hello")
	v := NewVerified(2)
	if err := v.verify(m); err != nil {
		t.Fatalf("good signature: %v", err)
	}
	if _, ok := v.good[verifiedKey{id: m.ID, sig: [64]byte(m.Signature)}]; !ok {
		t.Fatal("a good signature is not remembered")
	}

	// The same body (so the same ID) with a forged signature is checked,
	// not taken from what was remembered for the good one.
	forged := *m
	forged.Signature = append([]byte(nil), m.Signature...)
	forged.Signature[0] ^= 1
	for range 2 {
		if err := v.verify(&forged); !errors.Is(err, message.ErrBadSignature) {
			t.Fatalf("forged signature: %v, want ErrBadSignature", err)
		}
	}
	if len(v.good) != 1 {
		t.Errorf("%d entries after one good and a forged signature, want 1", len(v.good))
	}

	// Bounded: a third good signature into a set of two starts afresh.
	for _, text := range []string{"a", "b", "c"} {
		if err := v.verify(textMsg(t, key, gid, text)); err != nil {
			t.Fatal(err)
		}
	}
	if len(v.good) > 2 {
		t.Errorf("%d entries, max 2", len(v.good))
	}
	var none *Verified
	if err := none.verify(&forged); !errors.Is(err, message.ErrBadSignature) {
		t.Errorf("nil Verified: %v", err)
	}
}
