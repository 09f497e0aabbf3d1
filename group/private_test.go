package group_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"starling/group"
	"starling/message"
)

// privateTrio: alice owns a private group; bob and carol joined by invite
// and their profiles reached everyone.
func privateTrio(t *testing.T) (alice, bob, carol *peer, history []*message.Message) {
	t.Helper()
	alice, peers, history := privateGroup(t, "bob", "carol")
	for _, p := range peers {
		if n := len(p.s.Members()); n != 3 {
			t.Fatalf("%s knows %d members, want 3", p.u.Name, n)
		}
	}
	return alice, peers["bob"], peers["carol"], history
}

// afterRemoval is privateTrio after alice removed carol: alice and bob
// applied the removal (its Op and part) and seal with epoch 2; carol has
// not heard of it. It returns the removal's messages too.
func afterRemoval(t *testing.T) (alice, bob, carol *peer, removal []*message.Message) {
	t.Helper()
	alice, bob, carol, _ = privateTrio(t)
	removal = alice.own(t)(alice.s.RemoveMember(alice.u, carol.u.PublicKey(), at(10)))
	bob.accept(t, at(10), removal...)
	for _, p := range []*peer{alice, bob} {
		if e := p.s.Epoch(); e != 2 {
			t.Fatalf("%s seals with epoch %d after the removal, want 2", p.u.Name, e)
		}
	}
	return alice, bob, carol, removal
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
		got := c.to.want(t, m, at(11), message.Accept, nil)
		if got.(group.Text).Text != marker+" from "+c.from.u.Name {
			t.Errorf("%s read %q", c.to.u.Name, got.(group.Text).Text)
		}
		opened, err := c.to.s.Open(m)
		if err != nil || opened.(group.Text).Text != got.(group.Text).Text {
			t.Errorf("Open = %v, %v", opened, err)
		}
	}
	reply := alice.compose(t, group.Text{Text: "re", Ref: message.ID{1}}, at(12))
	if got := bob.want(t, reply, at(12), message.Accept, nil).(group.Text); got.Ref != (message.ID{1}) {
		t.Errorf("reply ref = %s", got.Ref.Short())
	}
	// The genesis and Ops are sealed too, under the control key: the
	// group's name is not in the clear.
	_, genesis := mustDescriptor(t, alice)
	if bytes.Contains(genesis.Raw, []byte(alice.s.Name())) {
		t.Error("a private group's genesis shows its name")
	}
	grant := alice.own(t)(alice.s.Update(alice.u, group.Update{Name: "Secret plans"}, at(13)))
	if bytes.Contains(grant[0].Raw, []byte("Secret plans")) {
		t.Error("a private group's Op shows the new name")
	}
	bob.accept(t, at(13), grant...)
	if bob.s.Name() != "Secret plans" {
		t.Errorf("bob's name for the group: %q", bob.s.Name())
	}
}

