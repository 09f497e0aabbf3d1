package group_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"starling/group"
	"starling/message"
)

// privateTrio: alice owns a private group; bob and carol joined by invite
// and their profiles reached everyone.
func privateTrio(t *testing.T) (alice, bob, carol *peer, history []*message.Message) {
	t.Helper()
	alice, history = create(t, "alice", group.KindPrivate, at(3600*24))
	bob = join(t, alice, "bob", at(1), history...)
	carol = join(t, alice, "carol", at(1), history...)
	for _, p := range []*peer{bob, carol} {
		m := p.profile(t, at(2))
		history = append(history, m)
	}
	for _, p := range []*peer{alice, bob, carol} {
		for _, m := range history {
			p.receive(t, m, at(3))
		}
	}
	for _, p := range []*peer{alice, bob, carol} {
		if n := len(p.s.Members()); n != 3 {
			t.Fatalf("%s knows %d members, want 3", p.u.Name, n)
		}
	}
	return alice, bob, carol, history
}

// afterRemoval is privateTrio after alice removed carol: alice and bob
// applied the rekey and the descriptor and seal with epoch 2.
func afterRemoval(t *testing.T) (alice, bob, carol *peer) {
	t.Helper()
	alice, bob, carol, _ = privateTrio(t)
	msgs, err := alice.s.RemoveMember(alice.u, carol.u.PublicKey(), at(10))
	if err != nil {
		t.Fatal(err)
	}
	alice.accept(t, at(10), msgs...)
	bob.accept(t, at(10), msgs...)
	return alice, bob, carol
}

func TestPrivateRoundTrip(t *testing.T) {
	alice, bob, _, _ := privateTrio(t)
	if alice.s.Topic() == group.Topic(alice.s.ID()) || alice.s.Topic() != bob.s.Topic() {
		t.Fatalf("topics: alice %s, bob %s; want the same secret-derived topic", alice.s.Topic(), bob.s.Topic())
	}
	const marker = "PLAINTEXT-MARKER-7c1f"
	for _, c := range []struct{ from, to *peer }{{alice, bob}, {bob, alice}} {
		m := c.from.compose(t, text(marker+" from "+c.from.u.Name), at(10))
		if m.Body.Epoch != 1 || bytes.Contains(m.Raw, []byte(marker)) {
			t.Fatalf("message of epoch %d carries the plaintext: %v", m.Body.Epoch, bytes.Contains(m.Raw, []byte(marker)))
		}
		got := c.to.want(t, m, at(11), group.Accept, nil)
		if got.(group.Text).Text != marker+" from "+c.from.u.Name {
			t.Errorf("%s read %q", c.to.u.Name, got.(group.Text).Text)
		}
		opened, err := c.to.s.Open(m)
		if err != nil || opened.(group.Text).Text != got.(group.Text).Text {
			t.Errorf("Open = %v, %v", opened, err)
		}
	}
	reply := alice.compose(t, group.Text{Text: "re", Ref: message.ID{1}}, at(12))
	if got := bob.want(t, reply, at(12), group.Accept, nil).(group.Text); got.Ref != (message.ID{1}) {
		t.Errorf("reply ref = %s", got.Ref.Short())
	}
}

// A stranger who knows the group ID and topic cannot post: a key it made up
// names no key of the epoch (Ignore), and a forged key ID copied from real
// traffic fails to open under the real key (Reject). A message for an epoch
// nobody holds is Ignored.
func TestPrivateNonMember(t *testing.T) {
	alice, bob, _, _ := privateTrio(t)
	mallory := user(t, "mallory")
	own := make([]byte, group.KeySize)
	rand.Read(own)
	m := forge(t, mallory, alice.s.ID(), text("let me in"), message.ID{}, 1, own, at(20))
	bob.want(t, m, at(21), group.Ignore, group.ErrUnknownKey)

	real := alice.compose(t, text("hi"), at(20))
	forged := forge(t, mallory, alice.s.ID(), text("let me in"), message.ID{}, 1, own, at(20))
	// Copy the real key ID into the forged payload and re-sign.
	b := forged.Body
	b.Payload = append(bytes.Clone(real.Body.Payload[:group.KeyIDSize]), forged.Body.Payload[group.KeyIDSize:]...)
	forged, err := message.Sign(mallory.PrivateKey(), b)
	if err != nil {
		t.Fatal(err)
	}
	bob.want(t, forged, at(21), group.Reject, group.ErrDecrypt)

	future := forge(t, mallory, alice.s.ID(), text("from the future"), message.ID{}, 9, own, at(20))
	bob.want(t, future, at(21), group.Ignore, group.ErrUnknownKey)

	plain := forge(t, mallory, alice.s.ID(), text("unsealed"), message.ID{}, 0, nil, at(20))
	bob.want(t, plain, at(21), group.Reject, group.ErrBadPayload)

	if _, err := bob.s.Open(m); !errors.Is(err, group.ErrUnknownKey) {
		t.Errorf("Open of a stranger's message: %v", err)
	}
}

