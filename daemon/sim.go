package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/libp2p/go-libp2p"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"starling/catchup"
	"starling/group"
	"starling/node"
	"starling/simhost"
)

// meterNode counts the node's libp2p bytes for a simulation's event log:
// the default transports, reporting to the meter.
func meterNode(cfg *node.Config) *simhost.Meter {
	m := simhost.NewMeter(catchup.ProtocolID, catchup.ProtocolID2)
	cfg.Transports = []libp2p.Option{
		libp2p.Transport(tcp.NewTCPTransport), libp2p.Transport(quic.NewTransport),
		libp2p.BandwidthReporter(m),
	}
	cfg.SubscriberBuffer = 1 << 16
	return m
}

// inviteInterval is how often a node waiting for a private group's links
// looks for them.
const inviteInterval = 100 * time.Millisecond

// startSim creates the simulation's private groups and returns the job
// that plays its script and writes its event log, if it has either.
func (d *daemon) startSim(ctx context.Context) ([]job, error) {
	s := d.cfg.Sim
	if err := d.createPrivate(ctx); err != nil {
		return nil, err
	}
	if len(s.Script) == 0 && s.Events == "" && len(s.JoinInvite) == 0 && len(s.Carry) == 0 {
		return nil, nil
	}
	cfg := simhost.Config{
		Node: d.n, Host: d.n.User().Name, Peer: d.n.ID().String(),
		Script: s.Script, Start: s.Start,
		// Waiting for another node's invite must not hold up this node's
		// start: it runs while the node does.
		Before: d.joinInvites,
		Lost:   func(err error) bool { return errors.Is(err, node.ErrLagged) },
		Logger: d.cfg.Logger.With("component", "simhost"),
	}
	if s.Events != "" {
		f, err := os.OpenFile(s.Events, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("event log: %w", err)
		}
		d.undo = append(d.undo, f.Close)
		cfg.Events = simhost.NewWriter(f)
		if d.meter != nil {
			cfg.Counters = func() simhost.Counters { return counters(d.n, d.meter) }
		}
	}
	if len(s.Script) > 0 {
		fmt.Fprintf(d.cfg.Out, "script: %d messages from %s\n", len(s.Script), s.ScriptName)
	}
	return []job{{name: "simulation", run: func(ctx context.Context) error { return simhost.Run(ctx, cfg) }}}, nil
}

// createPrivate creates Sim.CreatePrivate's groups and hands their links
// over in Sim.Invites.
func (d *daemon) createPrivate(ctx context.Context) error {
	s := d.cfg.Sim
	for _, name := range s.CreatePrivate {
		g, err := d.n.CreateGroup(ctx, group.KindPrivate, name, time.Time{})
		if err != nil {
			return fmt.Errorf("create private group %s: %w", name, err)
		}
		invite, err := d.n.Moderation().Invite(g.ID.String(), nil)
		if err != nil {
			return fmt.Errorf("private group %s: %w", name, err)
		}
		carrier, err := d.n.Moderation().CarrierInvite(g.ID.String(), nil)
		if err != nil {
			return fmt.Errorf("private group %s: %w", name, err)
		}
		if err := simhost.PublishInvite(s.Invites, name, invite, carrier); err != nil {
			return err
		}
		fmt.Fprintf(d.cfg.Out, "created %s (%s); its links are in %s\n", name, g.ID.Short(), s.Invites)
	}
	return nil
}

// joinInvites waits for the links of Sim.JoinInvite's and Sim.Carry's
// groups in Sim.Invites and joins them.
func (d *daemon) joinInvites(ctx context.Context) error {
	s := d.cfg.Sim
	for _, w := range []struct {
		names   []string
		carrier bool
	}{{s.JoinInvite, false}, {s.Carry, true}} {
		for _, name := range w.names {
			link, err := simhost.AwaitInvite(ctx, s.Invites, name, w.carrier, inviteInterval)
			if err != nil {
				return fmt.Errorf("private group %s: %w", name, err)
			}
			g, err := d.n.Join(ctx, link)
			if err != nil {
				return fmt.Errorf("private group %s: %w", name, err)
			}
			fmt.Fprintf(d.cfg.Out, "joined %s (%s)\n", g.Name, g.ID.Short())
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