// A stranger who knows the group ID and topic cannot post: a key it made up
// names no key of the epoch (Ignore), and a forged key ID copied from real
// traffic fails to open under the real key (Reject). A message for an epoch
// nobody holds is Ignored. Someone with the group's secret but no profile
// is no member (Ignore).
func TestPrivateNonMember(t *testing.T) {
	alice, bob, _, _ := privateTrio(t)
	mallory := user(t, "mallory")
	own := make([]byte, group.KeySize)
	rand.Read(own)
	m := forge(t, mallory, alice.s.ID(), text("let me in"), message.ID{}, 1, own, at(20))
	bob.want(t, m, at(21), message.Ignore, group.ErrUnknownKey)

	real := alice.compose(t, text("hi"), at(20))
	forged := forge(t, mallory, alice.s.ID(), text("let me in"), message.ID{}, 1, own, at(20))
	// Copy the real key ID into the forged payload and re-sign.
	b := forged.Body
	b.Payload = append(bytes.Clone(real.Body.Payload[:group.KeyIDSize]), forged.Body.Payload[group.KeyIDSize:]...)
	forged, err := message.Sign(mallory.PrivateKey(), b)
	if err != nil {
		t.Fatal(err)
	}
	bob.want(t, forged, at(21), message.Reject, group.ErrDecrypt)

	future := forge(t, mallory, alice.s.ID(), text("from the future"), message.ID{}, 9, own, at(20))
	bob.want(t, future, at(21), message.Ignore, group.ErrUnknownKey)

	plain := forge(t, mallory, alice.s.ID(), text("unsealed"), message.ID{}, 0, nil, at(20))
	bob.want(t, plain, at(21), message.Reject, group.ErrBadPayload)

	// New with issue 13: holding the epoch key is not membership. Mallory
	// has the key (a leaked link) but no profile in the group.
	leaked := forge(t, mallory, alice.s.ID(), text("I have the key"), message.ID{}, 1, epochOne(t, alice), at(20))
	bob.want(t, leaked, at(21), message.Ignore, group.ErrNotMember)
	if st := bob.s.Standing(mallory.PublicKey()); st.Member {
		t.Errorf("mallory's standing without a profile: %+v", st)
	}

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
	// Re-signing bob's sealed payload under another author breaks the seal,
	// and likewise for an Op (bob's, were he an admin) under the control
	// key.
	op := forgeOp(t, bob.u, alice.s.ID(), controlKey(t, alice), group.Op{Parents: alice.s.Heads(), Action: group.Settings{Name: "x"}}, nil, at(32))[0]
	for _, m := range []*message.Message{m, op} {
		b := m.Body
		moved := forgeRaw(t, carol.u, b.Group, b.Kind, b.Ref, b.Epoch, nil, b.Payload, time.UnixMilli(int64(b.SentAtMS)))
		alice.want(t, moved, at(32), message.Reject, group.ErrDecrypt)
	}
}

