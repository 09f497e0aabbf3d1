package catchup

import (
	"context"
	"errors"
	"fmt"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	pb "starling/catchup/catchuppb"
	"starling/message"
	"starling/negentropy"
	"starling/riblt"
	"starling/store"
)

// handle serves one inbound stream. libp2p runs it on a goroutine of its
// own; Close waits for it through begin and end.
func (s *Service) handle(st network.Stream) {
	if err := s.begin(); err != nil {
		_ = st.Reset()
		return
	}
	defer s.end()
	p := st.Conn().RemotePeer()
	addr := AddrKey(st.Conn().RemoteMultiaddr(), p)
	evictable, evict := context.WithCancelCause(s.ctx)
	defer evict(nil)
	ctx, cancel := context.WithTimeout(evictable, s.cfg.SessionTimeout)
	defer cancel()
	defer guard(ctx, st)()
	deadline, _ := ctx.Deadline()
	c := newConn(st, s.cfg.MaxFrame, s.cfg.IOTimeout, deadline)

	var (
		sl  *slot
		err error
	)
	if s.bans.banned(p, anyGroup) {
		err = ErrBanned
	} else {
		sl, err = s.slots.acquire(p, addr, evict)
	}
	if err != nil {
		reason := reasonBusy
		if errors.Is(err, ErrBanned) {
			reason = reasonBanned
		}
		s.log.Debug("catch-up session refused", "peer", p, "reason", reason)
		c.sendError(reason)
		_ = st.Close()
		return
	}
	defer s.slots.release(sl)
	c.slot, c.clock = sl, s.cfg.Clock
	c.charge = func(n int) { s.slots.work.charge(addr, n) }

	sv := &server{svc: s, peer: p, c: c, ctx: ctx, slot: sl, reconciling: true,
		served: make(map[message.ID]struct{}), pushed: make(map[message.ID]struct{})}
	err = sv.run()
	if context.Cause(evictable) == errEvicted {
		err = fmt.Errorf("%w: %w", errEvicted, err)
	}
	s.served.Add(1)
	s.messagesServed.Add(uint64(len(sv.served) - sv.gone))
	s.finish(c, p, sv.group, err)
	s.log.Debug("catch-up session served", "peer", p, "group", sv.group.Short(), "rounds", sv.rounds,
		"served", len(sv.served)-sv.gone, "gone", sv.gone, "stored", sv.stored, "sent", c.sent, "received", c.received, "err", err)
}

// server is the responder's side of one session, run on the handler's
// goroutine.
type server struct {
	svc  *Service
	peer peer.ID
	c    *conn
	ctx  context.Context
	slot *slot

	group       message.GroupID
	neg         *negentropy.Negentropy
	snap        *snapshot     // shared with other sessions; released by run
	sketch      *riblt.Server // 2.0.0: the session's coded symbols
	rounds      int
	reconciling bool                    // no Want or push yet
	served      map[message.ID]struct{} // sent in answer to Wants; never twice
	pushed      map[message.ID]struct{} // received in pushes; never twice
	stored      int
	gone        int // wanted messages declared gone
}

func (sv *server) run() error {
	f, err := sv.c.answer()
	if err != nil {
		return err
	}
	hello := f.GetHello()
	if hello == nil {
		return protocolErr("%s frame instead of Hello", kindName(f))
	}
	if len(hello.GetGroupId()) != len(sv.group) {
		return protocolErr("group id of %d bytes", len(hello.GetGroupId()))
	}
	group := message.GroupID(hello.GetGroupId())
	if sv.svc.bans.banned(sv.peer, group) {
		return ErrBanned
	}
	sv.group = group
	if !sv.svc.cfg.Joined(sv.group) {
		return ErrNotInGroup
	}
	if sv.snap, err = sv.svc.snaps.acquire(sv.group); err != nil {
		return err
	}
	defer sv.svc.snaps.release(sv.snap)
	if sv.neg, err = sv.svc.snaps.session(sv.snap); err != nil {
		return err
	}
	if err := sv.open(hello); err != nil {
		return err
	}
	for {
		f, err := sv.c.answer()
		if err != nil {
			return err
		}
		switch k := f.GetKind().(type) {
		case *pb.Frame_Reconcile:
			if !sv.reconciling {
				return protocolErr("Reconcile frame after the transfer began")
			}
			err = sv.reconcile(k.Reconcile.GetNegentropy())
		case *pb.Frame_Want:
			sv.reconciling = false
			err = sv.serve(k.Want.GetIds())
		case *pb.Frame_Messages:
			sv.reconciling = false
			err = sv.accept(k.Messages.GetEnvelopes())
		case *pb.Frame_Sketch:
			err = sv.answerSketch(k.Sketch.GetRiblt())
		case *pb.Frame_WantKeys:
			sv.reconciling = false
			err = sv.serveKeys(k.WantKeys.GetKeys())
		case *pb.Frame_Done:
			return sv.c.write(doneFrame())
		default:
			return protocolErr("unexpected %s frame", kindName(f))
		}
		if err != nil {
			return err
		}
	}
}

