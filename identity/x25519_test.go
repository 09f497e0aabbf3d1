package identity_test

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"testing"

	"starling/identity"
)

// The X25519 key of fixedSeed's user, computed apart from this code with
// Python's cryptography package: HKDF-SHA256(seed, salt none, info
// "starling/x25519/v1", 32 bytes) and its X25519 public key. Admins seal
// group keys to it, so it must never change for a given seed.
const (
	goldenX25519Priv = "9abfed18fb1b0b3440ca3cf3a7370fb1c0119f733bcff17b042d988cd04f210a"
	goldenX25519Pub  = "acfaa46c95deaed175a632912a71ec1cae299b52422123841d671a504bc2c467"
)

func TestX25519Golden(t *testing.T) {
	u := mustUser(t, "ada", ed25519.NewKeyFromSeed(fixedSeed()))
	priv, err := u.X25519()
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(priv.Bytes()); got != goldenX25519Priv {
		t.Errorf("X25519 = %s, want %s", got, goldenX25519Priv)
	}
	pub, err := u.X25519Public()
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(pub.Bytes()); got != goldenX25519Pub {
		t.Errorf("X25519Public = %s, want %s", got, goldenX25519Pub)
	}
	again, err := identity.DeriveX25519(fixedSeed())
	if err != nil || !again.Equal(priv) {
		t.Errorf("DeriveX25519 = %v, %v; want the user's key", again, err)
	}
}

// Two users' derived keys agree on a shared secret, and different seeds give
// different keys.
func TestX25519Agreement(t *testing.T) {
	a, b := newUserT(t), newUserT(t)
	ka, err := a.X25519()
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.X25519()
	if err != nil {
		t.Fatal(err)
	}
	if ka.Equal(kb) {
		t.Fatal("two users share an X25519 key")
	}
	s1, err := ka.ECDH(kb.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	s2, err := kb.ECDH(ka.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(s1) != hex.EncodeToString(s2) {
		t.Error("ECDH results differ")
	}
	if ka.Curve() != ecdh.X25519() {
		t.Error("not an X25519 key")
	}
}

func TestX25519Refuses(t *testing.T) {
	var zero identity.User
	if _, err := zero.X25519(); !errors.Is(err, identity.ErrNoUserKey) {
		t.Errorf("zero User: X25519 error %v, want %v", err, identity.ErrNoUserKey)
	}
	if _, err := zero.X25519Public(); !errors.Is(err, identity.ErrNoUserKey) {
		t.Errorf("zero User: X25519Public error %v, want %v", err, identity.ErrNoUserKey)
	}
	for _, n := range []int{0, 31, 33, 64} {
		if _, err := identity.DeriveX25519(make([]byte, n)); err == nil {
			t.Errorf("DeriveX25519 accepted a %d-byte seed", n)
		}
	}
}

func newUserT(t *testing.T) *identity.User {
	t.Helper()
	u, err := identity.NewUser("someone")
	if err != nil {
		t.Fatal(err)
	}
	return u
}