// A member cannot pass a message off as another member's: the envelope's
// signature covers the author, and the seal binds the author too.
func TestPrivateForgedAuthor(t *testing.T) {
	alice, bob, carol, _ := privateTrio(t)
	m := bob.compose(t, text("I am bob"), at(30))
	raw := bytes.Replace(bytes.Clone(m.Raw), bob.u.PublicKey(), alice.u.PublicKey(), 1)
	if bytes.Equal(raw, m.Raw) {
		t.Fatal("author not found in the envelope")
	}
	if _, err := message.Verify(raw, at(31)); !errors.Is(err, message.ErrBadSignature) {
		t.Fatalf("Verify of a message moved to another author: %v, want %v", err, message.ErrBadSignature)
	}
	// Re-signing bob's sealed payload as his own message under alice's
	// name is impossible without alice's key; re-signing it under another
	// author breaks the seal.
	b := m.Body
	b.Author = nil
	moved, err := message.Sign(carol.u.PrivateKey(), b)
	if err != nil {
		t.Fatal(err)
	}
	alice.want(t, moved, at(31), group.Reject, group.ErrDecrypt)
}

func TestPrivateRemoval(t *testing.T) {
	alice, bob, carol, _ := privateTrio(t)
	early := carol.compose(t, text("said before removal"), at(40))

	msgs, err := alice.s.RemoveMember(alice.u, carol.u.PublicKey(), at(50))
	if err != nil {
		t.Fatal(err)
	}
	rekey, desc := msgs[0], msgs[1]
	if rekey.Body.Kind != message.KindRekey || rekey.Body.Epoch != 2 || desc.Body.Epoch != 2 {
		t.Fatalf("RemoveMember wrote %s@%d, %s@%d", rekey.Body.Kind, rekey.Body.Epoch, desc.Body.Kind, desc.Body.Epoch)
	}
	c, err := group.DecodePayload(message.KindRekey, rekey.Body.Payload)
	if err != nil {
		t.Fatal(err)
	}
	recipients := map[string]bool{}
	for _, e := range c.(group.Rekey).Entries {
		recipients[string(e.Recipient)] = true
	}
	for _, p := range []*peer{alice, bob, carol} {
		pr, _ := group.NewProfile(p.u)
		if recipients[string(pr.X25519)] != (p != carol) {
			t.Errorf("%s has an entry: %v", p.u.Name, recipients[string(pr.X25519)])
		}
	}

	for _, p := range []*peer{alice, bob} {
		if _, v, err, fx := p.receive(t, rekey, at(51)); v != group.Accept || !fx.NewKey {
			t.Fatalf("%s: rekey %s %v, effects %+v", p.u.Name, v, err, fx)
		}
		if _, v, err, fx := p.receive(t, desc, at(51)); v != group.Accept || !fx.DescriptorChanged {
			t.Fatalf("%s: descriptor %s %v, effects %+v", p.u.Name, v, err, fx)
		}
		if p.s.Epoch() != 2 {
			t.Errorf("%s seals with epoch %d, want 2", p.u.Name, p.s.Epoch())
		}
		if ms := p.s.Members(); len(ms) != 2 {
			t.Errorf("%s has %d members after the removal", p.u.Name, len(ms))
		}
	}
	// carol stores the rekey (an admin sent it) but learns nothing from it.
	carol.want(t, rekey, at(51), group.Accept, nil)
	carol.want(t, desc, at(51), group.Ignore, group.ErrUnknownKey)
	if carol.s.Epoch() != 1 {
		t.Errorf("carol learnt epoch %d", carol.s.Epoch())
	}

	after := bob.compose(t, text("carol cannot read this"), at(60))
	if after.Body.Epoch != 2 {
		t.Fatalf("bob sealed under epoch %d", after.Body.Epoch)
	}
	carol.want(t, after, at(61), group.Ignore, group.ErrUnknownKey)
	if _, err := carol.s.Open(after); err == nil {
		t.Error("carol opened a message of the new epoch")
	}

	// carol's node does not know she was removed; what it sends in the old
	// epoch is rejected.
	late := carol.compose(t, text("still here"), at(70))
	if late.Body.Epoch != 1 {
		t.Fatalf("carol sealed under epoch %d", late.Body.Epoch)
	}
	bob.want(t, late, at(71), group.Reject, group.ErrRemoved)
	// What she said before the removal still arrives (catch-up of history).
	bob.want(t, early, at(71), group.Accept, nil)

	if _, err := bob.s.RemoveMember(bob.u, alice.u.PublicKey(), at(80)); err == nil {
		t.Error("a member who is not an admin removed someone")
	}
	if _, err := alice.s.RemoveMember(alice.u, alice.u.PublicKey(), at(80)); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("removing the owner: %v", err)
	}
}

