package catchup

import (
	"encoding/binary"
	"errors"
	"fmt"

	pb "starling/catchup/catchuppb"
	"starling/riblt"
)

// open answers a Hello: its Negentropy message, or on a 2.0.0 stream its
// riblt request.
func (sv *server) open(hello *pb.Hello) error {
	req := hello.GetSketch()
	switch {
	case req == nil:
		return sv.reconcile(hello.GetNegentropy())
	case sv.c.s.Protocol() != ProtocolID2:
		return protocolErr("Hello with a sketch on %s", sv.c.s.Protocol())
	case len(hello.GetNegentropy()) > 0:
		return protocolErr("Hello with both a sketch and a negentropy message")
	}
	rs, err := riblt.NewServer(sketchSet{items: sv.snap.vec}, sv.svc.sketch.config(sv.svc.cfg.MaxFrame))
	if err != nil {
		return fmt.Errorf("%w: %w", errInternal, err)
	}
	sv.sketch = rs
	return sv.answerSketch(req)
}

// answerSketch answers one riblt message, counted as a round.
func (sv *server) answerSketch(msg []byte) error {
	if sv.sketch == nil || !sv.reconciling {
		return protocolErr("Sketch frame out of turn")
	}
	sv.rounds++
	if sv.rounds > sv.svc.cfg.MaxRounds {
		return fmt.Errorf("%w: more than %d rounds", ErrLimit, sv.svc.cfg.MaxRounds)
	}
	out, err := sv.sketch.Answer(msg)
	if errors.Is(err, riblt.ErrMalformed) {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	} else if err != nil {
		return fmt.Errorf("%w: %w", errInternal, err)
	}
	return sv.c.write(sketchFrame(out))
}

// serveKeys answers a WantKeys as serve answers a Want, once the keys are
// IDs: every key must be one this session's symbols carried, since an
// honest initiator only asks for keys it decoded.
func (sv *server) serveKeys(packed []byte) error {
	if sv.sketch == nil {
		return protocolErr("WantKeys frame without a sketch")
	}
	n := len(packed) / keySize
	if len(packed)%keySize != 0 || n == 0 || n > MaxBatchSize {
		return protocolErr("WantKeys of %d bytes, allowed 1 to %d keys of %d", len(packed), MaxBatchSize, keySize)
	}
	ids := make([][]byte, n)
	for i := range ids {
		key := binary.LittleEndian.Uint64(packed[keySize*i:])
		pos, ok := sv.sketch.Lookup(key)
		if !ok {
			return protocolErr("asked for key %016x, which this session never offered", key)
		}
		id := sv.snap.vec.Get(pos).ID
		ids[i] = id[:]
	}
	return sv.serve(ids)
}
