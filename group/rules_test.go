package group_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

func TestAnnounce(t *testing.T) {
	alice, history := create(t, "alice", group.KindAnnounce, time.Time{})
	bob := join(t, alice, "bob", at(1), history...)
	carol := newPeer(user(t, "carol"))
	mallory := user(t, "mallory")
	addPoster, err := alice.s.UpdateDescriptor(alice.u, func(d *group.Descriptor) {
		d.Posters = []ed25519.PublicKey{carol.u.PublicKey(), carol.u.PublicKey()}
	}, at(2))
	if err != nil {
		t.Fatal(err)
	}
	alice.accept(t, at(2), addPoster)
	bob.accept(t, at(2), addPoster)

	id := alice.s.ID()
	bob.want(t, forge(t, mallory, id, text("spam"), message.ID{}, 0, nil, at(3)), at(4), group.Reject, group.ErrNotAllowed)
	bob.want(t, forge(t, mallory, id, group.Profile{Nick: "m", X25519: x25519Of(t, mallory)}, message.ID{}, 0, nil, at(3)), at(4), group.Reject, group.ErrNotAllowed)
	bob.want(t, forge(t, carol.u, id, text("a poster's news"), message.ID{}, 0, nil, at(3)), at(4), group.Accept, nil)
	bob.want(t, alice.compose(t, text("the owner's news"), at(3)), at(4), group.Accept, nil)
	if _, err := bob.s.Compose(bob.u, text("may I?"), at(5)); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("a reader composed a post: %v", err)
	}
}

