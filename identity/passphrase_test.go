package identity_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"starling/identity"
)

var passphrase = []byte("correct horse battery staple")

// sealedUser saves a fresh key sealed with passphrase at cheap KDF costs.
func sealedUser(t *testing.T, name string) (*identity.User, string) {
	t.Helper()
	u := newUser(t, name)
	path := keyPath(t, "user.key")
	if err := u.SaveSealedWithKDF(path, passphrase, identity.CheapKDF); err != nil {
		t.Fatalf("SaveSealed: %v", err)
	}
	return u, path
}

func sameUser(t *testing.T, got, want *identity.User) {
	t.Helper()
	if got.Name != want.Name || !got.PrivateKey().Equal(want.PrivateKey()) {
		t.Errorf("loaded %q %s, saved %q %s", got.Name, got.Fingerprint(), want.Name, want.Fingerprint())
	}
}

func TestSealedRoundTrip(t *testing.T) {
	for _, name := range []string{"ada", "Zoe\u0308 \U0001F469\u200d\U0001F4BB", strings.Repeat("n", identity.MaxNameLen)} {
		t.Run(name, func(t *testing.T) {
			u, path := sealedUser(t, name)
			wantMode(t, path, 0o600)
			wantOnly(t, filepath.Dir(path), "user.key")

			got, err := identity.LoadUserWithPassphrase(path, passphrase)
			if err != nil {
				t.Fatalf("LoadUserWithPassphrase: %v", err)
			}
			sameUser(t, got, u)
			if sealed, err := identity.IsSealed(path); err != nil || !sealed {
				t.Errorf("IsSealed = %v, %v; want true", sealed, err)
			}
			if got, err := identity.LoadUser(path); !errors.Is(err, identity.ErrSealed) {
				t.Errorf("LoadUser = %v, %v; want %v", got, err, identity.ErrSealed)
			}

			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			seed := u.PrivateKey().Seed()
			for _, secret := range [][]byte{seed, []byte(base64.StdEncoding.EncodeToString(seed)), passphrase} {
				if bytes.Contains(raw, secret) {
					t.Errorf("the sealed file holds a secret in the clear:\n%s", raw)
				}
			}
		})
	}
}

// TestSealedFormat pins the JSON layout of a version-2 file.
func TestSealedFormat(t *testing.T) {
	_, path := sealedUser(t, "ada")
	f := readJSON(t, path)
	sealed, _ := f["sealed"].(map[string]any)
	if f["version"] != 2.0 || f["name"] != "ada" || sealed == nil || len(f) != 3 {
		t.Fatalf("file is not {version: 2, name, sealed}: %v", f)
	}
	want := map[string]any{"kdf": "argon2id", "time": 1.0, "memory_kib": 64.0, "threads": 1.0}
	for k, v := range want {
		if sealed[k] != v {
			t.Errorf("sealed.%s = %v, want %v", k, sealed[k], v)
		}
	}
	for k, size := range map[string]int{"salt": 16, "nonce": 24, "ciphertext": 32 + 16} {
		s, _ := sealed[k].(string)
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != size {
			t.Errorf("sealed.%s = %q, want %d bytes of base64", k, s, size)
		}
	}
	if len(sealed) != len(want)+3 {
		t.Errorf("sealed has unexpected fields: %v", sealed)
	}
}

// TestSealedDefaults runs the real argon2id costs once: RFC 9106's second
// recommended option.
func TestSealedDefaults(t *testing.T) {
	u := newUser(t, "ada")
	path := keyPath(t, "user.key")
	if err := u.SaveSealed(path, passphrase); err != nil {
		t.Fatalf("SaveSealed: %v", err)
	}
	sealed, _ := readJSON(t, path)["sealed"].(map[string]any)
	for k, v := range map[string]any{"kdf": "argon2id", "time": 3.0, "memory_kib": 65536.0, "threads": 4.0} {
		if sealed[k] != v {
			t.Errorf("sealed.%s = %v, want %v", k, sealed[k], v)
		}
	}
	got, err := identity.LoadUserWithPassphrase(path, passphrase)
	if err != nil {
		t.Fatalf("LoadUserWithPassphrase: %v", err)
	}
	sameUser(t, got, u)
}

func TestWrongPassphrase(t *testing.T) {
	_, path := sealedUser(t, "ada")
	for _, wrong := range [][]byte{
		nil,
		{},
		[]byte("correct horse battery stapl"),
		[]byte("correct horse battery staple\n"),
		[]byte("Correct horse battery staple"),
		append(bytes.Clone(passphrase), 0),
	} {
		u, err := identity.LoadUserWithPassphrase(path, wrong)
		if !errors.Is(err, identity.ErrWrongPassphrase) {
			t.Errorf("passphrase %q: LoadUserWithPassphrase = %v, %v; want %v", wrong, u, err, identity.ErrWrongPassphrase)
			continue
		}
		if want := "wrong passphrase for " + path; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	}
}

