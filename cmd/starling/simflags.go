package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/libp2p/go-libp2p"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	"github.com/spf13/cobra"

	"starling/catchup"
	"starling/group"
	"starling/identity"
	"starling/node"
	"starling/simhost"
)

// simFlags are the daemon's flags for simulations that run real starling
// processes over a simulated network (Shadow, or the network lab; see
// package simhost and `starling-sim shadow`): keys every host can compute
// in advance, a store that leaves nothing behind, a scripted load and an
// event log the simulator's report reads. `up` and `relay` take them.
type simFlags struct {
	deriveKeys  string
	memoryStore bool
	script      string
	scriptStart string
	events      string
	joins       []string // `up` only: --join
	// Private groups handed over through files in invites (see simhost):
	// created here (up), joined by invite (up), carried (relay).
	invites                           string
	createPrivates, joinInvite, carry []string

	sends []simhost.Send
	start time.Time
	meter *simhost.Meter
}

func (s *simFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.deriveKeys, "derive-keys", "", "for simulations: derive the user key (named `NAME`) and transport key from NAME instead of the home's keys; anyone who knows NAME holds them")
	f.BoolVar(&s.memoryStore, "memory-store", false, "keep the store in memory: everything is lost when the node stops")
	f.StringVar(&s.script, "script", "", "for simulations: send the messages of this script `FILE` (JSON lines of at, group, msg, text) at their times")
	f.StringVar(&s.scriptStart, "script-start", "", "the `TIME` (RFC 3339) that the script's times count from (default: when the node starts)")
	f.StringVar(&s.events, "events", "", "for simulations: append what the node sends and stores, and its counters as it stops, to `FILE` as JSON lines")
	f.StringVar(&s.invites, "invites", "", "for simulations: the `DIR` where private groups' invite links are handed over (see --create-private)")
}

// addJoin adds --join, which only `up` takes (`relay` has --group), and
// the attendee's side of private groups handed over in --invites.
func (s *simFlags) addJoin(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&s.joins, "join", nil, "join this channel name or invite link at start (repeatable), as `starling join` would")
	f.StringArrayVar(&s.createPrivates, "create-private", nil, "for simulations: create the private group `NAME` at start and write its invite and carrier links to --invites DIR (repeatable)")
	f.StringArrayVar(&s.joinInvite, "join-invite", nil, "for simulations: wait at start for the invite link of the private group `NAME` in --invites DIR, and join it (repeatable)")
}

// addCarry adds the relay's side of private groups handed over in
// --invites.
func (s *simFlags) addCarry(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&s.carry, "carry-invite", nil, "for simulations: wait at start for the carrier link of the private group `NAME` in --invites DIR, and carry it (repeatable)")
}

// derived reports whether the keys come from --derive-keys.
func (s *simFlags) derived() bool { return s.deriveKeys != "" }

// keys derives the keys of --derive-keys and makes sure the home exists:
// the API's endpoint goes there, though no key does.
func (s *simFlags) keys(g *globals, cfg *node.Config) error {
	var err error
	if cfg.User, cfg.TransportKey, err = identity.Derive(s.deriveKeys); err != nil {
		return usageError{fmt.Errorf("--derive-keys: %w", err)}
	}
	if err := os.MkdirAll(string(g.home), 0o700); err != nil {
		return fmt.Errorf("home for the API's endpoint: %w", err)
	}
	return nil
}

// apply checks the flags, reads the script, and sets what they change in
// cfg: the store, and with --events a bandwidth meter and a subscriber
// buffer deep enough for the event log to keep up with a busy relay.
func (s *simFlags) apply(cfg *node.Config) error {
	for _, names := range [][]string{s.createPrivates, s.joinInvite, s.carry} {
		for _, name := range names {
			if err := simhost.CheckInviteName(name); err != nil {
				return usageError{err}
			}
			if s.invites == "" {
				return usageError{fmt.Errorf("private group %q: give --invites DIR, where its links are handed over", name)}
			}
		}
	}
	if s.memoryStore {
		cfg.StoreDir = ""
	}
	if s.scriptStart != "" {
		t, err := time.Parse(time.RFC3339Nano, s.scriptStart)
		if err != nil {
			return usageError{fmt.Errorf("--script-start %q: want an RFC 3339 time such as 2000-01-01T00:00:01Z", s.scriptStart)}
		}
		s.start = t
	}
	if s.script != "" {
		f, err := os.Open(s.script)
		if err != nil {
			return usageError{fmt.Errorf("--script: %w", err)}
		}
		s.sends, err = simhost.ReadScript(f)
		f.Close()
		if err != nil {
			return usageError{fmt.Errorf("--script %s: %w", s.script, err)}
		}
	}
	if s.events != "" {
		s.meter = simhost.NewMeter(catchup.ProtocolID)
		cfg.Transports = []libp2p.Option{
			libp2p.Transport(tcp.NewTCPTransport), libp2p.Transport(quic.NewTransport),
			libp2p.BandwidthReporter(s.meter),
		}
		cfg.SubscriberBuffer = 1 << 16
	}
	return nil
}

