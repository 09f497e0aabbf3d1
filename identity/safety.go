package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/binary"
	"strconv"
	"strings"
)

// Safety numbers are what two people compare face to face to know that each
// holds the other's real key: 60 decimal digits in 12 groups of 5.
//
// The number of a pair of keys is made from SHA-512 over a domain prefix and
// both keys in byte order, each preceded by its length as 8 bytes big-endian
// (so the hash input is unambiguous for any key length). Group i (0..11) is
// bytes 5i..5i+4 of the hash read as a 40-bit big-endian integer, mod
// 100000, written with leading zeros. 2^40 is about 11 million times 10^5, so
// the bias of the modulo is below 10^-7 per group. The number has about 199
// bits, far beyond what anyone could match by grinding keys.
const (
	safetyPairPrefix = "starling/safety-number/v1\x00"
	safetyCodePrefix = "starling/safety-code/v1\x00"
	safetyGroups     = 12
)

// SafetyNumber returns the safety number of the two keys. It does not depend
// on their order, so both people see the same number. Keys of the wrong size
// still give a number, but no pair of valid keys shares it.
func SafetyNumber(a, b ed25519.PublicKey) string {
	if bytes.Compare(a, b) > 0 {
		a, b = b, a
	}
	return safetyDigits(safetyPairPrefix, a, b)
}

// SafetyCode returns the 60-digit code of the user's own key alone, for
// showing next to one's fingerprint (`starling id --safety`). It is made like
// SafetyNumber from a different prefix and one key.
func (u *User) SafetyCode() string { return SafetyCodeOf(u.PublicKey()) }

// SafetyCodeOf is SafetyCode for any public key.
func SafetyCodeOf(pub ed25519.PublicKey) string { return safetyDigits(safetyCodePrefix, pub) }

func safetyDigits(prefix string, keys ...[]byte) string {
	h := sha512.New()
	h.Write([]byte(prefix))
	for _, k := range keys {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(k))))
		h.Write(k)
	}
	sum := h.Sum(nil)
	var out strings.Builder
	for i := range safetyGroups {
		var v uint64
		for _, c := range sum[5*i : 5*i+5] {
			v = v<<8 | uint64(c)
		}
		if i > 0 {
			out.WriteByte(' ')
		}
		s := strconv.FormatUint(v%100000, 10)
		out.WriteString(strings.Repeat("0", 5-len(s)) + s)
	}
	return out.String()
}
