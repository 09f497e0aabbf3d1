package catchup

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/protocol"

	"starling/message"
	"starling/negentropy"
	"starling/riblt"
)

// runOn runs the session in the protocol the peers agreed on.
func (cl *client) runOn(proto protocol.ID, neg *negentropy.Negentropy, items *negentropy.Vector) error {
	cl.res.Protocol = string(proto)
	if proto == ProtocolID2 {
		return cl.runSketch(neg, items)
	}
	return cl.run(neg)
}

// runSketch is run for a 2.0.0 stream: riblt first, Negentropy if the
// server declines (the sizes say the difference is too large), the symbols
// do not decode within MaxSymbols, or they contradict this node's set.
func (cl *client) runSketch(neg *negentropy.Negentropy, items *negentropy.Vector) error {
	var secret [riblt.SecretSize]byte
	_, _ = rand.Read(secret[:]) // never fails (crypto/rand)
	// What this node deleted or refused counts as held, so the sketch
	// cancels it out and it is not fetched again.
	extra := cl.svc.sketch.deleted.of(cl.group)
	for _, id := range cl.svc.refused.of(cl.group) {
		extra = append(extra, id)
	}
	set := sketchSet{items: items, extra: extra}
	rc, err := riblt.NewClient(secret, set, cl.svc.sketch.config(cl.svc.cfg.MaxFrame))
	if err != nil {
		return fmt.Errorf("%w: %w", errInternal, err)
	}
	if err := cl.c.write(sketchHelloFrame(cl.group[:], rc.Request())); err != nil {
		return err
	}
	decoded, err := cl.sketch(rc)
	switch {
	case err != nil:
		return err
	case decoded:
		cl.res.Complete = true
		var have [][negentropy.IDSize]byte
		for _, pos := range rc.Have() {
			if pos < items.Size() { // the rest are deleted here: nothing to push
				have = append(have, items.Get(pos).ID)
			}
		}
		if err := cl.fetchKeys(rc.Need(), rc.Hasher()); err != nil {
			return err
		}
		if err := cl.push(have); err != nil {
			return err
		}
	case cl.res.Rounds < cl.svc.cfg.MaxRounds:
		first, err := neg.Initiate()
		if err != nil {
			return fmt.Errorf("%w: %w", errInternal, err)
		}
		if err := cl.c.write(reconcileFrame(first)); err != nil {
			return err
		}
		have, need, err := cl.reconcile(neg)
		if err != nil {
			return err
		}
		if err := cl.fetch(need); err != nil {
			return err
		}
		if err := cl.push(have); err != nil {
			return err
		}
	}
	return cl.done()
}

// done ends a session: Done, answered by Done.
func (cl *client) done() error {
	if err := cl.c.write(doneFrame()); err != nil {
		return err
	}
	f, err := cl.c.answer()
	if err != nil {
		return err
	}
	if f.GetDone() == nil {
		return protocolErr("%s frame instead of Done", kindName(f))
	}
	return nil
}

// sketch receives coded symbols until they decode or riblt gives up; each
// answer counts as a round. It reports whether they decoded; when not,
// the caller falls back to Negentropy if rounds are left.
func (cl *client) sketch(rc *riblt.Client) (bool, error) {
	for {
		f, err := cl.c.answer()
		if err != nil {
			return false, err
		}
		sk := f.GetSketch()
		if sk == nil {
			return false, protocolErr("%s frame instead of Sketch", kindName(f))
		}
		cl.res.Rounds++
		more, err := rc.Receive(sk.GetRiblt())
		cl.res.Symbols = rc.Symbols()
		switch {
		case errors.Is(err, riblt.ErrMalformed):
			return false, fmt.Errorf("%w: %w", ErrProtocol, err)
		case errors.Is(err, riblt.ErrInconsistent):
			// A malicious peer, or once in billions of sessions two honest
			// ones whose checksums collide: Negentropy settles it.
			cl.svc.log.Debug("catch-up symbols inconsistent; falling back to negentropy", "peer", cl.peer,
				"group", cl.group.Short(), "err", err)
			return false, nil
		case err != nil:
			return false, fmt.Errorf("%w: %w", errInternal, err)
		case more == nil:
			return rc.Decoded(), nil
		case cl.res.Rounds >= cl.svc.cfg.MaxRounds:
			cl.svc.log.Debug("catch-up sketch stopped at the round limit", "peer", cl.peer,
				"group", cl.group.Short(), "rounds", cl.res.Rounds, "symbols", rc.Symbols())
			return false, nil
		}
		if err := cl.c.write(sketchFrame(more)); err != nil {
			return false, err
		}
	}
}

