package group_test

import (
	"crypto/ed25519"
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

// A ticket is only as good as its signer's standing: an admin's ticket
// admits until the owner demotes them, on members' nodes and on carriers,
// which read the demotion under the control key.
func TestDemotedAdminTicket(t *testing.T) {
	alice, peers, _ := privateGroup(t, "bob", "carol")
	bob, carol := peers["bob"], peers["carol"]
	inv, err := alice.s.CarrierInvite(nil)
	if err != nil {
		t.Fatal(err)
	}
	relay := carrierPeer(t, inv.Link())
	relay.deliver(t, at(2), alice.stored()...)
	blob, err := relay.s.MarshalSecrets()
	if err != nil {
		t.Fatal(err)
	}
	// A carrier restarting knows no genesis until it replays its store: it
	// trusts the owner its link named, and nobody else.
	restarted, err := group.RestoreSecrets(blob, nil, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	owners, err := alice.s.Ticket(alice.u, at(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := restarted.CheckTicket(owners, at(2)); err != nil {
		t.Errorf("a carrier without the genesis refuses the owner's ticket: %v", err)
	}
	grant := alice.own(t)(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(3)))
	everyone(t, peers, at(3), grant...)
	relay.deliver(t, at(3), grant...)
	tk, err := bob.s.Ticket(bob.u, at(4))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*peer{alice, carol, relay} {
		if err := p.s.CheckTicket(tk, at(5)); err != nil {
			t.Errorf("%s refuses an admin's ticket: %v", p.u.Name, err)
		}
	}
	if err := restarted.CheckTicket(tk, at(5)); !errors.Is(err, group.ErrBadTicket) {
		t.Errorf("a carrier that knows no Op takes an admin's ticket: %v", err)
	}
	restarted.Replay(relay.stored())
	if err := restarted.CheckTicket(tk, at(5)); err != nil {
		t.Errorf("a carrier that replayed the grant refuses the admin's ticket: %v", err)
	}
	if _, err := carol.s.Ticket(carol.u, at(4)); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("a member signs a ticket: %v", err)
	}
	demote := alice.own(t)(alice.s.Update(alice.u, group.Update{RemoveAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(6)))
	everyone(t, peers, at(6), demote...)
	relay.deliver(t, at(6), demote...)
	for _, p := range []*peer{alice, carol, relay} {
		if err := p.s.CheckTicket(tk, at(7)); !errors.Is(err, group.ErrBadTicket) {
			t.Errorf("%s: a demoted admin's ticket: %v, want %v", p.u.Name, err, group.ErrBadTicket)
		}
		if err := p.s.CheckTicket(owners, at(7)); err != nil {
			t.Errorf("%s refuses the owner's ticket: %v", p.u.Name, err)
		}
	}
	if _, err := bob.s.Ticket(bob.u, at(8)); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("a demoted admin signs a ticket: %v", err)
	}
}
