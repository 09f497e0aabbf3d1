package identity

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
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

// seedSize is the length of an Ed25519 seed, the secret a key file keeps.
const seedSize = ed25519.SeedSize

// maxKeyFileSize caps what is read from a key file. Real ones are well under
// 1 KiB; the cap keeps a wrong or hostile path from filling memory.
const maxKeyFileSize = 64 << 10

// userFile is a user key file. Version 1 keeps the seed in the clear
// (ed25519_seed); version 2 keeps it sealed with a passphrase (sealed, see
// passphrase.go). A file never carries both.
type userFile struct {
	Version int         `json:"version"`
	Name    string      `json:"name"`
	Seed    string      `json:"ed25519_seed,omitempty"`
	Sealed  *sealedSeed `json:"sealed,omitempty"`
}

// Save writes the key unsealed (version 1) to path with mode 0600. It never
// overwrites.
func (u *User) Save(path string) error {
	return writeUserFile(path, userFile{Version: 1, Name: u.Name, Seed: base64.StdEncoding.EncodeToString(u.key.Seed())})
}

// SaveSealed writes the key to path with mode 0600, its seed sealed with
// passphrase (version 2, argon2id and XChaCha20-Poly1305). It never
// overwrites, and it refuses an empty passphrase with ErrEmptyPassphrase.
// The passphrase is used as given, byte for byte.
func (u *User) SaveSealed(path string, passphrase []byte) error {
	return u.saveSealed(path, passphrase, defaultKDF())
}

func (u *User) saveSealed(path string, passphrase []byte, p kdfParams) error {
	f := userFile{Version: 2, Name: u.Name}
	sealed, err := sealSeed(u.key.Seed(), passphrase, p, func(s *sealedSeed) []byte { return sealedAD(f.Version, f.Name, s) })
	if err != nil {
		return err
	}
	f.Sealed = sealed
	return writeUserFile(path, f)
}

func writeUserFile(path string, f userFile) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return writeNew(path, append(b, '\n'))
}

// LoadUser reads an unsealed key written by Save. A sealed key file gives
// ErrSealed: load it with LoadUserWithPassphrase.
func LoadUser(path string) (*User, error) {
	return loadUser(path, nil, false)
}

// LoadUserWithPassphrase reads a key written by SaveSealed, or by Save (the
// passphrase is then not needed and not checked). A passphrase that does
// not open the seal gives ErrWrongPassphrase; so does a sealed file whose
// header or ciphertext was changed, as the two cannot be told apart.
func LoadUserWithPassphrase(path string, passphrase []byte) (*User, error) {
	return loadUser(path, passphrase, true)
}

// IsSealed reports whether the key file at path is sealed with a passphrase.
// It checks the whole file's format, but not the passphrase.
func IsSealed(path string) (bool, error) {
	f, err := readUserFile(path)
	if err != nil {
		return false, err
	}
	return f.Sealed != nil, nil
}

func loadUser(path string, passphrase []byte, unlock bool) (*User, error) {
	f, err := readUserFile(path)
	if err != nil {
		return nil, err
	}
	var seed []byte
	switch {
	case f.Sealed == nil:
		seed, _ = base64.StdEncoding.DecodeString(f.Seed) // checked by parseUserFile
	case !unlock:
		return nil, fmt.Errorf("%w: %s; unlock it with its passphrase", ErrSealed, path)
	default:
		seed, err = f.Sealed.open(passphrase, sealedAD(f.Version, f.Name, f.Sealed))
		if errors.Is(err, ErrWrongPassphrase) {
			return nil, fmt.Errorf("%w for %s", ErrWrongPassphrase, path)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	defer clear(seed) // NewKeyFromSeed keeps its own copy
	return &User{Name: f.Name, key: ed25519.NewKeyFromSeed(seed)}, nil
}

// readUserFile reads and checks a user key file; errors name the path.
func readUserFile(path string) (userFile, error) {
	b, err := readPrivate(path)
	if err != nil {
		return userFile{}, err
	}
	f, err := parseUserFile(b)
	if err != nil {
		return userFile{}, fmt.Errorf("%w: %s: %v", ErrBadKeyFile, path, err)
	}
	return f, nil
}

// parseUserFile decodes a user key file and checks everything that can be
// checked without the passphrase, the KDF costs among them, so that no
// later step does work a file asks for beyond the bounds.
func parseUserFile(b []byte) (userFile, error) {
	var f userFile
	if err := json.Unmarshal(b, &f); err != nil {
		return userFile{}, err
	}
	switch f.Version {
	case 1:
		if f.Sealed != nil {
			return userFile{}, errors.New("a version-1 file cannot be sealed")
		}
		seed, err := base64.StdEncoding.DecodeString(f.Seed)
		if err != nil || len(seed) != seedSize {
			return userFile{}, fmt.Errorf("the key seed is not %d bytes of base64", seedSize)
		}
	case 2:
		if f.Seed != "" {
			return userFile{}, errors.New("a sealed file must not carry the seed in the clear")
		}
		if f.Sealed == nil {
			return userFile{}, errors.New("version 2 needs a sealed seed")
		}
		if _, err := f.Sealed.check(); err != nil {
			return userFile{}, err
		}
	default:
		return userFile{}, fmt.Errorf("version %d is not supported", f.Version)
	}
	if err := checkName(f.Name); err != nil {
		return userFile{}, err
	}
	return f, nil
}

// ReadKeyFile reads a small key file that only its owner may read: the
// checks every key file of the home gets (package transportkey reads the
// transport key with it).
func ReadKeyFile(path string) ([]byte, error) { return readPrivate(path) }

// WriteKeyFile creates a key file with mode 0600, failing with ErrKeyExists
// if it exists, and never leaves a half-written key.
func WriteKeyFile(path string, data []byte) error { return writeNew(path, data) }

// readPrivate reads a small key file that only its owner may read.
func readPrivate(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoKey, path)
	}
	if err != nil {
		return nil, err
	}
	// Before the mode check: "chmod 600" is no fix for a directory.
	if st.IsDir() {
		return nil, fmt.Errorf("%w: %s is a directory; give the path of the key file in it", ErrBadKeyFile, path)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrBadKeyFile, path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; run `chmod 600 %s`", ErrPermissions, path, st.Mode().Perm(), path)
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxKeyFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes, which no key file is", ErrBadKeyFile, path, maxKeyFileSize)
	}
	return b, nil
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
