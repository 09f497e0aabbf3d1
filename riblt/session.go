package riblt

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
)

// Set is the list of IDs one side reconciles: any order, no repeats. It must
// not change during a session.
type Set interface {
	Size() int
	ID(i int) [IDSize]byte
}

// IDs is a Set held in a slice.
type IDs [][IDSize]byte

func (s IDs) Size() int             { return len(s) }
func (s IDs) ID(i int) [IDSize]byte { return s[i] }

// DefaultMaxSymbols is Config.MaxSymbols when it is zero: 65,536 symbols,
// about 880 KB on the wire and 1.5 MB in the decoder, enough for a
// difference of 45,000 messages.
const DefaultMaxSymbols = 1 << 16

// Config tunes one side of a session. The zero value is valid.
type Config struct {
	// MaxSymbols caps the coded symbols of one session. A server refuses to
	// send more, a client to receive more, and a client whose difference
	// needs more asks for another method instead. Zero means
	// DefaultMaxSymbols; at most MaxIndex.
	MaxSymbols int
	// MaxMessageSize caps the server's answers in bytes: a batch that would
	// not fit is cut short and the client asks for the rest. Zero means no
	// cap; otherwise at least MinMessageSize.
	MaxMessageSize int
}

// MinMessageSize is the smallest non-zero Config.MaxMessageSize: room for
// an answer's header and one symbol.
const MinMessageSize = 64

func (c Config) withDefaults() (Config, error) {
	switch {
	case c.MaxSymbols < 0 || c.MaxSymbols > MaxIndex:
		return c, fmt.Errorf("riblt config: MaxSymbols %d: must be between 0 (default) and %d", c.MaxSymbols, MaxIndex)
	case c.MaxMessageSize < 0 || (c.MaxMessageSize > 0 && c.MaxMessageSize < MinMessageSize):
		return c, fmt.Errorf("riblt config: MaxMessageSize %d: must be 0 (no cap) or at least %d", c.MaxMessageSize, MinMessageSize)
	}
	if c.MaxSymbols == 0 {
		c.MaxSymbols = DefaultMaxSymbols
	}
	return c, nil
}

// Kinds of a server's answer.
const (
	answerSymbols  = 0 // coded symbols follow
	answerFallback = 1 // the difference is too large; reconcile another way
)

// requestSize is the size of a client's first message but for its two
// varints.
const requestSize = SecretSize + symbolWireSize

// keyed is a key and the position of its ID in the Set.
type keyed struct {
	key uint64
	pos int
}

