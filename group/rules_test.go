package group_test

import (
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"starling/group"
	"starling/message"
)

// Changed with issue 13: a post by someone who may not post in an
// announcement channel is Ignored, not Rejected: whether they may post
// depends on the Ops a node holds (a poster role this node has not heard
// of yet), so whoever forwards it is not to blame.
func TestAnnounce(t *testing.T) {
	alice, history := create(t, "alice", group.KindAnnounce, time.Time{})
	bob := join(t, alice, "bob", at(1), history...)
	carol := newPeer(user(t, "carol"))
	mallory := user(t, "mallory")
	addPoster := alice.own(t)(alice.s.Update(alice.u, group.Update{AddPosters: []ed25519.PublicKey{carol.u.PublicKey()}}, at(2)))
	bob.accept(t, at(2), addPoster...)
	if st := bob.s.Standing(carol.u.PublicKey()); !st.Poster || st.Admin {
		t.Fatalf("carol's standing: %+v", st)
	}

	id := alice.s.ID()
	bob.want(t, forge(t, mallory, id, text("spam"), message.ID{}, 0, nil, at(3)), at(4), message.Ignore, group.ErrNotAllowed)
	bob.want(t, forge(t, mallory, id, group.Profile{Nick: "m", X25519: x25519Of(t, mallory)}, message.ID{}, 0, nil, at(3)), at(4), message.Ignore, group.ErrNotAllowed)
	news := forge(t, carol.u, id, text("a poster's news"), message.ID{}, 0, nil, at(3))
	bob.want(t, news, at(4), message.Accept, nil)
	bob.want(t, alice.compose(t, text("the owner's news"), at(3)), at(4), message.Accept, nil)
	if _, err := bob.s.Compose(bob.u, text("may I?"), at(5)); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("a reader composed a post: %v", err)
	}
	// A poster who loses the role keeps what the demotion's cut holds and
	// posts no more, however a new post is dated.
	late := forge(t, carol.u, id, text("dated before the demotion, sent after"), message.ID{}, 0, nil, at(5))
	alice.accept(t, at(4), news) // alice holds news, not late, when she demotes carol
	demote := alice.own(t)(alice.s.Update(alice.u, group.Update{RemovePosters: []ed25519.PublicKey{carol.u.PublicKey()}}, at(6)))
	bob.deliver(t, at(7), demote...)
	bob.want(t, late, at(7), message.Ignore, group.ErrNotAllowed)
	if st := bob.s.Standing(carol.u.PublicKey()); st.Poster {
		t.Errorf("carol is still a poster: %+v", st)
	}
	if !bob.has(news) {
		t.Error("bob dropped carol's post that the demotion's cut keeps")
	}
	// Only the owner and admins change posters; a poster does not.
	byCarol := forge(t, carol.u, id, group.Op{Parents: bob.s.Heads(), Action: group.SetRole{Member: mallory.PublicKey(), Role: group.RolePoster}}, message.ID{}, 0, nil, at(8))
	bob.want(t, byCarol, at(8), message.Reject, group.ErrNotAllowed)
}

