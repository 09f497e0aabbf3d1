package riblt

import "fmt"

// Decoder recovers the difference between this side's keys and the peer's
// from the peer's coded symbols: it subtracts its own symbols from each one
// received and peels, repeatedly taking a symbol that holds a single key
// away from every symbol that key maps to, until every symbol is empty.
//
// The peer's symbols are untrusted. A Decoder holds at most the symbols it
// was built to accept (Config-style cap, see NewDecoder), spends at most
// stepBudget key visits per symbol received, and fails for good, with an
// error wrapping ErrInconsistent, at the first symbol that contradicts its
// own set: a key the peer claims that this side holds too, a key this side
// lacks claimed as its own, a key recovered twice, or a key recovered from
// a symbol it does not map to. It is not safe for concurrent use.
type Decoder struct {
	max   int       // symbols accepted in all
	local []mapping // this side's keys: taken from every symbol received
	own   []keyed   // the same keys sorted by key, to look them up

	syms    []Symbol // the difference: the peer's symbols minus this side's
	counts  []int64  // syms' counts before any key was recovered, for Estimate
	nonzero int      // symbols of syms that are not zero
	queue   []int    // indices whose count became ±1 since they were last looked at

	remote []mapping // recovered keys only the peer holds, with their walks
	mine   []mapping // recovered keys only this side holds, with their walks
	found  map[uint64]struct{}

	steps, budget int
	perSymbol     int // budget per symbol received: stepBudget
	err           error
}

// stepBudget is the key visits a Decoder allows per symbol received. A key
// visits about 2 ln(m) + 1 of m symbols, and a difference of d keys needs m
// ≥ d symbols, so an honest session stays below 26 per symbol up to
// MaxIndex.
const stepBudget = 64

// NewDecoder returns a decoder for this side's keys (it copies them) that
// accepts at most max symbols in all.
func NewDecoder(keys []uint64, max int) *Decoder {
	own := make([]keyed, len(keys))
	for i, k := range keys {
		own[i] = keyed{key: k, pos: i}
	}
	sortKeyed(own)
	return newDecoder(own, max)
}

// newDecoder returns a decoder for keys sorted by sortKeyed, which it keeps.
func newDecoder(own []keyed, max int) *Decoder {
	d := &Decoder{
		max:       min(max, MaxIndex),
		local:     make([]mapping, len(own)),
		own:       own,
		found:     make(map[uint64]struct{}),
		perSymbol: stepBudget,
	}
	for i, k := range own {
		d.local[i] = newMapping(k.key)
	}
	return d
}

// Received returns how many symbols Add has taken in all.
func (d *Decoder) Received() int { return len(d.syms) }

// Decoded reports whether the difference is complete: at least one symbol
// was received and every symbol is empty. Symbol 0 sums every key, so a
// key left over leaves it non-empty except with probability 2^-96.
func (d *Decoder) Decoded() bool { return d.err == nil && len(d.syms) > 0 && d.nonzero == 0 }

// Remote returns the keys recovered so far that only the peer holds.
func (d *Decoder) Remote() []uint64 { return keysOf(d.remote) }

// Local returns the positions (in NewDecoder's keys) of the keys recovered
// so far that only this side holds.
func (d *Decoder) Local() []int {
	out := make([]int, len(d.mine))
	for i, m := range d.mine {
		out[i], _ = d.lookup(m.key)
	}
	return out
}

func keysOf(ms []mapping) []uint64 {
	out := make([]uint64, len(ms))
	for i, m := range ms {
		out[i] = m.key
	}
	return out
}

// lookup returns the position of one of this side's keys.
func (d *Decoder) lookup(key uint64) (int, bool) { return findKeyed(d.own, key) }

// Add takes the peer's next symbols, at indices Received() onwards, and
// peels as far as they allow. It fails with ErrTooManySymbols past the cap
// (taking none of them) and with ErrInconsistent when the symbols contradict
// this side's set or exceed the work budget; after that the Decoder only
// returns that error.
func (d *Decoder) Add(syms []Symbol) error {
	if d.err != nil {
		return d.err
	}
	if len(syms) > d.max-len(d.syms) {
		return fmt.Errorf("%w: %d more symbols after %d, at most %d in all", ErrTooManySymbols, len(syms), len(d.syms), d.max)
	}
	start := len(d.syms)
	d.syms = append(d.syms, syms...)
	d.budget += d.perSymbol * len(syms)
	fresh := d.syms[start:]
	sweep(fresh, start, d.local, -1)
	for _, s := range fresh {
		d.counts = append(d.counts, s.Count)
	}
	// Keys already recovered are taken out of (the peer's) or put back into
	// (this side's) the new symbols as they were out of the old ones.
	d.steps += sweep(fresh, start, d.remote, -1)
	d.steps += sweep(fresh, start, d.mine, 1)
	for i, s := range fresh {
		if !s.zero() {
			d.nonzero++
		}
		if s.Count == 1 || s.Count == -1 {
			d.queue = append(d.queue, start+i)
		}
	}
	if err := d.peel(); err != nil {
		d.err = err
		return err
	}
	return nil
}

// peel recovers keys from pure symbols until none is left to look at.
func (d *Decoder) peel() error {
	for len(d.queue) > 0 {
		if d.steps > d.budget {
			return fmt.Errorf("%w: more than %d key visits for %d symbols", ErrInconsistent, d.budget, len(d.syms))
		}
		j := d.queue[len(d.queue)-1]
		d.queue = d.queue[:len(d.queue)-1]
		s := d.syms[j]
		if !s.pure() {
			continue
		}
		key, dir := s.Sum, s.Count
		if _, dup := d.found[key]; dup {
			return fmt.Errorf("%w: key %016x recovered twice", ErrInconsistent, key)
		}
		if _, mine := d.lookup(key); mine != (dir == -1) {
			if mine {
				return fmt.Errorf("%w: key %016x claimed by the peer is held here too", ErrInconsistent, key)
			}
			return fmt.Errorf("%w: key %016x is not held here", ErrInconsistent, key)
		}
		d.found[key] = struct{}{}
		m, hit := d.remove(key, -dir, j)
		if !hit {
			return fmt.Errorf("%w: key %016x recovered from symbol %d, which it does not map to", ErrInconsistent, key, j)
		}
		if dir == 1 {
			d.remote = append(d.remote, m)
		} else {
			d.mine = append(d.mine, m)
		}
	}
	return nil
}

// remove applies a recovered key to every symbol received that it maps to,
// in direction dir (taking it out of the difference), queues the symbols
// that may have become pure, and returns the key's walk, standing past the
// symbols received, and whether it visited symbol j.
func (d *Decoder) remove(key uint64, dir int64, j int) (mapping, bool) {
	m := newMapping(key)
	c := checksum(key)
	end := uint32(len(d.syms))
	hit := false
	for m.index < end {
		i := int(m.index)
		s := &d.syms[i]
		was := s.zero()
		s.add(key, c, dir)
		switch now := s.zero(); {
		case was && !now:
			d.nonzero++
		case !was && now:
			d.nonzero--
		}
		if s.Count == 1 || s.Count == -1 {
			d.queue = append(d.queue, i)
		}
		hit = hit || i == j
		m.advance()
		d.steps++
	}
	return m, hit
}
