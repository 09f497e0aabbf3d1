package riblt

import (
	"encoding/binary"
	"math/bits"
)

// Hasher derives the 64-bit keys that stand for 32-byte IDs in one
// session: SipHash-2-4 (Aumasson and Bernstein, 2012) of the ID under the
// session's secret. The initiator draws the secret at random for every
// session, so nobody who chooses IDs (any author chooses a message's ID by
// choosing its body) can make two of them share a key or a symbol index
// except by luck. The zero Hasher is valid but predictable; use NewHasher.
type Hasher struct{ k0, k1 uint64 }

// SecretSize is the size of a session secret.
const SecretSize = 16

// NewHasher returns the Hasher for a session secret.
func NewHasher(secret [SecretSize]byte) Hasher {
	return Hasher{k0: binary.LittleEndian.Uint64(secret[:8]), k1: binary.LittleEndian.Uint64(secret[8:])}
}

// Key returns id's key in this session.
func (h Hasher) Key(id [IDSize]byte) uint64 { return sipHash24(h.k0, h.k1, id[:]) }

// sipHash24 is SipHash-2-4 of msg under the key (k0, k1), as specified:
// little-endian words, two compression rounds per word, the length in the
// last word's top byte, four finalisation rounds.
func sipHash24(k0, k1 uint64, msg []byte) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13) ^ v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16) ^ v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21) ^ v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17) ^ v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	compress := func(m uint64) {
		v3 ^= m
		round()
		round()
		v0 ^= m
	}
	n := len(msg)
	for ; len(msg) >= 8; msg = msg[8:] {
		compress(binary.LittleEndian.Uint64(msg))
	}
	last := uint64(n) << 56
	for i, b := range msg {
		last |= uint64(b) << (8 * i)
	}
	compress(last)
	v2 ^= 0xff
	round()
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}
