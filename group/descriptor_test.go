package group_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"

	"starling/group"
	"starling/group/grouppb"
	"starling/identity"
	"starling/message"
)

// rawGenesis is d's protobuf, with any version: EncodePayload refuses a
// genesis of another version than 1.
func rawGenesis(d group.Descriptor) *grouppb.Descriptor {
	return &grouppb.Descriptor{
		Kind: grouppb.GroupKind(d.Kind), Name: d.Name, Owner: d.Owner, Salt: d.Salt, Version: d.Version,
		EndsAtMs: d.EndsAtMS, SlowModeSeconds: d.SlowModeSeconds,
	}
}

// TestGenesisTampering: the genesis is the owner's version-1 descriptor
// committing to the group ID. Changed with issue 13: later descriptor
// versions no longer exist (changes are Ops), so a version above 1, or a
// genesis that lists admins, is a bad payload.
func TestGenesisTampering(t *testing.T) {
	alice, history := create(t, "alice", group.KindOpen, at(0).AddDate(0, 0, 7))
	bob := join(t, alice, "bob", at(1), history...)
	mallory := user(t, "mallory")
	cur, curMsg := mustDescriptor(t, alice)
	gen := mustContent(t, alice.s, curMsg).(group.Descriptor)
	id := alice.s.ID()

	other, _ := create(t, "mallory", group.KindOpen, at(0).AddDate(0, 0, 7))
	_, otherMsg := mustDescriptor(t, other)

	edit := func(f func(*group.Descriptor)) group.Descriptor {
		d := gen
		d.Owner, d.Salt = bytes.Clone(d.Owner), bytes.Clone(d.Salt)
		f(&d)
		return d
	}
	salt := make([]byte, group.SaltSize)
	rand.Read(salt)
	v2 := edit(func(d *group.Descriptor) { d.Version = 2 })
	for _, c := range []struct {
		name    string
		m       *message.Message
		verdict message.Verdict
		err     error
	}{
		{"changed owner", forge(t, mallory, id, edit(func(d *group.Descriptor) { d.Owner = mallory.PublicKey() }), message.ID{}, 0, nil, at(3)), message.Reject, group.ErrWrongGroup},
		{"changed salt", forge(t, alice.u, id, edit(func(d *group.Descriptor) { d.Salt = salt }), message.ID{}, 0, nil, at(3)), message.Reject, group.ErrWrongGroup},
		{"another group's genesis", otherMsg, message.Reject, group.ErrWrongGroup},
		{"another group's genesis moved here", forge(t, mallory, id, mustContent(t, other.s, otherMsg), message.ID{}, 0, nil, at(3)), message.Reject, group.ErrWrongGroup},
		{"signed by another than the owner", forge(t, bob.u, id, gen, message.ID{}, 0, nil, at(3)), message.Reject, group.ErrNotAllowed},
		{"version 2", forgeRaw(t, alice.u, id, message.KindDescriptor, message.ID{}, 0, nil, marshal(t, rawGenesis(v2)), at(3)), message.Reject, group.ErrBadPayload},
		{"version 2 naming a parent", forgeRaw(t, alice.u, id, message.KindDescriptor, curMsg.ID, 0, nil, marshal(t, rawGenesis(v2)), at(3)), message.Reject, group.ErrBadPayload},
		{"listing admins", forgeRaw(t, alice.u, id, message.KindDescriptor, message.ID{}, 0, nil, genesisWithAdmins(t, gen, bob.u.PublicKey()), at(3)), message.Reject, group.ErrBadPayload},
		{"kind changed", forge(t, alice.u, id, edit(func(d *group.Descriptor) { d.Kind = group.KindAnnounce }), message.ID{}, 0, nil, at(3)), message.Reject, group.ErrBadPayload},
		{"with a ref", forge(t, alice.u, id, gen, curMsg.ID, 0, nil, at(3)), message.Reject, group.ErrBadPayload},
		{"with an epoch", forge(t, alice.u, id, gen, message.ID{}, 1, nil, at(3)), message.Reject, group.ErrBadPayload},
		{"sealed in an open group", forge(t, alice.u, id, gen, message.ID{}, 0, make([]byte, 32), at(3)), message.Reject, group.ErrBadPayload},
	} {
		t.Run(c.name, func(t *testing.T) {
			bob.want(t, c.m, at(4), c.verdict, c.err)
			if d, m := mustDescriptor(t, bob); !cmp.Equal(d, cur) || m.ID != curMsg.ID {
				t.Errorf("the descriptor changed: %s", cmp.Diff(cur, d))
			}
		})
	}

	// A private group's genesis opens under the control key only.
	palice, phistory := create(t, "alice", group.KindPrivate, at(0).AddDate(0, 0, 7))
	pbob := join(t, palice, "bob", at(1), phistory...)
	_, pmsg := mustDescriptor(t, palice)
	pgen := mustContent(t, palice.s, pmsg)
	pbob.want(t, forge(t, palice.u, palice.s.ID(), pgen, message.ID{}, 0, nil, at(3)), at(4), message.Reject, group.ErrBadPayload)
	pbob.want(t, forge(t, palice.u, palice.s.ID(), pgen, message.ID{}, 0, epochOne(t, palice), at(3)), at(4), message.Reject, group.ErrBadPayload)
	pbob.want(t, forge(t, pbob.u, palice.s.ID(), pgen, message.ID{}, 0, controlKey(t, palice), at(3)), at(4), message.Reject, group.ErrNotAllowed)
}

