package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"starling/group"
	"starling/message"
	"starling/peering"
	"starling/store"
)

// Join joins a group: an open channel by name, or any group by the
// `starling://join?...` link of an invite. A carrier link (from
// CarrierInvite) joins a private group as a carrier: the node stores,
// forwards and serves its ciphertext and reads none of it (Open fails with
// group.ErrUnreadable). Joining a joined group again is not an error.
//
// A ref that names a group this user left (its ID, or its name when no
// joined channel has that name) joins that group again from what the
// store kept of it (its history, relays and keys), not an open channel of
// the same name: that is the group the person knows by the name.
// JoinChannel joins the open channel whatever groups the name matches.
func (n *Node) Join(ctx context.Context, ref string) (store.Group, error) {
	if strings.HasPrefix(strings.TrimSpace(ref), "starling:") {
		return n.joinLink(ctx, strings.TrimSpace(ref))
	}
	if id, _, err := group.OpenChannelID(ref); err == nil {
		if _, err := n.store.Group(id); err == nil {
			return n.JoinChannel(ctx, ref) // the joined channel wins, as in every command
		}
	}
	switch left, err := resolveLeft(n.store, ref); {
	case err == nil:
		st, err := loadState(n.store, left, n.cfg.User, n.groupCfg)
		if err != nil {
			return store.Group{}, fmt.Errorf("join %s again: %w", left.Name, err)
		}
		return n.rejoin(left, st)
	case !errors.Is(err, store.ErrNotFound):
		return store.Group{}, err
	}
	return n.JoinChannel(ctx, ref)
}

// JoinChannel joins the open channel called name, even when name is also a
// group's (joined or left).
func (n *Node) JoinChannel(ctx context.Context, name string) (store.Group, error) {
	st, err := group.NewChannel(name, n.groupCfg)
	if err != nil {
		return store.Group{}, err
	}
	if g, err := n.store.Group(st.ID()); err == nil {
		return g, n.gossip.JoinTopic(g.ID, st.Topic())
	}
	return n.adopt(ctx, st, nil, nil, group.Invite{})
}

// joinLink verifies an invite and joins its group: it stores the
// descriptor if the link carries one (older links; a link made now leaves
// it out, and catch-up brings it, checked against the link's group ID and
// owner), publishes this user's profile, so that admins include them in
// later rekeys, and dials the invite's relays. An open channel's link joins
// the channel.
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
	if g, ok := n.rejoinLink(inv); ok {
		return n.useRelays(g, inv.Relays, inv.Ticket), nil
	}
	if inv.Carrier() {
		return n.carry(ctx, inv)
	}
	if inv.Channel != "" {
		g, err := n.JoinChannel(ctx, inv.Channel)
		if err != nil {
			return store.Group{}, err
		}
		return n.useRelays(g, inv.Relays, nil), nil
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
		// group, or the genesis has not come yet: the profile goes out
		// once it has caught up (publishProfile after the first session).
	case !errors.Is(err, group.ErrNotAllowed):
		return store.Group{}, err
	}
	// A reader of an announcement channel may not post, not even a
	// profile; nobody rekeys such a channel, so it needs none.
	var received []*message.Message
	if inv.Descriptor != nil {
		received = append(received, inv.Descriptor)
	}
	g, err := n.adopt(ctx, st, received, own, inv)
	if err != nil {
		return store.Group{}, err
	}
	g = n.useRelays(g, inv.Relays, inv.Ticket)
	if _, _, ok := st.Descriptor(); !ok && (len(inv.Relays) > 0 || len(n.host.Network().Peers()) > 0) {
		if err := n.awaitGenesis(ctx, st); err != nil {
			// The link contradicts the group's own genesis: leave again.
			if _, lerr := n.Leave(ctx, g.ID.String()); lerr != nil {
				n.log.Warn("could not leave a group joined with an altered link", "group", st, "err", lerr)
			}
			return store.Group{}, err
		}
		g.Name = groupName(st)
	}
	return g, nil
}

