package negentropy

import "fmt"

// maxVarintLen is the longest minimal varint of a uint64: 64 bits in 7-bit
// digits.
const maxVarintLen = 10

// appendVarint appends v as a protocol varint: base-128 digits, most
// significant first, the high bit set on every byte but the last.
func appendVarint(dst []byte, v uint64) []byte {
	var tmp [maxVarintLen]byte
	i := len(tmp) - 1
	tmp[i] = byte(v & 0x7f)
	for v >>= 7; v != 0; v >>= 7 {
		i--
		tmp[i] = byte(v&0x7f) | 0x80
	}
	return append(dst, tmp[i:]...)
}

// reader decodes one message. The timestamp delta state starts at zero for
// every message.
type reader struct {
	buf    []byte
	lastTS uint64
}

func (r *reader) len() int { return len(r.buf) }

func (r *reader) readByte() (byte, error) {
	if len(r.buf) == 0 {
		return 0, ErrTruncated
	}
	b := r.buf[0]
	r.buf = r.buf[1:]
	return b, nil
}

// readBytes returns the next n bytes, aliasing the message.
func (r *reader) readBytes(n uint64) ([]byte, error) {
	if n > uint64(len(r.buf)) {
		return nil, ErrTruncated
	}
	b := r.buf[:n]
	r.buf = r.buf[n:]
	return b, nil
}

func (r *reader) readVarint() (uint64, error) {
	var v uint64
	for i := 0; ; i++ {
		b, err := r.readByte()
		if err != nil {
			return 0, err
		}
		if i == 0 && b == 0x80 {
			return 0, ErrVarintNonMinimal
		}
		if v>>57 != 0 {
			return 0, ErrVarintOverflow
		}
		v = v<<7 | uint64(b&0x7f)
		if b&0x80 == 0 {
			return v, nil
		}
	}
}

// readTimestamp decodes a delta-encoded timestamp: 0 is infinity, n is the
// previous timestamp plus n-1. Like the reference, a sum past 2^64-1
// saturates to infinity.
func (r *reader) readTimestamp() (uint64, error) {
	d, err := r.readVarint()
	if err != nil {
		return 0, err
	}
	ts := Infinity
	if d != 0 {
		if sum := r.lastTS + (d - 1); sum >= r.lastTS {
			ts = sum
		}
	}
	r.lastTS = ts
	return ts, nil
}

func (r *reader) readBound() (bound, error) {
	ts, err := r.readTimestamp()
	if err != nil {
		return bound{}, fmt.Errorf("bound timestamp: %w", err)
	}
	n, err := r.readVarint()
	if err != nil {
		return bound{}, fmt.Errorf("bound length: %w", err)
	}
	if n > IDSize {
		return bound{}, fmt.Errorf("%w: %d bytes", ErrBadBound, n)
	}
	prefix, err := r.readBytes(n)
	if err != nil {
		return bound{}, fmt.Errorf("bound id: %w", err)
	}
	b := bound{item: Item{Timestamp: ts}, idLen: int(n)}
	copy(b.item.ID[:], prefix)
	return b, nil
}

// writer encodes one message, with its own timestamp delta state.
type writer struct {
	buf    []byte
	lastTS uint64
}

func (w *writer) varint(v uint64) { w.buf = appendVarint(w.buf, v) }

func (w *writer) timestamp(ts uint64) {
	if ts == Infinity {
		w.lastTS = Infinity
		w.varint(0)
		return
	}
	// Bounds are written in ascending order, so the delta is never negative.
	w.varint(ts - w.lastTS + 1)
	w.lastTS = ts
}

func (w *writer) bound(b bound) {
	w.timestamp(b.item.Timestamp)
	w.varint(uint64(b.idLen))
	w.buf = append(w.buf, b.item.ID[:b.idLen]...)
}
