package node

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

// Invite returns a joined group's invite link naming the given relays.
// When this user is the group's owner or an admin, the link carries a
// ticket for the relays' invite-only ACL, and this node starts using the
// relays with tickets of its own.
func (n *Node) Invite(ref string, relays []string) (string, error) {
	g, st, err := n.state(ref)
	if err != nil {
		return "", err
	}
	inv, err := st.Invite(relays)
	if err != nil {
		return "", err
	}
	// A ticket for the relays' invite-only ACL, when this user may sign
	// one; a member's invite goes without, and open relays need none.
	if len(relays) > 0 && st.IsAdmin(n.cfg.User.PublicKey()) {
		t, err := st.Ticket(n.cfg.User, n.cfg.Clock())
		if err != nil {
			return "", err
		}
		inv.Ticket = t.Bytes()
		// The relays an organiser names take this node's own tickets too,
		// so that it reserves on an invite-only relay like its guests.
		n.useRelays(g, relays, nil)
	}
	return inv.Link(), nil
}

// CarrierInvite returns a private group's carrier link naming the given
// relays: a node that joins with it (Join) stores, forwards and serves the
// group's messages but holds no secret or key to read them. Members and
// carriers can make one.
func (n *Node) CarrierInvite(ref string, relays []string) (string, error) {
	_, st, err := n.state(ref)
	if err != nil {
		return "", err
	}
	inv, err := st.CarrierInvite(relays)
	if err != nil {
		return "", err
	}
	return inv.Link(), nil
}

// GroupState returns a joined group and its State, which describes its
// descriptor, members and keys.
func (n *Node) GroupState(ref string) (store.Group, *group.State, error) { return n.state(ref) }

// named finds someone the group's state names, by fingerprint.
func named(st *group.State, fp identity.Fingerprint) (ed25519.PublicKey, error) {
	if k, ok := st.Person(fp); ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: nobody with fingerprint %s is known in %s (people join with a link and send their profile first)", group.ErrUnknownPerson, fp, st.Name())
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

// RemoveMember removes a member from a private group: an Op with a fresh
// epoch key for every other member and the cut of the member's messages
// this node holds. Only the owner or an admin may (only the owner removes
// an admin).
func (n *Node) RemoveMember(ctx context.Context, ref string, fp identity.Fingerprint) error {
	_, st, err := n.state(ref)
	if err != nil {
		return err
	}
	k, err := named(st, fp)
	if err != nil {
		return err
	}
	msgs, err := st.RemoveMember(n.cfg.User, k, n.cfg.Clock())
	if err != nil {
		return err
	}
	_, _, err = n.sendOps(ctx, st, msgs)
	return err
}

// AddMember admits someone to a private group: a removed member again,
// with a fresh epoch key, or a joiner whose invite went stale, with the
// current key. Only the owner or an admin may.
func (n *Node) AddMember(ctx context.Context, ref string, fp identity.Fingerprint) error {
	_, st, err := n.state(ref)
	if err != nil {
		return err
	}
	k, err := named(st, fp)
	if err != nil {
		return err
	}
	msgs, err := st.AddMember(n.cfg.User, k, n.cfg.Clock())
	if err != nil {
		return err
	}
	_, _, err = n.sendOps(ctx, st, msgs)
	return err
}

// DeleteMessage sends a tombstone for a message of a joined group. Its
// author may delete it; so may the owner and admins.
func (n *Node) DeleteMessage(ctx context.Context, ref string, target message.ID, reason string) (*message.Message, int, error) {
	return n.SendContent(ctx, ref, group.Delete{Target: target, Reason: reason})
}

// Ban drops an author's messages in a group, except those this node holds
// now. Only the owner or an admin may (only the owner bans an admin).
func (n *Node) Ban(ctx context.Context, ref string, fp identity.Fingerprint, reason string) (*message.Message, int, error) {
	_, st, err := n.state(ref)
	if err != nil {
		return nil, 0, err
	}
	k, err := named(st, fp)
	if err != nil {
		return nil, 0, err
	}
	msgs, err := st.BanMember(n.cfg.User, k, reason, n.cfg.Clock())
	if err != nil {
		return nil, 0, err
	}
	return n.sendOps(ctx, st, msgs)
}

// Unban lifts an author's bans in a group: they post again from now. Only
// the owner or an admin may.
func (n *Node) Unban(ctx context.Context, ref string, fp identity.Fingerprint) (*message.Message, int, error) {
	_, st, err := n.state(ref)
	if err != nil {
		return nil, 0, err
	}
	k, err := named(st, fp)
	if err != nil {
		return nil, 0, err
	}
	msgs, err := st.UnbanMember(n.cfg.User, k, n.cfg.Clock())
	if err != nil {
		return nil, 0, err
	}
	return n.sendOps(ctx, st, msgs)
}

// UpdateGroup signs and sends the Ops an update needs (settings, role
// changes). Only the owner or an admin may; only the owner adds or removes
// admins. It returns the first Op (nil when nothing changed).
func (n *Node) UpdateGroup(ctx context.Context, ref string, u group.Update) (*message.Message, error) {
	_, st, err := n.state(ref)
	if err != nil {
		return nil, err
	}
	msgs, err := st.Update(n.cfg.User, u, n.cfg.Clock())
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	m, _, err := n.sendOps(ctx, st, msgs)
	return m, err
}
