// Package transportkey is the libp2p form of a node's transport key: read
// from the home (made on first use) or derived from a name for simulations.
// It is apart from package identity so that identity, and the packages that
// judge messages on top of it (message, group, the phone's engine), link no
// libp2p.
package transportkey

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/crypto"

	"starling/identity"
)

// LoadOrCreate reads the libp2p transport key at path, making and saving a
// fresh Ed25519 key when there is none.
func LoadOrCreate(path string) (crypto.PrivKey, error) {
	b, err := identity.ReadKeyFile(path)
	if errors.Is(err, identity.ErrNoKey) {
		k, werr := create(path)
		if !errors.Is(werr, identity.ErrKeyExists) {
			return k, werr
		}
		// Another caller created the key between our read and our write:
		// use theirs, so every caller ends up with the same key.
		b, err = identity.ReadKeyFile(path)
	}
	if err != nil {
		return nil, err
	}
	k, err := crypto.UnmarshalPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", identity.ErrBadKeyFile, path, err)
	}
	return k, nil
}

func create(path string) (crypto.PrivKey, error) {
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate transport key: %w", err)
	}
	raw, err := crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := identity.WriteKeyFile(path, raw); err != nil {
		return nil, err
	}
	return k, nil
}

// Derive is identity.Derive with the transport key in libp2p's form: for
// simulations only (anyone who knows name holds both keys).
func Derive(name string) (*identity.User, crypto.PrivKey, error) {
	u, t, err := identity.Derive(name)
	if err != nil {
		return nil, nil, err
	}
	k, err := crypto.UnmarshalEd25519PrivateKey(t)
	if err != nil {
		return nil, nil, fmt.Errorf("derive keys from %q: %w", name, err)
	}
	return u, k, nil
}
