package identity_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"

	"starling/identity"
	"starling/identity/transportkey"
)

// keyPath is a key file path in a fresh directory that does not exist yet,
// so every test also covers creating the parent directory.
func keyPath(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "state", name)
}

func newUser(t *testing.T, name string) *identity.User {
	t.Helper()
	u, err := identity.NewUser(name)
	if err != nil {
		t.Fatalf("NewUser(%q): %v", name, err)
	}
	return u
}

// writeKeyFile writes content with mode perm, bypassing umask.
func writeKeyFile(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s has mode %04o, want %04o", path, got, want)
	}
}

// wantOnly checks that dir holds exactly the named files: no temporary file
// is left behind.
func wantOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

func TestUserRoundTrip(t *testing.T) {
	for _, name := range []string{"ada", "Zoe\u0308 \U0001F469\u200d\U0001F4BB", strings.Repeat("n", identity.MaxNameLen)} {
		t.Run(name, func(t *testing.T) {
			path := keyPath(t, "user.key")
			u := newUser(t, name)
			if err := u.Save(path); err != nil {
				t.Fatalf("Save: %v", err)
			}
			wantMode(t, path, 0o600)
			wantOnly(t, filepath.Dir(path), "user.key")

			got, err := identity.LoadUser(path)
			if err != nil {
				t.Fatalf("LoadUser: %v", err)
			}
			if got.Name != name || !got.PrivateKey().Equal(u.PrivateKey()) || got.Fingerprint() != u.Fingerprint() {
				t.Errorf("loaded %q %s, saved %q %s", got.Name, got.Fingerprint(), name, u.Fingerprint())
			}
			msg := []byte("signed before, verified after")
			if !ed25519.Verify(got.PublicKey(), msg, ed25519.Sign(u.PrivateKey(), msg)) {
				t.Error("the loaded public key does not verify the saved key's signature")
			}
		})
	}
}

func TestNewUserKeysDiffer(t *testing.T) {
	a, b := newUser(t, "a"), newUser(t, "a")
	if a.PublicKey().Equal(b.PublicKey()) {
		t.Error("two NewUser calls made the same key")
	}
}

func TestSaveRefusesOverwrite(t *testing.T) {
	path := keyPath(t, "user.key")
	first := newUser(t, "first")
	if err := first.Save(path); err != nil {
		t.Fatalf("Save: %v", err)
	}
	for _, u := range []*identity.User{first, newUser(t, "second")} {
		if err := u.Save(path); !errors.Is(err, identity.ErrKeyExists) {
			t.Errorf("second Save = %v, want %v", err, identity.ErrKeyExists)
		}
	}
	got, err := identity.LoadUser(path)
	if err != nil {
		t.Fatalf("LoadUser: %v", err)
	}
	if !got.PublicKey().Equal(first.PublicKey()) || got.Name != "first" {
		t.Errorf("key file now holds %q, want the first key", got.Name)
	}
	wantOnly(t, filepath.Dir(path), "user.key")
}

// TestSaveRace: of several simultaneous Saves to one path exactly one wins,
// and the file holds the winner's key.
func TestSaveRace(t *testing.T) {
	path := keyPath(t, "user.key")
	const n = 8
	users := make([]*identity.User, n)
	errs := make([]error, n)
	for i := range users {
		users[i] = newUser(t, "racer")
	}
	var wg sync.WaitGroup
	for i := range users {
		wg.Go(func() { errs[i] = users[i].Save(path) })
	}
	wg.Wait()

	got, err := identity.LoadUser(path)
	if err != nil {
		t.Fatalf("LoadUser: %v", err)
	}
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			if !got.PublicKey().Equal(users[i].PublicKey()) {
				t.Errorf("Save %d succeeded but the file holds another key", i)
			}
		case !errors.Is(err, identity.ErrKeyExists):
			t.Errorf("Save %d: %v, want nil or %v", i, err, identity.ErrKeyExists)
		}
	}
	if winners != 1 {
		t.Errorf("%d Saves succeeded, want 1", winners)
	}
	wantOnly(t, filepath.Dir(path), "user.key")
}

