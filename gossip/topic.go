package gossip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/group"
	"starling/message"
)

// topic is one joined group: its pubsub handles and the goroutines that read
// them. The fields are set before the goroutines start and never change.
type topic struct {
	group  message.GroupID
	name   string
	handle *pubsub.Topic
	sub    *pubsub.Subscription
	events *pubsub.TopicEventHandler // nil without Config.OnPeerJoin
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Join subscribes to the group's topic, sets its score parameters and starts
// its reader (and, with Config.OnPeerJoin, its peer-event) goroutine.
// Joining a joined group is a no-op.
func (g *Gossip) Join(gid message.GroupID) error { return g.JoinTopic(gid, group.Topic(gid)) }

// JoinTopic is Join for a group whose topic name does not derive from its
// ID (a private group's topic comes from its secret). The name must match
// group.TopicPattern, which peers' subscription filters enforce.
func (g *Gossip) JoinTopic(gid message.GroupID, name string) error {
	if !group.TopicPattern.MatchString(name) {
		return fmt.Errorf("join group %s: topic %q is not a Starling topic name", gid.Short(), name)
	}
	g.opMu.Lock()
	defer g.opMu.Unlock()

	g.mu.RLock()
	closed, joined, n := g.closed, g.topics[gid] != nil, len(g.topics)
	g.mu.RUnlock()
	switch {
	case closed:
		return fmt.Errorf("join group %s: %w", gid.Short(), ErrClosed)
	case joined:
		return nil
	case n >= g.cfg.MaxTopics:
		return fmt.Errorf("join group %s: %w (limit %d)", gid.Short(), ErrTooManyGroups, g.cfg.MaxTopics)
	}

	g.mu.Lock()
	g.names[name] = gid
	g.mu.Unlock()
	t, err := g.startTopic(gid, name)
	g.mu.Lock()
	if err != nil {
		delete(g.names, name)
	} else {
		g.topics[gid] = t
	}
	g.mu.Unlock()
	if err != nil {
		return fmt.Errorf("join group %s: %w", gid.Short(), err)
	}
	g.log.Info("joined group", "group", gid.Short(), "topic", name)
	return nil
}

func (g *Gossip) startTopic(gid message.GroupID, name string) (*topic, error) {
	handle, err := g.ps.Join(name)
	if err != nil {
		return nil, err
	}
	if err := handle.SetScoreParams(TopicScoreParams()); err != nil {
		return nil, errors.Join(fmt.Errorf("set score parameters: %w", err), handle.Close())
	}
	sub, err := handle.Subscribe(pubsub.WithBufferSize(g.cfg.InboundQueueSize))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("subscribe: %w", err), handle.Close())
	}
	var events *pubsub.TopicEventHandler
	if g.cfg.OnPeerJoin != nil {
		if events, err = handle.EventHandler(); err != nil {
			sub.Cancel()
			return nil, errors.Join(fmt.Errorf("watch peers: %w", err), handle.Close())
		}
	}
	ctx, cancel := context.WithCancel(g.ctx)
	t := &topic{group: gid, name: name, handle: handle, sub: sub, events: events, cancel: cancel}
	t.wg.Go(func() { g.read(ctx, t) })
	if events != nil {
		t.wg.Go(func() { g.watchPeers(ctx, t) })
	}
	return t, nil
}

// Leave unsubscribes from the group's topic and returns after its
// goroutines have exited: Deliver is not called for the group afterwards.
// Leaving a group that is not joined is a no-op; after Close it is
// ErrClosed.
func (g *Gossip) Leave(gid message.GroupID) error {
	g.opMu.Lock()
	defer g.opMu.Unlock()

	g.mu.Lock()
	t, closed := g.topics[gid], g.closed
	delete(g.topics, gid)
	g.mu.Unlock()
	if closed {
		return fmt.Errorf("leave group %s: %w", gid.Short(), ErrClosed)
	}
	if t == nil {
		return nil
	}
	if err := g.stopTopic(t); err != nil {
		return fmt.Errorf("leave group %s: %w", gid.Short(), err)
	}
	g.log.Info("left group", "group", gid.Short())
	return nil
}

// stopTopic tears a topic down in the order that keeps every message on it
// validated: unsubscribe first (pubsub then drops the topic's messages before
// validation), stop and join the goroutines, close the handle, and only then
// forget the name the validator knows it by.
func (g *Gossip) stopTopic(t *topic) error {
	t.sub.Cancel()
	if t.events != nil {
		t.events.Cancel()
	}
	t.cancel()
	t.wg.Wait()
	err := t.handle.Close()
	g.mu.Lock()
	delete(g.names, t.name)
	g.mu.Unlock()
	return err
}