// Changed with issue 13: moderation is Ops. A non-admin's deletion of
// another's message is Ignored (whether its author may delete it depends
// on what the node holds); a ban drops the banned author's messages except
// those the ban's cut keeps, whatever their date; an Op by a demoted admin
// concurrent with the demotion is kept (a whiteout) but does nothing.
func TestModeration(t *testing.T) {
	alice, history := create(t, "alice", group.KindOpen, time.Time{})
	bob := join(t, alice, "bob", at(1), history...)
	mallory := newPeer(user(t, "mallory"))
	id := alice.s.ID()

	m1 := forge(t, mallory.u, id, text("first"), message.ID{}, 0, nil, at(10))
	m2 := forge(t, mallory.u, id, text("second"), message.ID{}, 0, nil, at(11))
	m3 := forge(t, mallory.u, id, text("third, arriving late"), message.ID{}, 0, nil, at(12))
	for _, p := range []*peer{alice, bob} {
		p.accept(t, at(13), m1, m2)
	}

	// Not an admin: deleting someone else's message is ignored, banning is
	// refused.
	bob.want(t, forge(t, bob.u, id, group.Delete{Target: m1.ID}, m1.ID, 0, nil, at(20)), at(20), message.Ignore, group.ErrNotAllowed)
	bob.want(t, forge(t, bob.u, id, group.Op{Parents: bob.s.Heads(), Action: group.Ban{Member: mallory.u.PublicKey()}}, message.ID{}, 0, nil, at(20)), at(20), message.Reject, group.ErrNotAllowed)
	bob.want(t, forge(t, bob.u, id, group.Delete{Target: message.ID{7}}, message.ID{7}, 0, nil, at(20)), at(20), message.Ignore, group.ErrUnknownTarget)
	if _, err := bob.s.BanMember(bob.u, mallory.u.PublicKey(), "", at(20)); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("a member signed a ban: %v", err)
	}
	// An author deletes their own message.
	own := forge(t, mallory.u, id, group.Delete{Target: m1.ID, Reason: "typo"}, m1.ID, 0, nil, at(21))
	if _, _, fx, _ := bob.receive(t, own, at(21)); len(fx.Deleted) != 1 || fx.Deleted[0] != m1.ID {
		t.Errorf("own deletion: effects %+v", fx)
	}

	// The owner deletes a message: hidden, and it is dropped if it comes again.
	del := alice.compose(t, group.Delete{Target: m2.ID, Reason: "off topic"}, at(30))
	for _, p := range []*peer{alice, bob} {
		_, v, fx, err := p.receive(t, del, at(30))
		if v != message.Accept || len(fx.Deleted) != 1 || fx.Deleted[0] != m2.ID {
			t.Fatalf("%s: %s %v, effects %+v", p.u.Name, v, err, fx)
		}
		if !p.s.Deleted(m2.ID) {
			t.Errorf("%s: m2 is not deleted", p.u.Name)
		}
		p.want(t, m2, at(31), message.Ignore, group.ErrDeleted)
	}
	// A tombstone that arrives before its target.
	bob.accept(t, at(32), alice.compose(t, group.Delete{Target: m3.ID}, at(32)))
	bob.want(t, m3, at(33), message.Ignore, group.ErrDeleted)

	// A ban keeps what its author held (the cut) and drops the rest.
	heldByAlice := forge(t, mallory.u, id, text("held by alice"), message.ID{}, 0, nil, at(90))
	alice.accept(t, at(90), heldByAlice)
	notHeld := forge(t, mallory.u, id, text("before the ban, held by nobody"), message.ID{}, 0, nil, at(99))
	ban := alice.own(t)(alice.s.BanMember(alice.u, mallory.u.PublicKey(), "spam", at(100)))
	bob.accept(t, at(100), ban[0])
	_, v, fx, err := bob.receive(t, ban[1], at(100))
	if v != message.Accept || len(fx.Recheck) != 1 || !fx.Recheck[0].Equal(mallory.u.PublicKey()) {
		t.Fatalf("ban: %s %v, effects %+v", v, err, fx)
	}
	bob.want(t, forge(t, mallory.u, id, text("after the ban"), message.ID{}, 0, nil, at(101)), at(102), message.Ignore, group.ErrBanned)
	bob.want(t, notHeld, at(102), message.Ignore, group.ErrBanned)
	bob.want(t, heldByAlice, at(102), message.Accept, nil)
	if st := bob.s.Standing(mallory.u.PublicKey()); !st.Banned || st.Reason != "spam" || !st.By.Equal(alice.u.PublicKey()) || !st.At.Equal(at(100)) {
		t.Errorf("mallory's standing: %+v", st)
	}
	if why := bob.s.Standing(mallory.u.PublicKey()).Why(bob.s.Name()); why == "" {
		t.Error("a banned author's standing says nothing")
	}

	// Nobody bans the owner.
	promote := alice.own(t)(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(110)))
	bob.accept(t, at(110), promote...)
	alice.want(t, forge(t, bob.u, id, group.Op{Parents: alice.s.Heads(), Action: group.Ban{Member: alice.u.PublicKey()}}, message.ID{}, 0, nil, at(111)), at(111), message.Reject, group.ErrNotAllowed)
	if _, err := bob.s.BanMember(bob.u, alice.u.PublicKey(), "", at(111)); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("an admin bans the owner: %v", err)
	}
	// An admin deletes anyone's message.
	byAdmin := bob.compose(t, group.Delete{Target: heldByAlice.ID}, at(112))
	alice.deliver(t, at(112), byAdmin)
	if !alice.s.Deleted(heldByAlice.ID) || alice.has(heldByAlice) {
		t.Error("an admin's deletion did not take")
	}

	// A demoted admin: Ops signed before it heard of the demotion, on the
	// state where it was an admin, are concurrent with the demotion. They
	// are kept (whiteouts) but change nothing. Changed with issue 13: was
	// Ignore, as "stale history".
	before := bob.s.Heads()
	alice.own(t)(alice.s.Update(alice.u, group.Update{RemoveAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(120)))
	zed := user(t, "zed")
	late := forge(t, bob.u, id, group.Op{Parents: before, Action: group.Ban{Member: zed.PublicKey()}}, message.ID{}, 0, nil, at(115))
	alice.want(t, late, at(121), message.Accept, nil)
	if alice.s.Standing(zed.PublicKey()).Banned {
		t.Error("a demoted admin's concurrent ban stands")
	}
	// One that names the demotion in its history is refused outright.
	after := forge(t, bob.u, id, group.Op{Parents: alice.s.Heads(), Action: group.Ban{Member: zed.PublicKey()}}, message.ID{}, 0, nil, at(122))
	alice.want(t, after, at(122), message.Reject, group.ErrNotAllowed)
	// A revoked admin gets only so much room for whiteouts.
	ignored := 0
	for i := range 100 {
		w := forge(t, bob.u, id, group.Op{Parents: before, Action: group.Settings{Name: "whiteout", SlowModeSeconds: uint32(i)}}, message.ID{}, 0, nil, at(116))
		_, v, _, err := alice.receive(t, w, at(123))
		switch {
		case v == message.Ignore && errors.Is(err, group.ErrRevoked):
			ignored++
		case v != message.Accept:
			t.Fatalf("whiteout %d: %s %v", i, v, err)
		}
	}
	if ignored == 0 || ignored == 100 || alice.s.Name() == "whiteout" {
		t.Errorf("%d of 100 whiteouts ignored; name %q", ignored, alice.s.Name())
	}
}