// sortKeyed sorts by key. Two IDs share a key with probability 2^-64 per
// pair, so their order does not matter.
func sortKeyed(ks []keyed) {
	slices.SortFunc(ks, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
}

// findKeyed returns the first position of key in ks, sorted by sortKeyed.
func findKeyed(ks []keyed, key uint64) (int, bool) {
	i, ok := slices.BinarySearchFunc(ks, key, func(k keyed, key uint64) int { return cmp.Compare(k.key, key) })
	if !ok {
		return 0, false
	}
	return ks[i].pos, true
}

// keysOfSet derives every ID's key and returns them with their positions,
// sorted by key, and their total as symbol 0 of the set.
func keysOfSet(h Hasher, set Set) ([]keyed, Symbol) {
	out := make([]keyed, set.Size())
	var sum Symbol
	for i := range out {
		k := h.Key(set.ID(i))
		out[i] = keyed{key: k, pos: i}
		sum.add(k, checksum(k), 1)
	}
	sortKeyed(out)
	return out, sum
}

func plainKeys(ks []keyed) []uint64 {
	out := make([]uint64, len(ks))
	for i, k := range ks {
		out[i] = k.key
	}
	return out
}

// Server is the side that sends coded symbols: the responder. It is not
// safe for concurrent use.
type Server struct {
	cfg     Config
	set     Set
	keys    []keyed // sorted by key; nil until the request
	enc     *Encoder
	size    uint64   // the set's size
	sent    int      // symbols sent
	pending []Symbol // produced but cut from an answer by its size; the next to send
}

// NewServer returns the responder's side of a session over set.
func NewServer(set Set, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if set.Size() > MaxSetSize {
		return nil, fmt.Errorf("riblt server: set of %d IDs, at most %d", set.Size(), MaxSetSize)
	}
	return &Server{cfg: cfg, set: set, size: uint64(set.Size())}, nil
}

// Answer answers one message of the client: the request that opens the
// session, then requests for more symbols. Errors wrap ErrMalformed.
func (s *Server) Answer(msg []byte) ([]byte, error) {
	if s.keys == nil {
		return s.answerRequest(msg)
	}
	n, rest, err := readUvarint(msg)
	switch {
	case err != nil:
		return nil, fmt.Errorf("riblt request for more symbols: %w", err)
	case len(rest) > 0:
		return nil, fmt.Errorf("riblt request for more symbols: %w: %d bytes after it", ErrBadField, len(rest))
	case n == 0 || n > uint64(s.cfg.MaxSymbols-s.sent):
		return nil, fmt.Errorf("riblt request for %d more symbols after %d: %w (at most %d in all)",
			n, s.sent, ErrTooManySymbols, s.cfg.MaxSymbols)
	}
	return s.symbols(int(n)), nil
}

func (s *Server) answerRequest(msg []byte) ([]byte, error) {
	if len(msg) < requestSize+2 {
		return nil, fmt.Errorf("riblt request: %w", ErrTruncated)
	}
	secret := [SecretSize]byte(msg[:SecretSize])
	theirs, rest, err := readUvarint(msg[SecretSize:])
	if err != nil {
		return nil, fmt.Errorf("riblt request: set size: %w", err)
	}
	theirMax, rest, err := readUvarint(rest)
	switch {
	case err != nil:
		return nil, fmt.Errorf("riblt request: symbol cap: %w", err)
	case theirs > MaxSetSize:
		return nil, fmt.Errorf("riblt request: %w: set of %d", ErrBadField, theirs)
	case theirMax == 0:
		return nil, fmt.Errorf("riblt request: %w: symbol cap 0", ErrBadField)
	case len(rest) != symbolWireSize:
		return nil, fmt.Errorf("riblt request: %w: %d bytes after the varints, want %d", ErrBadField, len(rest), symbolWireSize)
	}
	// Neither side goes past the smaller cap.
	s.cfg.MaxSymbols = int(min(uint64(s.cfg.MaxSymbols), theirMax))
	their0 := Symbol{Sum: binary.LittleEndian.Uint64(rest), Check: binary.LittleEndian.Uint32(rest[8:]), Count: int64(theirs)}

	var our0 Symbol
	s.keys, our0 = keysOfSet(NewHasher(secret), s.set)
	s.enc = NewEncoder(plainKeys(s.keys))
	// Symbol 0 of the difference tells an identical set or a single key
	// apart; otherwise the difference of the sizes is the best cheap
	// guess, exact when one side only lacks messages (scattered loss).
	diff := Symbol{Sum: our0.Sum ^ their0.Sum, Check: our0.Check ^ their0.Check, Count: our0.Count - their0.Count}
	first := 1
	if !diff.zero() && !diff.pure() {
		delta := int(max(theirs, s.size) - min(theirs, s.size))
		first = max(symbolsFor(delta), 24)
	}
	if first > s.cfg.MaxSymbols {
		out := []byte{answerFallback}
		return binary.AppendUvarint(out, s.size), nil
	}
	return s.symbols(first), nil
}

// symbols encodes the next n symbols, or as many as fit in
// Config.MaxMessageSize (at least one). Symbols cut off stay pending for
// the next request: the encoder's walks cannot go back.
func (s *Server) symbols(n int) []byte {
	start := s.sent
	out := []byte{answerSymbols}
	out = binary.AppendUvarint(out, s.size)
	out = binary.AppendUvarint(out, uint64(start))
	if n > len(s.pending) {
		s.pending = append(s.pending, s.enc.Next(n-len(s.pending))...)
	}
	syms := s.pending[:min(n, len(s.pending))]
	if limit := s.cfg.MaxMessageSize; limit > 0 {
		size := len(out) + binary.MaxVarintLen32 // and the count held back
		for i, sym := range syms {
			if size += symbolSize(sym, start+i, s.size); size > limit && i > 0 {
				syms = syms[:i]
				break
			}
		}
	}
	out = binary.AppendUvarint(out, uint64(len(s.pending)-len(syms)))
	out = appendSymbols(out, start, s.size, syms)
	s.sent += len(syms)
	s.pending = slices.Delete(s.pending, 0, len(syms))
	return out
}

// Lookup returns the position in the Set of the ID whose key is key in this
// session, once the request has been answered.
func (s *Server) Lookup(key uint64) (int, bool) { return findKeyed(s.keys, key) }

// Sent returns how many symbols the server has sent.
func (s *Server) Sent() int { return s.sent }