func TestPrivateRemoval(t *testing.T) {
	alice, bob, carol, _ := privateTrio(t)
	// Alice holds early when she removes carol; nobody but carol ever held
	// unseen.
	early := carol.compose(t, text("said before removal"), at(40))
	alice.accept(t, at(40), early)
	unseen := carol.compose(t, text("said before removal, kept to herself"), at(41))

	msgs, err := alice.s.RemoveMember(alice.u, carol.u.PublicKey(), at(50))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("RemoveMember wrote %d messages, want the Op and one part", len(msgs))
	}
	opm, partm := msgs[0], msgs[1]
	if opm.Body.Kind != message.KindOp || opm.Body.Epoch != 0 || partm.Body.Kind != message.KindOpPart || partm.Body.Ref != opm.ID || partm.Body.Epoch != 0 {
		t.Fatalf("RemoveMember wrote %s@%d, %s@%d ref %s", opm.Body.Kind, opm.Body.Epoch, partm.Body.Kind, partm.Body.Epoch, partm.Body.Ref.Short())
	}
	op := mustContent(t, alice.s, opm).(group.Op)
	if rm, ok := op.Action.(group.Remove); !ok || !rm.Member.Equal(carol.u.PublicKey()) || op.Key == nil || !op.Key.Fresh || op.Key.Epoch != 2 || len(op.Parts) != 1 {
		t.Fatalf("the removal Op: %+v", op)
	}
	part := mustContent(t, alice.s, partm).(group.OpPart)
	recipients := map[string]bool{}
	for _, e := range part.Keys {
		recipients[string(e.Member)] = true
	}
	for _, p := range []*peer{alice, bob, carol} {
		if recipients[string(p.u.PublicKey())] != (p != carol) {
			t.Errorf("%s has an entry: %v", p.u.Name, recipients[string(p.u.PublicKey())])
		}
	}
	cut := map[message.ID]bool{}
	for _, id := range part.Cut {
		cut[id] = true
	}
	if !cut[early.ID] || cut[unseen.ID] {
		t.Errorf("the cut keeps early %v, unseen %v", cut[early.ID], cut[unseen.ID])
	}

	// carol's node has not heard of the removal yet.
	late := carol.compose(t, text("still here"), at(70))
	if late.Body.Epoch != 1 {
		t.Fatalf("carol sealed under epoch %d", late.Body.Epoch)
	}

	for _, p := range []*peer{alice, bob} {
		// The Op alone changes nothing: it takes effect with its parts.
		if _, v, fx, err := p.receive(t, opm, at(51)); v != message.Accept || fx.DescriptorChanged || p.s.Epoch() != 1 {
			t.Fatalf("%s: removal Op %s %v, effects %+v, epoch %d", p.u.Name, v, err, fx, p.s.Epoch())
		}
		_, v, fx, err := p.receive(t, partm, at(51))
		if v != message.Accept || !fx.NewKey || !fx.DescriptorChanged || len(fx.Recheck) != 1 || !fx.Recheck[0].Equal(carol.u.PublicKey()) {
			t.Fatalf("%s: removal part %s %v, effects %+v", p.u.Name, v, err, fx)
		}
		if p.s.Epoch() != 2 {
			t.Errorf("%s seals with epoch %d, want 2", p.u.Name, p.s.Epoch())
		}
		if ms := p.s.Members(); len(ms) != 2 {
			t.Errorf("%s has %d members after the removal", p.u.Name, len(ms))
		}
	}
	// Changed with issue 13: carol reads the removal (Ops are sealed under
	// the control key, which she holds), so her node knows; she learns no
	// key from it and has none to send with.
	carol.accept(t, at(51), opm, partm)
	if st := carol.s.Standing(carol.u.PublicKey()); !st.Removed || st.Member || !st.By.Equal(alice.u.PublicKey()) {
		t.Errorf("carol's own standing: %+v", st)
	}
	if e := carol.s.Epoch(); e != 0 {
		t.Errorf("carol seals with epoch %d after her removal", e)
	}
	if _, err := carol.s.Compose(carol.u, text("x"), at(52)); !errors.Is(err, group.ErrRemoved) {
		t.Errorf("carol composes after her removal: %v", err)
	}

	after := bob.compose(t, text("carol cannot read this"), at(60))
	if after.Body.Epoch != 2 {
		t.Fatalf("bob sealed under epoch %d", after.Body.Epoch)
	}
	carol.want(t, after, at(61), message.Ignore, group.ErrUnknownKey)
	if _, err := carol.s.Open(after); err == nil {
		t.Error("carol opened a message of the new epoch")
	}

	// Changed with issue 13: a removed author's message is Ignored, not
	// Rejected (whoever forwards it may not know of the removal yet), and
	// what she signed is kept only if the removal's cut lists it, however
	// it is dated.
	bob.want(t, late, at(71), message.Ignore, group.ErrRemoved)
	bob.want(t, early, at(71), message.Accept, nil)
	bob.want(t, unseen, at(71), message.Ignore, group.ErrRemoved)

	if _, err := bob.s.RemoveMember(bob.u, alice.u.PublicKey(), at(80)); err == nil {
		t.Error("a member who is not an admin removed someone")
	}
	if _, err := bob.s.RemoveMember(bob.u, carol.u.PublicKey(), at(80)); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("a member who is not an admin removes carol: %v", err)
	}
	if _, err := alice.s.RemoveMember(alice.u, alice.u.PublicKey(), at(80)); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("removing the owner: %v", err)
	}
	if _, err := alice.s.RemoveMember(alice.u, []byte("short"), at(80)); !errors.Is(err, group.ErrBadPayload) {
		t.Errorf("removing a 5-byte key: %v", err)
	}
	open, _ := create(t, "olga", group.KindOpen, time.Time{})
	if _, err := open.s.RemoveMember(open.u, bob.u.PublicKey(), at(80)); err == nil {
		t.Error("RemoveMember in an open group")
	}
}