// genesisWithAdmins encodes a genesis with admins in field 6, which later
// descriptor versions used and a genesis may not have.
func genesisWithAdmins(t *testing.T, d group.Descriptor, admins ...ed25519.PublicKey) []byte {
	t.Helper()
	b := marshal(t, rawGenesis(d))
	for _, a := range admins {
		b = protowire.AppendBytes(protowire.AppendTag(b, 6, protowire.BytesType), a)
	}
	return b
}

// TestOpTampering: what an Op may not do, whoever signs it. The state
// stays as it was.
func TestOpTampering(t *testing.T) {
	alice, history := create(t, "alice", group.KindOpen, at(0).AddDate(0, 0, 7))
	bob := join(t, alice, "bob", at(1), history...)
	carol := join(t, alice, "carol", at(1), history...)
	dave := user(t, "dave")
	mallory := user(t, "mallory")
	grant := alice.own(t)(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey(), dave.PublicKey()}}, at(2)))
	bob.accept(t, at(2), grant...)
	cur, _ := mustDescriptor(t, bob)
	id := alice.s.ID()
	heads := bob.s.Heads()
	post := bob.compose(t, text("a text, not an Op"), at(2))
	bob.accept(t, at(2), post)

	op := func(u *identity.User, act group.Action, parents ...message.ID) *message.Message {
		if parents == nil {
			parents = heads
		}
		return forge(t, u, id, group.Op{Parents: parents, Action: act}, message.ID{}, 0, nil, at(3))
	}
	raw := func(u *identity.User, pb *grouppb.Op) *message.Message {
		return forgeRaw(t, u, id, message.KindOp, message.ID{}, 0, nil, marshal(t, pb), at(3))
	}
	settingsPB := func(parents ...[]byte) *grouppb.Op {
		return &grouppb.Op{Parents: parents, Action: &grouppb.Op_Settings{Settings: &grouppb.Settings{Name: "x"}}}
	}
	var many [][]byte
	for i := range group.MaxParents + 1 {
		many = append(many, bytes.Repeat([]byte{byte(i + 1)}, 32))
	}
	a, b, m := alice.u, bob.u, mallory
	key := &group.KeyDelivery{Epoch: 2, KeyID: group.KeyID{1}, Fresh: true}
	for _, c := range []struct {
		name    string
		m       *message.Message
		verdict message.Verdict
		err     error
	}{
		{"settings by a stranger", op(m, group.Settings{Name: "pwned"}), message.Reject, group.ErrNotAllowed},
		{"settings by a member", forge(t, carol.u, id, group.Op{Parents: heads, Action: group.Settings{Name: "pwned"}}, message.ID{}, 0, nil, at(3)), message.Reject, group.ErrNotAllowed},
		{"no parent", raw(a, settingsPB()), message.Reject, group.ErrBadPayload},
		{"parents unsorted", raw(a, settingsPB(many[1], many[0])), message.Reject, group.ErrBadPayload},
		{"a parent twice", raw(a, settingsPB(heads[0][:], heads[0][:])), message.Reject, group.ErrBadPayload},
		{"too many parents", raw(a, settingsPB(many...)), message.Reject, group.ErrBadPayload},
		{"unknown parent", op(m, group.Settings{Name: "later?"}, message.ID{9}), message.Ignore, group.ErrStale},
		{"a text as parent", op(a, group.Settings{Name: "x"}, post.ID), message.Ignore, group.ErrStale},
		{"an admin bans the owner", op(b, group.Ban{Member: alice.u.PublicKey()}), message.Reject, group.ErrNotAllowed},
		{"the owner demoted", op(a, group.SetRole{Member: alice.u.PublicKey(), Role: group.RoleMember}), message.Reject, group.ErrNotAllowed},
		// Changed with issue 13: only the owner makes, demotes, bans or
		// removes admins.
		{"an admin makes an admin", op(b, group.SetRole{Member: carol.u.PublicKey(), Role: group.RoleAdmin}), message.Reject, group.ErrNotAllowed},
		{"an admin demotes an admin", op(b, group.SetRole{Member: dave.PublicKey(), Role: group.RoleMember}), message.Reject, group.ErrNotAllowed},
		{"an admin bans an admin", op(b, group.Ban{Member: dave.PublicKey()}), message.Reject, group.ErrNotAllowed},
		{"a removal in an open group", forge(t, alice.u, id, group.Op{Parents: heads, Action: group.Remove{Member: carol.u.PublicKey()}, Key: key, Parts: [][32]byte{{1}}}, message.ID{}, 0, nil, at(3)), message.Reject, group.ErrBadPayload},
		{"a poster in an open group", op(a, group.SetRole{Member: carol.u.PublicKey(), Role: group.RolePoster}), message.Reject, group.ErrBadPayload},
		{"an unknown role", raw(a, &grouppb.Op{Parents: [][]byte{heads[0][:]}, Action: &grouppb.Op_Role{Role: &grouppb.SetRole{Member: carol.u.PublicKey(), Role: 3}}}), message.Reject, group.ErrBadPayload},
		{"no action", raw(a, &grouppb.Op{Parents: [][]byte{heads[0][:]}}), message.Reject, group.ErrBadPayload},
		{"a settings Op with a key", raw(a, &grouppb.Op{Parents: [][]byte{heads[0][:]}, Action: &grouppb.Op_Settings{Settings: &grouppb.Settings{Name: "x"}},
			Key: &grouppb.KeyDelivery{Epoch: 2, KeyId: make([]byte, group.KeyIDSize), Fresh: true}, Parts: [][]byte{make([]byte, 32)}}), message.Reject, group.ErrBadPayload},
		{"sealed in an open group", forge(t, alice.u, id, group.Op{Parents: heads, Action: group.Settings{Name: "x"}}, message.ID{}, 0, make([]byte, 32), at(3)), message.Reject, group.ErrBadPayload},
	} {
		t.Run(c.name, func(t *testing.T) {
			bob.want(t, c.m, at(4), c.verdict, c.err)
			if d, _ := mustDescriptor(t, bob); !cmp.Equal(d, cur) {
				t.Errorf("the state changed: %s", cmp.Diff(cur, d))
			}
		})
	}
	if _, err := carol.s.Update(carol.u, group.Update{Name: "x"}, at(5)); err == nil {
		t.Error("Update by a member who is not an admin")
	}
	if _, err := bob.s.Update(bob.u, group.Update{AddAdmins: []ed25519.PublicKey{carol.u.PublicKey()}}, at(5)); err == nil {
		t.Error("an admin made an admin through Update")
	}

	// A member of a private group holds the control key but still cannot
	// change the group.
	palice, peers, _ := privateGroup(t, "bob")
	pbob := peers["bob"]
	forged := forge(t, pbob.u, palice.s.ID(), group.Op{Parents: palice.s.Heads(), Action: group.Settings{Name: "taken over"}}, message.ID{}, 0, controlKey(t, palice), at(3))
	palice.want(t, forged, at(4), message.Reject, group.ErrNotAllowed)
	if _, err := pbob.s.Update(pbob.u, group.Update{Name: "x"}, at(5)); err == nil {
		t.Error("Update by a non-admin succeeded")
	}
}

