package identity

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
)

// Fingerprint names a user key: base32 (lower case, no padding) of the first
// 20 bytes of SHA-256 over a domain prefix and the public key. 160 bits is
// beyond brute force for finding a second key with the same fingerprint.
type Fingerprint string

var fpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// FingerprintOf returns the fingerprint of pub.
func FingerprintOf(pub ed25519.PublicKey) Fingerprint {
	sum := sha256.Sum256(append([]byte("starling/fingerprint/v1\x00"), pub...))
	return Fingerprint(strings.ToLower(fpEncoding.EncodeToString(sum[:20])))
}

// Pretty groups the fingerprint in blocks of four for reading aloud.
func (f Fingerprint) Pretty() string {
	var b strings.Builder
	for i, r := range string(f) {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Short is the first eight characters, enough to tell people in one room apart.
func (f Fingerprint) Short() string {
	if len(f) < 8 {
		return string(f)
	}
	return string(f[:8])
}

// ParseFingerprint accepts a fingerprint as printed, with or without spaces,
// in either case.
func ParseFingerprint(s string) (Fingerprint, error) {
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	// The length check is not redundant: the decoder drops a trailing
	// partial character, so 33 characters would decode to 20 bytes too.
	raw, err := fpEncoding.DecodeString(strings.ToUpper(s))
	if err != nil || len(raw) != 20 || len(s) != 32 {
		return "", fmt.Errorf("fingerprint %q: want 32 base32 characters", s)
	}
	return Fingerprint(s), nil
}