// Two admins remove the same member at the same time. Neither key
// reaches the removed member, so both are clean: nodes that hear of the
// removals in either order seal with the key of the lower Op ID, and read
// messages sealed under either key. (Removals of two different members
// leave no clean key until a rekey: TestConcurrentRemovals.)
func TestConcurrentRekeys(t *testing.T) {
	alice, peers, _ := privateGroup(t, "bob", "carol", "dave")
	bob, carol, dave := peers["bob"], peers["carol"], peers["dave"]
	grant := alice.own(t)(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(6)))
	everyone(t, peers, at(6), grant...)
	if !carol.s.IsAdmin(bob.u.PublicKey()) {
		t.Fatal("bob is not an admin")
	}

	byAlice := alice.own(t)(alice.s.RemoveMember(alice.u, dave.u.PublicKey(), at(10)))
	byBob := bob.own(t)(bob.s.RemoveMember(bob.u, dave.u.PublicKey(), at(10)))
	mA := alice.compose(t, text("sealed under alice's key"), at(13))
	mB := bob.compose(t, text("sealed under bob's key"), at(13))
	kA, _ := group.SealedKeyID(mA.Body.Payload)
	kB, _ := group.SealedKeyID(mB.Body.Payload)
	if kA == kB || mA.Body.Epoch != 2 || mB.Body.Epoch != 2 {
		t.Fatalf("both admins chose key %x of epochs %d and %d", kA, mA.Body.Epoch, mB.Body.Epoch)
	}

	alice.deliver(t, at(14), byBob...)
	bob.deliver(t, at(14), byAlice...)
	carol.deliver(t, at(14), byBob[0], byAlice[0], byBob[1], byAlice[1])
	dave.deliver(t, at(14), append(byAlice, byBob...)...)
	wantKey := kA
	if bytes.Compare(byBob[0].ID[:], byAlice[0].ID[:]) < 0 {
		wantKey = kB
	}
	var last *message.Message
	for _, p := range []*peer{alice, bob, carol} {
		if p.s.NeedsRekey() {
			t.Errorf("%s needs a rekey after two removals of the same member", p.u.Name)
		}
		m := p.compose(t, text("which key?"), at(15))
		if k, _ := group.SealedKeyID(m.Body.Payload); k != wantKey || m.Body.Epoch != 2 {
			t.Errorf("%s seals with key %x of epoch %d, want %x (the lower Op ID's) of epoch 2", p.u.Name, k, m.Body.Epoch, wantKey)
		}
		last = m
		for _, m := range []*message.Message{mA, mB} {
			if _, v, err := p.s.Check(m, at(16)); v != message.Accept {
				t.Errorf("%s: %s %v for a message sealed under a concurrent removal's key", p.u.Name, v, err)
			}
		}
	}
	for _, m := range []*message.Message{mA, mB, last} {
		dave.want(t, m, at(16), message.Ignore, group.ErrUnknownKey)
	}
	if !dave.s.Standing(dave.u.PublicKey()).Removed {
		t.Error("dave does not know he was removed")
	}
	if d, _ := mustDescriptor(t, carol); len(d.Removed) != 1 {
		t.Errorf("removed: %x", d.Removed)
	}
}

// Two admins rekey at the same time with nobody removed: both keys are
// clean, and every node seals with the key of the lower Op ID, reading
// messages sealed under either.
func TestConcurrentRekeysWithoutRemoval(t *testing.T) {
	alice, peers, _ := privateGroup(t, "bob", "carol")
	bob, carol := peers["bob"], peers["carol"]
	grant := alice.own(t)(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(6)))
	everyone(t, peers, at(6), grant...)
	byAlice := alice.own(t)(alice.s.Rekey(alice.u, at(10)))
	byBob := bob.own(t)(bob.s.Rekey(bob.u, at(10)))
	mA := alice.compose(t, text("under alice's key"), at(11))
	mB := bob.compose(t, text("under bob's key"), at(11))
	kA, _ := group.SealedKeyID(mA.Body.Payload)
	kB, _ := group.SealedKeyID(mB.Body.Payload)
	everyone(t, peers, at(12), append(byBob, byAlice...)...)
	wantKey := kA
	if bytes.Compare(byBob[0].ID[:], byAlice[0].ID[:]) < 0 {
		wantKey = kB
	}
	for _, p := range []*peer{alice, bob, carol} {
		if p.s.NeedsRekey() {
			t.Errorf("%s needs a rekey after concurrent rekeys", p.u.Name)
		}
		m := p.compose(t, text("which key?"), at(13))
		if k, _ := group.SealedKeyID(m.Body.Payload); k != wantKey || m.Body.Epoch != 2 {
			t.Errorf("%s seals with key %x of epoch %d, want %x (the lower Op ID's) of epoch 2", p.u.Name, k, m.Body.Epoch, wantKey)
		}
		for _, m := range []*message.Message{mA, mB} {
			if _, err := p.s.Open(m); err != nil {
				t.Errorf("%s cannot open a message under a concurrent rekey's key: %v", p.u.Name, err)
			}
		}
	}
}

