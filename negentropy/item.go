package negentropy

import (
	"bytes"
	"cmp"
	"math"
)

// Sizes and constants fixed by protocol version 1.
const (
	IDSize            = 32                     // bytes in an item ID
	FingerprintSize   = 16                     // bytes in a range fingerprint
	ProtocolVersion   = 0x61                   // the version byte that starts every v1 message
	MinFrameSizeLimit = 4096                   // smallest non-zero frame size limit
	Infinity          = uint64(math.MaxUint64) // timestamp reserved for the upper bound of the last range
)

// Item is one element of a reconciled set. Items are ordered by timestamp,
// then by ID bytes.
type Item struct {
	Timestamp uint64
	ID        [IDSize]byte
}

// Compare returns -1, 0 or +1 as a sorts before, equal to or after b.
func (a Item) Compare(b Item) int {
	if c := cmp.Compare(a.Timestamp, b.Timestamp); c != 0 {
		return c
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}

// Range modes on the wire.
const (
	modeSkip        = 0
	modeFingerprint = 1
	modeIDList      = 2
)

// bound is a range's exclusive upper bound: a timestamp and the first idLen
// bytes of an ID, the rest implicitly zero (item.ID holds them as zeros).
type bound struct {
	item  Item
	idLen int
}

var infinityBound = bound{item: Item{Timestamp: Infinity}}

// itemBound is the bound that puts it first in the next range, with its whole
// ID.
func itemBound(it Item) bound { return bound{item: it, idLen: IDSize} }

// minimalBound is the shortest bound that separates prev from curr (prev <
// curr): just curr's timestamp when they differ, else the ID prefix up to and
// including the first differing byte.
func minimalBound(prev, curr Item) bound {
	if prev.Timestamp != curr.Timestamp {
		return bound{item: Item{Timestamp: curr.Timestamp}}
	}
	shared := 0
	for shared < IDSize && prev.ID[shared] == curr.ID[shared] {
		shared++
	}
	n := min(shared+1, IDSize)
	b := bound{item: Item{Timestamp: curr.Timestamp}, idLen: n}
	copy(b.item.ID[:n], curr.ID[:n])
	return b
}