// reconcile answers one Negentropy message, up to MaxRounds of them.
func (sv *server) reconcile(msg []byte) error {
	sv.rounds++
	if sv.rounds > sv.svc.cfg.MaxRounds {
		return fmt.Errorf("%w: more than %d rounds", ErrLimit, sv.svc.cfg.MaxRounds)
	}
	sv.c.charge(roundCost)
	out, err := sv.neg.Reconcile(msg)
	if errors.Is(err, negentropy.ErrMalformed) {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	} else if err != nil {
		return fmt.Errorf("%w: %w", errInternal, err)
	}
	return sv.c.write(reconcileFrame(out))
}

// serve answers a Want with the wanted messages in order, as many as fit in
// a frame. Only messages this node holds of the session's group are served,
// each at most once; asking for anything else cuts the session off before
// anything of that Want is sent. A wanted message that was in this
// session's snapshot but has gone since (deleted, expired) is declared gone,
// so the client does not blame this node for withholding it.
func (sv *server) serve(ids [][]byte) error {
	if len(ids) == 0 || len(ids) > MaxBatchSize {
		return protocolErr("Want of %d ids, allowed 1 to %d", len(ids), MaxBatchSize)
	}
	var (
		envs, gone [][]byte
		size       int
	)
	for _, raw := range ids {
		if len(raw) != len(message.ID{}) {
			return protocolErr("id of %d bytes in Want", len(raw))
		}
		id := message.ID(raw)
		if _, dup := sv.served[id]; dup {
			return protocolErr("asked twice for message %s", id.Short())
		}
		answer, isGone := raw, false
		st, err := sv.svc.cfg.Store.Get(id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if !sv.snap.has(id) {
				return protocolErr("asked for message %s, which this node does not hold", id.Short())
			}
			isGone = true
		case err != nil:
			return fmt.Errorf("%w: %w", errInternal, err)
		case st.Msg.Body.Group != sv.group:
			return protocolErr("asked for message %s, which is not of group %s", id.Short(), sv.group.Short())
		default:
			answer = st.Msg.Raw
		}
		next := messagesSize(size, len(answer))
		if len(envs)+len(gone) > 0 && messagesFrameSize(next) > sv.svc.cfg.MaxFrame {
			break // the rest is asked again
		}
		if isGone {
			gone = append(gone, answer)
			sv.gone++
		} else {
			envs = append(envs, answer)
		}
		size = next
		sv.served[id] = struct{}{}
	}
	if len(envs) > 0 {
		sv.slot.progress(sv.svc.cfg.Clock())
	}
	return sv.c.write(answerFrame(envs, gone))
}

// accept validates and stores messages the initiator pushes and answers
// with an Ack.
func (sv *server) accept(envs [][]byte) error {
	if len(envs) == 0 || len(envs) > MaxBatchSize {
		return protocolErr("Messages frame of %d envelopes, allowed 1 to %d", len(envs), MaxBatchSize)
	}
	ids, err := envelopeIDs(envs)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, dup := sv.pushed[id]; dup {
			return protocolErr("pushed message %s twice", id.Short())
		}
		sv.pushed[id] = struct{}{}
	}
	// What this node refused before is not judged again.
	fresh, freshIDs := envs[:0:0], ids[:0:0]
	for i, id := range ids {
		if !sv.svc.refused.refused(sv.group, id) {
			fresh, freshIDs = append(fresh, envs[i]), append(freshIDs, id)
		}
	}
	got, err := sv.svc.admit(sv.ctx, sv.peer, sv.group, fresh, freshIDs)
	if err != nil {
		return err
	}
	if got.limited {
		sv.stored += got.stored
		return errOverBudget
	}
	sv.stored += got.stored
	if got.stored > 0 {
		sv.slot.progress(sv.svc.cfg.Clock())
	}
	return sv.c.write(ackFrame(got.stored))
}
