package catchup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	pb "starling/catchup/catchuppb"
	"starling/catchup/wire"
	"starling/message"
	"starling/negentropy"
	"starling/store"
)

// Result reports one session as its initiator saw it.
type Result struct {
	Peer  peer.ID
	Group message.GroupID
	// Fetched counts messages received, accepted by Config.Judge and stored
	// (gossip may have stored some of them meanwhile); Ignored those Check
	// ignored.
	Fetched, Ignored int
	// Gone counts wanted messages the peer declared gone: offered in
	// reconciliation, deleted or expired there since.
	Gone int
	// Skipped counts messages the peer holds and this node lacks that were
	// not fetched: this node deleted or recently refused them.
	Skipped int
	// Pushed counts the pushed messages the peer said it accepted and
	// stored.
	Pushed int
	// Rounds counts Negentropy round trips, Batches Want and push round
	// trips.
	Rounds, Batches int
	// Complete is false when reconciliation stopped at Config.MaxRounds or
	// MaxPending before finding every difference. What it found was
	// transferred; another Sync continues.
	Complete bool
	// Protocol is the protocol the peers agreed on; Symbols counts the
	// riblt coded symbols received (2.0.0 only).
	Protocol string
	Symbols  int
	// BytesSent and BytesReceived count the session's frames on the
	// stream, length prefixes included (not the transport's overhead).
	BytesSent, BytesReceived int64
	Started                  time.Time
	Took                     time.Duration
	// Err is the error Sync returned with this Result, nil on success; it
	// lets callers keep a list of sessions and their outcomes together.
	Err error
}

// LogValue summarises a Result for logs.
func (r Result) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("peer", r.Peer.String()),
		slog.String("group", r.Group.Short()),
		slog.Int("fetched", r.Fetched),
		slog.Int("pushed", r.Pushed),
		slog.Int("ignored", r.Ignored),
		slog.Int("gone", r.Gone),
		slog.Int("skipped", r.Skipped),
		slog.Int("rounds", r.Rounds),
		slog.Int("symbols", r.Symbols),
		slog.Int("batches", r.Batches),
		slog.Bool("complete", r.Complete),
		slog.Int64("sent", r.BytesSent),
		slog.Int64("received", r.BytesReceived),
		slog.Duration("took", r.Took),
	)
}

// Sync runs one session with p for group as the initiator: it reconciles,
// fetches and stores what p has and this node lacks, and pushes what p
// lacks. It fails with ErrNotInGroup when this node has not joined the group
// (or p has not), ErrBanned when p is banned (or bans us), ErrBusy when p is
// at its session limit, ErrSlow when p answered too slowly, and an error
// wrapping ErrMisbehaving when p was cut off. The Result is filled as far
// as the session got.
func (s *Service) Sync(ctx context.Context, p peer.ID, group message.GroupID) (res Result, err error) {
	res = Result{Peer: p, Group: group, Started: s.cfg.Clock()}
	defer func() {
		res.Took = s.cfg.Clock().Sub(res.Started)
		if err != nil {
			err = fmt.Errorf("catch-up of group %s with %s: %w", group.Short(), p.ShortString(), err)
		}
		res.Err = err
	}()
	if err := s.begin(); err != nil {
		return res, err
	}
	defer s.end()
	switch {
	case p == s.h.ID():
		return res, errors.New("cannot catch up with this node itself")
	case !s.cfg.Joined(group):
		return res, ErrNotInGroup
	case s.bans.banned(p, group):
		return res, ErrBanned
	}

	ctx, cancel := context.WithTimeout(ctx, s.cfg.SessionTimeout)
	defer cancel()
	defer afterFunc(s.ctx, cancel)()
	snap, err := s.snaps.acquire(group)
	if err != nil {
		return res, err
	}
	defer s.snaps.release(snap)
	neg, err := s.snaps.session(snap)
	if err != nil {
		return res, err
	}
	st, err := s.h.NewStream(ctx, p, s.sketch.offered()...)
	if err != nil {
		return res, s.cancelled(ctx, fmt.Errorf("open stream: %w", err))
	}
	defer guard(ctx, st)()
	deadline, _ := ctx.Deadline()
	c := newConn(st, s.cfg.MaxFrame, s.cfg.IOTimeout, deadline)
	cl := &client{svc: s, peer: p, group: group, c: c, ctx: ctx, res: &res}
	err = cl.runOn(st.Protocol(), neg, snap.vec)
	res.BytesSent, res.BytesReceived = c.sent, c.received
	s.finish(c, p, group, err)
	if err != nil {
		return res, s.cancelled(ctx, err)
	}
	s.log.Debug("catch-up done", "result", res)
	return res, nil
}

