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
func (n *Node) Invite(ref string, relays []string) (string, error) {
	_, st, err := n.state(ref)
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

// member finds a group member by fingerprint.
func member(st *group.State, fp identity.Fingerprint) (ed25519.PublicKey, error) {
	for _, k := range st.Members() {
		if identity.FingerprintOf(k) == fp {
			return k, nil
		}
	}
	return nil, fmt.Errorf("nobody with fingerprint %s has a profile in %s", fp, st.Name())
}

// RemoveMember removes a member from a private group: a rekey that gives
// every other member the next epoch's key, then a descriptor listing them as
// removed. Only the owner or an admin may.
func (n *Node) RemoveMember(ctx context.Context, ref string, fp identity.Fingerprint) error {
	_, st, err := n.state(ref)
	if err != nil {
		return err
	}
	k, err := member(st, fp)
	if err != nil {
		return err
	}
	msgs, err := st.RemoveMember(n.cfg.User, k, n.cfg.Clock())
	if err != nil {
		return err
	}
	for _, m := range msgs { // the rekey first: the descriptor is sealed under its key
		if _, _, err := n.sendOwn(ctx, m); err != nil {
			return err
		}
	}
	if err := saveState(n.store, st); err != nil {
		return fmt.Errorf("save the new epoch key: %w", err)
	}
	return nil
}

// DeleteMessage sends a tombstone for a message of a joined group. Its
// author may delete it; so may the owner and admins.
func (n *Node) DeleteMessage(ctx context.Context, ref string, target message.ID, reason string) (*message.Message, int, error) {
	return n.SendContent(ctx, ref, group.Delete{Target: target, Reason: reason})
}

// Ban stops an author's later messages in a group. Only the owner or an
// admin may.
func (n *Node) Ban(ctx context.Context, ref string, fp identity.Fingerprint, reason string) (*message.Message, int, error) {
	_, st, err := n.state(ref)
	if err != nil {
		return nil, 0, err
	}
	k, err := member(st, fp)
	if err != nil {
		return nil, 0, err
	}
	return n.SendContent(ctx, ref, group.Ban{Author: k, Reason: reason})
}

// UpdateGroup signs and sends the next version of a group's descriptor.
// Only the owner or an admin may.
func (n *Node) UpdateGroup(ctx context.Context, ref string, u group.Update) (*message.Message, error) {
	_, st, err := n.state(ref)
	if err != nil {
		return nil, err
	}
	m, err := st.UpdateDescriptor(n.cfg.User, u.Apply, n.cfg.Clock())
	if err != nil {
		return nil, err
	}
	m, _, err = n.sendOwn(ctx, m)
	return m, err
}
