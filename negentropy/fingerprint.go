package negentropy

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
)

// Fingerprint is the digest of the IDs in a range: the first 16 bytes of
// SHA-256 over their sum (mod 2^256, IDs read as little-endian integers)
// followed by the varint count.
type Fingerprint [FingerprintSize]byte

// Accumulator is a sum of IDs mod 2^256, the ID bytes read as a little-endian
// integer. Sums subtract, so a storage can keep prefix sums and fingerprint
// any range in constant time. The zero value is the empty sum.
type Accumulator struct {
	limbs [4]uint64 // least significant first
}

// Add adds id to the sum.
func (a *Accumulator) Add(id [IDSize]byte) {
	var carry uint64
	for i := range a.limbs {
		a.limbs[i], carry = bits.Add64(a.limbs[i], binary.LittleEndian.Uint64(id[8*i:]), carry)
	}
}

// Sub returns a - b mod 2^256: the sum of a range when a and b are prefix sums
// at its end and its start.
func (a Accumulator) Sub(b Accumulator) Accumulator {
	var out Accumulator
	var borrow uint64
	for i := range a.limbs {
		out.limbs[i], borrow = bits.Sub64(a.limbs[i], b.limbs[i], borrow)
	}
	return out
}

// Bytes returns the sum as 32 little-endian bytes.
func (a Accumulator) Bytes() [IDSize]byte {
	var out [IDSize]byte
	for i, l := range a.limbs {
		binary.LittleEndian.PutUint64(out[8*i:], l)
	}
	return out
}

// Fingerprint returns the fingerprint of a range whose IDs sum to a and which
// holds count items.
func (a Accumulator) Fingerprint(count int) Fingerprint {
	buf := make([]byte, 0, IDSize+maxVarintLen)
	sum := a.Bytes()
	buf = append(buf, sum[:]...)
	buf = appendVarint(buf, uint64(count))
	h := sha256.Sum256(buf)
	var fp Fingerprint
	copy(fp[:], h[:FingerprintSize])
	return fp
}
