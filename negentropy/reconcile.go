package negentropy

import "fmt"

// buckets is how many fingerprinted sub-ranges a mismatched range splits
// into; a range with fewer than 2*buckets items is sent as an ID list.
const buckets = 16

// frameHeadroom is what the reference keeps free below the frame size limit
// for the closing fingerprint range.
const frameHeadroom = 200

// reconcile runs the message loop shared by both sides; d is nil on the
// server side. It mirrors the reference's reconcileAux step for step, since
// the exact points where it stops for the frame size limit are part of the
// bytes both sides must agree on.
func (n *Negentropy) reconcile(msg []byte, d *diff) ([]byte, error) {
	if len(msg) > n.maxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, len(msg), n.maxMessageSize)
	}
	r := reader{buf: msg}
	w := writer{buf: make([]byte, 1, 256)}
	w.buf[0] = ProtocolVersion

	v, err := r.readByte()
	if err != nil {
		return nil, fmt.Errorf("protocol version: %w", err)
	}
	if v < 0x60 || v > 0x6f {
		return nil, fmt.Errorf("%w: 0x%02x", ErrBadVersion, v)
	}
	if v != ProtocolVersion {
		if d != nil {
			return nil, fmt.Errorf("%w: version %d (this side speaks 1)", ErrUnsupportedVersion, v-0x60)
		}
		return w.buf, nil
	}

	size := n.storage.Size()
	prevBound := bound{}
	prevIndex := 0
	skip := false // a run of ranges that need no answer, to be closed by one Skip range
	flushSkip := func() {
		if skip {
			skip = false
			w.bound(prevBound)
			w.varint(modeSkip)
		}
	}

	for r.len() > 0 {
		mark := len(w.buf) // everything before mark is kept if this range overflows the frame

		curr, err := r.readBound()
		if err != nil {
			return nil, err
		}
		// Equal bounds (an empty range) are legal: the reference closes a
		// frame that ends in an IdList up to infinity with a fingerprint of
		// the empty range from infinity to infinity.
		if curr.item.Compare(prevBound.item) < 0 {
			return nil, fmt.Errorf("%w: bound %d/%x below the previous %d/%x", ErrBoundOrder,
				curr.item.Timestamp, curr.item.ID[:curr.idLen], prevBound.item.Timestamp, prevBound.item.ID[:prevBound.idLen])
		}
		mode, err := r.readVarint()
		if err != nil {
			return nil, fmt.Errorf("range mode: %w", err)
		}

		lower := prevIndex
		upper := n.storage.FindLowerBound(lower, size, curr.item)

		switch mode {
		case modeSkip:
			skip = true

		case modeFingerprint:
			theirs, err := r.readBytes(FingerprintSize)
			if err != nil {
				return nil, fmt.Errorf("fingerprint: %w", err)
			}
			if ours := n.storage.Fingerprint(lower, upper); Fingerprint(theirs) == ours {
				skip = true
			} else {
				flushSkip()
				n.splitRange(&w, lower, upper, curr)
			}

		case modeIDList:
			count, err := r.readVarint()
			if err != nil {
				return nil, fmt.Errorf("id list length: %w", err)
			}
			if count > uint64(r.len()/IDSize) {
				return nil, fmt.Errorf("id list of %d ids: %w", count, ErrTruncated)
			}
			ids, _ := r.readBytes(count * IDSize)
			if d != nil {
				n.compareIDs(ids, lower, upper, d)
				skip = true
				break
			}
			// The server answers with its own IDs in the range, as many as
			// fit; the rest of the range falls to the closing fingerprint.
			flushSkip()
			upper = n.answerIDList(&w, mark, lower, upper, curr)
			mark = len(w.buf)

		default:
			return nil, fmt.Errorf("%w: %d", ErrBadMode, mode)
		}

		if n.exceedsFrame(len(w.buf)) {
			// As the reference does, fingerprint the items after this
			// range. The peer reads the closing range as starting at the
			// last bound written, before this range and any pending Skip
			// run, so the two rarely match and the peer splits that stretch
			// again: extra bytes, and IDs reported twice (ReconcileClient
			// drops them), but the same bytes as every other
			// implementation.
			w.buf = w.buf[:mark]
			fp := n.storage.Fingerprint(upper, size)
			w.bound(infinityBound)
			w.varint(modeFingerprint)
			w.buf = append(w.buf, fp[:]...)
			break
		}
		prevIndex = upper
		prevBound = curr
	}
	return w.buf, nil
}

// exceedsFrame reports whether an output of size bytes leaves less than the
// reference's headroom below the frame size limit.
func (n *Negentropy) exceedsFrame(size int) bool {
	return n.frameSizeLimit != 0 && size > n.frameSizeLimit-frameHeadroom
}

// splitRange writes the ranges that describe [lower, upper), which ends at
// upperBound: the IDs themselves when there are few, otherwise fingerprints
// of buckets equal sub-ranges.
func (n *Negentropy) splitRange(w *writer, lower, upper int, upperBound bound) {
	count := upper - lower
	if count < 2*buckets {
		w.bound(upperBound)
		w.varint(modeIDList)
		w.varint(uint64(count))
		for i := lower; i < upper; i++ {
			id := n.storage.Get(i).ID
			w.buf = append(w.buf, id[:]...)
		}
		return
	}
	per, extra := count/buckets, count%buckets
	curr := lower
	for i := range buckets {
		size := per
		if i < extra {
			size++
		}
		fp := n.storage.Fingerprint(curr, curr+size)
		curr += size
		next := upperBound
		if curr != upper {
			next = minimalBound(n.storage.Get(curr-1), n.storage.Get(curr))
		}
		w.bound(next)
		w.varint(modeFingerprint)
		w.buf = append(w.buf, fp[:]...)
	}
}

// answerIDList writes the server's IdList answer for [lower, upper) and
// returns where the answered part ends. mark is the output size without this
// range's pending Skip, which is what the reference measures against the
// frame size limit.
func (n *Negentropy) answerIDList(w *writer, mark, lower, upper int, upperBound bound) int {
	end := upperBound
	stop := upper
	for i := lower; i < upper; i++ {
		if n.exceedsFrame(mark + (i-lower)*IDSize) {
			end = itemBound(n.storage.Get(i))
			stop = i
			break
		}
	}
	w.bound(end)
	w.varint(modeIDList)
	w.varint(uint64(stop - lower))
	for i := lower; i < stop; i++ {
		id := n.storage.Get(i).ID
		w.buf = append(w.buf, id[:]...)
	}
	return stop
}

// compareIDs records, on the initiator's side, the IDs in [lower, upper) that
// the peer's list lacks (have) and the listed IDs missing here (need), the
// latter in the order the peer listed them.
func (n *Negentropy) compareIDs(ids []byte, lower, upper int, d *diff) {
	count := len(ids) / IDSize
	matched := make(map[[IDSize]byte]bool, count)
	order := make([][IDSize]byte, 0, count)
	for i := range count {
		id := [IDSize]byte(ids[i*IDSize:])
		if _, dup := matched[id]; !dup {
			matched[id] = false
			order = append(order, id)
		}
	}
	for i := lower; i < upper; i++ {
		id := n.storage.Get(i).ID
		if _, ok := matched[id]; ok {
			matched[id] = true
		} else {
			d.add(&d.have, id)
		}
	}
	for _, id := range order {
		if !matched[id] {
			d.add(&d.need, id)
		}
	}
}