// read hands accepted messages from other peers to Config.Deliver until the
// subscription or ctx ends.
func (g *Gossip) read(ctx context.Context, t *topic) {
	for {
		pm, err := t.sub.Next(ctx)
		if err != nil {
			return // cancelled by Leave or Close
		}
		if pm.ReceivedFrom == g.host.ID() {
			continue // our own publish; the caller has it already
		}
		m, ok := pm.ValidatorData.(*message.Message)
		if !ok || m == nil {
			// Cannot happen: the validator runs on every topic and sets it.
			g.log.Warn("accepted message without validator data; dropped", "group", t.group.Short(), "from", pm.ReceivedFrom)
			continue
		}
		if g.log.Enabled(ctx, slog.LevelDebug) {
			// Guarded: boxing the peer ID for the call allocates even when
			// Debug is off, on every message (0.5 % of the simulator's
			// random scenario's CPU, with the garbage it made).
			g.log.Debug("delivering message", "msg", m, "from", pm.ReceivedFrom)
		}
		if g.cfg.Inbound != nil {
			g.stats.inc(statDelivered)
			g.cfg.Inbound.Deliver(Received{Msg: m, From: pm.ReceivedFrom})
		}
	}
}

// watchPeers reports peers joining the topic to Config.OnPeerJoin.
func (g *Gossip) watchPeers(ctx context.Context, t *topic) {
	for {
		ev, err := t.events.NextPeerEvent(ctx)
		if err != nil {
			return // cancelled by Leave or Close
		}
		if ev.Type == pubsub.PeerJoin {
			g.cfg.OnPeerJoin(t.group, ev.Peer)
		}
	}
}

// Publish sends m on its group's topic after running it through the same
// validator as incoming messages (except Seen). It returns how many peers the
// topic had. With none it returns ErrNoPeers without publishing and without
// waiting, so the caller can keep m queued. Publishing a message this host
// already published or received within SeenTTL does nothing and returns nil.
func (g *Gossip) Publish(ctx context.Context, m *message.Message) (int, error) {
	if m == nil || len(m.Raw) == 0 {
		return 0, fmt.Errorf("publish: %w: empty message", ErrRefused)
	}
	t, err := g.lookup(m.Body.Group)
	if err != nil {
		return 0, fmt.Errorf("publish %s: %w", m.ID.Short(), err)
	}
	// Validate first, so a broken message fails now instead of waiting in
	// the caller's outbox for a peer.
	checked, v := g.val.check(g.host.ID(), t.name, m.Raw)
	if v.result != message.Accept {
		return 0, fmt.Errorf("publish %s: %w: %w", m.ID.Short(), ErrRefused, v.err)
	}
	peers := len(t.handle.ListPeers())
	if peers == 0 {
		return 0, fmt.Errorf("publish %s to group %s: %w", m.ID.Short(), t.group.Short(), ErrNoPeers)
	}
	err = t.handle.Publish(ctx, m.Raw, pubsub.WithValidatorData(prechecked{checked}))
	switch {
	case err == nil:
		g.log.Debug("published message", "msg", m, "peers", peers)
		return peers, nil
	case g.isClosed():
		return 0, fmt.Errorf("publish %s: %w", m.ID.Short(), ErrClosed)
	case errors.Is(err, pubsub.ErrTopicClosed):
		return 0, fmt.Errorf("publish %s: %w", m.ID.Short(), ErrNotJoined)
	default:
		return 0, fmt.Errorf("publish %s: %w", m.ID.Short(), err)
	}
}

// Peers returns the peers subscribed to the group's topic, or nil if the
// group is not joined.
func (g *Gossip) Peers(gid message.GroupID) []peer.ID {
	t, err := g.lookup(gid)
	if err != nil {
		return nil
	}
	return t.handle.ListPeers()
}

// Joined returns the joined groups in byte order.
func (g *Gossip) Joined() []message.GroupID {
	g.mu.RLock()
	out := make([]message.GroupID, 0, len(g.topics))
	for gid := range g.topics {
		out = append(out, gid)
	}
	g.mu.RUnlock()
	slices.SortFunc(out, func(a, b message.GroupID) int { return bytes.Compare(a[:], b[:]) })
	return out
}

func (g *Gossip) lookup(gid message.GroupID) (*topic, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return nil, ErrClosed
	}
	t := g.topics[gid]
	if t == nil {
		return nil, fmt.Errorf("group %s: %w", gid.Short(), ErrNotJoined)
	}
	return t, nil
}
