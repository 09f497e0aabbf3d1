package relay_test

import (
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/relay"
)

var t0 = time.Unix(1_800_000_000, 0)

func newUser(t *testing.T, name string) *identity.User {
	t.Helper()
	u, err := identity.NewUser(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// carried is a group as the owner's node and as the relay that carries it
// see it: the relay joined with the owner's invite and receives the
// owner's control messages.
type carried struct {
	owner      *identity.User
	ownerState *group.State
	relay      *group.State
}

func newCarried(t *testing.T, name string) *carried {
	t.Helper()
	c := &carried{owner: newUser(t, name+"'s owner")}
	s, genesis, err := group.Create(c.owner, group.KindOpen, name, time.Time{}, t0, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c.ownerState = s
	inv, err := s.Invite([]string{"/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := group.ParseInvite(inv.Link())
	if err != nil {
		t.Fatal(err)
	}
	if c.relay, err = group.FromInvite(parsed, newUser(t, name+"'s relay"), group.Config{}); err != nil {
		t.Fatal(err)
	}
	c.deliver(t0, genesis...)
	return c
}

// deliver checks and applies ms on the relay's state; what the relay
// already holds (the genesis came in the invite) it ignores.
func (c *carried) deliver(now time.Time, ms ...*message.Message) {
	for _, m := range ms {
		if content, v, _ := c.relay.Check(m, now); v == message.Accept {
			c.relay.Apply(m, content)
		}
	}
}

// update signs an update as the owner, applies it on the owner's node and
// delivers it to the relay.
func (c *carried) update(t *testing.T, now time.Time, u group.Update) {
	t.Helper()
	ms, err := c.ownerState.Update(c.owner, u, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		content, v, err := c.ownerState.Check(m, now)
		if v != message.Accept {
			t.Fatalf("the owner refuses its own update: %s: %v", v, err)
		}
		c.ownerState.Apply(m, content)
	}
	c.deliver(now, ms...)
}

// present does with a ticket what the relay's node does when a peer hands
// it one (node.serveTickets): decode it, check it against the group the
// relay carries, and admit the peer until the ticket expires.
func present(acl *relay.ACL, carried *group.State, p peer.ID, raw []byte, now time.Time) error {
	tk, err := group.ParseTicket(raw)
	if err == nil {
		err = carried.CheckTicket(tk, now)
	}
	if err != nil {
		return err
	}
	acl.Admit(p, tk.NotAfter)
	return nil
}

// An invite-only relay admits the holder of a ticket signed by the owner or
// a current admin of a group it carries, until the ticket expires, and
// nobody else: not with another group's ticket, a member's, an expired one,
// a demoted admin's, or bytes that are not a ticket.
func TestInviteACLTickets(t *testing.T) {
	now := t0.Add(time.Minute)
	clock := now
	acl := relay.NewACL(relay.Invite, func() time.Time { return clock })
	g := newCarried(t, "meetup")
	other := newCarried(t, "elsewhere")
	admin, member := newUser(t, "admin"), newUser(t, "member")
	g.update(t, now, group.Update{AddAdmins: []ed25519.PublicKey{admin.PublicKey()}})
	if !g.relay.IsAdmin(admin.PublicKey()) {
		t.Fatal("the relay does not see the new admin")
	}

	owners, err := g.ownerState.Ticket(g.owner, now)
	if err != nil {
		t.Fatal(err)
	}
	valid := owners.Bytes()
	until := now.Add(group.DefaultTicketLifetime)
	flipped := append([]byte(nil), valid...)
	flipped[len(flipped)-1] ^= 1
	newVersion := append([]byte(nil), valid...)
	newVersion[0] = 2

	for _, c := range []struct {
		name   string
		ticket []byte
		ok     bool
	}{
		{"the owner's ticket", valid, true},
		{"an admin's ticket", group.SignTicket(admin, g.ownerState.ID(), until).Bytes(), true},
		{"another group's ticket, by its owner", group.SignTicket(other.owner, other.ownerState.ID(), until).Bytes(), false},
		{"another group's owner signing for this group", group.SignTicket(other.owner, g.ownerState.ID(), until).Bytes(), false},
		{"a member's ticket", group.SignTicket(member, g.ownerState.ID(), until).Bytes(), false},
		{"an expired ticket", group.SignTicket(g.owner, g.ownerState.ID(), now.Add(-time.Second)).Bytes(), false},
		{"no bytes", nil, false},
		{"a truncated ticket", valid[:len(valid)-1], false},
		{"a ticket with a byte more", append(append([]byte(nil), valid...), 0), false},
		{"a ticket with a flipped signature bit", flipped, false},
		{"a ticket of an unknown version", newVersion, false},
		{"zeros", make([]byte, group.TicketSize), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := peer.ID("holder of " + c.name)
			err := present(acl, g.relay, p, c.ticket, now)
			if c.ok != (err == nil) {
				t.Fatalf("present: %v, want ok %v", err, c.ok)
			}
			if !c.ok && !errors.Is(err, group.ErrBadTicket) {
				t.Errorf("refused with %v, want ErrBadTicket", err)
			}
			if got := acl.AllowReserve(p, nil); got != c.ok {
				t.Errorf("AllowReserve = %v, want %v", got, c.ok)
			}
		})
	}

	// The owner's ticket admits until it expires, then no longer.
	holder := peer.ID("holder of the owner's ticket")
	clock = until
	if !acl.Admitted(holder) {
		t.Error("the owner's ticket stops admitting before it expires")
	}
	clock = until.Add(time.Second)
	if acl.Admitted(holder) || acl.AllowReserve(holder, nil) {
		t.Error("the owner's ticket admits after it expired")
	}
	clock = now

	// Once the owner demotes the admin, the relay refuses the admin's
	// ticket, the very bytes it took before. (A peer it admitted before the
	// demotion keeps its admission until the ticket expires: the ACL has no
	// revocation.)
	adminsTicket := group.SignTicket(admin, g.ownerState.ID(), until).Bytes()
	g.update(t, now.Add(time.Minute), group.Update{RemoveAdmins: []ed25519.PublicKey{admin.PublicKey()}})
	if g.relay.IsAdmin(admin.PublicKey()) {
		t.Fatal("the relay does not see the demotion")
	}
	late := peer.ID("late holder of the admin's ticket")
	if err := present(acl, g.relay, late, adminsTicket, now.Add(2*time.Minute)); !errors.Is(err, group.ErrBadTicket) {
		t.Errorf("a demoted admin's ticket: %v, want ErrBadTicket", err)
	}
	if acl.Admitted(late) {
		t.Error("a demoted admin's ticket admits a new holder")
	}
}
