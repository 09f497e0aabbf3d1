package identity

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Sealing a user key with a passphrase (key file version 2).
//
// The Ed25519 seed is encrypted with XChaCha20-Poly1305 under a key that
// argon2id derives from the passphrase and a random salt. Everything else in
// the file (version, name, KDF name and costs, salt) is the AEAD's
// associated data, so changing any of it makes opening fail instead of, say,
// showing someone else's name beside this key or quietly weakening the KDF
// the next time the file is written.

// Sentinel errors for sealed keys.
var (
	ErrSealed          = errors.New("key file is sealed with a passphrase")
	ErrWrongPassphrase = errors.New("wrong passphrase")
	ErrEmptyPassphrase = errors.New("the passphrase is empty")
)

// kdfArgon2id is the only KDF a version-2 key file may name.
const kdfArgon2id = "argon2id"

// Default argon2id costs: RFC 9106, section 4, second recommended option
// (t=3 passes, m=64 MiB, p=4 lanes, 128-bit salt, 256-bit key), meant for
// interactive use on machines without much memory to spare. Unlocking takes
// about 0.1 s and 64 MiB on two cores (BenchmarkUnseal).
const (
	defaultKDFTime      = 3
	defaultKDFMemoryKiB = 64 << 10
	defaultKDFThreads   = 4
	saltSize            = 16
)

// Bounds on the costs a key file may ask for, checked before any work: a
// hostile or corrupt file must not make us allocate unbounded memory or run
// for minutes. Files may ask for less than the defaults; that only weakens
// their own protection, and an attacker who can write the file cannot
// reseal the seed without the passphrase anyway.
const (
	maxKDFTime      = 16
	maxKDFMemoryKiB = 1 << 20 // 1 GiB
	maxKDFThreads   = 64
	// maxKDFWork caps passes × memory (in KiB) at 4 GiB of memory traffic,
	// such as 4 passes over 1 GiB: about 21 times the defaults' work, or
	// two seconds on two cores.
	maxKDFWork  = 4 << 20
	maxSaltSize = 64
)

// kdfParams are argon2id's costs.
type kdfParams struct {
	time      uint32 // passes over memory
	memoryKiB uint32
	threads   uint8 // lanes
}

func defaultKDF() kdfParams {
	return kdfParams{time: defaultKDFTime, memoryKiB: defaultKDFMemoryKiB, threads: defaultKDFThreads}
}

