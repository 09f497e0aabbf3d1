package moderation

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

// Node is what moderation needs of the node it runs in.
type Node interface {
	// State returns the joined group ref names and its State.
	State(ref string) (store.Group, *group.State, error)
	// Send composes, signs and publishes content in the group ref names;
	// it returns how many peers took it by gossip.
	Send(ctx context.Context, ref string, c group.Content) (*message.Message, int, error)
	// SendOps stores, applies and publishes a group operation's messages
	// in order, saves the keys it brought and returns the Op.
	SendOps(ctx context.Context, st *group.State, msgs []*message.Message) (*message.Message, int, error)
	// UseRelays makes the node use the relays an organiser's invite names,
	// with tickets of its own.
	UseRelays(g store.Group, relays []string)
}

// Service is a user's side of their groups' management: invites,
// members, deletions, bans and settings. The group's rules (group.State)
// decide who may do what; every node checks them again.
type Service struct {
	node  Node
	user  *identity.User
	clock func() time.Time
}

// New builds a Service that acts as user; clock defaults to time.Now.
func New(n Node, user *identity.User, clock func() time.Time) *Service {
	if clock == nil {
		clock = time.Now
	}
	return &Service{node: n, user: user, clock: clock}
}

// Invite returns a joined group's invite link naming the given relays.
// When this user is the group's owner or an admin, the link carries a
// ticket for the relays' invite-only ACL, and this node starts using the
// relays with tickets of its own.
func (m *Service) Invite(ref string, relays []string) (string, error) {
	g, st, err := m.node.State(ref)
	if err != nil {
		return "", err
	}
	inv, err := st.Invite(relays)
	if err != nil {
		return "", err
	}
	// A ticket for the relays' invite-only ACL, when this user may sign
	// one; a member's invite goes without, and open relays need none.
	if len(relays) > 0 && st.IsAdmin(m.user.PublicKey()) {
		t, err := st.Ticket(m.user, m.clock())
		if err != nil {
			return "", err
		}
		inv.Ticket = t.Bytes()
		// The relays an organiser names take this node's own tickets too,
		// so that it reserves on an invite-only relay like its guests.
		m.node.UseRelays(g, relays)
	}
	return inv.Link(), nil
}

// CarrierInvite returns a private group's carrier link naming the given
// relays: a node that joins with it (Join) stores, forwards and serves the
// group's messages but holds no secret or key to read them. Members and
// carriers can make one.
func (m *Service) CarrierInvite(ref string, relays []string) (string, error) {
	_, st, err := m.node.State(ref)
	if err != nil {
		return "", err
	}
	inv, err := st.CarrierInvite(relays)
	if err != nil {
		return "", err
	}
	return inv.Link(), nil
}

// named finds someone the group's state names, by fingerprint.
func named(st *group.State, fp identity.Fingerprint) (ed25519.PublicKey, error) {
	if k, ok := st.Person(fp); ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: nobody with fingerprint %s is known in %s (people join with a link and send their profile first)", group.ErrUnknownPerson, fp, st.Name())
}

// RemoveMember removes a member from a private group: an Op with a fresh
// epoch key for every other member and the cut of the member's messages
// this node holds. Only the owner or an admin may (only the owner removes
// an admin).
func (m *Service) RemoveMember(ctx context.Context, ref string, fp identity.Fingerprint) error {
	_, st, err := m.node.State(ref)
	if err != nil {
		return err
	}
	k, err := named(st, fp)
	if err != nil {
		return err
	}
	msgs, err := st.RemoveMember(m.user, k, m.clock())
	if err != nil {
		return err
	}
	_, _, err = m.node.SendOps(ctx, st, msgs)
	return err
}

// AddMember admits someone to a private group: a removed member again,
// with a fresh epoch key, or a joiner whose invite went stale, with the
// current key. Only the owner or an admin may.
func (m *Service) AddMember(ctx context.Context, ref string, fp identity.Fingerprint) error {
	_, st, err := m.node.State(ref)
	if err != nil {
		return err
	}
	k, err := named(st, fp)
	if err != nil {
		return err
	}
	msgs, err := st.AddMember(m.user, k, m.clock())
	if err != nil {
		return err
	}
	_, _, err = m.node.SendOps(ctx, st, msgs)
	return err
}

// DeleteMessage sends a tombstone for a message of a joined group. Its
// author may delete it; so may the owner and admins.
func (m *Service) DeleteMessage(ctx context.Context, ref string, target message.ID, reason string) (*message.Message, int, error) {
	return m.node.Send(ctx, ref, group.Delete{Target: target, Reason: reason})
}

// Ban drops an author's messages in a group, except those this node holds
// now. Only the owner or an admin may (only the owner bans an admin).
func (m *Service) Ban(ctx context.Context, ref string, fp identity.Fingerprint, reason string) (*message.Message, int, error) {
	_, st, err := m.node.State(ref)
	if err != nil {
		return nil, 0, err
	}
	k, err := named(st, fp)
	if err != nil {
		return nil, 0, err
	}
	msgs, err := st.BanMember(m.user, k, reason, m.clock())
	if err != nil {
		return nil, 0, err
	}
	return m.node.SendOps(ctx, st, msgs)
}

// Unban lifts an author's bans in a group: they post again from now. Only
// the owner or an admin may.
func (m *Service) Unban(ctx context.Context, ref string, fp identity.Fingerprint) (*message.Message, int, error) {
	_, st, err := m.node.State(ref)
	if err != nil {
		return nil, 0, err
	}
	k, err := named(st, fp)
	if err != nil {
		return nil, 0, err
	}
	msgs, err := st.UnbanMember(m.user, k, m.clock())
	if err != nil {
		return nil, 0, err
	}
	return m.node.SendOps(ctx, st, msgs)
}

// UpdateGroup signs and sends the Ops an update needs (settings, role
// changes). Only the owner or an admin may; only the owner adds or removes
// admins. It returns the first Op (nil when nothing changed).
func (m *Service) UpdateGroup(ctx context.Context, ref string, u group.Update) (*message.Message, error) {
	_, st, err := m.node.State(ref)
	if err != nil {
		return nil, err
	}
	msgs, err := st.Update(m.user, u, m.clock())
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	op, _, err := m.node.SendOps(ctx, st, msgs)
	return op, err
}
