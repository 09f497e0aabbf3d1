package identity

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"testing"
)

// fuzzPassphrase opens the sealed seeds in the corpus.
var fuzzPassphrase = []byte("fuzz")

// maxFuzzWork bounds the argon2id work per input (passes × KiB), so that the
// fuzzer spends its time on the parser, not on key derivation.
const maxFuzzWork = 256

// FuzzParseUserFile feeds arbitrary bytes to the key-file parser and, for
// sealed files with small costs, to open. Neither may panic; whatever the
// parser accepts must be a key a User can be made of.
func FuzzParseUserFile(f *testing.F) {
	f.Add([]byte(`{"version":1,"name":"ada","ed25519_seed":"` + base64.StdEncoding.EncodeToString(make([]byte, seedSize)) + `"}`))
	f.Add([]byte(`{"version":2,"name":"ada","sealed":{"kdf":"argon2id","time":4294967295,"memory_kib":4294967295,"threads":0}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		uf, err := parseUserFile(data)
		if err != nil {
			return
		}
		if err := checkName(uf.Name); err != nil {
			t.Fatalf("accepted a bad name %q: %v", uf.Name, err)
		}
		if uf.Sealed == nil {
			seed, err := base64.StdEncoding.DecodeString(uf.Seed)
			if err != nil || len(seed) != seedSize {
				t.Fatalf("accepted a bad seed %q", uf.Seed)
			}
			return
		}
		p, err := uf.Sealed.check()
		if err != nil {
			t.Fatalf("parsed a sealed file its own check refuses: %v", err)
		}
		if p.time > maxKDFTime || p.memoryKiB > maxKDFMemoryKiB || p.threads > maxKDFThreads {
			t.Fatalf("accepted costs over the bounds: %+v", p)
		}
		if uint64(p.time)*uint64(p.memoryKiB) > maxFuzzWork {
			return
		}
		seed, err := uf.Sealed.open(fuzzPassphrase, sealedAD(uf.Version, uf.Name, uf.Sealed))
		if err != nil {
			return
		}
		if len(seed) != seedSize {
			t.Fatalf("opened a seed of %d bytes", len(seed))
		}
		// Sealing the seed again under the same header must open the same.
		u := &User{Name: uf.Name, key: ed25519.NewKeyFromSeed(seed)}
		again, err := sealSeed(u.key.Seed(), fuzzPassphrase, p, func(s *sealedSeed) []byte { return sealedAD(uf.Version, uf.Name, s) })
		if err != nil {
			t.Fatalf("reseal: %v", err)
		}
		back, err := again.open(fuzzPassphrase, sealedAD(uf.Version, uf.Name, again))
		if err != nil || !bytes.Equal(back, seed) {
			t.Fatalf("resealed seed does not open: %v", err)
		}
	})
}
