package node

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/admission"
	"starling/catchup"
	"starling/gossip"
	"starling/group"
	"starling/message"
	"starling/peering"
	"starling/store"
)

// inbound is the path of every message another node hands this one, by
// gossip or in a catch-up session (see doc.go for the drawing):
//
//	gossip ─► stateless rules ─► Seen ─► Judge ─► AdmitLive ─► Deliver ─┐
//	catch-up ─────────────────────────► Check (the same rules, then admission) ─► store.Put ─┤
//	                                                                                          ▼
//	            store's writer ─► stored: catch-up's versions, admission's count,
//	                              the group State (apply) ─► effects queue ─► subscribers
//
// Judge is where the group's rules run; what they ignore only for want of
// something (an Op's parent, a key, a profile) waits in pending. Its
// methods are called concurrently by pubsub's validation goroutines, the
// topic readers, catch-up's sessions and the store's writer; none blocks on
// the network.
type inbound struct {
	log     *slog.Logger
	clock   func() time.Time
	ctx     context.Context // the node's: Deliver's enqueue ends with it
	self    peer.ID
	store   *store.Store
	groups  *groupSet
	blocks  *blockList
	admit   *admission.Admission
	pending *pending
	// source describes a peer for admission (address, trusted relay).
	source func(peer.ID, admission.Way) admission.Source
	// lose is Config.DropGossip's coin: true loses a gossip message as if
	// on the wire.
	lose    func() bool
	dropped atomic.Uint64

	// Set once gossip and catch-up exist (they are built with this).
	validate func(from peer.ID, g message.GroupID, raw []byte) (*message.Message, message.Verdict, error)
	refuse   func(message.GroupID, message.ID)
	// stored continues the path once the store has committed a batch.
	onStored func([]store.Stored)
}

var (
	_ gossip.Inbound = (*inbound)(nil)
	_ catchup.Judge  = (*inbound)(nil)
)

// Seen is gossip's duplicate check. Only gossip asks it, so it is also
// where Config.DropGossip loses messages: a message "seen" is neither
// stored nor forwarded, as if it never arrived.
func (in *inbound) Seen(id message.ID) bool {
	if in.lose != nil && in.lose() {
		in.dropped.Add(1)
		return true
	}
	ok, err := in.store.Has(id)
	return err == nil && ok
}

// Judge is the stateful check gossip and catch-up share: the disk, the
// local block list, then the group's rules (membership, roles, keys, bans,
// tombstones, expiry).
func (in *inbound) Judge(from peer.ID, m *message.Message) message.Verdict {
	if from != in.self && in.store.Disk().State != store.DiskOK {
		return message.Ignore // the disk is low (disk.go)
	}
	if isChunk(m.Body.Kind) && from != in.self {
		// Honest nodes never publish a picture's chunks nor offer them in
		// catch-up: they are fetched by ID (images.go).
		in.log.Debug("a picture's chunk arrived by gossip or catch-up", "msg", m, "from", peering.Short(from))
		return message.Reject
	}
	st := in.groups.get(m.Body.Group)
	if st == nil || in.blocks.blocked(m.Body.Author) {
		return message.Ignore
	}
	_, v, err := st.Check(m, in.clock())
	if v != message.Accept {
		in.log.Debug("group rules refused a message", "msg", m, "verdict", v, "err", err)
		if v == message.Ignore && waits(err) {
			in.pending.add(m, from)
		}
	}
	return v
}

// AdmitLive is admission for live gossip. What it refuses for good (rate,
// slow mode, budgets, dated before the group) catch-up does not fetch
// later either.
func (in *inbound) AdmitLive(from peer.ID, m *message.Message) message.Verdict {
	st := in.groups.get(m.Body.Group)
	if st == nil {
		return message.Ignore
	}
	v, err := in.admit.Admit(in.source(from, admission.Gossip), st, m)
	if v == message.Accept {
		return message.Accept
	}
	if admission.Final(err) && in.refuse != nil {
		in.refuse(m.Body.Group, m.ID)
	}
	in.log.Debug("admission refused a message", "msg", m, "from", peering.Short(from), "err", err)
	return message.Ignore
}

// Deliver hands a message gossip accepted to the store's batched writer;
// the rest of the path runs once it is committed.
func (in *inbound) Deliver(r gossip.Received) {
	if err := in.store.Enqueue(in.ctx, r.Msg, store.OriginGossip); err != nil && in.ctx.Err() == nil {
		in.log.Warn("could not queue a received message for the store", "msg", r.Msg, "err", err)
	}
}

// Check judges a message that arrived by catch-up exactly as live gossip
// is judged: the same validation, then the same admission. A peer over its
// budget is refused before any signature is checked, and its session ends
// (an error wrapping catchup.ErrLimit) without blame.
func (in *inbound) Check(from peer.ID, g message.GroupID, raw []byte) (*message.Message, message.Verdict, error) {
	src := in.source(from, admission.Catchup)
	if in.admit.Throttled(src) {
		return nil, message.Ignore, fmt.Errorf("%w: %w", catchup.ErrLimit, admission.ErrThrottled)
	}
	m, v, err := in.validate(from, g, raw)
	if v != message.Accept {
		return nil, v, err
	}
	st := in.groups.get(g)
	if st == nil {
		return nil, message.Ignore, fmt.Errorf("%w: %s", group.ErrNotJoined, g.Short())
	}
	v, err = in.admit.Admit(src, st, m)
	switch {
	case v == message.Accept:
		return m, message.Accept, nil
	case admission.Final(err):
		return nil, message.Ignore, err
	default:
		return nil, message.Ignore, fmt.Errorf("%w: %w", catchup.ErrLimit, err)
	}
}

// stored is the store's OnStored, on its writer goroutine.
func (in *inbound) stored(batch []store.Stored) {
	if in.onStored != nil {
		in.onStored(batch)
	}
}
