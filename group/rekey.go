package group

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hpke"
	"fmt"
	"slices"

	"starling/message"
)

// keyInfoPrefix starts the HPKE info of a key entry, which also binds the
// group and the epoch: "starling/rekey/v1" || group(32) || epoch(8 BE).
// The suite is DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.
const keyInfoPrefix = "starling/rekey/v1"

func keyInfo(id message.GroupID, epoch uint64) []byte {
	info := make([]byte, 0, len(keyInfoPrefix)+len(id)+8)
	return append(append(append(info, keyInfoPrefix...), id[:]...), be64(epoch)...)
}

// recipient is a member a key is sealed to.
type recipient struct {
	member ed25519.PublicKey
	x25519 []byte
}

// sealEntries seals key to every recipient and returns the entries sorted
// by member (duplicates dropped).
func sealEntries(id message.GroupID, epoch uint64, key []byte, rs []recipient) ([]KeyEntry, error) {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b recipient) int { return bytes.Compare(a.member, b.member) })
	rs = slices.CompactFunc(rs, func(a, b recipient) bool { return bytes.Equal(a.member, b.member) })
	info := keyInfo(id, epoch)
	out := make([]KeyEntry, 0, len(rs))
	for _, r := range rs {
		pub, err := ecdh.X25519().NewPublicKey(r.x25519)
		if err != nil {
			return nil, fmt.Errorf("seal key: recipient key: %w", err)
		}
		pk, err := hpke.NewDHKEMPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("seal key: recipient key: %w", err)
		}
		enc, sender, err := hpke.NewSender(pk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info)
		if err != nil {
			return nil, fmt.Errorf("seal key to %x: %w", r.member[:4], err)
		}
		sealed, err := sender.Seal(nil, key)
		if err != nil {
			return nil, fmt.Errorf("seal key to %x: %w", r.member[:4], err)
		}
		out = append(out, KeyEntry{Member: slices.Clone(r.member), Enc: enc, SealedKey: sealed})
	}
	return out, nil
}

// openEntry opens an entry sealed to priv. An entry that does not open is
// an error wrapping ErrDecrypt.
func openEntry(e *KeyEntry, id message.GroupID, epoch uint64, priv *ecdh.PrivateKey) ([]byte, error) {
	sk, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("%w: key entry: %v", ErrDecrypt, err)
	}
	rcpt, err := hpke.NewRecipient(e.Enc, sk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), keyInfo(id, epoch))
	if err != nil {
		return nil, fmt.Errorf("%w: key entry: %v", ErrDecrypt, err)
	}
	key, err := rcpt.Open(nil, e.SealedKey)
	if err != nil {
		return nil, fmt.Errorf("%w: key entry: %v", ErrDecrypt, err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: key entry: key has %d bytes", ErrDecrypt, len(key))
	}
	return key, nil
}

// Part sizes: a part's payload stays well under message.MaxEnvelopeSize
// once sealed, signed and framed.
const (
	maxPartBytes = message.MaxEnvelopeSize - 4096
	// entryBytes bounds one encoded key entry (three fields of 32, 32 and
	// 48 bytes, their tags and lengths, and the entry's own).
	entryBytes = 32 + 32 + 48 + 3*2 + 3
	// cutIDBytes bounds one encoded message ID in a cut.
	cutIDBytes = 32 + 2
)

// splitParts packs key entries and a cut into as few parts as fit, entries
// first.
func splitParts(entries []KeyEntry, cut []message.ID) ([]OpPart, error) {
	var parts []OpPart
	cur := OpPart{}
	size := 0
	flush := func() {
		if len(cur.Keys) > 0 || len(cur.Cut) > 0 {
			cur.Index = len(parts)
			parts = append(parts, cur)
		}
		cur, size = OpPart{}, 0
	}
	for _, e := range entries {
		if size+entryBytes > maxPartBytes {
			flush()
		}
		cur.Keys = append(cur.Keys, e)
		size += entryBytes
	}
	for _, id := range cut {
		if size+cutIDBytes > maxPartBytes || len(cur.Cut) == MaxCut {
			flush()
		}
		cur.Cut = append(cur.Cut, id)
		size += cutIDBytes
	}
	flush()
	if len(parts) > MaxParts {
		return nil, fmt.Errorf("%w: %d parts, limit %d (%d members)", ErrBadPayload, len(parts), MaxParts, len(entries))
	}
	return parts, nil
}
