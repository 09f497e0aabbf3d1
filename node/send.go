package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"starling/gossip"
	"starling/group"
	"starling/message"
	"starling/store"
)

// publishTimeout bounds the first attempt to hand a new message to peers;
// after it the message waits in the outbox.
const publishTimeout = 5 * time.Second

// Send signs a text message for a joined group (sealed in a private
// group), stores it durably and hands it to the group's peers. It returns
// how many peers took it; zero means no peer was there and the message waits
// in the outbox until one arrives.
func (n *Node) Send(ctx context.Context, ref, text string) (*message.Message, int, error) {
	return n.sendContent(ctx, ref, group.Text{Text: text, Nick: n.cfg.User.Name})
}

// sendContent composes any content this user may send to a joined group (a
// text or reply, a deletion, a ban, a profile) and sends it like Send.
func (n *Node) sendContent(ctx context.Context, ref string, c group.Content) (*message.Message, int, error) {
	_, st, err := n.state(ref)
	if err != nil {
		return nil, 0, err
	}
	m, err := st.Compose(n.cfg.User, c, n.cfg.Clock())
	if err != nil {
		return nil, 0, err
	}
	if err := n.own.take(st, m, n.cfg.User.PublicKey()); err != nil {
		return nil, 0, err
	}
	return n.sendOwn(ctx, m)
}

// sendOwn stores one of this user's messages durably (with an outbox
// entry) and publishes it, or leaves it queued when no peer is there. A
// control message takes effect on this node's State before it goes out:
// the next message may depend on it (a descriptor sealed under the key a
// rekey just delivered).
func (n *Node) sendOwn(ctx context.Context, m *message.Message) (*message.Message, int, error) {
	if m.Body.Kind != message.KindText {
		n.applyControl(m)
	}
	if _, err := n.store.PutOwn(ctx, m); err != nil {
		return nil, 0, fmt.Errorf("store the message: %w", err)
	}
	n.deliveries.Queued(m)
	n.holdIfPrivate(m)
	if !n.confirmed(m) {
		n.log.Debug("message queued until the group's state is confirmed", "msg", m)
		n.kickOutbox()
		return m, 0, nil
	}
	peers, err := n.publish(ctx, m)
	if err != nil {
		n.log.Debug("message queued", "msg", m, "reason", err)
		n.kickOutbox()
		return m, 0, nil
	}
	return m, peers, nil
}

// publish hands m to the group's peers and, once at least one took it,
// removes it from the outbox and records where it went.
func (n *Node) publish(ctx context.Context, m *message.Message) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	peers, err := n.gossip.Publish(ctx, m)
	if err != nil {
		return 0, err
	}
	n.deliveries.Handed(m, n.gossip.Peers(m.Body.Group), n.peers.IsRelay)
	n.held.remove(m)
	if err := n.store.RemoveOutbox(m.ID); err != nil {
		n.log.Warn("could not clear a sent message from the outbox", "msg", m, "err", err)
	}
	n.log.Debug("message published", "msg", m, "peers", peers)
	return peers, nil
}

// kickOutbox has the outbox tried now and kickRetries times after: it
// kicks drainOutbox if it runs, else starts it.
func (n *Node) kickOutbox() {
	n.outboxLoop.Wake(func() {
		n.goFunc(func(ctx context.Context) { n.drainOutboxFrom(ctx, kickRetryDelay, kickRetries) })
	})
}

// Pubsub reports a peer joining a topic (OnPeerJoin, which kicks the
// outbox) a moment before it lists the peer and can send to it. So after a
// kick, while messages stay queued, the outbox is tried again kickRetries
// times, kickRetryDelay apart and doubling (about 3 s in all), before
// OutboxInterval takes over.
const (
	kickRetries    = 5
	kickRetryDelay = 100 * time.Millisecond
)

// drainOutbox publishes queued messages whenever a peer may have arrived
// (a kick, and the retries after it) and, while any stay queued, every
// OutboxInterval. With the outbox empty it returns, and the next kick
// starts it again (kickOutbox): every message queued while the node runs
// comes with a kick (sendOwn), and what an earlier run left is tried at
// start. So an idle node keeps no goroutine for its outbox.
func (n *Node) drainOutbox(ctx context.Context) { n.drainOutboxFrom(ctx, 0, 0) }

// drainOutboxFrom is drainOutbox with retries left, delay apart, as after
// a kick.
func (n *Node) drainOutboxFrom(ctx context.Context, delay time.Duration, retries int) {
	for {
		left := n.flushOutbox(ctx)
		if left == 0 {
			if n.outboxLoop.Idle() {
				return
			}
			delay, retries = kickRetryDelay, kickRetries // kicked since
			continue
		}
		var retry <-chan time.Time
		if retries > 0 {
			retry = time.After(delay)
			delay *= 2
			retries--
		}
		select {
		case <-ctx.Done():
			return
		case <-n.outboxLoop.Kicks():
			delay, retries = kickRetryDelay, kickRetries
		case <-retry:
		case <-time.After(n.cfg.OutboxInterval):
		}
	}
}

// flushOutbox publishes the queued messages whose group has peers and
// returns how many stay queued; 1 when the outbox could not be read, so
// that it is tried again.
func (n *Node) flushOutbox(ctx context.Context) int {
	queued, err := n.store.Outbox()
	if err != nil {
		n.log.Warn("could not read the outbox", "err", err)
		return 1
	}
	left := 0
	for _, m := range queued {
		if ctx.Err() != nil {
			return 0
		}
		if n.groups.get(m.Body.Group) == nil && n.isLeft(m.Body.Group) {
			// The group was left: the message stays queued, as the group's
			// history stays, and goes out if this user joins it again.
			continue
		}
		if !n.mayPublish(m) {
			n.refuse(m)
			continue
		}
		if len(n.gossip.Peers(m.Body.Group)) == 0 || !n.confirmed(m) {
			left++
			continue
		}
		if fresh, ok := n.reseal(ctx, m); !ok {
			continue
		} else {
			m = fresh
		}
		if _, err := n.publish(ctx, m); err != nil {
			left++
			if !errors.Is(err, gossip.ErrNoPeers) && !errors.Is(err, gossip.ErrNotJoined) {
				n.log.Warn("could not publish a queued message", "msg", m, "err", err)
			}
		}
	}
	return left
}

// isLeft reports whether g is a group this user left (Leave).
func (n *Node) isLeft(g message.GroupID) bool {
	_, err := n.store.LeftGroup(g)
	return err == nil
}

// History reads a page of the messages of a joined group, or of a group
// this user left (the store keeps them; LeftAt is set then).
func (n *Node) History(ref string, q store.Query) (store.Group, store.Page, error) {
	g, err := resolveKnown(n.store, ref)
	if err != nil {
		return store.Group{}, store.Page{}, err
	}
	q.Group = g.ID
	p, err := n.store.History(q)
	return g, p, err
}

// sendOps stores, applies and publishes a group operation's messages in
// order (the Op before its parts), and saves any key it brought. It
// returns the Op.
func (n *Node) sendOps(ctx context.Context, st *group.State, msgs []*message.Message) (*message.Message, int, error) {
	var (
		first *message.Message
		peers int
	)
	for _, m := range msgs {
		sent, p, err := n.sendOwn(ctx, m)
		if err != nil {
			return nil, 0, err
		}
		if first == nil {
			first, peers = sent, p
		}
	}
	if err := saveState(n.store, st); err != nil {
		return nil, 0, fmt.Errorf("save the group's keys: %w", err)
	}
	return first, peers, nil
}