func TestExpiry(t *testing.T) {
	end := at(3600)
	alice, history := create(t, "alice", group.KindOpen, end)
	bob := join(t, alice, "bob", at(1), history...)
	if !bob.s.EndsAt().Equal(end) {
		t.Fatalf("EndsAt = %s", bob.s.EndsAt())
	}
	m := alice.compose(t, text("last call"), at(3500))
	late := at(3600 + 3600 + 1)
	bob.want(t, m, late, message.Reject, group.ErrGroupExpired)
	bob.want(t, m, at(3600+1800), message.Accept, nil)
	if bob.s.Expired(at(3600+1800)) || !bob.s.Expired(late) {
		t.Error("Expired disagrees with Check")
	}
	if _, err := alice.s.Compose(alice.u, text("too late"), late); !errors.Is(err, group.ErrGroupExpired) {
		t.Errorf("Compose after the end: %v", err)
	}

	strict := newPeer(user(t, "strict"))
	inv, _ := alice.s.Invite(nil)
	var err error
	if strict.s, err = group.FromInvite(inv, strict.u, group.Config{Grace: -1}); err != nil {
		t.Fatal(err)
	}
	strict.want(t, m, at(3601), message.Reject, group.ErrGroupExpired)

	if _, _, err := group.Create(alice.u, group.KindOpen, "past", at(-1), at(0), group.Config{}); err == nil {
		t.Error("Create accepted an end time in the past")
	}

	// New with issue 13: the end time is a setting an Op changes.
	later := at(3 * 3600)
	extend := alice.own(t)(alice.s.Update(alice.u, group.Update{EndsAt: &later}, at(3000)))
	bob.accept(t, at(3000), extend...)
	bob.want(t, alice.compose(t, text("still open"), late), late, message.Accept, nil)
	never := time.Time{}
	forever := alice.own(t)(alice.s.Update(alice.u, group.Update{EndsAt: &never}, at(3001)))
	bob.accept(t, at(3001), forever...)
	if !bob.s.EndsAt().IsZero() || bob.s.Expired(at(1e6)) {
		t.Errorf("EndsAt %s after the end was lifted", bob.s.EndsAt())
	}
}

