package negentropy

import (
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

func mustID(t testing.TB, s string) [IDSize]byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != IDSize {
		t.Fatalf("bad id %q", s)
	}
	return [IDSize]byte(b)
}

// Vectors from the reference repository's Kotlin tests
// (kotlin/src/test/kotlin/com/vitorpamplona/negentropy/fingerprint/FingerprintTest.kt).
func TestFingerprintReferenceVectors(t *testing.T) {
	ids := []string{
		"eb6b05c2e3b008592ac666594d78ed83e7b9ab30f825b9b08878128f7500008c",
		"39b916432333e069a4386917609215cc688eb99f06fed01aadc29b1b4b92d6f0",
		"abc81d58ebe3b9a87100d47f58bf15e9b1cbf62d38623f11d0f0d17179f5f3ba",
	}
	v := NewVector()
	for i, id := range ids {
		if err := v.Insert(1678011277+uint64(i), mustID(t, id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Seal(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		begin, end int
		want       string
	}{
		{0, 1, "6d74e1212fcafc8a81d090f0ffbde8b0"},
		{0, 2, "96b26d110825d4b1805fc56988a3e65d"},
		{0, 3, "c15ce60f185fd24ae341076caa93daa5"},
	}
	for _, tt := range tests {
		fp := v.Fingerprint(tt.begin, tt.end)
		if got := hex.EncodeToString(fp[:]); got != tt.want {
			t.Errorf("fingerprint [%d,%d) = %s, want %s", tt.begin, tt.end, got, tt.want)
		}
	}
}

// bigFingerprint is an independent oracle: math/big arithmetic on reversed
// (big-endian) IDs.
func bigFingerprint(ids [][IDSize]byte) Fingerprint {
	mod := new(big.Int).Lsh(big.NewInt(1), 256)
	sum := new(big.Int)
	for _, id := range ids {
		be := slices.Clone(id[:])
		slices.Reverse(be)
		sum.Add(sum, new(big.Int).SetBytes(be))
	}
	sum.Mod(sum, mod)
	le := sum.FillBytes(make([]byte, IDSize))
	slices.Reverse(le)
	h := sha256.Sum256(appendVarint(le, uint64(len(ids))))
	return Fingerprint(h[:FingerprintSize])
}

func TestFingerprintMatchesBigIntOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	v := NewVector()
	var ids [][IDSize]byte
	for i := range 300 {
		var id [IDSize]byte
		for j := range id {
			id[j] = byte(rng.Uint32())
		}
		if i%7 == 0 { // long runs of 0xff force carries through every limb
			for j := range id {
				id[j] = 0xff
			}
			id[0] = byte(i)
		}
		if err := v.Insert(uint64(i), id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := v.Seal(); err != nil {
		t.Fatal(err)
	}
	for range 500 {
		begin := rng.IntN(len(ids) + 1)
		end := begin + rng.IntN(len(ids)-begin+1)
		if got, want := v.Fingerprint(begin, end), bigFingerprint(ids[begin:end]); got != want {
			t.Fatalf("fingerprint [%d,%d) = %x, want %x", begin, end, got, want)
		}
	}
}

func TestAccumulatorWraps(t *testing.T) {
	var max [IDSize]byte
	for i := range max {
		max[i] = 0xff
	}
	var one [IDSize]byte
	one[0] = 1
	var a Accumulator
	a.Add(max)
	a.Add(one)
	if a != (Accumulator{}) {
		t.Fatalf("2^256-1 + 1 = %x, want 0", a.Bytes())
	}
	var b Accumulator
	b.Add(one)
	if got := (Accumulator{}).Sub(b).Bytes(); got != max {
		t.Fatalf("0 - 1 = %x, want 2^256-1", got)
	}
}
