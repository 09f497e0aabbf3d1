package group

// bitset is a set of small non-negative integers: the topological indexes
// of an operation's ancestors.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) has(i int) bool { return i >= 0 && i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

func (b bitset) set(i int) { b[i/64] |= 1 << (i % 64) }

// or adds every member of o; o may be shorter.
func (b bitset) or(o bitset) {
	for i, w := range o {
		b[i] |= w
	}
}