func TestChannel(t *testing.T) {
	lobby, err := group.NewChannel("Lobby", group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	id, _, _ := group.OpenChannelID("lobby")
	if lobby.ID() != id || lobby.Name() != "lobby" || !lobby.IsChannel() || lobby.Topic() != group.Topic(id) {
		t.Fatalf("channel %s %q %s", lobby.ID().Short(), lobby.Name(), lobby.Topic())
	}
	if _, _, ok := lobby.Descriptor(); ok {
		t.Error("a channel has a descriptor")
	}
	p := newPeer(user(t, "ada"))
	p.s, _ = group.NewChannel("lobby", p.cfg())
	anyone := user(t, "anyone")
	hello := forge(t, anyone, id, text("hello"), message.ID{}, 0, nil, at(1))
	p.accept(t, at(1), hello)
	p.accept(t, at(2), forge(t, anyone, id, group.Delete{Target: hello.ID}, hello.ID, 0, nil, at(2)))
	if !p.s.Deleted(hello.ID) {
		t.Error("the author's deletion in a channel did not take")
	}
	// Changed with issue 13: a channel has no owner, so an Op or a genesis
	// there is a bad payload (was: not allowed, or wrong group).
	p.want(t, forge(t, p.u, id, group.Op{Parents: []message.ID{{1}}, Action: group.Ban{Member: anyone.PublicKey()}}, message.ID{}, 0, nil, at(3)), at(3), message.Reject, group.ErrBadPayload)
	p.want(t, forge(t, p.u, id, text("sealed?"), message.ID{}, 1, make([]byte, 32), at(3)), at(3), message.Reject, group.ErrBadPayload)
	other, _ := create(t, "owner", group.KindOpen, time.Time{})
	_, gm := mustDescriptor(t, other)
	p.want(t, forge(t, other.u, id, mustContent(t, other.s, gm), message.ID{}, 0, nil, at(3)), at(3), message.Reject, group.ErrBadPayload)
	if _, err := p.s.Invite(nil); err == nil {
		t.Error("a channel made an invite")
	}
	if _, err := p.s.BanMember(p.u, anyone.PublicKey(), "", at(3)); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("a ban in a channel: %v", err)
	}
	if _, err := group.NewChannel("bad name!", group.Config{}); !errors.Is(err, group.ErrBadName) {
		t.Errorf("NewChannel: %v", err)
	}
}

// A message of group A replayed into group B is refused, whatever its kind.
func TestReplayIntoAnotherGroup(t *testing.T) {
	for _, kind := range []group.Kind{group.KindOpen, group.KindPrivate} {
		t.Run(kind.String(), func(t *testing.T) {
			a, ha := create(t, "alice", kind, time.Time{})
			b, _ := create(t, "bob", kind, time.Time{})
			op := a.own(t)(a.s.Update(a.u, group.Update{Name: "renamed"}, at(1)))
			for _, m := range append(append(ha, op...), a.compose(t, text("for A only"), at(1))) {
				b.want(t, m, at(1), message.Reject, group.ErrWrongGroup)
				c, err := a.s.Open(m)
				if err != nil {
					t.Fatal(err)
				}
				if fx := b.s.Apply(m, c); fx.DescriptorChanged || fx.Deleted != nil || fx.Recheck != nil || fx.NewKey {
					t.Errorf("Apply of another group's %s: %+v", m.Body.Kind, fx)
				}
				if _, err := b.s.Open(m); !errors.Is(err, group.ErrWrongGroup) {
					t.Errorf("Open of another group's %s: %v", m.Body.Kind, err)
				}
			}
			if b.s.Name() != "The bob group" {
				t.Errorf("bob's group is now called %q", b.s.Name())
			}
		})
	}
}