// Ops that arrive out of order, and concurrent settings, leave every node
// with the same state: an Op waits (Ignore) for its parents, and of two
// concurrent settings Ops the one with the lower ID holds until a later
// one has both in its history. (Descriptor versions were replaced by Ops
// in issue 13; this was the test of concurrent descriptor versions.)
func TestOpConvergence(t *testing.T) {
	alice, history := create(t, "alice", group.KindOpen, at(0).AddDate(0, 0, 7))
	bob := join(t, alice, "bob", at(1), history...)
	x := join(t, alice, "xavier", at(1), history...)
	y := join(t, alice, "yasmin", at(1), history...)

	grant := alice.own(t)(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(2)))
	bob.accept(t, at(2), grant...)
	rename := bob.own(t)(bob.s.Update(bob.u, group.Update{Name: "renamed by bob"}, at(3)))
	alice.accept(t, at(3), rename...)
	// Two admins change the settings at the same time.
	slow := 30 * time.Second
	byAlice := alice.own(t)(alice.s.Update(alice.u, group.Update{SlowMode: &slow}, at(4)))
	byBob := bob.own(t)(bob.s.Update(bob.u, group.Update{Name: "bob's rename"}, at(4)))

	x.accept(t, at(5), grant[0], rename[0], byAlice[0], byBob[0])
	// yasmin gets them backwards: each waits for its parent.
	y.want(t, byBob[0], at(5), message.Ignore, group.ErrStale)
	y.want(t, rename[0], at(5), message.Ignore, group.ErrStale)
	y.want(t, byAlice[0], at(5), message.Ignore, group.ErrStale)
	y.accept(t, at(5), grant[0], rename[0], byAlice[0], byBob[0])
	alice.accept(t, at(5), byBob...)
	bob.accept(t, at(5), byAlice...)

	wantName, wantSlow := "renamed by bob", slow
	if bytes.Compare(byBob[0].ID[:], byAlice[0].ID[:]) < 0 {
		wantName, wantSlow = "bob's rename", 0
	}
	for _, p := range []*peer{alice, bob, x, y} {
		d, _ := mustDescriptor(t, p)
		if p.s.Name() != wantName || p.s.SlowMode() != wantSlow || d.Version != 5 || len(d.Admins) != 1 {
			t.Errorf("%s: name %q, slow mode %s, version %d, admins %d; want %q, %s, 5, 1", p.u.Name, p.s.Name(), p.s.SlowMode(), d.Version, len(d.Admins), wantName, wantSlow)
		}
	}
	// A later Op with both in its history settles it.
	final := bob.own(t)(bob.s.Update(bob.u, group.Update{Name: "final"}, at(6)))
	for _, p := range []*peer{alice, x, y} {
		p.accept(t, at(6), final...)
	}
	for _, p := range []*peer{alice, bob, x, y} {
		if p.s.Name() != "final" || p.s.SlowMode() != wantSlow {
			t.Errorf("%s: name %q, slow mode %s after the final rename", p.u.Name, p.s.Name(), p.s.SlowMode())
		}
	}
}
