package group_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

// manyMembers makes a private group of the owner alice, the given real
// members (with States of their own) and n members who exist only as
// profiles, and returns the messages every member holds.
func manyMembers(t testing.TB, n int, names ...string) (*peer, []*peer, []*message.Message) {
	// The real members hold only the genesis and the real profiles: what
	// they need to judge a removal.
	t.Helper()
	alice, history := create(t, "alice", group.KindPrivate, time.Time{})
	inv, err := alice.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	k1, err := group.FirstEpochKey(inv.Secret, inv.Group)
	if err != nil {
		t.Fatal(err)
	}
	var real []*peer
	for _, name := range names {
		p := join(t, alice, name, at(1), history...)
		pm := p.profile(t, at(1))
		p.deliver(t, at(1), pm)
		history = append(history, pm)
		real = append(real, p)
	}
	own := len(history)
	for i := range n {
		var seed [32]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i))
		seed = sha256.Sum256(seed[:])
		u, err := identity.UserFromKey("m", ed25519.NewKeyFromSeed(seed[:]))
		if err != nil {
			t.Fatal(err)
		}
		p, err := group.NewProfile(u)
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, forge(t, u, alice.s.ID(), p, message.ID{}, 1, k1, at(1)))
	}
	alice.deliver(t, at(2), history...)
	return alice, real, history[:own]
}

// Issue 13: a rekey reaches a group of 5,000 members. The key entries are
// split across parts that each fit a message, every member finds its own,
// and the removed member's is in none.
func TestRekeyFiveThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 HPKE seals: skipped with -short")
	}
	alice, real, history := manyMembers(t, 5000, "bob", "carol", "mallory")
	bob, carol, mallory := real[0], real[1], real[2]
	if got := len(alice.s.Members()); got != 5004 {
		t.Fatalf("alice knows %d members, want 5004", got)
	}
	removal := alice.own(t)(alice.s.RemoveMember(alice.u, mallory.u.PublicKey(), at(10)))
	if len(removal) < 11 {
		t.Errorf("the removal has %d messages; 5,003 entries do not fit in fewer than 11 parts", len(removal)-1)
	}
	size := 0
	for _, m := range removal {
		size += len(m.Raw)
		if len(m.Raw) > message.MaxEnvelopeSize {
			t.Errorf("a part of %d bytes, limit %d", len(m.Raw), message.MaxEnvelopeSize)
		}
	}
	t.Logf("a rekey of 5,003 members: %d messages, %d bytes", len(removal), size)
	for _, p := range []*peer{bob, carol, mallory} {
		p.deliver(t, at(11), history...)
		p.deliver(t, at(11), removal...)
	}
	after := alice.compose(t, text("after"), at(12))
	for _, p := range []*peer{bob, carol} {
		if e := p.s.Epoch(); e != 2 {
			t.Errorf("%s seals with epoch %d, want 2", p.u.Name, e)
		}
		if _, err := p.s.Open(after); err != nil {
			t.Errorf("%s cannot read the new epoch: %v", p.u.Name, err)
		}
	}
	if _, err := mallory.s.Open(after); err == nil {
		t.Error("mallory reads the new epoch")
	}
	if !mallory.s.Standing(mallory.u.PublicKey()).Removed {
		t.Error("mallory does not know she was removed")
	}
}
