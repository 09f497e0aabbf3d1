package riblt

// Encoder produces the coded symbols of a fixed set of keys, in order, as
// many as asked for: the stream has no end. It is not safe for concurrent
// use.
type Encoder struct {
	keys []mapping
	next int // index of the next symbol
}

// NewEncoder returns an encoder of keys, which it copies. Each key should
// appear once: a key given twice cancels out of the sums (not the counts).
func NewEncoder(keys []uint64) *Encoder {
	e := &Encoder{keys: make([]mapping, len(keys))}
	for i, k := range keys {
		e.keys[i] = newMapping(k)
	}
	return e
}

// Size returns the number of keys encoded.
func (e *Encoder) Size() int { return len(e.keys) }

// Produced returns how many symbols Next has returned in all: the index of
// the next one.
func (e *Encoder) Produced() int { return e.next }

// Next returns the next n symbols (none when n ≤ 0), at indices Produced()
// to Produced()+n-1. Its cost is one pass over the keys plus the keys'
// visits to the new symbols, about 2 ln(1+n/(2·Produced())) per key, so a
// few large batches are cheaper than many small ones. n is capped so that
// no index reaches MaxIndex.
func (e *Encoder) Next(n int) []Symbol {
	n = min(n, MaxIndex-e.next)
	if n <= 0 {
		return nil
	}
	out := make([]Symbol, n)
	sweep(out, e.next, e.keys, 1)
	e.next += n
	return out
}

// MaxIndex bounds the symbol indices of a session, far beyond any session's
// cap, so that walks stay inside 32 bits.
const MaxIndex = 1 << 30

// sweep adds every key of keys (dir +1) or takes it away (dir -1) from the
// symbols at indices start to start+len(syms)-1, and moves each key's walk
// past them. The keys' walks must all stand at start or later; it returns
// how many additions it made.
func sweep(syms []Symbol, start int, keys []mapping, dir int64) int {
	end := uint32(start + len(syms))
	steps := 0
	for i := range keys {
		m := &keys[i]
		if m.index >= end {
			continue
		}
		c := checksum(m.key)
		for m.index < end {
			syms[int(m.index)-start].add(m.key, c, dir)
			m.advance()
			steps++
		}
	}
	return steps
}
