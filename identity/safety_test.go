package identity_test

import (
	"crypto/ed25519"
	"regexp"
	"testing"

	"starling/identity"
)

// Golden safety numbers, computed apart from this code (Python: SHA-512 over
// the prefix and the length-prefixed keys, 5-byte big-endian groups mod
// 100000). Key 1 is fixedSeed's; key 2 is that of the seed 0x20..0x3f.
const (
	goldenSafetyNumber = "67445 86471 84372 20299 51479 32300 10887 13496 90202 86263 26543 02576"
	goldenSafetyCode   = "21035 71668 80473 48022 18867 69027 64765 19767 61827 75723 49250 59232"
)

var safetyRE = regexp.MustCompile(`^[0-9]{5}( [0-9]{5}){11}$`)

func secondSeed() []byte {
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = byte(32 + i)
	}
	return s
}

func TestSafetyNumberGolden(t *testing.T) {
	a := ed25519.NewKeyFromSeed(fixedSeed()).Public().(ed25519.PublicKey)
	b := ed25519.NewKeyFromSeed(secondSeed()).Public().(ed25519.PublicKey)
	for _, c := range []struct {
		name string
		x, y ed25519.PublicKey
	}{{"a,b", a, b}, {"b,a", b, a}} {
		if got := identity.SafetyNumber(c.x, c.y); got != goldenSafetyNumber {
			t.Errorf("SafetyNumber(%s) = %s, want %s", c.name, got, goldenSafetyNumber)
		}
	}
	u := mustUser(t, "ada", ed25519.NewKeyFromSeed(fixedSeed()))
	if got := u.SafetyCode(); got != goldenSafetyCode {
		t.Errorf("SafetyCode = %s, want %s", got, goldenSafetyCode)
	}
	if got := identity.SafetyCodeOf(a); got != goldenSafetyCode {
		t.Errorf("SafetyCodeOf = %s, want %s", got, goldenSafetyCode)
	}
}

func TestSafetyNumberShapeAndSpread(t *testing.T) {
	me := newUserT(t)
	seen := map[string]bool{}
	for range 32 {
		other := newUserT(t)
		n := identity.SafetyNumber(me.PublicKey(), other.PublicKey())
		if !safetyRE.MatchString(n) {
			t.Fatalf("safety number %q is not 12 groups of 5 digits", n)
		}
		if n != identity.SafetyNumber(other.PublicKey(), me.PublicKey()) {
			t.Fatal("safety number depends on the order of the keys")
		}
		if seen[n] {
			t.Fatalf("safety number %s came twice", n)
		}
		seen[n] = true
		code := other.SafetyCode()
		if !safetyRE.MatchString(code) || code == n {
			t.Fatalf("safety code %q is malformed or equals the pair's number", code)
		}
	}
}

func TestSafetyNumberOddKeys(t *testing.T) {
	// Length prefixes keep (ab, c) and (a, bc) apart; no input panics.
	ab, c := []byte{1, 2}, []byte{3}
	a, bc := []byte{1}, []byte{2, 3}
	if identity.SafetyNumber(ab, c) == identity.SafetyNumber(a, bc) {
		t.Error("SafetyNumber is ambiguous for keys of odd sizes")
	}
	for _, n := range []string{identity.SafetyNumber(nil, nil), identity.SafetyCodeOf(nil)} {
		if !safetyRE.MatchString(n) {
			t.Errorf("malformed %q", n)
		}
	}
}
