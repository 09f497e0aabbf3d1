package group_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/google/go-cmp/cmp"

	"starling/group"
	"starling/message"
)

func mustDescriptor(t *testing.T, p *peer) (group.Descriptor, *message.Message) {
	t.Helper()
	d, m, ok := p.s.Descriptor()
	if !ok {
		t.Fatalf("%s knows no descriptor", p.u.Name)
	}
	return d, m
}

func TestDescriptorTampering(t *testing.T) {
	alice, history := create(t, "alice", group.KindOpen, at(0).AddDate(0, 0, 7))
	bob := join(t, alice, "bob", at(1), history...)
	mallory := user(t, "mallory")
	promote, err := alice.s.UpdateDescriptor(alice.u, func(d *group.Descriptor) { d.Admins = []ed25519.PublicKey{bob.u.PublicKey()} }, at(2))
	if err != nil {
		t.Fatal(err)
	}
	alice.accept(t, at(2), promote)
	bob.accept(t, at(2), promote)
	cur, curMsg := mustDescriptor(t, alice)
	id := alice.s.ID()

	other, _ := create(t, "mallory", group.KindOpen, at(0).AddDate(0, 0, 7))
	_, otherMsg := mustDescriptor(t, other)

	next := func(edit func(*group.Descriptor)) group.Descriptor {
		d := cur
		d.Version++
		edit(&d)
		return d
	}
	salt := make([]byte, group.SaltSize)
	rand.Read(salt)
	for _, c := range []struct {
		name    string
		m       *message.Message
		verdict group.Verdict
		err     error
	}{
		{"changed owner", forge(t, mallory, id, next(func(d *group.Descriptor) { d.Owner = mallory.PublicKey() }), curMsg.ID, 0, nil, at(3)), group.Reject, group.ErrWrongGroup},
		{"changed salt", forge(t, alice.u, id, next(func(d *group.Descriptor) { d.Salt = salt }), curMsg.ID, 0, nil, at(3)), group.Reject, group.ErrWrongGroup},
		{"another group's descriptor", otherMsg, group.Reject, group.ErrWrongGroup},
		{"another group's descriptor moved here", forge(t, mallory, id, mustContent(t, other.s, otherMsg), message.ID{}, 0, nil, at(3)), group.Reject, group.ErrWrongGroup},
		{"signed by a non-admin", forge(t, mallory, id, next(func(d *group.Descriptor) { d.Name = "pwned" }), curMsg.ID, 0, nil, at(3)), group.Reject, group.ErrNotAllowed},
		{"version 1 by a non-owner", forge(t, bob.u, id, next(func(d *group.Descriptor) { d.Version = 1 }), message.ID{}, 0, nil, at(3)), group.Reject, group.ErrNotAllowed},
		{"version not above its parent", forge(t, bob.u, id, next(func(d *group.Descriptor) { d.Version = cur.Version }), curMsg.ID, 0, nil, at(3)), group.Reject, group.ErrBadPayload},
		{"lower version", forge(t, bob.u, id, next(func(d *group.Descriptor) { d.Version = 1 }), curMsg.ID, 0, nil, at(3)), group.Reject, group.ErrBadPayload},
		{"no parent", forge(t, bob.u, id, next(func(*group.Descriptor) {}), message.ID{}, 0, nil, at(3)), group.Reject, group.ErrBadPayload},
		{"kind changed", forge(t, alice.u, id, next(func(d *group.Descriptor) { d.Kind = group.KindAnnounce }), curMsg.ID, 0, nil, at(3)), group.Reject, group.ErrBadPayload},
		{"unknown parent, non-admin", forge(t, mallory, id, next(func(*group.Descriptor) {}), message.ID{9}, 0, nil, at(3)), group.Ignore, group.ErrStale},
		{"sealed in an open group", forge(t, alice.u, id, next(func(*group.Descriptor) {}), curMsg.ID, 1, make([]byte, 32), at(3)), group.Reject, group.ErrBadPayload},
	} {
		t.Run(c.name, func(t *testing.T) {
			bob.want(t, c.m, at(4), c.verdict, c.err)
			if d, _ := mustDescriptor(t, bob); !cmp.Equal(d, cur) {
				t.Errorf("the descriptor changed: %s", cmp.Diff(cur, d))
			}
		})
	}

	// A non-admin member of a private group holds the key but still cannot
	// update the descriptor.
	palice, phistory := create(t, "alice", group.KindPrivate, at(0).AddDate(0, 0, 7))
	pbob := join(t, palice, "bob", at(1), phistory...)
	pcur, pmsg := mustDescriptor(t, palice)
	pcur.Version++
	pcur.Name = "taken over"
	forged := forge(t, pbob.u, palice.s.ID(), pcur, pmsg.ID, 1, epochOne(t, palice), at(3))
	palice.want(t, forged, at(4), group.Reject, group.ErrNotAllowed)
	if _, err := pbob.s.UpdateDescriptor(pbob.u, func(d *group.Descriptor) { d.Name = "x" }, at(5)); err == nil {
		t.Error("UpdateDescriptor by a non-admin succeeded")
	}
}

