package identity

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
)

// x25519Info is the HKDF info that derives a user's X25519 key from the
// Ed25519 seed. Changing it changes every user's key-delivery key.
const x25519Info = "starling/x25519/v1"

// ErrNoUserKey means a User value holds no signing key (the zero User).
var ErrNoUserKey = errors.New("user has no key")

// X25519 returns the user's X25519 private key, which opens group keys that
// admins deliver with HPKE. It is HKDF-SHA256 of the Ed25519 seed (no salt,
// info "starling/x25519/v1"), so it needs no key file of its own and is the
// same on every device that holds the seed. The signing key never leaves
// Ed25519 and the derived key never signs. Callers must not log or store it.
func (u *User) X25519() (*ecdh.PrivateKey, error) {
	key := u.PrivateKey()
	if len(key) != ed25519.PrivateKeySize {
		return nil, ErrNoUserKey
	}
	return DeriveX25519(key.Seed())
}

// X25519Public returns the public half of X25519, which the user publishes in
// its signed group profiles.
func (u *User) X25519Public() (*ecdh.PublicKey, error) {
	k, err := u.X25519()
	if err != nil {
		return nil, err
	}
	return k.PublicKey(), nil
}

// DeriveX25519 is X25519 for a bare Ed25519 seed (32 bytes).
func DeriveX25519(seed []byte) (*ecdh.PrivateKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("derive x25519 key: seed has %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	raw, err := hkdf.Key(sha256.New, seed, nil, x25519Info, 32)
	if err != nil {
		return nil, fmt.Errorf("derive x25519 key: %w", err)
	}
	// X25519 clamps the scalar itself, so any 32 bytes are a valid key.
	k, err := ecdh.X25519().NewPrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("derive x25519 key: %w", err)
	}
	return k, nil
}
