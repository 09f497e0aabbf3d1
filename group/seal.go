package group

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"

	"starling/message"
)

// Sealing in private groups. A sealed payload is
//
//	keyID(8) || nonce(24) || XChaCha20-Poly1305(key, nonce, plaintext, AD)
//
// where keyID picks among concurrent keys of one epoch and the associated
// data binds every other body field, so a sealed payload cannot move to
// another group, epoch, kind, author, time, target or expiry:
//
//	AD = "starling/seal/v1\x00" || group(32) || epoch(8 BE) || kind(4 BE) ||
//	     author(32) || sent_at_ms(8 BE) || ref(32, zeros if none) ||
//	     expires_at_ms(8 BE)
const (
	sealPrefix  = "starling/seal/v1\x00"
	keyIDPrefix = "starling/keyid/v1"
	epochInfo   = "starling/epoch/v1"
	controlInfo = "starling/control/v1"

	// KeyIDSize is the size of a key ID.
	KeyIDSize = 8
	nonceSize = chacha20poly1305.NonceSizeX
	// sealOverhead is what sealing adds to a plaintext.
	sealOverhead = KeyIDSize + nonceSize + chacha20poly1305.Overhead
)

// KeyID names an epoch key without revealing it.
type KeyID [KeyIDSize]byte

// KeyIDOf returns the first 8 bytes of SHA-256("starling/keyid/v1" || key).
func KeyIDOf(key []byte) KeyID {
	h := sha256.New()
	h.Write([]byte(keyIDPrefix))
	h.Write(key)
	return KeyID(h.Sum(nil))
}

// FirstEpochKey returns a private group's epoch-1 key: HKDF-SHA256 of the
// secret (no salt) with info "starling/epoch/v1" || group || 1 (8 bytes
// big-endian). Later epochs get random keys through Rekey messages.
func FirstEpochKey(secret []byte, id message.GroupID) ([]byte, error) {
	if len(secret) != KeySize {
		return nil, fmt.Errorf("epoch key: secret has %d bytes, want %d", len(secret), KeySize)
	}
	info := make([]byte, 0, len(epochInfo)+len(id)+8)
	info = append(append(append(info, epochInfo...), id[:]...), be64(1)...)
	return hkdf.Key(sha256.New, secret, nil, string(info), KeySize)
}

// ControlKey returns a private group's control key: HKDF-SHA256 of the
// secret (no salt) with info "starling/control/v1" || group. It seals the
// genesis, the Ops and their parts, which every member, a removed member
// and a carrier (whose link holds it) may read: a removed member learns
// that it was removed, a carrier can apply bans and deletions, and a late
// joiner can judge the whole authority history. Texts, profiles and
// deletions are sealed under epoch keys.
func ControlKey(secret []byte, id message.GroupID) ([]byte, error) {
	if len(secret) != KeySize {
		return nil, fmt.Errorf("control key: secret has %d bytes, want %d", len(secret), KeySize)
	}
	return hkdf.Key(sha256.New, secret, nil, controlInfo+string(id[:]), KeySize)
}

// Seal seals plaintext with key for a body with b's header fields (b.Payload
// is not read; b.Epoch is the key's epoch, 0 for the control key). It
// picks a random nonce.
func Seal(key []byte, b *message.Body, plaintext []byte) ([]byte, error) {
	var nonce [nonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return sealWithNonce(key, nonce[:], b, plaintext)
}

func sealWithNonce(key, nonce []byte, b *message.Body, plaintext []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	ad, err := associatedData(b)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	id := KeyIDOf(key)
	out := make([]byte, 0, sealOverhead+len(plaintext))
	out = append(append(out, id[:]...), nonce...)
	return aead.Seal(out, nonce, plaintext, ad), nil
}

// SealedKeyID returns the key ID a sealed payload names, or false when the
// payload is too short to be sealed.
func SealedKeyID(payload []byte) (KeyID, bool) {
	if len(payload) < sealOverhead {
		return KeyID{}, false
	}
	return KeyID(payload[:KeyIDSize]), true
}

// Open opens a payload that Seal made with key for a body with b's header
// fields (b.Payload is not read). Errors wrap ErrBadPayload (too short or
// sealed under another key) or ErrDecrypt (authentication failed).
func Open(key []byte, b *message.Body, payload []byte) ([]byte, error) {
	id, ok := SealedKeyID(payload)
	if !ok {
		return nil, fmt.Errorf("%w: sealed payload of %d bytes, at least %d", ErrBadPayload, len(payload), sealOverhead)
	}
	if id != KeyIDOf(key) {
		return nil, fmt.Errorf("%w: sealed under another key", ErrBadPayload)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	ad, err := associatedData(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	nonce := payload[KeyIDSize : KeyIDSize+nonceSize]
	pt, err := aead.Open(nil, nonce, payload[KeyIDSize+nonceSize:], ad)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	return pt, nil
}

func associatedData(b *message.Body) ([]byte, error) {
	if len(b.Author) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("author key has %d bytes", len(b.Author))
	}
	ad := make([]byte, 0, len(sealPrefix)+32+8+4+32+8+32+8)
	ad = append(ad, sealPrefix...)
	ad = append(ad, b.Group[:]...)
	ad = binary.BigEndian.AppendUint64(ad, b.Epoch)
	ad = binary.BigEndian.AppendUint32(ad, uint32(b.Kind))
	ad = append(ad, b.Author...)
	ad = binary.BigEndian.AppendUint64(ad, b.SentAtMS)
	ad = append(ad, b.Ref[:]...)
	ad = binary.BigEndian.AppendUint64(ad, b.ExpiresMS)
	return ad, nil
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