func x25519Of(t testing.TB, u *identity.User) []byte {
	t.Helper()
	k, err := u.X25519Public()
	if err != nil {
		t.Fatal(err)
	}
	return k.Bytes()
}

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

	// Not an admin: deleting someone else's message or banning is refused.
	bob.want(t, forge(t, bob.u, id, group.Delete{Target: m1.ID}, m1.ID, 0, nil, at(20)), at(20), group.Reject, group.ErrNotAllowed)
	bob.want(t, forge(t, bob.u, id, group.Ban{Author: mallory.u.PublicKey()}, message.ID{}, 0, nil, at(20)), at(20), group.Reject, group.ErrNotAllowed)
	bob.want(t, forge(t, bob.u, id, group.Delete{Target: message.ID{7}}, message.ID{7}, 0, nil, at(20)), at(20), group.Ignore, group.ErrUnknownTarget)
	if _, err := bob.s.Compose(bob.u, group.Ban{Author: mallory.u.PublicKey()}, at(20)); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("a member composed a ban: %v", err)
	}
	// An author deletes their own message.
	own := forge(t, mallory.u, id, group.Delete{Target: m1.ID, Reason: "typo"}, m1.ID, 0, nil, at(21))
	if _, _, _, fx := bob.receive(t, own, at(21)); len(fx.Deleted) != 1 || fx.Deleted[0] != m1.ID {
		t.Errorf("own deletion: effects %+v", fx)
	}

	// The owner deletes a message: hidden, and it is dropped if it comes again.
	del := alice.compose(t, group.Delete{Target: m2.ID, Reason: "off topic"}, at(30))
	for _, p := range []*peer{alice, bob} {
		_, v, err, fx := p.receive(t, del, at(30))
		if v != group.Accept || len(fx.Deleted) != 1 || fx.Deleted[0] != m2.ID {
			t.Fatalf("%s: %s %v, effects %+v", p.u.Name, v, err, fx)
		}
		if !p.s.Deleted(m2.ID) {
			t.Errorf("%s: m2 is not deleted", p.u.Name)
		}
		p.want(t, m2, at(31), group.Ignore, group.ErrDeleted)
	}
	// A tombstone that arrives before its target.
	bob.accept(t, at(32), alice.compose(t, group.Delete{Target: m3.ID}, at(32)))
	bob.want(t, m3, at(33), group.Ignore, group.ErrDeleted)

	// A ban drops the author's later messages, not the earlier ones.
	ban := alice.compose(t, group.Ban{Author: mallory.u.PublicKey(), Reason: "spam"}, at(100))
	_, v, err, fx := bob.receive(t, ban, at(100))
	if v != group.Accept || !bytes.Equal(fx.BannedAuthor, mallory.u.PublicKey()) || fx.BannedAfterMS != message.TimeMS(at(100)) {
		t.Fatalf("ban: %s %v, effects %+v", v, err, fx)
	}
	bob.want(t, forge(t, mallory.u, id, text("after the ban"), message.ID{}, 0, nil, at(101)), at(102), group.Ignore, group.ErrBanned)
	bob.want(t, forge(t, mallory.u, id, text("before the ban"), message.ID{}, 0, nil, at(99)), at(102), group.Accept, nil)
	if !bob.s.Banned(mallory.u.PublicKey(), message.TimeMS(at(101))) || bob.s.Banned(mallory.u.PublicKey(), message.TimeMS(at(99))) {
		t.Error("Banned disagrees with Check")
	}
	// Nobody bans the owner.
	promote, err := alice.s.UpdateDescriptor(alice.u, func(d *group.Descriptor) { d.Admins = []ed25519.PublicKey{bob.u.PublicKey()} }, at(110))
	if err != nil {
		t.Fatal(err)
	}
	alice.accept(t, at(110), promote)
	bob.accept(t, at(110), promote)
	alice.want(t, forge(t, bob.u, id, group.Ban{Author: alice.u.PublicKey()}, message.ID{}, 0, nil, at(111)), at(111), group.Reject, group.ErrNotAllowed)

	// An admin who was demoted: its moderation may be history, not an attack.
	demote, err := alice.s.UpdateDescriptor(alice.u, func(d *group.Descriptor) { d.Admins = nil }, at(120))
	if err != nil {
		t.Fatal(err)
	}
	alice.accept(t, at(120), demote)
	late := forge(t, bob.u, id, group.Ban{Author: user(t, "zed").PublicKey()}, message.ID{}, 0, nil, at(115))
	alice.want(t, late, at(121), group.Ignore, group.ErrStale)
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
	bob.want(t, m, late, group.Reject, group.ErrGroupExpired)
	bob.want(t, m, at(3600+1800), group.Accept, nil)
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
	strict.want(t, m, at(3601), group.Reject, group.ErrGroupExpired)

	if _, _, err := group.Create(alice.u, group.KindOpen, "past", at(-1), at(0), group.Config{}); err == nil {
		t.Error("Create accepted an end time in the past")
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
	p := newPeer(user(t, "ada"))
	p.s, _ = group.NewChannel("lobby", p.cfg())
	anyone := user(t, "anyone")
	hello := forge(t, anyone, id, text("hello"), message.ID{}, 0, nil, at(1))
	p.accept(t, at(1), hello)
	p.accept(t, at(2), forge(t, anyone, id, group.Delete{Target: hello.ID}, hello.ID, 0, nil, at(2)))
	p.want(t, forge(t, p.u, id, group.Ban{Author: anyone.PublicKey()}, message.ID{}, 0, nil, at(3)), at(3), group.Reject, group.ErrNotAllowed)
	p.want(t, forge(t, p.u, id, text("sealed?"), message.ID{}, 1, make([]byte, 32), at(3)), at(3), group.Reject, group.ErrBadPayload)
	other, _ := create(t, "owner", group.KindOpen, time.Time{})
	d, _ := mustDescriptor(t, other)
	p.want(t, forge(t, other.u, id, d, message.ID{}, 0, nil, at(3)), at(3), group.Reject, group.ErrWrongGroup)
	if _, err := p.s.Invite(nil); err == nil {
		t.Error("a channel made an invite")
	}
	if _, err := group.NewChannel("bad name!", group.Config{}); !errors.Is(err, group.ErrBadName) {
		t.Errorf("NewChannel: %v", err)
	}
}

// A message of group A replayed into group B is refused, whatever its kind.
func TestReplayIntoAnotherGroup(t *testing.T) {
	a, _ := create(t, "alice", group.KindOpen, time.Time{})
	b, _ := create(t, "bob", group.KindOpen, time.Time{})
	m := a.compose(t, text("for A only"), at(1))
	b.want(t, m, at(1), group.Reject, group.ErrWrongGroup)
	if fx := b.s.Apply(m, group.Text{Text: "for A only"}); fx.DescriptorChanged || fx.Deleted != nil {
		t.Errorf("Apply of another group's message: %+v", fx)
	}
}