// Two admins rekey the same epoch at the same time. Nodes that apply the
// two rekeys in either order pick the same sending key (the lowest Rekey
// ID's) and read messages sealed under either key.
func TestConcurrentRekeys(t *testing.T) {
	alice, bob, carol, history := privateTrio(t)
	dave := join(t, alice, "dave", at(4), history...)
	dp := dave.profile(t, at(5))
	promote, err := alice.s.UpdateDescriptor(alice.u, func(d *group.Descriptor) {
		d.Admins = append(d.Admins, bob.u.PublicKey())
	}, at(6))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*peer{alice, bob, carol, dave} {
		for _, m := range []*message.Message{dp, promote} {
			p.receive(t, m, at(7))
		}
	}
	if !carol.s.IsAdmin(bob.u.PublicKey()) {
		t.Fatal("bob is not an admin")
	}

	byAlice, err := alice.s.RemoveMember(alice.u, dave.u.PublicKey(), at(10))
	if err != nil {
		t.Fatal(err)
	}
	byBob, err := bob.s.RemoveMember(bob.u, dave.u.PublicKey(), at(10))
	if err != nil {
		t.Fatal(err)
	}
	alice.accept(t, at(12), byAlice...)
	bob.accept(t, at(12), byBob...)
	mA := alice.compose(t, text("sealed under alice's key"), at(13))
	mB := bob.compose(t, text("sealed under bob's key"), at(13))
	kA, _ := group.SealedKeyID(mA.Body.Payload)
	kB, _ := group.SealedKeyID(mB.Body.Payload)
	if kA == kB {
		t.Fatal("both admins chose the same key")
	}

	alice.accept(t, at(14), byBob...)
	carol.accept(t, at(14), byBob[0], byAlice[0], byBob[1], byAlice[1])
	bob.accept(t, at(14), byAlice...)

	want := byAlice[0].ID
	if bytes.Compare(byBob[0].ID[:], want[:]) < 0 {
		want = byBob[0].ID
	}
	var keys []group.KeyID
	for _, p := range []*peer{alice, bob, carol} {
		m := p.compose(t, text("which key?"), at(15))
		if m.Body.Epoch != 2 {
			t.Fatalf("%s seals with epoch %d", p.u.Name, m.Body.Epoch)
		}
		k, _ := group.SealedKeyID(m.Body.Payload)
		keys = append(keys, k)
		for _, q := range []*peer{alice, bob, carol} {
			q.want(t, mA, at(16), group.Accept, nil)
			q.want(t, mB, at(16), group.Accept, nil)
		}
	}
	if keys[0] != keys[1] || keys[1] != keys[2] {
		t.Fatalf("nodes seal with different keys %x", keys)
	}
	wantKey := kA
	if want == byBob[0].ID {
		wantKey = kB
	}
	if keys[0] != wantKey {
		t.Errorf("sending key %x is not the lowest rekey's %x", keys[0], wantKey)
	}
	dave.want(t, mA, at(16), group.Ignore, group.ErrUnknownKey)
	dave.want(t, mB, at(16), group.Ignore, group.ErrUnknownKey)
}

func TestRekeyRules(t *testing.T) {
	alice, bob, carol := afterRemoval(t)
	id := alice.s.ID()
	entry := func(u *peer, enc byte) group.Rekey {
		return group.Rekey{Entries: []group.RekeyEntry{{
			Recipient: x25519Of(t, u.u), Enc: bytes.Repeat([]byte{enc}, 32), SealedKey: bytes.Repeat([]byte{1}, 48),
		}}}
	}
	stranger := rekeyOf(t, 1)
	for _, c := range []struct {
		name    string
		m       *message.Message
		verdict group.Verdict
		err     error
	}{
		{"by a member", forge(t, bob.u, id, stranger, message.ID{}, 3, nil, at(20)), group.Reject, group.ErrNotAllowed},
		{"epoch ahead", forge(t, alice.u, id, stranger, message.ID{}, 4, nil, at(20)), group.Ignore, group.ErrStale},
		{"epoch 1", forge(t, alice.u, id, stranger, message.ID{}, 1, nil, at(20)), group.Reject, group.ErrBadPayload},
		{"with a ref", forge(t, alice.u, id, stranger, message.ID{3}, 3, nil, at(20)), group.Reject, group.ErrBadPayload},
		{"to a removed member", forge(t, alice.u, id, entry(carol, 9), message.ID{}, 3, nil, at(20)), group.Reject, group.ErrNotAllowed},
		{"an entry that does not open", forge(t, alice.u, id, entry(bob, 9), message.ID{}, 3, nil, at(20)), group.Reject, group.ErrDecrypt},
		{"next epoch, not for me", forge(t, alice.u, id, stranger, message.ID{}, 3, nil, at(20)), group.Accept, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			bob.want(t, c.m, at(21), c.verdict, c.err)
		})
	}
	if bob.s.Epoch() != 2 {
		t.Errorf("bob seals with epoch %d after rekeys he cannot open", bob.s.Epoch())
	}
	open, _ := create(t, "olga", group.KindOpen, at(3600))
	open.want(t, forge(t, open.u, open.s.ID(), stranger, message.ID{}, 2, nil, at(20)), at(21), group.Reject, group.ErrBadPayload)
}