// sealedSeed is the "sealed" object of a version-2 key file. encoding/json
// writes the byte slices as standard base64.
type sealedSeed struct {
	KDF        string `json:"kdf"`
	Time       uint32 `json:"time"`
	MemoryKiB  uint32 `json:"memory_kib"`
	Threads    uint32 `json:"threads"`
	Salt       []byte `json:"salt"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

// check validates the sealed object's shape and its KDF costs, and returns
// the costs. It does no key derivation.
func (s *sealedSeed) check() (kdfParams, error) {
	if s.KDF != kdfArgon2id {
		return kdfParams{}, fmt.Errorf("kdf %q is not supported (want %q)", s.KDF, kdfArgon2id)
	}
	switch {
	case s.Threads < 1 || s.Threads > maxKDFThreads:
		return kdfParams{}, fmt.Errorf("argon2id threads %d is outside 1 to %d", s.Threads, maxKDFThreads)
	case s.Time < 1 || s.Time > maxKDFTime:
		return kdfParams{}, fmt.Errorf("argon2id time %d is outside 1 to %d", s.Time, maxKDFTime)
	case s.MemoryKiB < 8*s.Threads || s.MemoryKiB > maxKDFMemoryKiB:
		// argon2 needs 8 KiB per lane; below that it would silently use more.
		return kdfParams{}, fmt.Errorf("argon2id memory %d KiB is outside %d to %d", s.MemoryKiB, 8*s.Threads, maxKDFMemoryKiB)
	case uint64(s.Time)*uint64(s.MemoryKiB) > maxKDFWork:
		return kdfParams{}, fmt.Errorf("argon2id time %d × memory %d KiB is over the limit of %d", s.Time, s.MemoryKiB, maxKDFWork)
	case len(s.Salt) < saltSize || len(s.Salt) > maxSaltSize:
		return kdfParams{}, fmt.Errorf("salt has %d bytes, want %d to %d", len(s.Salt), saltSize, maxSaltSize)
	case len(s.Nonce) != chacha20poly1305.NonceSizeX:
		return kdfParams{}, fmt.Errorf("nonce has %d bytes, want %d", len(s.Nonce), chacha20poly1305.NonceSizeX)
	case len(s.Ciphertext) != seedSize+chacha20poly1305.Overhead:
		return kdfParams{}, fmt.Errorf("ciphertext has %d bytes, want %d", len(s.Ciphertext), seedSize+chacha20poly1305.Overhead)
	}
	return kdfParams{time: s.Time, memoryKiB: s.MemoryKiB, threads: uint8(s.Threads)}, nil
}

// sealSeed encrypts seed under passphrase with costs p and fresh randomness.
// ad returns the associated data for the finished header.
func sealSeed(seed, passphrase []byte, p kdfParams, ad func(*sealedSeed) []byte) (*sealedSeed, error) {
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("%w; choose a passphrase, or save the key unsealed", ErrEmptyPassphrase)
	}
	s := &sealedSeed{
		KDF: kdfArgon2id, Time: p.time, MemoryKiB: p.memoryKiB, Threads: uint32(p.threads),
		Salt: make([]byte, saltSize), Nonce: make([]byte, chacha20poly1305.NonceSizeX),
		Ciphertext: make([]byte, seedSize+chacha20poly1305.Overhead), // for check; replaced below
	}
	if _, err := s.check(); err != nil {
		return nil, fmt.Errorf("seal the key: %w", err)
	}
	if _, err := rand.Read(s.Salt); err != nil {
		return nil, fmt.Errorf("seal the key: %w", err)
	}
	if _, err := rand.Read(s.Nonce); err != nil {
		return nil, fmt.Errorf("seal the key: %w", err)
	}
	aead, err := s.aead(passphrase, p)
	if err != nil {
		return nil, err
	}
	s.Ciphertext = aead.Seal(s.Ciphertext[:0], s.Nonce, seed, ad(s))
	return s, nil
}

// open decrypts the seed. It returns ErrWrongPassphrase when authentication
// fails, which is also what a changed header or ciphertext looks like: the
// AEAD cannot tell a wrong key from altered data.
func (s *sealedSeed) open(passphrase, ad []byte) ([]byte, error) {
	p, err := s.check()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKeyFile, err)
	}
	if len(passphrase) == 0 {
		// Sealing refuses an empty passphrase, so it cannot be the right one.
		return nil, ErrWrongPassphrase
	}
	aead, err := s.aead(passphrase, p)
	if err != nil {
		return nil, err
	}
	seed, err := aead.Open(nil, s.Nonce, s.Ciphertext, ad)
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return seed, nil
}

// aead derives the key-encryption key and wraps it. The derived key is
// cleared once the cipher has its own copy of it.
func (s *sealedSeed) aead(passphrase []byte, p kdfParams) (cipher.AEAD, error) {
	key := argon2.IDKey(passphrase, s.Salt, p.time, p.memoryKiB, p.threads, chacha20poly1305.KeySize)
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("key-encryption key: %w", err)
	}
	return aead, nil
}

// sealedAD is the associated data of a version-2 key file, big-endian:
//
//	"starling/user-key/sealed\x00" | version (8 bytes)
//	| len(name) (4) | name | len(kdf) (4) | kdf
//	| time (4) | memory_kib (4) | threads (4) | len(salt) (4) | salt
//
// Every field the file holds besides nonce and ciphertext (which the AEAD
// covers itself), length-prefixed so that no two headers encode alike. The
// salt is bound through the derived key already; it is here too so that the
// header is covered whole.
func sealedAD(version int, name string, s *sealedSeed) []byte {
	b := []byte("starling/user-key/sealed\x00")
	field := func(v []byte) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(version))
	field([]byte(name))
	field([]byte(s.KDF))
	b = binary.BigEndian.AppendUint32(b, s.Time)
	b = binary.BigEndian.AppendUint32(b, s.MemoryKiB)
	b = binary.BigEndian.AppendUint32(b, s.Threads)
	field(s.Salt)
	return b
}
