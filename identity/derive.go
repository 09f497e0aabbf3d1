package identity

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
)

// Derive returns a user key called name and a transport key that are both
// derived from name alone, so that whoever knows the name can compute
// them, and with them the node's fingerprint and peer ID.
//
// It is for simulations that run real starling processes (Shadow, the
// network lab), where every node must be able to name its peers' IDs before
// any of them starts. It gives no secrecy at all: never use it for a person.
//
// The transport key is returned as a plain Ed25519 key, so that this package
// links no libp2p (the phone's engine builds on it); transportkey.Derive
// returns it as libp2p's key.
func Derive(name string) (*User, ed25519.PrivateKey, error) {
	if err := checkName(name); err != nil {
		return nil, nil, fmt.Errorf("derive keys from %q: %w", name, err)
	}
	user, err := UserFromKey(name, derivedKey("user", name))
	if err != nil {
		return nil, nil, err
	}
	return user, derivedKey("transport", name), nil
}

// derivedKey is the Ed25519 key whose seed is a hash of its kind and name,
// under a label no other key of Starling's uses.
func derivedKey(kind, name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("starling derived key v1\x00" + kind + "\x00" + name))
	return ed25519.NewKeyFromSeed(seed[:])
}
