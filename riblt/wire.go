package riblt

import (
	"encoding/binary"
	"fmt"
)

// symbolWireSize is the fixed part of a coded symbol on the wire: its key
// sum (8 bytes) and checksum sum (4 bytes), both little-endian; a varint
// count follows.
const symbolWireSize = 12

// MaxSetSize bounds the set sizes a message may state; beyond it the
// count prediction below could overflow.
const MaxSetSize = 1 << 40

// predictCount is the count symbol i of a set of n keys has on average,
// n·ρ(i) = 2n/(i+2), rounded. A symbol's count travels as its distance
// from this, zigzag-encoded, which takes one or two bytes where the count
// itself takes up to three for sets of 100,000.
func predictCount(i int, n uint64) int64 {
	d := uint64(i) + 2
	return int64((2*n + d/2) / d)
}

// appendSymbols appends syms, the symbols at indices start onwards of a set
// of n keys.
func appendSymbols(dst []byte, start int, n uint64, syms []Symbol) []byte {
	for i, s := range syms {
		dst = binary.LittleEndian.AppendUint64(dst, s.Sum)
		dst = binary.LittleEndian.AppendUint32(dst, s.Check)
		dev := s.Count - predictCount(start+i, n)
		dst = binary.AppendUvarint(dst, uint64(dev<<1)^uint64(dev>>63))
	}
	return dst
}

// symbolSize is the wire size of one symbol at index i of a set of n keys.
func symbolSize(s Symbol, i int, n uint64) int {
	dev := s.Count - predictCount(i, n)
	return symbolWireSize + uvarintLen(uint64(dev<<1)^uint64(dev>>63))
}

// parseSymbols reads the symbols at indices start onwards of a set of n
// keys until b ends, at most max of them.
func parseSymbols(b []byte, start int, n uint64, max int) ([]Symbol, error) {
	var out []Symbol
	for len(b) > 0 {
		if len(out) == max {
			return nil, fmt.Errorf("%w: over %d symbols in one message", ErrTooManySymbols, max)
		}
		if len(b) < symbolWireSize {
			return nil, fmt.Errorf("symbol %d: %w", start+len(out), ErrTruncated)
		}
		s := Symbol{Sum: binary.LittleEndian.Uint64(b), Check: binary.LittleEndian.Uint32(b[8:])}
		z, rest, err := readUvarint(b[symbolWireSize:])
		if err != nil {
			return nil, fmt.Errorf("symbol %d count: %w", start+len(out), err)
		}
		s.Count = int64(z>>1) ^ -int64(z&1) + predictCount(start+len(out), n)
		out = append(out, s)
		b = rest
	}
	return out, nil
}

// readUvarint reads a minimal unsigned LEB128 varint.
func readUvarint(b []byte) (uint64, []byte, error) {
	var v uint64
	for i := 0; i < len(b); i++ {
		if i == binary.MaxVarintLen64 || (i == binary.MaxVarintLen64-1 && b[i] > 1) {
			return 0, nil, ErrVarintOverflow
		}
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			if b[i] == 0 && i > 0 {
				return 0, nil, ErrVarintNonMinimal
			}
			return v, b[i+1:], nil
		}
	}
	return 0, nil, ErrTruncated
}

func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}