// starter joins the --join groups once the node is up, then plays the
// script and writes the event log until the daemon stops; wait waits for
// that and closes the log.
func (s *simFlags) starter(g *globals) (start func(context.Context, *node.Node, io.Writer) error, wait func() error) {
	done := make(chan error, 1)
	running := false
	start = func(ctx context.Context, n *node.Node, out io.Writer) error {
		if err := s.createPrivate(ctx, n, out); err != nil {
			return err
		}
		for _, ref := range s.joins {
			gr, err := n.Join(ctx, ref)
			if err != nil {
				return fmt.Errorf("--join %q: %w", ref, err)
			}
			fmt.Fprintf(out, "joined %s (%s)\n", gr.Name, gr.ID.Short())
		}
		if s.script == "" && s.events == "" && len(s.joinInvite) == 0 && len(s.carry) == 0 {
			return nil
		}
		var (
			events *simhost.Writer
			file   *os.File
		)
		if s.events != "" {
			var err error
			if file, err = os.OpenFile(s.events, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err != nil {
				return fmt.Errorf("--events: %w", err)
			}
			events = simhost.NewWriter(file)
		}
		cfg := simhost.Config{
			Node: n, Host: n.User().Name, Peer: n.PeerID().String(),
			Script: s.sends, Start: s.start, Events: events,
			// Waiting for another node's invite must not hold up this
			// node's start: it runs while the node does.
			Before: func(ctx context.Context) error { return s.joinInvites(ctx, n, out) },
			Lost:   func(err error) bool { return errors.Is(err, node.ErrLagged) },
			Logger: g.logger.With("component", "simhost"),
		}
		if s.meter != nil {
			cfg.Counters = func() simhost.Counters { return counters(n, s.meter) }
		}
		running = true
		go func() {
			err := simhost.Run(ctx, cfg)
			if file != nil {
				err = errors.Join(err, file.Close())
			}
			done <- err
		}()
		if len(s.sends) > 0 {
			fmt.Fprintf(out, "script: %d messages from %s\n", len(s.sends), s.script)
		}
		return nil
	}
	wait = func() error {
		if !running {
			return nil
		}
		return <-done
	}
	return start, wait
}

// inviteInterval is how often a node waiting for a private group's links
// looks for them.
const inviteInterval = 100 * time.Millisecond

// createPrivate creates the --create-private groups and hands their links
// over in --invites.
func (s *simFlags) createPrivate(ctx context.Context, n *node.Node, out io.Writer) error {
	for _, name := range s.createPrivates {
		g, err := n.CreateGroup(ctx, group.KindPrivate, name, time.Time{})
		if err != nil {
			return fmt.Errorf("--create-private %s: %w", name, err)
		}
		invite, err := n.Invite(g.ID.String(), nil)
		if err != nil {
			return fmt.Errorf("--create-private %s: %w", name, err)
		}
		carrier, err := n.CarrierInvite(g.ID.String(), nil)
		if err != nil {
			return fmt.Errorf("--create-private %s: %w", name, err)
		}
		if err := simhost.PublishInvite(s.invites, name, invite, carrier); err != nil {
			return err
		}
		fmt.Fprintf(out, "created %s (%s); its links are in %s\n", name, g.ID.Short(), s.invites)
	}
	return nil
}

// joinInvites waits for the links of the --join-invite and --carry-invite
// groups in --invites and joins them.
func (s *simFlags) joinInvites(ctx context.Context, n *node.Node, out io.Writer) error {
	for _, w := range []struct {
		flag    string
		names   []string
		carrier bool
	}{{"--join-invite", s.joinInvite, false}, {"--carry-invite", s.carry, true}} {
		for _, name := range w.names {
			link, err := simhost.AwaitInvite(ctx, s.invites, name, w.carrier, inviteInterval)
			if err != nil {
				return fmt.Errorf("%s %s: %w", w.flag, name, err)
			}
			g, err := n.Join(ctx, link)
			if err != nil {
				return fmt.Errorf("%s %s: %w", w.flag, name, err)
			}
			fmt.Fprintf(out, "joined %s (%s)\n", g.Name, g.ID.Short())
		}
	}
	return nil
}

// counters are the node's totals in the simulator's report's terms.
func counters(n *node.Node, m *simhost.Meter) simhost.Counters {
	gs, cs := n.GossipStats(), n.CatchupStats()
	in, out, catchupBytes := m.Totals()
	return simhost.Counters{
		BytesIn: in, BytesOut: out,
		Duplicates:      int64(gs.Duplicates + gs.IgnoredSeen),
		CatchupBytes:    catchupBytes,
		CatchupSessions: cs.Sessions,
		CatchupMessages: cs.Messages,
		QueueDrops:      gs.DroppedValidation + gs.DroppedPeerQueue + gs.DroppedSubscription,
	}
}

// both runs a, then b; either may be nil.
func both(a, b func(context.Context, *node.Node, io.Writer) error) func(context.Context, *node.Node, io.Writer) error {
	return func(ctx context.Context, n *node.Node, out io.Writer) error {
		for _, f := range []func(context.Context, *node.Node, io.Writer) error{a, b} {
			if f != nil {
				if err := f(ctx, n, out); err != nil {
					return err
				}
			}
		}
		return nil
	}
}