// What a member judges of Ops that deliver keys, and of their parts.
// Changed with issue 13: keys travel in the parts of Remove, Rekey and Add
// Ops; an Op's epoch must be exactly one more than its history's (no
// longer "ahead, wait": the history is named, so it is Reject).
func TestRekeyRules(t *testing.T) {
	alice, bob, carol, removal := afterRemoval(t)
	id := alice.s.ID()
	ctl := controlKey(t, alice)
	parents := []message.ID{removal[0].ID}
	if heads := bob.s.Heads(); len(heads) != 1 || heads[0] != removal[0].ID {
		t.Fatalf("bob's heads %v, want the removal", heads)
	}
	newKey := make([]byte, group.KeySize)
	rand.Read(newKey)
	fresh := func(epoch uint64) *group.KeyDelivery {
		return &group.KeyDelivery{Epoch: epoch, KeyID: group.KeyIDOf(newKey), Fresh: true}
	}
	stranger := user(t, "stranger")
	entry := func(u *peer) group.KeyEntry { return sealTo(t, id, 3, newKey, u.u) }
	strangers := group.OpPart{Keys: []group.KeyEntry{sealTo(t, id, 3, newKey, stranger)}}
	sec := 20
	rekey := func(by *peer, epoch uint64, parts ...group.OpPart) []*message.Message {
		sec++ // a distinct Op each time
		return forgeOp(t, by.u, id, ctl, group.Op{Parents: parents, Action: group.Rekey{}, Key: fresh(epoch)}, parts, at(sec))
	}
	badEnc := entry(bob)
	badEnc.Enc = bytes.Repeat([]byte{9}, 32)
	toCarol := rekey(alice, 3, group.OpPart{Keys: sortEntries(entry(bob), entry(carol))})
	notOpening := rekey(alice, 3, group.OpPart{Keys: []group.KeyEntry{badEnc}})
	settingsWithKeys := forgeOp(t, alice.u, id, ctl, group.Op{Parents: parents, Action: group.Settings{Name: "n"}}, []group.OpPart{{Keys: strangers.Keys}}, at(20))
	settingsWithCut := forgeOp(t, alice.u, id, ctl, group.Op{Parents: parents, Action: group.Settings{Name: "m"}}, []group.OpPart{{Cut: []message.ID{{1}}}}, at(20))
	committed := rekey(alice, 3, strangers)
	otherPart := forge(t, alice.u, id, group.OpPart{Keys: []group.KeyEntry{entry(bob)}}, committed[0].ID, 0, ctl, at(20))
	secondIndex := forge(t, alice.u, id, group.OpPart{Index: 1, Keys: strangers.Keys}, committed[0].ID, 0, ctl, at(20))
	bobsPart := forge(t, bob.u, id, mustContent(t, alice.s, committed[1]), committed[0].ID, 0, ctl, at(20))
	withCut := rekey(alice, 3, strangers, group.OpPart{Cut: []message.ID{{1}}})
	_, genesis := mustDescriptor(t, alice)
	genesisPart := forge(t, alice.u, id, strangers, genesis.ID, 0, ctl, at(20))
	unknownOp := forge(t, alice.u, id, strangers, message.ID{7}, 0, ctl, at(20))
	freshOne := forgeRaw(t, alice.u, id, message.KindOp, message.ID{}, 0, ctl, marshal(t, rawRekey(parents, 1, true)), at(20))
	shared := func(epoch uint64, key []byte) []*message.Message {
		return forgeOp(t, alice.u, id, ctl, group.Op{Parents: parents, Action: group.Add{Member: stranger.PublicKey()},
			Key: &group.KeyDelivery{Epoch: epoch, KeyID: group.KeyIDOf(key)}}, []group.OpPart{strangers}, at(20))
	}
	wrong := make([]byte, group.KeySize)
	rand.Read(wrong)
	settings := group.Op{Parents: parents, Action: group.Settings{Name: "n"}}
	unsealed := forge(t, alice.u, id, settings, message.ID{}, 0, nil, at(20))
	underEpochKey := forge(t, alice.u, id, settings, message.ID{}, 0, epochOne(t, alice), at(20))
	withEpoch := forge(t, alice.u, id, settings, message.ID{}, 1, ctl, at(20))
	withRef := forge(t, alice.u, id, settings, removal[0].ID, 0, ctl, at(20))

	type step struct {
		m       *message.Message
		verdict message.Verdict
		err     error
	}
	for _, c := range []struct {
		name  string
		steps []step
	}{
		{"by a member", []step{{rekey(bob, 3, strangers)[0], message.Reject, group.ErrNotAllowed}}},
		{"epoch ahead", []step{{rekey(alice, 4, strangers)[0], message.Reject, group.ErrBadPayload}}},
		{"epoch not above its history's", []step{{rekey(alice, 2, strangers)[0], message.Reject, group.ErrBadPayload}}},
		{"fresh epoch 1", []step{{freshOne, message.Reject, group.ErrBadPayload}}},
		{"with a ref", []step{{withRef, message.Reject, group.ErrBadPayload}}},
		{"with an epoch", []step{{withEpoch, message.Reject, group.ErrBadPayload}}},
		{"not sealed", []step{{unsealed, message.Reject, group.ErrBadPayload}}},
		{"sealed under an epoch key", []step{{underEpochKey, message.Reject, group.ErrBadPayload}}},
		{"unknown parent", []step{{forgeOp(t, alice.u, id, ctl, group.Op{Parents: []message.ID{{7}}, Action: group.Rekey{}, Key: fresh(3)}, []group.OpPart{strangers}, at(20))[0], message.Ignore, group.ErrStale}}},
		{"to a removed member", []step{{toCarol[0], message.Accept, nil}, {toCarol[1], message.Reject, group.ErrNotAllowed}}},
		{"an entry that does not open", []step{{notOpening[0], message.Accept, nil}, {notOpening[1], message.Reject, group.ErrDecrypt}}},
		{"a part the Op does not commit to", []step{{committed[0], message.Accept, nil}, {otherPart, message.Reject, group.ErrBadPayload}}},
		{"an index the Op does not have", []step{{secondIndex, message.Reject, group.ErrBadPayload}}},
		{"a part signed by another", []step{{bobsPart, message.Reject, group.ErrNotAllowed}}},
		{"a cut in a rekey", []step{{withCut[0], message.Accept, nil}, {withCut[2], message.Reject, group.ErrBadPayload}}},
		{"key entries in a settings Op", []step{{settingsWithKeys[0], message.Accept, nil}, {settingsWithKeys[1], message.Reject, group.ErrBadPayload}}},
		{"a cut in a settings Op", []step{{settingsWithCut[0], message.Accept, nil}, {settingsWithCut[1], message.Reject, group.ErrBadPayload}}},
		{"a part of the genesis", []step{{genesisPart, message.Reject, group.ErrBadPayload}}},
		{"a part of an unknown Op", []step{{unknownOp, message.Ignore, group.ErrStale}}},
		{"a shared key not in the history", []step{{shared(2, wrong)[0], message.Reject, group.ErrBadPayload}}},
		{"a shared epoch-1 key that is not epoch 1's", []step{{shared(1, wrong)[0], message.Reject, group.ErrBadPayload}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, s := range c.steps {
				bob.want(t, s.m, at(21), s.verdict, s.err)
			}
		})
	}
	// Some Ops above were accepted but none has all its parts: nothing
	// changed (rule 7).
	if bob.s.Epoch() != 2 || bob.s.NeedsRekey() {
		t.Fatalf("bob seals with epoch %d (needs a rekey: %v) after Ops whose parts he lacks", bob.s.Epoch(), bob.s.NeedsRekey())
	}
	// A valid rekey that leaves bob out: once complete, its key is the
	// group's current one, and bob, who holds it not, has nothing to seal
	// with until an admin hands it to him.
	notForMe := rekey(alice, 3, strangers)
	bob.want(t, notForMe[0], at(21), message.Accept, nil)
	if bob.s.Epoch() != 2 {
		t.Errorf("bob seals with epoch %d before the rekey's parts arrive", bob.s.Epoch())
	}
	bob.want(t, notForMe[1], at(21), message.Accept, nil)
	if e := bob.s.Epoch(); e != 0 {
		t.Errorf("bob seals with epoch %d under a rekey he cannot open", e)
	}
	if _, err := bob.s.Compose(bob.u, text("x"), at(22)); !errors.Is(err, group.ErrNoCurrentKey) {
		t.Errorf("Compose without the current key: %v", err)
	}

	open, _ := create(t, "olga", group.KindOpen, time.Time{})
	openRekey := forgeOp(t, open.u, open.s.ID(), nil, group.Op{Parents: open.s.Heads(), Action: group.Rekey{}, Key: &group.KeyDelivery{Epoch: 2, KeyID: group.KeyIDOf(newKey), Fresh: true}}, []group.OpPart{strangers}, at(20))
	open.want(t, openRekey[0], at(21), message.Reject, group.ErrBadPayload)
	if _, err := open.s.Rekey(open.u, at(21)); err == nil {
		t.Error("Rekey in an open group")
	}
}

