package node_test

import (
	"context"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"

	"starling/group"
	"starling/internal/testwait"
	"starling/relay"
)

// relayAddr is the address of r that an invite names.
func relayAddr(r *testNode) string {
	return r.info().Addrs[0].Encapsulate(ma.StringCast("/p2p/" + r.ID().String())).String()
}

// An organiser who puts an invite-only relay in an invite gets a
// reservation on it too, with a ticket of their own, though the relay
// refused them before (they named it with --relay, ticketless) and joins
// the group only after the invite is made, as it does at an event: the
// relay's --group link names the relay.
func TestOrganiserReservesOnInviteOnlyRelay(t *testing.T) {
	t.Parallel()
	virtual(t, testOrganiserReservesOnInviteOnlyRelay)
}

func testOrganiserReservesOnInviteOnlyRelay(t *testing.T) {
	ctx := context.Background()
	acl := relay.NewACL(relay.Invite, nil)
	r := startNode(t, "relay", asRelay(acl))
	owner := startNode(t, "owner", withRelay(r))
	g, err := owner.CreateGroup(ctx, group.KindOpen, "meetup", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the relay refuses the organiser before any invite", func() bool {
		return strangerRefused(owner, r.ID())
	})

	link, err := owner.Moderation().Invite(g.ID.String(), []string{relayAddr(r)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Join(ctx, link); err != nil {
		t.Fatalf("relay joins: %v", err)
	}
	// The relay carries the group only now, after the organiser's node
	// handed it a ticket at Invite and was refused: the node hands it
	// again a relay backoff later (30 s, jittered).
	testwait.Until(t, 2*time.Minute, "the organiser reserves a slot on the relay", func() bool {
		for _, l := range owner.Relays() {
			if l.ID == r.ID() && l.Reserved {
				return true
			}
		}
		return false
	})
	if !acl.Admitted(owner.ID()) {
		t.Error("the organiser holds a reservation but the ACL did not admit it")
	}
}

// Someone who joined a group by a ticketless link (a member's) and was
// refused by the invite-only relay it named gets in once they join the
// organiser's link, which carries a ticket, though they are a member
// already.
func TestJoiningTicketLinkWhenJoinedAlready(t *testing.T) {
	t.Parallel()
	virtual(t, testJoiningTicketLinkWhenJoinedAlready)
}

func testJoiningTicketLinkWhenJoinedAlready(t *testing.T) {
	ctx := context.Background()
	acl := relay.NewACL(relay.Invite, nil)
	r := startNode(t, "relay", asRelay(acl))
	owner := startNode(t, "owner")
	g, err := owner.CreateGroup(ctx, group.KindOpen, "meetup", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	withTicket, err := owner.Moderation().Invite(g.ID.String(), []string{relayAddr(r)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Join(ctx, withTicket); err != nil {
		t.Fatalf("relay joins: %v", err)
	}
	member := startNode(t, "member")
	if _, err := member.Join(ctx, withTicket); err != nil {
		t.Fatal(err)
	}
	ticketless, err := member.Moderation().Invite(g.ID.String(), []string{relayAddr(r)})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := group.ParseInvite(ticketless)
	if err != nil || len(inv.Ticket) != 0 {
		t.Fatalf("a member's invite: ticket %d bytes, %v; want none", len(inv.Ticket), err)
	}

	guest := startNode(t, "guest")
	if _, err := guest.Join(ctx, ticketless); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the relay refuses the guest with no ticket", func() bool {
		return strangerRefused(guest, r.ID())
	})
	if _, err := guest.Join(ctx, withTicket); err != nil {
		t.Fatalf("joining the organiser's link when joined already: %v", err)
	}
	waitReserved(t, guest, r.ID())
}
