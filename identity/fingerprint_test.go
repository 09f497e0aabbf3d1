package identity_test

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"starling/identity"
)

// fixedSeed is the bytes 0x00 to 0x1f, a seed anyone can reproduce.
func fixedSeed() []byte {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	return seed
}

// goldenFingerprint is the fingerprint of fixedSeed's key, computed apart
// from this code (base32 of the first 20 bytes of SHA-256 over
// "starling/fingerprint/v1\x00" and the public key). People compare these
// face to face, so it must never change for a given key.
const goldenFingerprint = "4xjt5npl4sjmi7frmv5mmx2gh6xfif3x"

func TestFingerprintGolden(t *testing.T) {
	key := ed25519.NewKeyFromSeed(fixedSeed())
	u := mustUser(t, "ada", key)
	if got := u.Fingerprint(); got != goldenFingerprint {
		t.Errorf("Fingerprint = %s, want %s", got, goldenFingerprint)
	}
	if got := identity.FingerprintOf(key.Public().(ed25519.PublicKey)); got != goldenFingerprint {
		t.Errorf("FingerprintOf = %s, want %s", got, goldenFingerprint)
	}
	f := identity.Fingerprint(goldenFingerprint)
	if got, want := f.Pretty(), "4xjt 5npl 4sjm i7fr mv5m mx2g h6xf if3x"; got != want {
		t.Errorf("Pretty = %q, want %q", got, want)
	}
	if got, want := f.Short(), "4xjt5npl"; got != want {
		t.Errorf("Short = %q, want %q", got, want)
	}
}

func TestFingerprintsDiffer(t *testing.T) {
	seen := map[identity.Fingerprint]bool{}
	for range 16 {
		u, err := identity.NewUser("ada")
		if err != nil {
			t.Fatal(err)
		}
		f := u.Fingerprint()
		if seen[f] {
			t.Fatalf("fingerprint %s came twice", f)
		}
		seen[f] = true
		if len(f) != 32 || strings.Trim(string(f), "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Errorf("fingerprint %q is not 32 lower-case base32 characters", f)
		}
	}
}

func TestParseFingerprint(t *testing.T) {
	f := identity.Fingerprint(goldenFingerprint)
	for _, in := range []string{
		string(f),
		f.Pretty(),
		strings.ToUpper(f.Pretty()),
		strings.ToUpper(string(f)),
		"  " + f.Pretty() + "\n",
		strings.ReplaceAll(f.Pretty(), " ", "\t"),
		strings.ReplaceAll(f.Pretty(), " ", "  "),
		"4XJT5npl 4sjmI7FR mv5mmx2g h6xfif3x",
	} {
		got, err := identity.ParseFingerprint(in)
		if err != nil || got != f {
			t.Errorf("ParseFingerprint(%q) = %q, %v; want %q", in, got, err, f)
		}
	}
}

func TestParseFingerprintRefuses(t *testing.T) {
	g := goldenFingerprint
	for _, in := range []string{
		"",
		"   ",
		g[:31],
		g + "a", // 33 characters: the decoder drops the partial last one
		g + "aa",
		g + "aaa",
		g[:31] + "aa",
		g[:28],
		g + "====",
		"0" + g[1:], // base32 has no 0, 1, 8 or 9
		"1" + g[1:],
		"8" + g[1:],
		strings.ReplaceAll(identity.Fingerprint(g).Pretty(), " ", "-"),
		"\u0430" + g[1:], // Cyrillic a
		"\u200b" + g,     // zero-width space is not white space
		g[:16] + "\x00" + g[16:],
	} {
		if got, err := identity.ParseFingerprint(in); err == nil {
			t.Errorf("ParseFingerprint(%q) = %q, want an error", in, got)
		}
	}
}

func TestShortOfShortFingerprint(t *testing.T) {
	for _, f := range []identity.Fingerprint{"", "abc", "abcdefg"} {
		if f.Short() != string(f) {
			t.Errorf("Short(%q) = %q", f, f.Short())
		}
	}
}

func mustUser(t testing.TB, name string, key ed25519.PrivateKey) *identity.User {
	t.Helper()
	u, err := identity.UserFromKey(name, key)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUserFromKeyRefusesBadInput(t *testing.T) {
	key := ed25519.NewKeyFromSeed(fixedSeed())
	for name, c := range map[string]struct {
		name string
		key  ed25519.PrivateKey
	}{
		"short key":       {"ada", key[:10]},
		"nil key":         {"ada", nil},
		"empty name":      {"", key},
		"control in name": {"a\x1b[2Jb", key},
		"newline in name": {"a\nb", key},
	} {
		if u, err := identity.UserFromKey(c.name, c.key); err == nil {
			t.Errorf("%s: UserFromKey = %v, want an error", name, u)
		}
	}
}