func mustContent(t *testing.T, s *group.State, m *message.Message) group.Content {
	t.Helper()
	c, err := s.Open(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func epochOne(t *testing.T, p *peer) []byte {
	t.Helper()
	inv, err := p.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := group.FirstEpochKey(inv.Secret, p.s.ID())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Updates that arrive out of order, and concurrent updates of one version,
// leave every node with the same descriptor.
func TestDescriptorConvergence(t *testing.T) {
	alice, history := create(t, "alice", group.KindOpen, at(0).AddDate(0, 0, 7))
	bob := join(t, alice, "bob", at(1), history...)
	x := join(t, alice, "xavier", at(1), history...)
	y := join(t, alice, "yasmin", at(1), history...)

	v2, err := alice.s.UpdateDescriptor(alice.u, func(d *group.Descriptor) { d.Admins = []ed25519.PublicKey{bob.u.PublicKey()} }, at(2))
	if err != nil {
		t.Fatal(err)
	}
	alice.accept(t, at(2), v2)
	bob.accept(t, at(2), v2)
	v3, err := bob.s.UpdateDescriptor(bob.u, func(d *group.Descriptor) { d.Name = "renamed by bob" }, at(3))
	if err != nil {
		t.Fatal(err)
	}
	alice.accept(t, at(3), v3)
	bob.accept(t, at(3), v3)
	// Two admins write version 4 at the same time.
	v4a, err := alice.s.UpdateDescriptor(alice.u, func(d *group.Descriptor) { d.SlowModeSeconds = 30 }, at(4))
	if err != nil {
		t.Fatal(err)
	}
	v4b, err := bob.s.UpdateDescriptor(bob.u, func(d *group.Descriptor) { d.Name = "bob's version 4" }, at(4))
	if err != nil {
		t.Fatal(err)
	}

	x.accept(t, at(5), v2, v3, v4a, v4b)
	// yasmin gets them backwards: bob's updates wait for the version that
	// made him an admin.
	y.want(t, v4b, at(5), group.Ignore, group.ErrStale)
	y.want(t, v3, at(5), group.Ignore, group.ErrStale)
	y.accept(t, at(5), v4a, v2, v3, v4b)
	for _, p := range []*peer{alice, bob} {
		p.accept(t, at(5), v4a, v4b)
	}

	want := v4a
	if bytes.Compare(v4b.ID[:], v4a.ID[:]) < 0 {
		want = v4b
	}
	for _, p := range []*peer{alice, bob, x, y} {
		if _, m := mustDescriptor(t, p); m.ID != want.ID {
			t.Errorf("%s holds descriptor %s, want %s", p.u.Name, m.ID.Short(), want.ID.Short())
		}
	}
	if d, _ := mustDescriptor(t, x); d.Version != 4 || x.s.Name() != d.Name {
		t.Errorf("version %d, name %q", d.Version, x.s.Name())
	}
}