// fetchKeys asks for the messages behind riblt keys in batches. As with
// fetch, the peer answers each WantKeys with messages for a non-empty
// prefix of it, each delivered or declared gone (by ID), and the rest is
// asked again. A delivered message this node has deleted is dropped before
// any check, and remembered, so the next session cancels it out instead of
// fetching it again.
func (cl *client) fetchKeys(need []uint64, h riblt.Hasher) error {
	for len(need) > 0 {
		want := need[:min(len(need), cl.svc.cfg.BatchSize)]
		packed := make([]byte, 0, keySize*len(want))
		for _, k := range want {
			packed = binary.LittleEndian.AppendUint64(packed, k)
		}
		if err := cl.c.write(wantKeysFrame(packed)); err != nil {
			return err
		}
		f, err := cl.c.answer()
		if err != nil {
			return err
		}
		msgs := f.GetMessages()
		if msgs == nil {
			return protocolErr("%s frame in answer to WantKeys", kindName(f))
		}
		envs, gone := msgs.GetEnvelopes(), msgs.GetGone()
		switch {
		case len(envs)+len(gone) == 0:
			return fmt.Errorf("%w: asked for %d messages it claimed, got none (first key %016x)", ErrWithheld, len(want), want[0])
		case len(envs)+len(gone) > len(want):
			return fmt.Errorf("%w: asked for %d messages, got %d and %d gone", ErrUnrequested, len(want), len(envs), len(gone))
		}
		got, err := envelopeIDs(envs)
		if err != nil {
			return err
		}
		answered, err := matchKeys(want, got, gone, h)
		if err != nil {
			return err
		}
		envs, got = cl.dropDeleted(envs, got)
		adm, err := cl.svc.admit(cl.ctx, cl.peer, cl.group, envs, got)
		if err != nil {
			return err
		}
		cl.res.Fetched += adm.stored
		cl.res.Ignored += adm.ignored
		cl.res.Gone += len(gone)
		cl.res.Batches++
		need = need[answered:]
	}
	return nil
}

// dropDeleted removes the messages this node has deleted from a batch and
// remembers their IDs for the group's next sessions.
func (cl *client) dropDeleted(envs [][]byte, ids []message.ID) ([][]byte, []message.ID) {
	keep := 0
	for i, id := range ids {
		if cl.svc.cfg.Store.Deleted(id) {
			cl.svc.sketch.deleted.add(cl.group, id)
			continue
		}
		envs[keep], ids[keep] = envs[i], id
		keep++
	}
	return envs[:keep], ids[:keep]
}

// matchKeys is matchAnswer for keys: an answer covers a prefix of want,
// each key of it delivered (got, in order: the message whose ID has that
// key) or declared gone (by ID, in order).
func matchKeys(want []uint64, got []message.ID, gone [][]byte, h riblt.Hasher) (int, error) {
	for _, id := range gone {
		if len(id) != len(message.ID{}) {
			return 0, protocolErr("gone id of %d bytes", len(id))
		}
	}
	i, e, g := 0, 0, 0
	for ; i < len(want) && (e < len(got) || g < len(gone)); i++ {
		switch {
		case e < len(got) && h.Key(got[e]) == want[i]:
			e++
		case g < len(gone) && h.Key([negentropy.IDSize]byte(gone[g])) == want[i]:
			g++
		case e < len(got):
			return 0, fmt.Errorf("%w: message %s where key %016x was asked for", ErrUnrequested, got[e].Short(), want[i])
		default:
			return 0, protocolErr("message %x declared gone where key %016x was asked for", gone[g][:4], want[i])
		}
	}
	if e < len(got) || g < len(gone) {
		return 0, fmt.Errorf("%w: answer out of the order asked for", ErrUnrequested)
	}
	return i, nil
}
