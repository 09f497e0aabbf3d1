package identity_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"starling/identity"
)

// flipByte returns a mutation that flips one bit of byte i of a base64
// field of the sealed object.
func flipByte(field string, i int) func(f, sealed map[string]any) {
	return func(f, sealed map[string]any) {
		b, _ := base64.StdEncoding.DecodeString(sealed[field].(string))
		b[i] ^= 0x01
		sealed[field] = base64.StdEncoding.EncodeToString(b)
	}
}

func setBytes(field string, n int) func(f, sealed map[string]any) {
	return func(f, sealed map[string]any) {
		sealed[field] = base64.StdEncoding.EncodeToString(make([]byte, n))
	}
}

// TestSealedTampered changes each part of a sealed file in turn and loads it
// with the right passphrase: every change is refused, none panics, and the
// file is never read as some other key.
func TestSealedTampered(t *testing.T) {
	_, path := sealedUser(t, "ada")
	orig := readJSON(t, path)

	type mutation struct {
		name   string
		change func(f, sealed map[string]any)
		want   error
	}
	set := func(key string, v any) func(f, sealed map[string]any) {
		return func(f, sealed map[string]any) { sealed[key] = v }
	}
	setTop := func(key string, v any) func(f, sealed map[string]any) {
		return func(f, sealed map[string]any) { f[key] = v }
	}
	// Only the associated data catches a changed name: the KDF costs
	// and the salt go into argon2's own hash as well.
	mutations := []mutation{
		{"version 1", setTop("version", 1), identity.ErrBadKeyFile},
		{"version 3", setTop("version", 3), identity.ErrBadKeyFile},
		{"version as string", setTop("version", "2"), identity.ErrBadKeyFile},
		{"other name", setTop("name", "eve"), identity.ErrWrongPassphrase},
		{"name with a space", setTop("name", "ada "), identity.ErrWrongPassphrase},
		{"empty name", setTop("name", ""), identity.ErrBadKeyFile},
		{"no name", func(f, _ map[string]any) { delete(f, "name") }, identity.ErrBadKeyFile},
		{"seed in the clear too", setTop("ed25519_seed", base64.StdEncoding.EncodeToString(fixedSeed())), identity.ErrBadKeyFile},
		{"no sealed", func(f, _ map[string]any) { delete(f, "sealed") }, identity.ErrBadKeyFile},
		{"sealed is a string", setTop("sealed", "x"), identity.ErrBadKeyFile},
		{"kdf argon2i", set("kdf", "argon2i"), identity.ErrBadKeyFile},
		{"kdf in capitals", set("kdf", "ARGON2ID"), identity.ErrBadKeyFile},
		{"no kdf", func(_, s map[string]any) { delete(s, "kdf") }, identity.ErrBadKeyFile},
		{"time 2", set("time", 2), identity.ErrWrongPassphrase},
		// argon2 rounds memory down to a multiple of 4 KiB per lane, but
		// hashes the value asked for, so 65 KiB derives another key.
		{"memory 65", set("memory_kib", 65), identity.ErrWrongPassphrase},
		{"memory 128", set("memory_kib", 128), identity.ErrWrongPassphrase},
		{"threads 2", set("threads", 2), identity.ErrWrongPassphrase},
		{"time fractional", set("time", 1.5), identity.ErrBadKeyFile},
		{"no salt", func(_, s map[string]any) { delete(s, "salt") }, identity.ErrBadKeyFile},
		{"longer salt", setBytes("salt", 32), identity.ErrWrongPassphrase},
		{"salt not base64", set("salt", "!!!!"), identity.ErrBadKeyFile},
		{"short nonce", setBytes("nonce", 12), identity.ErrBadKeyFile},
		{"long nonce", setBytes("nonce", 25), identity.ErrBadKeyFile},
		{"short ciphertext", setBytes("ciphertext", 47), identity.ErrBadKeyFile},
		{"long ciphertext", setBytes("ciphertext", 49), identity.ErrBadKeyFile},
		{"empty ciphertext", set("ciphertext", ""), identity.ErrBadKeyFile},
		{"null ciphertext", set("ciphertext", nil), identity.ErrBadKeyFile},
	}
	for field, n := range map[string]int{"salt": 16, "nonce": 24, "ciphertext": 48} {
		for i := range n {
			mutations = append(mutations, mutation{fmt.Sprintf("%s byte %d", field, i), flipByte(field, i), identity.ErrWrongPassphrase})
		}
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			f := cloneJSON(t, orig)
			sealed, _ := f["sealed"].(map[string]any)
			m.change(f, sealed)
			writeJSON(t, path, f)
			u, err := identity.LoadUserWithPassphrase(path, passphrase)
			if !errors.Is(err, m.want) {
				t.Errorf("LoadUserWithPassphrase = %v, %v; want %v", u, err, m.want)
			}
			if u != nil {
				t.Errorf("a tampered file loaded as %q %s", u.Name, u.Fingerprint())
			}
		})
	}
	// The untouched file still loads: the failures above were the changes.
	writeJSON(t, path, orig)
	if _, err := identity.LoadUserWithPassphrase(path, passphrase); err != nil {
		t.Errorf("the original file: %v", err)
	}
}

