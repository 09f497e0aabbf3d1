package negentropy

import (
	"fmt"
	"slices"
	"sort"
)

// Vector is an in-memory Storage: insert every item, Seal, then use it.
// Sealing sorts the items and builds prefix sums, so every range fingerprint
// costs one subtraction and one SHA-256, whatever the range's size.
//
// A Vector is not safe for concurrent use until it is sealed; once sealed it
// is immutable and any number of goroutines and sessions may read it.
type Vector struct {
	items  []Item
	prefix []Accumulator // prefix[i] is the sum of the IDs of items[:i]
	sealed bool
}

var _ Storage = (*Vector)(nil)

// NewVector returns an empty, unsealed Vector.
func NewVector() *Vector { return &Vector{} }

// NewVectorSize returns an empty, unsealed Vector with room for n items, so
// that inserting a known number of items allocates once.
func NewVectorSize(n int) *Vector { return &Vector{items: make([]Item, 0, max(n, 0))} }

// Insert adds an item. It fails after Seal and for the reserved timestamp
// Infinity.
func (v *Vector) Insert(timestamp uint64, id [IDSize]byte) error {
	if v.sealed {
		return ErrSealed
	}
	if timestamp == Infinity {
		return ErrReservedTimestamp
	}
	v.items = append(v.items, Item{Timestamp: timestamp, ID: id})
	return nil
}

// Seal sorts the items and makes the Vector usable as a Storage. It fails if
// the same item was inserted twice.
func (v *Vector) Seal() error {
	if v.sealed {
		return ErrSealed
	}
	slices.SortFunc(v.items, Item.Compare)
	for i := 1; i < len(v.items); i++ {
		if v.items[i-1] == v.items[i] {
			return fmt.Errorf("%w: timestamp %d, id %x", ErrDuplicateItem, v.items[i].Timestamp, v.items[i].ID)
		}
	}
	v.prefix = make([]Accumulator, len(v.items)+1)
	for i, it := range v.items {
		v.prefix[i+1] = v.prefix[i]
		v.prefix[i+1].Add(it.ID)
	}
	v.sealed = true
	return nil
}

// Sealed reports whether Seal has succeeded; New refuses an unsealed Vector.
func (v *Vector) Sealed() bool { return v.sealed }

// Size returns the number of items.
func (v *Vector) Size() int { return len(v.items) }

// Get returns the item at index i (in sorted order once sealed).
func (v *Vector) Get(i int) Item { return v.items[i] }

// FindLowerBound returns the first index in [begin, end) whose item is not
// less than key, or end.
func (v *Vector) FindLowerBound(begin, end int, key Item) int {
	return begin + sort.Search(end-begin, func(i int) bool {
		return v.items[begin+i].Compare(key) >= 0
	})
}

// Fingerprint returns the fingerprint of the items in [begin, end).
func (v *Vector) Fingerprint(begin, end int) Fingerprint {
	return v.prefix[end].Sub(v.prefix[begin]).Fingerprint(end - begin)
}