// cancelled says so when err came from ctx ending (Close, the caller or the
// session timeout) rather than from the network.
func (s *Service) cancelled(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, ErrMisbehaving):
		return err
	case s.ctx.Err() != nil:
		return fmt.Errorf("%w: %w", ErrClosed, err)
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return err
}

// client is the initiator's side of one session, run on Sync's goroutine.
type client struct {
	svc    *Service
	peer   peer.ID
	group  message.GroupID
	c      *conn
	ctx    context.Context
	res    *Result
	waited time.Duration // for the peer's frames, in all
}

// answer reads the peer's next frame and ends the session with ErrSlow
// once the peer has kept this side waiting SlowWait in all while the
// session moved less than MinRate bytes per second of waiting, either way
// (waiting for an Ack is waiting for the peer to take what this side
// sent): a slow peer must not hold one of the few outbound sessions a node
// runs at once for long.
func (cl *client) answer() (*pb.Frame, error) {
	start := time.Now()
	f, err := cl.c.answer()
	cl.waited += time.Since(start)
	if err != nil {
		return nil, err
	}
	cfg := cl.svc.cfg
	if moved := cl.c.sent + cl.c.received; cl.waited >= cfg.SlowWait && float64(moved) < cl.waited.Seconds()*float64(cfg.MinRate) {
		return nil, fmt.Errorf("%w: %d bytes moved in %s of waiting", ErrSlow, moved, cl.waited.Round(time.Millisecond))
	}
	return f, nil
}

func (cl *client) run(neg *negentropy.Negentropy) error {
	first, err := neg.Initiate()
	if err != nil {
		return fmt.Errorf("%w: %w", errInternal, err)
	}
	if err := cl.c.write(helloFrame(cl.group[:], first)); err != nil {
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
	if err := cl.c.write(doneFrame()); err != nil {
		return err
	}
	f, err := cl.answer()
	if err != nil {
		return err
	}
	if f.GetDone() == nil {
		return protocolErr("%s frame instead of Done", kindName(f))
	}
	return nil
}

// reconcile runs Negentropy to the end or to a limit and returns the IDs
// only this side holds and those only the peer holds.
func (cl *client) reconcile(neg *negentropy.Negentropy) (have, need [][negentropy.IDSize]byte, err error) {
	cfg := cl.svc.cfg
	for {
		f, err := cl.answer()
		if err != nil {
			return nil, nil, err
		}
		if f.GetReconcile() == nil {
			return nil, nil, protocolErr("%s frame during reconciliation", kindName(f))
		}
		cl.res.Rounds++
		next, h, n, err := neg.ReconcileClient(f.GetReconcile().GetNegentropy())
		if errors.Is(err, negentropy.ErrMalformed) {
			return nil, nil, fmt.Errorf("%w: %w", ErrProtocol, err)
		} else if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", errInternal, err)
		}
		have, need = append(have, h...), append(need, n...)
		if next == nil {
			cl.res.Complete = true
			return have, need, nil
		}
		if cl.res.Rounds >= cfg.MaxRounds || len(need) >= MaxPending {
			cl.svc.log.Debug("catch-up reconciliation stopped at a limit", "peer", cl.peer,
				"group", cl.group.Short(), "rounds", cl.res.Rounds, "need", len(need))
			return have, need, nil
		}
		if err := cl.c.write(reconcileFrame(next)); err != nil {
			return nil, nil, err
		}
	}
}

