package group_test

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"starling/group"
	"starling/message"
)

func TestCheckAlertText(t *testing.T) {
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{"Fire exit B is blocked, use A", true},
		{strings.Repeat("x", group.MaxAlertBytes), true},
		{"", false},
		{"  \n\t", false},
		{strings.Repeat("x", group.MaxAlertBytes+1), false},
		{string([]byte{0xff, 'a'}), false},
	} {
		err := group.CheckAlertText(tc.text)
		if (err == nil) != tc.ok {
			t.Errorf("CheckAlertText(%.20q) = %v, want ok %v", tc.text, err, tc.ok)
		}
		if err != nil && !errors.Is(err, group.ErrBadPayload) {
			t.Errorf("CheckAlertText(%.20q): %v does not wrap ErrBadPayload", tc.text, err)
		}
	}
}

// Only the owner and admins send alerts; members, readers of an
// announcement channel and anyone in an open channel are refused, however
// the alert reaches a node.
func TestAlertsWhoMay(t *testing.T) {
	for _, kind := range []group.Kind{group.KindOpen, group.KindAnnounce, group.KindPrivate} {
		t.Run(kind.String(), func(t *testing.T) {
			alice, history := create(t, "alice", kind, time.Time{})
			bob := join(t, alice, "bob", at(1), history...)
			carol := join(t, alice, "carol", at(1), history...)
			grant := alice.own(t)(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(2)))
			bob.deliver(t, at(2), grant...)
			carol.deliver(t, at(2), grant...)

			a := alice.compose(t, group.Alert{Text: "Exit B closed"}, at(3))
			if a.Body.Kind != message.KindAlert || !a.Body.Ref.IsZero() {
				t.Fatalf("composed a %s with ref %s", a.Body.Kind, a.Body.Ref.Short())
			}
			if kind == group.KindPrivate && a.Body.Epoch == 0 {
				t.Error("an alert in a private group is not sealed")
			}
			got := carol.want(t, a, at(3), message.Accept, nil)
			if al, ok := got.(group.Alert); !ok || al.Text != "Exit B closed" {
				t.Errorf("carol opened %#v", got)
			}
			carol.want(t, bob.compose(t, group.Alert{Text: "from an admin"}, at(4)), at(4), message.Accept, nil)

			// Carol, a member, cannot compose one, and her forged one is
			// ignored by everyone (her standing may differ elsewhere).
			if _, err := carol.s.Compose(carol.u, group.Alert{Text: "fake"}, at(5)); !errors.Is(err, group.ErrNotAllowed) {
				t.Errorf("a member composed an alert: %v", err)
			}
			if kind == group.KindPrivate {
				return // forging a sealed one needs the epoch key (private_test.go covers sealing)
			}
			var key []byte
			var epoch uint64
			forged := forge(t, carol.u, alice.s.ID(), group.Alert{Text: "fake"}, message.ID{}, epoch, key, at(5))
			alice.want(t, forged, at(5), message.Ignore, group.ErrNotAllowed)
			bob.want(t, forged, at(5), message.Ignore, group.ErrNotAllowed)

			// An alert with a ref is malformed.
			withRef := forge(t, alice.u, alice.s.ID(), group.Alert{Text: "x"}, a.ID, epoch, key, at(6))
			carol.want(t, withRef, at(6), message.Reject, group.ErrBadPayload)

			// Once bob is no admin, his new alerts are ignored.
			revoke := alice.own(t)(alice.s.Update(alice.u, group.Update{RemoveAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(7)))
			carol.deliver(t, at(7), revoke...)
			late := forge(t, bob.u, alice.s.ID(), group.Alert{Text: "still admin?"}, message.ID{}, epoch, key, at(8))
			carol.want(t, late, at(8), message.Ignore, group.ErrNotAllowed)
		})
	}

	ch, err := group.NewChannel("lobby", group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	u := user(t, "bob")
	if _, err := ch.Compose(u, group.Alert{Text: "hi"}, at(1)); err == nil {
		t.Error("composed an alert in an open channel")
	}
	m := forge(t, u, ch.ID(), group.Alert{Text: "hi"}, message.ID{}, 0, nil, at(1))
	if _, v, err := ch.Check(m, at(1)); v != message.Reject {
		t.Errorf("a channel judged an alert %s: %v", v, err)
	}
}

func TestAlertAck(t *testing.T) {
	alice, history := create(t, "alice", group.KindAnnounce, time.Time{})
	reader := join(t, alice, "reader", at(1), history...)
	a := alice.compose(t, group.Alert{Text: "doors close at 22:00"}, at(2))
	reader.accept(t, at(2), a)

	ack, err := reader.s.ComposeAck(reader.u, a.ID, at(3))
	if err != nil {
		t.Fatal(err)
	}
	if ack.Body.Kind != message.KindAlertAck || ack.Body.Ref != a.ID || len(ack.Body.Payload) != 0 {
		t.Fatalf("ack: %s ref %s payload %d", ack.Body.Kind, ack.Body.Ref.Short(), len(ack.Body.Payload))
	}
	if len(ack.Raw) > 200 {
		t.Errorf("an ack takes %d bytes", len(ack.Raw))
	}
	// A reader of an announcement channel, who may not post, acknowledges.
	if v, err := alice.s.CheckAck(ack, at(3)); v != message.Accept {
		t.Errorf("CheckAck: %s %v", v, err)
	}
	// Acks are never stored: Check refuses one.
	if _, v, _ := alice.s.Check(ack, at(3)); v != message.Reject {
		t.Errorf("Check took an ack: %s", v)
	}
	if _, err := reader.s.ComposeAck(reader.u, message.ID{}, at(3)); err == nil {
		t.Error("composed an ack of no alert")
	}
	withPayload := forgeRaw(t, reader.u, alice.s.ID(), message.KindAlertAck, a.ID, 0, nil, []byte{1}, at(3))
	if v, _ := alice.s.CheckAck(withPayload, at(3)); v != message.Reject {
		t.Errorf("an ack with a payload: %s", v)
	}
	other, _ := create(t, "mallory", group.KindOpen, time.Time{})
	if v, _ := other.s.CheckAck(ack, at(3)); v != message.Reject {
		t.Errorf("an ack of another group: %s", v)
	}
	// A banned reader's acks are ignored.
	alice.own(t)(alice.s.BanMember(alice.u, reader.u.PublicKey(), "spam", at(4)))
	if v, err := alice.s.CheckAck(ack, at(5)); v != message.Ignore || !errors.Is(err, group.ErrBanned) {
		t.Errorf("a banned reader's ack: %s %v", v, err)
	}
}

// A member who has not learnt the genesis yet (a join by link, before
// catch-up brings it) does not refuse the owner's alert: it is stale, so
// the node keeps it pending until the genesis comes.
func TestAlertBeforeGenesis(t *testing.T) {
	alice, _ := create(t, "alice", group.KindOpen, time.Time{})
	inv, err := alice.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := group.ParseInvite(inv.Link())
	if err != nil {
		t.Fatal(err)
	}
	bob := newPeer(user(t, "bob"))
	if bob.s, err = group.FromInvite(parsed, bob.u, bob.cfg()); err != nil {
		t.Fatal(err)
	}
	a := alice.compose(t, group.Alert{Text: "early"}, at(2))
	bob.want(t, a, at(2), message.Ignore, group.ErrStale)
	_, genesis, _ := alice.s.Descriptor()
	bob.accept(t, at(3), genesis, a)
}
