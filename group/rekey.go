package group

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"fmt"
	"slices"

	"starling/message"
)

// rekeyInfoPrefix starts the HPKE info of a key delivery, which also binds
// the group and the epoch: "starling/rekey/v1" || group(32) || epoch(8 BE).
// The suite is DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.
const rekeyInfoPrefix = "starling/rekey/v1"

func rekeyInfo(id message.GroupID, epoch uint64) []byte {
	info := make([]byte, 0, len(rekeyInfoPrefix)+len(id)+8)
	return append(append(append(info, rekeyInfoPrefix...), id[:]...), be64(epoch)...)
}

// sealRekey seals key to every recipient (32-byte X25519 public keys;
// duplicates are dropped) and returns the Rekey payload, its entries sorted.
func sealRekey(id message.GroupID, epoch uint64, key []byte, recipients [][]byte) (Rekey, error) {
	rs := slices.Clone(recipients)
	slices.SortFunc(rs, bytes.Compare)
	rs = slices.CompactFunc(rs, bytes.Equal)
	info := rekeyInfo(id, epoch)
	r := Rekey{Entries: make([]RekeyEntry, 0, len(rs))}
	for _, rcpt := range rs {
		pub, err := ecdh.X25519().NewPublicKey(rcpt)
		if err != nil {
			return Rekey{}, fmt.Errorf("rekey: recipient key: %w", err)
		}
		pk, err := hpke.NewDHKEMPublicKey(pub)
		if err != nil {
			return Rekey{}, fmt.Errorf("rekey: recipient key: %w", err)
		}
		enc, sender, err := hpke.NewSender(pk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info)
		if err != nil {
			return Rekey{}, fmt.Errorf("rekey: seal to %x: %w", rcpt[:4], err)
		}
		sealed, err := sender.Seal(nil, key)
		if err != nil {
			return Rekey{}, fmt.Errorf("rekey: seal to %x: %w", rcpt[:4], err)
		}
		r.Entries = append(r.Entries, RekeyEntry{Recipient: slices.Clone(rcpt), Enc: enc, SealedKey: sealed})
	}
	if err := r.check(); err != nil {
		return Rekey{}, fmt.Errorf("rekey: %w", err)
	}
	return r, nil
}

// entryFor returns the entry sealed to pub, if any.
func (r *Rekey) entryFor(pub []byte) (RekeyEntry, bool) {
	i, found := slices.BinarySearchFunc(r.Entries, pub, func(e RekeyEntry, p []byte) int { return bytes.Compare(e.Recipient, p) })
	if !found {
		return RekeyEntry{}, false
	}
	return r.Entries[i], true
}

// openRekey opens the entry sealed to priv. found is false when there is
// none; an entry that does not open is an error wrapping ErrDecrypt.
func openRekey(r *Rekey, id message.GroupID, epoch uint64, priv *ecdh.PrivateKey) (key []byte, found bool, err error) {
	e, ok := r.entryFor(priv.PublicKey().Bytes())
	if !ok {
		return nil, false, nil
	}
	sk, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, true, fmt.Errorf("%w: rekey: %v", ErrDecrypt, err)
	}
	rcpt, err := hpke.NewRecipient(e.Enc, sk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), rekeyInfo(id, epoch))
	if err != nil {
		return nil, true, fmt.Errorf("%w: rekey: %v", ErrDecrypt, err)
	}
	key, err = rcpt.Open(nil, e.SealedKey)
	if err != nil {
		return nil, true, fmt.Errorf("%w: rekey: %v", ErrDecrypt, err)
	}
	if len(key) != KeySize {
		return nil, true, fmt.Errorf("%w: rekey: key has %d bytes", ErrDecrypt, len(key))
	}
	return key, true, nil
}
