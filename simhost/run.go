package simhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"starling/message"
	"starling/store"
)

// Node is what Run needs of a running node. Its methods are called from
// several goroutines at once.
type Node interface {
	// Send signs and sends text to the group ref names.
	Send(ctx context.Context, ref, text string) (*message.Message, int, error)
	// Subscribe streams every message the node stores (see node.Node's).
	Subscribe(ctx context.Context) (<-chan store.Stored, func() error)
}

// Config configures Run. Zero fields take the documented defaults.
type Config struct {
	// Node is the running node. Required.
	Node Node
	// Host names this node in the start event; Peer is its peer ID.
	Host, Peer string
	// Script is the load to send; empty sends nothing.
	Script []Send
	// Start is the script's time zero, which the start event records.
	// Default: when Run starts (and the start event records none).
	Start time.Time
	// Events receives the event log; nil records nothing (the script still
	// runs).
	Events *Writer
	// Counters returns the node's totals for the stats event at the end;
	// nil writes none.
	Counters func() Counters
	// Before, if set, runs once the event log is recording and before the
	// script plays: joining groups whose invites must be waited for. If it
	// fails, nothing of the script is sent, and Run, which still records
	// until ctx ends, returns its error.
	Before func(ctx context.Context) error
	// Lost reports whether a subscription that ended with err lost stored
	// messages (node.ErrLagged does; a node closing does not). Default:
	// every error did.
	Lost func(err error) bool
	// Logger defaults to discarding everything.
	Logger *slog.Logger
	// Clock defaults to time.Now.
	Clock func() time.Time
}

// ErrNoNode means Config.Node is nil.
var ErrNoNode = errors.New("simhost: no node")

// Run records what the node stores and sends the script on schedule until
// ctx ends, then writes the stats event. Every send runs on a goroutine of
// its own, as the simulator sends, so a slow one delays no other. Run
// returns once all its goroutines have ended, with the first error writing
// the event log met; a failed send is an event, not an error.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Node == nil {
		return ErrNoNode
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Lost == nil {
		cfg.Lost = func(err error) bool { return err != nil }
	}
	zero := cfg.Start
	if cfg.Start.IsZero() {
		cfg.Start = cfg.Clock()
	}
	r := &runner{cfg: cfg}
	// Subscribe before the start event, so that nothing stored after it
	// is missed.
	stored, errf := cfg.Node.Subscribe(ctx)
	r.write(Event{T: cfg.Clock(), Kind: EventStart, Host: cfg.Host, Peer: cfg.Peer, Zero: zero})
	var wg sync.WaitGroup
	wg.Go(func() { r.record(stored, errf) })
	var before error
	if cfg.Before != nil {
		if before = cfg.Before(ctx); before != nil {
			cfg.Logger.Error("the simulation host cannot play its script", "err", before)
		}
	}
	if before == nil {
		r.play(ctx, &wg)
	}
	<-ctx.Done()
	wg.Wait()
	if cfg.Counters != nil {
		c := cfg.Counters()
		r.write(Event{T: cfg.Clock(), Kind: EventStats, Stats: &c})
	}
	return errors.Join(before, r.err)
}

type runner struct {
	cfg Config
	mu  sync.Mutex
	err error // the first error writing an event
}

func (r *runner) write(e Event) {
	if r.cfg.Events == nil {
		return
	}
	if err := r.cfg.Events.Write(e); err != nil {
		r.mu.Lock()
		if r.err == nil {
			r.err = fmt.Errorf("write the event log: %w", err)
			r.cfg.Logger.Error("cannot write the event log; the simulation's report will lack this node's events", "err", err)
		}
		r.mu.Unlock()
	}
}

// record writes a stored event for every message the node stores, until
// the subscription ends (with ctx, or the node).
func (r *runner) record(stored <-chan store.Stored, errf func() error) {
	for st := range stored {
		r.write(Event{T: st.ReceivedAt, Kind: EventStored, ID: st.Msg.ID.String(),
			Group: st.Msg.Body.Group.String(), Origin: st.Origin.String()})
	}
	if err := errf(); err != nil && r.cfg.Lost(err) {
		r.cfg.Logger.Warn("the event log's subscription ended", "err", err)
		r.write(Event{T: r.cfg.Clock(), Kind: EventLost, Error: err.Error()})
	}
}

// play starts each send at its time, on wg, until the script or ctx ends.
func (r *runner) play(ctx context.Context, wg *sync.WaitGroup) {
	for _, s := range r.cfg.Script {
		if !sleepUntil(ctx, r.cfg.Clock, r.cfg.Start.Add(s.At)) {
			return
		}
		wg.Go(func() {
			began := r.cfg.Clock()
			m, _, err := r.cfg.Node.Send(ctx, s.Group, s.Text)
			msg := s.Msg
			if err != nil {
				r.cfg.Logger.Warn("scripted send failed", "msg", s.Msg, "group", s.Group, "err", err)
				r.write(Event{T: began, Kind: EventSendFailed, Msg: &msg, Group: s.Group, Error: err.Error()})
				return
			}
			r.write(Event{T: began, Kind: EventSent, Msg: &msg, ID: m.ID.String(), Group: m.Body.Group.String()})
		})
	}
}

// sleepUntil waits until t by clock, or until ctx ends; it reports whether
// t came.
func sleepUntil(ctx context.Context, clock func() time.Time, t time.Time) bool {
	d := t.Sub(clock())
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