// TestSealedHostileKDF: costs outside the bounds are refused while parsing,
// before any key derivation. The test would crash (argon2 panics on zero
// time or threads, and cannot allocate terabytes) or time out otherwise.
func TestSealedHostileKDF(t *testing.T) {
	_, path := sealedUser(t, "ada")
	orig := readJSON(t, path)
	for _, tc := range []struct {
		name, field string
		value       any
		hint        string
	}{
		{"time 0", "time", 0, "time 0"},
		{"time 17", "time", 17, "time 17"},
		{"time 2^31", "time", 1 << 31, "time"},
		{"time negative", "time", -1, "time"},
		{"time over uint32", "time", 1 << 33, "time"},
		{"threads 0", "threads", 0, "threads 0"},
		{"threads 65", "threads", 65, "threads 65"},
		{"threads 256", "threads", 256, "threads 256"},
		{"memory 0", "memory_kib", 0, "memory 0"},
		{"memory 7", "memory_kib", 7, "memory 7"},
		{"memory 2 GiB", "memory_kib", 2 << 20, "memory"},
		{"memory 4 TiB", "memory_kib", 1<<32 - 1, "memory"},
		{"work over the cap", "memory_kib", 512 << 10, "over the limit"}, // time 16 set below
		{"short salt", "salt", base64.StdEncoding.EncodeToString(make([]byte, 8)), "salt has 8 bytes"},
		{"huge salt", "salt", base64.StdEncoding.EncodeToString(make([]byte, 4096)), "salt has 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := cloneJSON(t, orig)
			sealed := f["sealed"].(map[string]any)
			sealed[tc.field] = tc.value
			if tc.name == "work over the cap" {
				sealed["time"] = 16
			}
			writeJSON(t, path, f)
			for _, load := range []func() error{
				func() error { _, err := identity.LoadUserWithPassphrase(path, passphrase); return err },
				func() error { _, err := identity.IsSealed(path); return err },
				func() error { _, err := identity.LoadUser(path); return err },
			} {
				err := load()
				if !errors.Is(err, identity.ErrBadKeyFile) {
					t.Fatalf("got %v, want %v", err, identity.ErrBadKeyFile)
				}
				if !strings.Contains(err.Error(), tc.hint) || !strings.Contains(err.Error(), path) {
					t.Errorf("error %q does not name %q and the file", err, tc.hint)
				}
			}
		})
	}
}

func cloneJSON(t *testing.T, f map[string]any) map[string]any {
	t.Helper()
	out := map[string]any{}
	for k, v := range f {
		if m, ok := v.(map[string]any); ok {
			v = cloneJSON(t, m)
		}
		out[k] = v
	}
	return out
}