func TestLoadUserRefuses(t *testing.T) {
	seed := base64.StdEncoding.EncodeToString(make([]byte, ed25519.SeedSize))
	file := func(version, name, seed string) string {
		return `{"version": ` + version + `, "name": "` + name + `", "ed25519_seed": "` + seed + `"}`
	}
	tests := []struct {
		name    string
		content string
		perm    os.FileMode
		want    error
	}{
		{"group readable", file("1", "ada", seed), 0o640, identity.ErrPermissions},
		{"world readable", file("1", "ada", seed), 0o604, identity.ErrPermissions},
		{"group writable", file("1", "ada", seed), 0o620, identity.ErrPermissions},
		{"world writable", file("1", "ada", seed), 0o602, identity.ErrPermissions},
		{"usual umask", file("1", "ada", seed), 0o644, identity.ErrPermissions},
		{"empty", "", 0o600, identity.ErrBadKeyFile},
		{"garbage", "\x00\xffnot json", 0o600, identity.ErrBadKeyFile},
		{"json array", `[1, 2]`, 0o600, identity.ErrBadKeyFile},
		{"version 0", file("0", "ada", seed), 0o600, identity.ErrBadKeyFile},
		{"version 2", file("2", "ada", seed), 0o600, identity.ErrBadKeyFile},
		{"no version", `{"name": "ada", "ed25519_seed": "` + seed + `"}`, 0o600, identity.ErrBadKeyFile},
		{"short seed", file("1", "ada", base64.StdEncoding.EncodeToString(make([]byte, 31))), 0o600, identity.ErrBadKeyFile},
		{"long seed", file("1", "ada", base64.StdEncoding.EncodeToString(make([]byte, 64))), 0o600, identity.ErrBadKeyFile},
		{"no seed", file("1", "ada", ""), 0o600, identity.ErrBadKeyFile},
		{"seed not base64", file("1", "ada", strings.Repeat("!", 44)), 0o600, identity.ErrBadKeyFile},
		{"empty name", file("1", "", seed), 0o600, identity.ErrBadKeyFile},
		{"name too long", file("1", strings.Repeat("n", identity.MaxNameLen+1), seed), 0o600, identity.ErrBadKeyFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := keyPath(t, "user.key")
			writeKeyFile(t, path, tc.content, tc.perm)
			u, err := identity.LoadUser(path)
			if !errors.Is(err, tc.want) {
				t.Fatalf("LoadUser = %v, %v; want %v", u, err, tc.want)
			}
			if tc.want == identity.ErrPermissions && !strings.Contains(err.Error(), "chmod 600") {
				t.Errorf("error %q does not say how to fix it", err)
			}
		})
	}
}

// TestLoadUserFixedFile pins the key file format: a file written by hand
// loads as the key its seed names.
func TestLoadUserFixedFile(t *testing.T) {
	path := keyPath(t, "user.key")
	writeKeyFile(t, path, `{"version": 1, "name": "ada", "ed25519_seed": "`+base64.StdEncoding.EncodeToString(fixedSeed())+`"}`, 0o600)
	u, err := identity.LoadUser(path)
	if err != nil {
		t.Fatalf("LoadUser: %v", err)
	}
	if !u.PrivateKey().Equal(ed25519.NewKeyFromSeed(fixedSeed())) || u.Name != "ada" {
		t.Errorf("loaded %q with another key", u.Name)
	}
}

func TestLoadUserMissing(t *testing.T) {
	if _, err := identity.LoadUser(keyPath(t, "none.key")); !errors.Is(err, identity.ErrNoKey) {
		t.Errorf("LoadUser = %v, want %v", err, identity.ErrNoKey)
	}
}