// fetch asks for the needed messages in batches, except those this node
// has deleted or refused. The peer must answer each Want with a non-empty
// prefix of it, each ID delivered or declared gone; the rest is asked
// again.
func (cl *client) fetch(need [][negentropy.IDSize]byte) error {
	before := len(need)
	need = slices.DeleteFunc(need, func(id [negentropy.IDSize]byte) bool {
		return cl.svc.refused.refused(cl.group, id) || cl.svc.cfg.Store.Deleted(message.ID(id))
	})
	cl.res.Skipped = before - len(need)
	for len(need) > 0 {
		want := need[:min(len(need), cl.svc.cfg.BatchSize)]
		ids := make([][]byte, len(want))
		for i := range want {
			ids[i] = want[i][:]
		}
		if err := cl.c.write(wantFrame(ids)); err != nil {
			return err
		}
		f, err := cl.answer()
		if err != nil {
			return err
		}
		msgs := f.GetMessages()
		if msgs == nil {
			return protocolErr("%s frame in answer to Want", kindName(f))
		}
		envs, gone := msgs.GetEnvelopes(), msgs.GetGone()
		switch {
		case len(envs)+len(gone) == 0:
			return fmt.Errorf("%w: asked for %d messages it claimed, got none (first %x)", ErrWithheld, len(want), want[0][:4])
		case len(envs)+len(gone) > len(want):
			return fmt.Errorf("%w: asked for %d messages, got %d and %d gone", ErrUnrequested, len(want), len(envs), len(gone))
		}
		got, err := envelopeIDs(envs)
		if err != nil {
			return err
		}
		answered, err := matchAnswer(want, got, gone)
		if err != nil {
			return err
		}
		adm, err := cl.svc.admit(cl.ctx, cl.peer, cl.group, envs, got)
		if err != nil {
			return err
		}
		cl.res.Fetched += adm.stored
		cl.res.Ignored += adm.ignored
		cl.res.Gone += len(gone)
		cl.res.Batches++
		need = need[answered:]
		if adm.limited {
			return errOverBudget
		}
	}
	return nil
}

// matchAnswer checks that an answer covers a prefix of want
// (wire.MatchAnswer) and returns the prefix's length.
func matchAnswer(want [][negentropy.IDSize]byte, got []message.ID, gone [][]byte) (int, error) {
	n, err := wire.MatchAnswer(want, got, gone)
	return n, fromWire(err)
}

// push sends the messages the peer lacks in batches bounded by count and
// frame size, each answered by an Ack.
func (cl *client) push(have [][negentropy.IDSize]byte) error {
	cfg := cl.svc.cfg
	var (
		envs [][]byte
		size int // of the Messages body so far
	)
	flush := func() error {
		if err := cl.c.write(messagesFrame(envs)); err != nil {
			return err
		}
		f, err := cl.answer()
		if err != nil {
			return err
		}
		ack := f.GetAck()
		switch {
		case ack == nil:
			return protocolErr("%s frame in answer to pushed messages", kindName(f))
		case int64(ack.GetStored()) > int64(len(envs)):
			return protocolErr("Ack of %d messages for %d pushed", ack.GetStored(), len(envs))
		}
		cl.res.Pushed += int(ack.GetStored())
		cl.res.Batches++
		envs, size = envs[:0], 0
		return nil
	}
	for _, id := range have {
		st, err := cfg.Store.Get(message.ID(id))
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return fmt.Errorf("%w: %w", errInternal, err)
		}
		if st.Msg.Body.Group != cl.group {
			continue // cannot happen with a sound store; never leak another group
		}
		raw := st.Msg.Raw
		next := messagesSize(size, len(raw))
		if len(envs) > 0 && (len(envs) == cfg.BatchSize || messagesFrameSize(next) > cfg.MaxFrame) {
			if err := flush(); err != nil {
				return err
			}
			next = messagesSize(0, len(raw))
		}
		envs, size = append(envs, raw), next
	}
	if len(envs) > 0 {
		return flush()
	}
	return nil
}
