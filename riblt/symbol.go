package riblt

// IDSize is the size of the IDs this package reconciles: Starling's message
// IDs, SHA-256 hashes of message bodies.
const IDSize = 32

// Symbol is one coded symbol: the XOR of the keys mapped to it, the XOR of
// their checksums and how many they are. In a difference (the peer's symbol
// minus this side's) Count is the peer's keys minus this side's, and a key
// on both sides cancels out.
type Symbol struct {
	Sum   uint64
	Check uint32
	Count int64
}

// add adds a key to s (dir +1) or takes it away (dir -1). XOR is its own
// inverse, so only Count cares about the direction.
func (s *Symbol) add(key uint64, check uint32, dir int64) {
	s.Sum ^= key
	s.Check ^= check
	s.Count += dir
}

// zero reports whether s holds nothing: in a difference, that the two sides
// agree on every key mapped to it.
func (s Symbol) zero() bool { return s.Sum == 0 && s.Check == 0 && s.Count == 0 }

// pure reports whether s holds exactly one key of a difference, on one side
// (Count +1: the peer's; -1: this side's). A symbol with several keys passes
// only if its checksums collide, with probability 2^-32.
func (s Symbol) pure() bool {
	return (s.Count == 1 || s.Count == -1) && checksum(s.Sum) == s.Check
}