func TestNewUserRefusesName(t *testing.T) {
	for _, name := range []string{"", " ", "\t\n", strings.Repeat("n", identity.MaxNameLen+1), strings.Repeat("\u00e9", identity.MaxNameLen/2) + "x", "\xff", "ada\xc3"} {
		if u, err := identity.NewUser(name); err == nil {
			t.Errorf("NewUser(%q) = %q, want an error", name, u.Name)
		}
	}
}

func TestTransportKeyRefuses(t *testing.T) {
	tests := []struct {
		name    string
		content string
		perm    os.FileMode
		want    error
	}{
		{"world readable", "whatever", 0o644, identity.ErrPermissions},
		{"garbage", "\x00\x01garbage", 0o600, identity.ErrBadKeyFile},
		{"empty", "", 0o600, identity.ErrBadKeyFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := keyPath(t, "transport.key")
			writeKeyFile(t, path, tc.content, tc.perm)
			if _, err := transportkey.LoadOrCreate(path); !errors.Is(err, tc.want) {
				t.Errorf("transportkey.LoadOrCreate = %v, want %v", err, tc.want)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != tc.content {
				t.Errorf("the refused file was changed: %q, %v", got, err)
			}
		})
	}
}

// TestKeyPathNotAFile: a directory, a device or an oversized file at a key
// path is a bad key file, with a hint that fits (no "chmod 600" for a
// directory).
func TestKeyPathNotAFile(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.key")
	writeKeyFile(t, big, strings.Repeat(" ", 64<<10+1), 0o600)
	for _, tc := range []struct{ path, hint string }{
		{dir, "is a directory"},
		{open, "is a directory"},
		{"/dev/null", "not a regular file"},
		{big, "larger than"},
	} {
		loads := map[string]func() error{
			"LoadUser":                  func() error { _, err := identity.LoadUser(tc.path); return err },
			"LoadUserWithPassphrase":    func() error { _, err := identity.LoadUserWithPassphrase(tc.path, []byte("x")); return err },
			"IsSealed":                  func() error { _, err := identity.IsSealed(tc.path); return err },
			"transportkey.LoadOrCreate": func() error { _, err := transportkey.LoadOrCreate(tc.path); return err },
		}
		for name, load := range loads {
			err := load()
			if !errors.Is(err, identity.ErrBadKeyFile) || !strings.Contains(err.Error(), tc.hint) {
				t.Errorf("%s(%s) = %v, want %v saying %q", name, tc.path, err, identity.ErrBadKeyFile, tc.hint)
			}
		}
	}
}
func TestTransportKey(t *testing.T) {
	path := keyPath(t, "transport.key")
	k1, err := transportkey.LoadOrCreate(path)
	if err != nil {
		t.Fatalf("first LoadOrCreate: %v", err)
	}
	wantMode(t, path, 0o600)
	wantOnly(t, filepath.Dir(path), "transport.key")
	if k1.Type() != crypto.Ed25519 {
		t.Errorf("transport key type %v, want Ed25519", k1.Type())
	}
	k2, err := transportkey.LoadOrCreate(path)
	if err != nil {
		t.Fatalf("second LoadOrCreate: %v", err)
	}
	if !k1.Equals(k2) {
		t.Error("second call returned another key")
	}
	other, err := transportkey.LoadOrCreate(keyPath(t, "transport.key"))
	if err != nil {
		t.Fatal(err)
	}
	if other.Equals(k1) {
		t.Error("two fresh paths got the same key")
	}
}

// TestTransportKeyRace: callers racing to create the key all get the one
// that ended up on disk.
func TestTransportKeyRace(t *testing.T) {
	path := keyPath(t, "transport.key")
	const n = 8
	keys := make([]crypto.PrivKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = transportkey.LoadOrCreate(path) })
	}
	wg.Wait()
	onDisk, err := transportkey.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("caller %d: %v", i, errs[i])
		} else if !keys[i].Equals(onDisk) {
			t.Errorf("caller %d got a key that is not on disk", i)
		}
	}
}
