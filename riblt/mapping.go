package riblt

import "math"

// A key is added to coded symbol 0 and then to a random subset of the later
// symbols: to symbol i with probability ρ(i) = 1/(1+i/2), independently,
// as the paper chooses (§4.2). So the first symbols sum almost the whole set,
// later ones ever fewer keys, and any difference, large or small, finds
// symbols with a single key of it left once enough have been received.
//
// The indices a key maps to are drawn one after another from a generator
// seeded with the key itself, so that a decoder that recovers a key finds
// its indices too. Given the current index i, the next one j > i satisfies
//
//	P(j > t) = Π_{s=i+1..t} (1-ρ(s)) = Π s/(s+2) = (i+1)(i+2) / ((t+1)(t+2)),
//
// a product that telescopes. So j is drawn exactly by inverting it: for u
// uniform in (0, 1], j is the smallest t with (t+1)(t+2) > (i+1)(i+2)/u,
// that is j = ⌊√(Q + 1/4) - 3/2⌋ + 1 with Q = (i+1)(i+2)/u. (The authors'
// code uses a continuous approximation of the same distribution.)
//
// Both sides of a session must draw the same indices on whatever hardware,
// so every floating-point step below is a single IEEE 754 operation rounded
// on its own: the explicit float64 conversions forbid the compiler to fuse
// a multiply and an add, which Go otherwise allows.

// never is the index of a key that has left the range any session reaches:
// past it, (i+1)(i+2) would no longer be exact in 64 bits.
const never = math.MaxUint32

// mapping is one key and where its walk through the symbol indices stands.
// The generator's state is key + steps·golden (SplitMix64), so 16 bytes
// hold the whole walk.
type mapping struct {
	key   uint64
	index uint32 // the next symbol index the key is added to; never when out of reach
	steps uint32 // draws so far
}

// golden is SplitMix64's increment, 2^64 divided by the golden ratio.
const golden = 0x9e3779b97f4a7c15

func newMapping(key uint64) mapping { return mapping{key: key} }

// advance moves to the next index of the key.
func (m *mapping) advance() {
	if m.index == never {
		return
	}
	m.steps++
	r := splitMix(m.key + uint64(m.steps)*golden)
	u := float64(float64(r>>11+1) * 0x1p-53) // uniform in (0, 1], exact
	i := uint64(m.index)
	q := float64(float64((i+1)*(i+2)) / u) // (i+1)(i+2) < 2^53 for i < 2^26; rounded once above
	j := math.Floor(float64(math.Sqrt(float64(q+0.25))-1.5)) + 1
	switch {
	case j >= never:
		m.index = never
	case j <= float64(m.index):
		m.index++ // rounding can only err by one; the walk must move on
	default:
		m.index = uint32(j)
	}
}

// splitMix is SplitMix64's output function (Steele, Lea and Flood 2014).
func splitMix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// checksum is the 32-bit hash of a key that a coded symbol sums beside the
// keys: a symbol with count ±1 holds exactly one key when the checksum of
// its key sum equals its checksum sum. It must not be linear in XOR, so it
// is MurmurHash3's 64-bit finaliser (unrelated to the generator above).
func checksum(key uint64) uint32 {
	key ^= key >> 33
	key *= 0xff51afd7ed558ccd
	key ^= key >> 33
	key *= 0xc4ceb9fe1a85ec53
	key ^= key >> 33
	return uint32(key >> 32)
}