// rejoinLink joins the group of inv again from what the store kept of it,
// if this user left it and the kept state is as good as the link: the same
// standing (carrier or member) and, in a private group, a key at least as
// new as the link's. Then the keys of earlier epochs, which a link does
// not carry, still open the kept history. Otherwise the link joins afresh.
func (n *Node) rejoinLink(inv group.Invite) (store.Group, bool) {
	left, err := n.store.LeftGroup(inv.Group)
	if err != nil || (left.Kind == kindCarrier) != inv.Carrier() {
		return store.Group{}, false
	}
	st, err := loadState(n.store, left, n.cfg.User, n.groupCfg)
	if err != nil || (inv.Secret != nil && inv.Epoch > st.Epoch()) {
		return store.Group{}, false
	}
	g, err := n.rejoin(left, st)
	if err != nil {
		n.log.Warn("could not join a left group again from what the store kept; joining with the link afresh", "group", st, "err", err)
		return store.Group{}, false
	}
	return g, true
}

// rejoin joins a group this user left again, with st loaded from what the
// store kept of it (its record, relays and ticket included). It publishes
// nothing: leaving told nobody either, so this user is still a member (or
// whatever they were) to everybody else.
func (n *Node) rejoin(left store.Group, st *group.State) (store.Group, error) {
	if now := n.cfg.Clock(); st.Expired(now) {
		return store.Group{}, fmt.Errorf("join %s: %w: it ended at %s", left.Name, group.ErrGroupExpired, st.EndsAt().UTC().Format(time.RFC3339))
	}
	if err := n.gossip.JoinTopic(st.ID(), st.Topic()); err != nil {
		return store.Group{}, fmt.Errorf("join %s: %w", left.Name, err)
	}
	n.groups.put(st)
	n.left.remove(st.ID())
	g := left
	g.LeftAt, g.JoinedAt = time.Time{}, n.cfg.Clock()
	if err := n.store.PutGroup(g); err != nil {
		n.groups.remove(st.ID())
		return store.Group{}, errors.Join(fmt.Errorf("remember group %s: %w", g.Name, err), n.gossip.Leave(st.ID()))
	}
	n.log.Info("joined a left group again", "group", st)
	n.kickOutbox()
	return g, nil
}

// joinWait bounds how long joining by a link waits for the group's genesis
// (and so its name) from the group's members, when it has a peer to ask.
// Past it the join returns and the genesis comes whenever catch-up brings
// it.
const joinWait = 5 * time.Second

