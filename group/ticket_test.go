package group_test

import (
	"errors"
	"testing"

	"starling/group"
)

func TestTicket(t *testing.T) {
	end := at(0).AddDate(0, 0, 1)
	alice, _ := create(t, "alice", group.KindOpen, end)
	other, _ := create(t, "other", group.KindOpen, end)
	bob := user(t, "bob")

	tk, err := alice.s.Ticket(alice.u, at(0))
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.NotAfter; !got.Equal(end.Add(group.DefaultGrace)) {
		t.Errorf("ticket lasts until %s, want the end plus grace %s", got, end.Add(group.DefaultGrace))
	}
	parsed, err := group.ParseTicket(tk.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.s.CheckTicket(parsed, at(60)); err != nil {
		t.Fatalf("a fresh ticket from the owner: %v", err)
	}

	if _, err := alice.s.Ticket(bob, at(0)); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("a non-admin signs a ticket: %v", err)
	}
	cases := map[string]struct {
		t   group.Ticket
		now int
	}{
		"other group":   {group.SignTicket(alice.u, other.s.ID(), end), 60},
		"expired":       {group.SignTicket(alice.u, alice.s.ID(), at(30)), 60},
		"not an admin":  {group.SignTicket(bob, alice.s.ID(), end), 60},
		"group is over": {tk, int(end.Add(group.DefaultGrace).Sub(at(0)).Seconds()) + 1},
	}
	for name, c := range cases {
		if err := alice.s.CheckTicket(c.t, at(c.now)); !errors.Is(err, group.ErrBadTicket) {
			t.Errorf("%s: CheckTicket = %v, want ErrBadTicket", name, err)
		}
	}
	raw := tk.Bytes()
	for i := range raw {
		for bit := range 8 {
			flipped := append([]byte(nil), raw...)
			flipped[i] ^= 1 << bit
			if _, err := group.ParseTicket(flipped); err == nil {
				t.Fatalf("ticket with byte %d bit %d flipped parses", i, bit)
			}
		}
	}
	for _, n := range []int{0, 1, group.TicketSize - 1, group.TicketSize + 1} {
		if _, err := group.ParseTicket(make([]byte, n)); !errors.Is(err, group.ErrBadTicket) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
}

func TestInviteCarriesTicket(t *testing.T) {
	alice, _ := create(t, "alice", group.KindPrivate, at(0).AddDate(0, 0, 1))
	inv, err := alice.s.Invite([]string{"/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := alice.s.Ticket(alice.u, at(0))
	if err != nil {
		t.Fatal(err)
	}
	inv.Ticket = tk.Bytes()
	got, err := group.ParseInvite(inv.Link())
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Ticket) != string(inv.Ticket) {
		t.Fatal("the ticket did not survive the link")
	}
	inv.Relays = nil
	if _, err := group.ParseInvite(inv.Link()); !errors.Is(err, group.ErrBadInvite) {
		t.Errorf("a ticket without relays: %v", err)
	}
	other, _ := create(t, "other", group.KindOpen, at(0).AddDate(0, 0, 1))
	inv.Relays = []string{"/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"}
	inv.Ticket = group.SignTicket(alice.u, other.s.ID(), at(60)).Bytes()
	if _, err := group.ParseInvite(inv.Link()); !errors.Is(err, group.ErrBadInvite) {
		t.Errorf("another group's ticket: %v", err)
	}
}