func TestSaveSealedRefuses(t *testing.T) {
	u := newUser(t, "ada")
	for _, empty := range [][]byte{nil, {}} {
		path := keyPath(t, "user.key")
		if err := u.SaveSealedWithKDF(path, empty, identity.CheapKDF); !errors.Is(err, identity.ErrEmptyPassphrase) {
			t.Errorf("SaveSealed(%q) = %v, want %v", empty, err, identity.ErrEmptyPassphrase)
		}
		if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a refused SaveSealed created %s (stat: %v)", filepath.Dir(path), err)
		}
	}

	_, path := sealedUser(t, "first")
	for _, save := range []func() error{
		func() error { return u.SaveSealedWithKDF(path, passphrase, identity.CheapKDF) },
		func() error { return u.Save(path) },
	} {
		if err := save(); !errors.Is(err, identity.ErrKeyExists) {
			t.Errorf("saving over a sealed key = %v, want %v", err, identity.ErrKeyExists)
		}
	}
	if got, err := identity.LoadUserWithPassphrase(path, passphrase); err != nil || got.Name != "first" {
		t.Errorf("the sealed key was replaced: %v, %v", got, err)
	}
}

// TestUnsealedWithPassphrase: a version-1 file loads with or without one.
func TestUnsealedWithPassphrase(t *testing.T) {
	u := newUser(t, "ada")
	path := keyPath(t, "user.key")
	if err := u.Save(path); err != nil {
		t.Fatal(err)
	}
	if sealed, err := identity.IsSealed(path); err != nil || sealed {
		t.Errorf("IsSealed = %v, %v; want false", sealed, err)
	}
	for _, p := range [][]byte{nil, passphrase} {
		got, err := identity.LoadUserWithPassphrase(path, p)
		if err != nil {
			t.Fatalf("LoadUserWithPassphrase(%q): %v", p, err)
		}
		sameUser(t, got, u)
	}
}

// goldenSealed is fixedSeed's key as "ada", sealed with passphrase at the
// cheap costs by the first version of this code. It must keep loading:
// people's key files outlive any one release.
const goldenSealed = `{
  "version": 2,
  "name": "ada",
  "sealed": {
    "kdf": "argon2id",
    "time": 1,
    "memory_kib": 64,
    "threads": 1,
    "salt": "+DF0FT8JE4/Rrs7o9BnWkg==",
    "nonce": "4qQsSjDEINiXAXSX25LsPVZ2t7290bGb",
    "ciphertext": "6Q1rJvC4Hl/S4RbOrxf9vCs64HgrWwc32qLhn0glDASrKOH9MxhMHMfQdSKGz9fx"
  }
}
`

func TestSealedGolden(t *testing.T) {
	path := keyPath(t, "user.key")
	writeKeyFile(t, path, goldenSealed, 0o600)
	u, err := identity.LoadUserWithPassphrase(path, passphrase)
	if err != nil {
		t.Fatalf("LoadUserWithPassphrase: %v", err)
	}
	if u.Name != "ada" || u.Fingerprint() != goldenFingerprint {
		t.Errorf("loaded %q %s, want ada %s", u.Name, u.Fingerprint(), goldenFingerprint)
	}

	// Open it again from the format as documented, apart from the code
	// under test: argon2id(passphrase, salt) is the XChaCha20-Poly1305 key,
	// and the associated data is a label, the version as 8 bytes, then
	// name, kdf, time, memory, threads and salt, the strings and the salt
	// each after their length in 4 bytes, the numbers as 4 bytes, all
	// big-endian.
	f := readJSON(t, path)
	sealed := f["sealed"].(map[string]any)
	b64 := func(k string) []byte {
		b, err := base64.StdEncoding.DecodeString(sealed[k].(string))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	salt := b64("salt")
	ad := binary.BigEndian.AppendUint64([]byte("starling/user-key/sealed\x00"), 2)
	ad = binary.BigEndian.AppendUint32(ad, 3)
	ad = append(ad, "ada"...)
	ad = binary.BigEndian.AppendUint32(ad, 8)
	ad = append(ad, "argon2id"...)
	for _, n := range []uint32{1, 64, 1, uint32(len(salt))} {
		ad = binary.BigEndian.AppendUint32(ad, n)
	}
	ad = append(ad, salt...)
	aead, err := chacha20poly1305.NewX(argon2.IDKey(passphrase, salt, 1, 64, 1, 32))
	if err != nil {
		t.Fatal(err)
	}
	seed, err := aead.Open(nil, b64("nonce"), b64("ciphertext"), ad)
	if err != nil || !bytes.Equal(seed, fixedSeed()) {
		t.Errorf("the documented format does not open the golden file: %x, %v", seed, err)
	}
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s is not JSON: %v", path, err)
	}
	return f
}

func writeJSON(t *testing.T, path string, f map[string]any) {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	writeKeyFile(t, path, string(b), 0o600)
}

// BenchmarkUnseal measures opening a key sealed at the default costs: the
// wait a person has at every command that needs the key.
func BenchmarkUnseal(b *testing.B) {
	u, err := identity.NewUser("ada")
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "user.key")
	if err := u.SaveSealed(path, passphrase); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := identity.LoadUserWithPassphrase(path, passphrase); err != nil {
			b.Fatal(err)
		}
	}
}