// A revocation takes effect with its last part (rule 7 in authority.go):
// a removal whose cut spans two parts changes nothing on a node that has
// only the first, and everything once the second arrives. (A 5,000-member
// removal, whose key entries span parts: TestRekeyFiveThousand.)
func TestRemovalWaitsForItsParts(t *testing.T) {
	alice, bob, carol, _ := privateTrio(t)
	// Alice's node holds more of carol's messages than one part's cut can
	// list; only their IDs matter to the cut.
	for i := range 2500 {
		var id message.ID
		id[0], id[1], id[31] = byte(i>>8), byte(i), 0xcc
		alice.store[id] = &message.Message{ID: id, Body: message.Body{Author: carol.u.PublicKey()}}
	}
	ms := alice.own(t)(alice.s.RemoveMember(alice.u, carol.u.PublicKey(), at(10)))
	if len(ms) < 3 {
		t.Fatalf("a removal with a cut of 2,500 messages in %d messages", len(ms))
	}
	cut := 0
	for _, m := range ms[1:] {
		cut += len(mustContent(t, alice.s, m).(group.OpPart).Cut)
	}
	if cut < 2500 {
		t.Errorf("the cut lists %d messages", cut)
	}
	kept := carol.compose(t, text("before"), at(5))
	bob.accept(t, at(11), ms[:len(ms)-1]...)
	if st := bob.s.Standing(carol.u.PublicKey()); st.Removed || !st.Member || bob.s.Epoch() != 1 {
		t.Errorf("bob, one part short: carol %+v, epoch %d", st, bob.s.Epoch())
	}
	bob.want(t, kept, at(11), message.Accept, nil)
	// bob holds the new key already (the entries come first) but does not
	// seal with it before the removal is whole.
	_, _, fx, _ := bob.receive(t, ms[len(ms)-1], at(11))
	if !fx.DescriptorChanged || len(fx.Recheck) != 1 || !fx.Recheck[0].Equal(carol.u.PublicKey()) {
		t.Errorf("the last part's effects: %+v", fx)
	}
	if st := bob.s.Standing(carol.u.PublicKey()); !st.Removed || bob.s.Epoch() != 2 {
		t.Errorf("bob with every part: carol %+v, epoch %d", st, bob.s.Epoch())
	}
	// kept is not in alice's cut: once the removal is whole, it goes.
	if _, v, err := bob.s.Check(kept, at(12)); v != message.Ignore || !errors.Is(err, group.ErrRemoved) {
		t.Errorf("carol's message no cut keeps: %s, %v", v, err)
	}
}
