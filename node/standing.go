package node

import (
	"context"
	"time"

	"starling/group"
	"starling/message"
)

// Standing returns where this user stands in a joined group: a member,
// removed or banned (by whom, when), or holding an invite that went stale.
func (n *Node) Standing(ref string) (group.Standing, error) {
	_, st, err := n.state(ref)
	if err != nil {
		return group.Standing{}, err
	}
	return st.Standing(n.cfg.User.PublicKey()), nil
}

// standingChanged acts on a change of this user's standing in a group.
// Once removed or banned the node stops publishing there: what waits in the
// outbox would be refused by every node, so it leaves the outbox, marked
// refused; `group info`, `send` and the chats say why.
func (n *Node) standingChanged(st *group.State) {
	std := st.Standing(n.cfg.User.PublicKey())
	why := std.Why(st.Name())
	if why == "" {
		n.log.Info("this user's standing in a group changed", "group", st, "member", std.Member, "admin", std.Admin)
		return
	}
	n.log.Warn(why, "group", st)
	n.dropQueued(st.ID())
}

// mayPublish reports whether m, one of this user's messages, can still go
// out: not in a group where the user is removed or banned, and in one where
// their invite went stale only their profile, which admins need to add them.
func (n *Node) mayPublish(m *message.Message) bool {
	st := n.groups.get(m.Body.Group)
	if st == nil {
		return false
	}
	std := st.Standing(n.cfg.User.PublicKey())
	switch {
	case std.Removed, std.Banned:
		return false
	case std.Stale:
		return m.Body.Kind == message.KindProfile
	}
	return true
}

// dropQueued takes group g's queued own messages that can no longer go out
// out of the outbox and the store: they never left this device, and a
// private group's were sealed under a key a removed member may hold, so
// catch-up must not serve them either.
func (n *Node) dropQueued(g message.GroupID) {
	queued, err := n.store.Outbox()
	if err != nil {
		n.log.Warn("could not read the outbox", "err", err)
		return
	}
	for _, m := range queued {
		if m.Body.Group == g && !n.mayPublish(m) {
			n.refuse(m)
		}
	}
}

// refuse takes one of this user's queued messages out for good.
func (n *Node) refuse(m *message.Message) {
	if err := n.store.RemoveOutbox(m.ID); err != nil {
		n.log.Warn("could not take a refused message out of the outbox", "msg", m, "err", err)
		return
	}
	if err := n.store.Drop(n.ctx, m.ID); err != nil && n.ctx.Err() == nil {
		n.log.Warn("could not drop a refused message", "msg", m, "err", err)
	}
	n.held.remove(m)
	n.deliveries.Refused(m.ID)
}

// confirmed reports whether m may go out now. A private group's texts,
// profiles and deletions wait until this node has completed a catch-up
// session in the group since it started: until then it may not know of a
// removal, and would seal under a key the removed member holds (a stale
// invite, or an absence). The group's Ops go out at once.
func (n *Node) confirmed(m *message.Message) bool {
	return isAuthority(m.Body.Kind) || n.groupConfirmed(m.Body.Group)
}

// groupConfirmed reports whether this node may send texts, profiles and
// deletions in group g (see confirmed).
func (n *Node) groupConfirmed(g message.GroupID) bool {
	st := n.groups.get(g)
	if st == nil || st.Kind() != group.KindPrivate || st.IsCarrier() || n.groups.isConfirmed(g) {
		return true
	}
	_, ok := n.LastSync(g)
	return ok
}

// reseal returns a queued private message sealed under the group's current
// key: one sealed under an older key (the node learnt of a removal while it
// waited) is composed again, stored in its place and the old one dropped.
// It reports false when the message cannot go out at all (the user may no
// longer post there); it then leaves the outbox, marked refused.
func (n *Node) reseal(ctx context.Context, m *message.Message) (*message.Message, bool) {
	st := n.groups.get(m.Body.Group)
	if st == nil || st.Kind() != group.KindPrivate || isAuthority(m.Body.Kind) || m.Body.Epoch == st.Epoch() && st.SealsWith(m) {
		return m, true
	}
	if m.Body.Kind == message.KindProfile && st.Standing(n.cfg.User.PublicKey()).Stale {
		// Under the stale link's key, which is all this node holds: admins
		// need it to add this user (it carries a nick and a public key).
		return m, true
	}
	c, err := st.Open(m)
	if err == nil {
		var fresh *message.Message
		if fresh, err = st.Compose(n.cfg.User, c, time.UnixMilli(int64(m.Body.SentAtMS))); err == nil {
			if _, err = n.store.PutOwn(ctx, fresh); err == nil {
				n.deliveries.Queued(fresh)
				n.retire(ctx, m)
				n.log.Info("a queued message was sealed again under the group's new key", "old", m, "new", fresh)
				return fresh, true
			}
		}
	}
	n.log.Warn("a queued message cannot go out", "msg", m, "err", err)
	n.refuse(m)
	return nil, false
}

// holdIfPrivate keeps a queued text, profile or deletion of a private group
// from catch-up until it is published (see held).
func (n *Node) holdIfPrivate(m *message.Message) {
	if m.Body.Epoch != 0 && !isAuthority(m.Body.Kind) {
		n.held.add(m)
	}
}

// retire drops an own message that was replaced before it went out.
func (n *Node) retire(ctx context.Context, m *message.Message) {
	n.held.remove(m)
	if err := n.store.RemoveOutbox(m.ID); err != nil {
		n.log.Warn("could not take a replaced message out of the outbox", "msg", m, "err", err)
	}
	if err := n.store.Drop(ctx, m.ID); err != nil {
		n.log.Warn("could not drop a replaced message", "msg", m, "err", err)
	}
	n.deliveries.Refused(m.ID)
}
