package identity

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/libp2p/go-libp2p/core/crypto"
)

// Sentinel errors.
var (
	ErrNoKey       = errors.New("no key file")
	ErrKeyExists   = errors.New("key file already exists")
	ErrPermissions = errors.New("key file is readable by other users")
	ErrBadKeyFile  = errors.New("bad key file")
)

// MaxNameLen caps a display name in bytes (message.MaxNickSize).
const MaxNameLen = 64

// User is a person's long-term signing key and display name.
type User struct {
	Name string
	key  ed25519.PrivateKey
}

// NewUser makes a fresh user key.
func NewUser(name string) (*User, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate user key: %w", err)
	}
	return &User{Name: name, key: priv}, nil
}

// UserFromKey wraps an existing private key (tests, simulations). It
// checks the name and the key's length.
func UserFromKey(name string, key ed25519.PrivateKey) (*User, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: private key has %d bytes, want %d", ErrBadKeyFile, len(key), ed25519.PrivateKeySize)
	}
	return &User{Name: name, key: key}, nil
}

func checkName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("name is empty")
	case len(name) > MaxNameLen:
		return fmt.Errorf("name is %d bytes, limit %d", len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return errors.New("name is not UTF-8")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("name has control characters (such as a newline or an escape)")
	}
	return nil
}

// PrivateKey returns the signing key. Callers must not log or store it.
func (u *User) PrivateKey() ed25519.PrivateKey { return u.key }

// PublicKey returns the public half.
func (u *User) PublicKey() ed25519.PublicKey { return u.key.Public().(ed25519.PublicKey) }

// Fingerprint returns the key's fingerprint.
func (u *User) Fingerprint() Fingerprint { return FingerprintOf(u.PublicKey()) }

type userFile struct {
	Version int    `json:"version"`
	Name    string `json:"name"`
	Seed    string `json:"ed25519_seed"`
}

// Save writes the key to path with mode 0600. It never overwrites.
func (u *User) Save(path string) error {
	b, err := json.MarshalIndent(userFile{Version: 1, Name: u.Name, Seed: base64.StdEncoding.EncodeToString(u.key.Seed())}, "", "  ")
	if err != nil {
		return err
	}
	return writeNew(path, append(b, '\n'))
}

// LoadUser reads a key written by Save.
func LoadUser(path string) (*User, error) {
	b, err := readPrivate(path)
	if err != nil {
		return nil, err
	}
	var f userFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadKeyFile, path, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("%w: %s: version %d is not supported", ErrBadKeyFile, path, f.Version)
	}
	seed, err := base64.StdEncoding.DecodeString(f.Seed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: %s: the key seed is not %d bytes of base64", ErrBadKeyFile, path, ed25519.SeedSize)
	}
	if err := checkName(f.Name); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadKeyFile, path, err)
	}
	return &User{Name: f.Name, key: ed25519.NewKeyFromSeed(seed)}, nil
}

// LoadOrCreateTransport reads the libp2p transport key at path, making and
// saving a fresh Ed25519 key when there is none.
func LoadOrCreateTransport(path string) (crypto.PrivKey, error) {
	b, err := readPrivate(path)
	if errors.Is(err, ErrNoKey) {
		k, werr := createTransport(path)
		if !errors.Is(werr, ErrKeyExists) {
			return k, werr
		}
		// Another caller created the key between our read and our write:
		// use theirs, so every caller ends up with the same key.
		b, err = readPrivate(path)
	}
	if err != nil {
		return nil, err
	}
	k, err := crypto.UnmarshalPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadKeyFile, path, err)
	}
	return k, nil
}

func createTransport(path string) (crypto.PrivKey, error) {
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate transport key: %w", err)
	}
	raw, err := crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := writeNew(path, raw); err != nil {
		return nil, err
	}
	return k, nil
}

func readPrivate(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoKey, path)
	}
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; run `chmod 600 %s`", ErrPermissions, path, st.Mode().Perm(), path)
	}
	return os.ReadFile(path)
}

// writeNew creates path with mode 0600 and fails if it exists. The write goes
// to a temporary file first, so a crash leaves no half-written key.
func writeNew(path string, data []byte) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%w: %s", ErrKeyExists, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Link rather than rename, so an existing key is never replaced.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrKeyExists, path)
		}
		return err
	}
	return nil
}
