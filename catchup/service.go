package catchup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/message"
)

// errInternal marks failures of this node (its store, a bug), which end a
// session without blaming the peer.
var errInternal = errors.New("internal error")

// Service runs catch-up sessions on one host: it serves the protocol's
// streams and starts sessions with Sync. Its methods are safe for concurrent
// use.
type Service struct {
	h       host.Host
	cfg     Config
	log     *slog.Logger
	slots   *sessions
	bans    *bans
	refused *refusals
	snaps   *snapshots

	sketch sketchOptions // protocol 2.0.0's settings and state (sketch.go)

	ctx    context.Context // cancelled by Close; every session derives from it
	cancel context.CancelFunc

	mu     sync.Mutex // guards closed and orders wg.Add before wg.Wait
	closed bool
	wg     sync.WaitGroup // sessions in flight, both directions

	served         atomic.Uint64 // sessions answered as the responder
	messagesServed atomic.Uint64 // messages sent in answer to Wants
}

// Stats counts what this service has served to other peers.
type Stats struct {
	// Sessions is how many sessions it answered as the responder,
	// refused ones excluded.
	Sessions uint64
	// Messages is how many messages it sent in answer to Wants.
	Messages uint64
}

// Stats returns the counters.
func (s *Service) Stats() Stats {
	return Stats{Sessions: s.served.Load(), Messages: s.messagesServed.Load()}
}

// New validates cfg, fills its defaults and registers the stream handler
// for ProtocolID on h.
func New(h host.Host, cfg Config) (*Service, error) {
	if h == nil {
		return nil, errors.New("new catch-up service: host is nil")
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("new catch-up service: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{h: h, cfg: cfg, log: cfg.Logger, slots: newSessions(cfg), bans: newBans(cfg.BanTime, cfg.Clock), refused: newRefusals(cfg), snaps: newSnapshots(cfg), ctx: ctx, cancel: cancel}
	h.SetStreamHandler(ProtocolID, s.handle)
	h.SetStreamHandler(ProtocolID2, s.handle)
	s.log.Info("catch-up service started", "protocols", []string{ProtocolID2, ProtocolID})
	return s, nil
}

// Close removes the stream handler, cancels every session in flight (their
// streams are reset and Sync returns an error) and returns once all of them
// have ended. Later Syncs fail with ErrClosed. It is safe to call more than
// once.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.h.RemoveStreamHandler(ProtocolID)
	s.h.RemoveStreamHandler(ProtocolID2)
	s.cancel()
	s.wg.Wait()
	s.log.Info("catch-up service closed")
	return nil
}

// begin registers a session, or fails once Close has started.
func (s *Service) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.wg.Add(1)
	return nil
}

func (s *Service) end() { s.wg.Done() }

// Banned reports whether p is refused sessions of group g for misbehaving:
// in g, or before naming any group.
func (s *Service) Banned(p peer.ID, g message.GroupID) bool { return s.bans.banned(p, g) }

// Refuse remembers that this node refused message id of group g some other
// way (live gossip's rate limit): sessions do not fetch it while the
// group's view stays the same, as if Check had ignored it.
func (s *Service) Refuse(g message.GroupID, id message.ID) { s.refused.add(g, id) }

// finish ends a session of group g (anyGroup: before the Hello named one)
// after err (nil: success). A misbehaving peer is penalised and banned
// from g; the peer is told why whenever the stream still works, then the
// stream is closed gracefully so the reason arrives. Network errors and
// cancellation just reset the stream.
func (s *Service) finish(c *conn, p peer.ID, g message.GroupID, err error) {
	var reason string
	switch {
	case err == nil:
		_ = c.s.Close()
		return
	case errors.Is(err, ErrRemote):
		_ = c.s.Close()
		return
	case errors.Is(err, ErrMisbehaving):
		s.penalize(p, g, err)
		reason = err.Error()
	case errors.Is(err, ErrBanned):
		reason = reasonBanned
	case errors.Is(err, errEvicted):
		_ = c.s.Reset()
		return
	case errors.Is(err, ErrNotInGroup):
		reason = reasonNotInGroup
	case errors.Is(err, errOverBudget):
		reason = reasonBusy
	case errors.Is(err, ErrLimit):
		reason = reasonRounds
	case errors.Is(err, errInternal):
		reason = reasonInternal
	default:
		_ = c.s.Reset()
		return
	}
	c.sendError(reason)
	_ = c.s.Close()
}

// penalize bans p from group g and tells Config.Penalize.
func (s *Service) penalize(p peer.ID, g message.GroupID, err error) {
	s.bans.ban(p, g)
	s.log.Warn("catch-up peer cut off", "peer", p, "group", g.Short(), "err", err)
	if s.cfg.Penalize != nil {
		s.cfg.Penalize(p, g, err.Error())
	}
}

// sendError tells the peer why the session ends, best effort.
func (c *conn) sendError(reason string) {
	reason = strings.ToValidUTF8(reason, "?")
	if len(reason) > maxReasonLen {
		reason = strings.ToValidUTF8(reason[:maxReasonLen], "")
	}
	_ = c.write(errorFrame(reason))
}

// guard resets st when ctx ends, so that blocked reads and writes return.
// The returned stop must be called when the session ends; it waits for a
// reset already under way, so no goroutine outlives the session.
func guard(ctx context.Context, st network.Stream) (stop func()) {
	return afterFunc(ctx, func() { _ = st.Reset() })
}

// afterFunc is context.AfterFunc whose stop also waits for f to return.
func afterFunc(ctx context.Context, f func()) (stop func()) {
	done := make(chan struct{})
	stopFn := context.AfterFunc(ctx, func() {
		defer close(done)
		f()
	})
	return func() {
		if !stopFn() {
			<-done
		}
	}
}
