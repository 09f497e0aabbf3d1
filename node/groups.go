package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"starling/group"
	"starling/message"
	"starling/store"
)

// Join joins a group: an open channel by name, or any group by the
// `starling://join?...` link of an invite. A carrier link (from
// CarrierInvite) joins a private group as a carrier: the node stores,
// forwards and serves its ciphertext and reads none of it (Open fails with
// group.ErrUnreadable). Joining a joined group again is not an error.
func (n *Node) Join(ctx context.Context, ref string) (store.Group, error) {
	if strings.HasPrefix(strings.TrimSpace(ref), "starling:") {
		return n.joinLink(ctx, strings.TrimSpace(ref))
	}
	st, err := group.NewChannel(ref, n.groupCfg)
	if err != nil {
		return store.Group{}, err
	}
	if g, err := n.store.Group(st.ID()); err == nil {
		return g, n.gossip.JoinTopic(g.ID, st.Topic())
	}
	return n.adopt(ctx, st, nil, nil)
}

// joinLink verifies an invite (its descriptor must be signed for the owner
// the link commits to) and joins its group: it stores the descriptor,
// publishes this user's profile, so that admins include them in later
// rekeys, and dials the invite's relays.
func (n *Node) joinLink(ctx context.Context, link string) (store.Group, error) {
	inv, err := group.ParseInvite(link)
	if err != nil {
		return store.Group{}, err
	}
	if g, err := n.store.Group(inv.Group); err == nil {
		if st := n.groups.get(g.ID); st != nil && st.IsCarrier() && !inv.Carrier() {
			return store.Group{}, fmt.Errorf("%w: group %s (%s)", group.ErrCarried, g.Name, g.ID)
		}
		// Joined already, perhaps by another link or as its creator: the
		// link's relays and ticket still count.
		return n.useRelays(g, inv.Relays, inv.Ticket), nil
	}
	if inv.Carrier() {
		return n.carry(ctx, inv)
	}
	st, err := group.FromInvite(inv, n.cfg.User, n.groupCfg)
	if err != nil {
		return store.Group{}, err
	}
	profile, err := group.NewProfile(n.cfg.User)
	if err != nil {
		return store.Group{}, err
	}
	var own []*message.Message
	pm, err := st.Compose(n.cfg.User, profile, n.cfg.Clock())
	switch {
	case err == nil:
		own = append(own, pm)
	case errors.Is(err, group.ErrStale):
		// The link's key is newer than anything this node knows of the
		// group: the profile goes out once it has caught up (publishProfile
		// after the first session).
	case !errors.Is(err, group.ErrNotAllowed):
		return store.Group{}, err
	}
	// A reader of an announcement channel may not post, not even a
	// profile; nobody rekeys such a channel, so it needs none.
	g, err := n.adopt(ctx, st, []*message.Message{inv.Descriptor}, own)
	if err != nil {
		return store.Group{}, err
	}
	return n.useRelays(g, inv.Relays, inv.Ticket), nil
}

// carry joins a private group as a carrier: no profile, it is no member.
func (n *Node) carry(ctx context.Context, inv group.Invite) (store.Group, error) {
	st, err := group.Carry(inv, n.groupCfg)
	if err != nil {
		return store.Group{}, err
	}
	g, err := n.adopt(ctx, st, []*message.Message{inv.Descriptor}, nil)
	if err != nil {
		return store.Group{}, err
	}
	return n.useRelays(g, inv.Relays, inv.Ticket), nil
}

// CreateGroup creates a group owned by this user and joins it. endsAt zero
// means it never ends.
func (n *Node) CreateGroup(ctx context.Context, kind group.Kind, name string, endsAt time.Time) (store.Group, error) {
	st, msgs, err := group.Create(n.cfg.User, kind, name, endsAt, n.cfg.Clock(), n.groupCfg)
	if err != nil {
		return store.Group{}, err
	}
	// Its creator knows all of a new group's state.
	n.sync.confirm(st.ID())
	return n.adopt(ctx, st, nil, msgs)
}

// adopt makes st a joined group: topic first (a group the store remembers
// is rejoined at every start, so it must be one gossip can join), then the
// store's record, secrets and expiry, then the given messages: received ones
// (from an invite) and own ones, which are stored durably and published.
func (n *Node) adopt(ctx context.Context, st *group.State, received, own []*message.Message) (store.Group, error) {
	if now := n.cfg.Clock(); st.Expired(now) {
		return store.Group{}, fmt.Errorf("join %s: %w: it ended at %s", st.Name(), group.ErrGroupExpired, st.EndsAt().UTC().Format(time.RFC3339))
	}
	if err := n.gossip.JoinTopic(st.ID(), st.Topic()); err != nil {
		return store.Group{}, fmt.Errorf("join %s: %w", st.Name(), err)
	}
	n.groups.put(st)
	g := store.Group{ID: st.ID(), Name: groupName(st), Kind: storeKind(st), JoinedAt: n.cfg.Clock()}
	undo := func(err error) (store.Group, error) {
		n.groups.remove(st.ID())
		return store.Group{}, errors.Join(err, n.gossip.Leave(st.ID()), n.store.RemoveGroup(st.ID()))
	}
	if err := saveState(n.store, st); err != nil {
		return undo(fmt.Errorf("remember the keys of %s: %w", st.Name(), err))
	}
	if err := n.store.PutGroup(g); err != nil {
		return undo(fmt.Errorf("remember group %s: %w", st.Name(), err))
	}
	// The State has applied its first descriptor already, so no effect of
	// storing it will set the expiry: a later descriptor's effects move it.
	if end := st.EndsAt(); !end.IsZero() {
		if err := n.store.ExpireGroup(st.ID(), end.Add(n.grace())); err != nil {
			return undo(fmt.Errorf("set the end of %s: %w", st.Name(), err))
		}
	}
	for _, m := range received {
		if _, err := n.store.Put(ctx, m, store.OriginCatchup); err != nil {
			return undo(fmt.Errorf("store the descriptor of %s: %w", st.Name(), err))
		}
	}
	for _, m := range own {
		if _, _, err := n.sendOwn(ctx, m); err != nil {
			return undo(err)
		}
	}
	n.log.Info("joined group", "group", st)
	n.kickOutbox()
	return g, nil
}

// Leave leaves a joined group. Its messages stay in the store.
func (n *Node) Leave(ctx context.Context, ref string) (store.Group, error) {
	g, err := resolveGroup(n.store, ref)
	if err != nil {
		return store.Group{}, err
	}
	if err := n.gossip.Leave(g.ID); err != nil {
		return store.Group{}, fmt.Errorf("leave %s: %w", g.Name, err)
	}
	n.groups.remove(g.ID)
	n.pending.forget(g.ID)
	if err := n.store.RemoveGroup(g.ID); err != nil {
		return store.Group{}, err
	}
	return g, nil
}

// Groups lists joined groups.
func (n *Node) Groups() ([]store.Group, error) { return n.store.Groups() }

// ResolveGroup finds a joined group by hex ID, channel name or group name.
func (n *Node) ResolveGroup(ref string) (store.Group, error) { return resolveGroup(n.store, ref) }

// state returns the State of a joined group named by ref.
func (n *Node) state(ref string) (store.Group, *group.State, error) {
	g, err := resolveGroup(n.store, ref)
	if err != nil {
		return store.Group{}, nil, err
	}
	st := n.groups.get(g.ID)
	if st == nil {
		return store.Group{}, nil, fmt.Errorf("%w: %s", group.ErrNotJoined, g.Name)
	}
	return g, st, nil
}