// awaitGenesis waits, at most joinWait, until st knows its genesis. It
// returns an error only when the genesis came and contradicts the link
// (State.LinkError).
func (n *Node) awaitGenesis(ctx context.Context, st *group.State) error {
	ctx, cancel := context.WithTimeout(ctx, joinWait)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, _, ok := st.Descriptor(); ok {
			return nil
		}
		if err := st.LinkError(); err != nil {
			return fmt.Errorf("%w: %w", group.ErrBadInvite, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// carry joins a private group as a carrier: no profile, it is no member.
func (n *Node) carry(ctx context.Context, inv group.Invite) (store.Group, error) {
	st, err := group.Carry(inv, n.groupCfg)
	if err != nil {
		return store.Group{}, err
	}
	g, err := n.adopt(ctx, st, []*message.Message{inv.Descriptor}, nil, inv)
	if err != nil {
		return store.Group{}, err
	}
	return n.useRelays(g, inv.Relays, inv.Ticket), nil
}

// CreateGroup creates a group owned by this user and joins it. endsAt zero
// means it never ends.
func (n *Node) CreateGroup(ctx context.Context, kind group.Kind, name string, endsAt time.Time) (store.Group, error) {
	if err := n.nameFree(name); err != nil {
		return store.Group{}, err
	}
	st, msgs, err := group.Create(n.cfg.User, kind, name, endsAt, n.cfg.Clock(), n.groupCfg)
	if err != nil {
		return store.Group{}, err
	}
	// Its creator knows all of a new group's state.
	n.groups.confirm(st.ID())
	return n.adopt(ctx, st, nil, msgs, group.Invite{})
}

// nameFree refuses a new group's name when commands would mean another
// group by it: a joined group with that name (whatever its case), or a
// joined channel of that name, which wins where a command takes GROUP.
func (n *Node) nameFree(name string) error {
	g, err := resolveGroup(n.store, name)
	switch {
	case err == nil:
		return fmt.Errorf("%w: %q is %s %s already; give the new group another name (commands name groups by it)", group.ErrNameTaken, strings.TrimSpace(name), g.Kind, g.ID)
	case errors.Is(err, group.ErrNotJoined):
		return nil
	case errors.Is(err, store.ErrNotFound):
		return nil
	}
	// Several groups have that name already (joined by links).
	return fmt.Errorf("%w: %w", group.ErrNameTaken, err)
}

// adopt makes st a joined group: topic first (a group the store remembers
// is rejoined at every start, so it must be one gossip can join), then the
// store's record (with the invite's relays and ticket, if any, so that the
// ticket goes to those relays and no others), secrets and expiry, then the
// given messages: received ones (from an invite) and own ones, which are
// stored durably and published. The record is complete before anything of
// the group can arrive and change it.
func (n *Node) adopt(ctx context.Context, st *group.State, received, own []*message.Message, inv group.Invite) (store.Group, error) {
	if now := n.cfg.Clock(); st.Expired(now) {
		return store.Group{}, fmt.Errorf("join %s: %w: it ended at %s", st.Name(), group.ErrGroupExpired, st.EndsAt().UTC().Format(time.RFC3339))
	}
	if err := n.gossip.JoinTopic(st.ID(), st.Topic()); err != nil {
		return store.Group{}, fmt.Errorf("join %s: %w", st.Name(), err)
	}
	n.groups.put(st)
	g := store.Group{ID: st.ID(), Name: groupName(st), Kind: storeKind(st), JoinedAt: n.cfg.Clock()}
	if len(inv.Relays) > 0 {
		g.Ticket, g.Relays = inv.Ticket, peering.RelayIDs(inv.Relays)
	}
	// A group this user left keeps its record and state, so that its
	// history can be read: a failed join must not lose them.
	left, leftErr := n.store.LeftGroup(st.ID())
	keptState, stateErr := n.store.GroupState(st.ID())
	undo := func(err error) (store.Group, error) {
		n.groups.remove(st.ID())
		if leftErr == nil {
			restore := n.store.PutGroup(left)
			if stateErr == nil {
				restore = errors.Join(restore, n.store.PutGroupState(st.ID(), keptState))
			}
			return store.Group{}, errors.Join(err, n.gossip.Leave(st.ID()), restore)
		}
		return store.Group{}, errors.Join(err, n.gossip.Leave(st.ID()), n.store.RemoveGroup(st.ID()))
	}
	if err := saveState(n.store, st); err != nil {
		return undo(fmt.Errorf("remember the keys of %s: %w", st.Name(), err))
	}
	if err := n.store.PutGroup(g); err != nil {
		return undo(fmt.Errorf("remember group %s: %w", st.Name(), err))
	}
	// The genesis may have come by catch-up on the topic joined above
	// before the record was written, when its effects found no record to
	// name: name it now.
	if name := groupName(st); name != g.Name {
		g.Name = name
		if err := n.store.PutGroup(g); err != nil {
			return undo(fmt.Errorf("remember group %s: %w", name, err))
		}
	}
	// The State has applied its first descriptor already (if it knows
	// one), so no effect of storing it will set the expiry: a later
	// descriptor's effects move it.
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

// Leave leaves a joined group. Its messages stay in the store, and so do
// its record, as a left group, and its keys: History reads them, and Join
// (by the group's ID, or its name) joins the group again from them. Leaving
// tells nobody.
func (n *Node) Leave(ctx context.Context, ref string) (store.Group, error) {
	g, err := resolveGroup(n.store, ref)
	if err != nil {
		return store.Group{}, err
	}
	if err := n.gossip.Leave(g.ID); err != nil {
		return store.Group{}, fmt.Errorf("leave %s: %w", g.Name, err)
	}
	st := n.groups.get(g.ID)
	n.groups.remove(g.ID)
	n.pending.forget(g.ID)
	left, err := n.store.LeaveGroup(g.ID, n.cfg.Clock())
	if err != nil {
		return store.Group{}, err
	}
	if st != nil {
		n.left.put(st)
	}
	return left, nil
}

// Groups lists joined groups.
func (n *Node) Groups() ([]store.Group, error) { return n.store.Groups() }

// LeftGroups lists the groups this user left (Leave) whose history the
// store keeps.
func (n *Node) LeftGroups() ([]store.Group, error) { return n.store.LeftGroups() }

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
