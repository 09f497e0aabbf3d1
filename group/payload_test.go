package group_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"

	"starling/group"
	"starling/group/grouppb"
	"starling/message"
)

// keys returns n distinct public keys in ascending order.
func keys(t testing.TB, n int) []ed25519.PublicKey {
	t.Helper()
	var out []ed25519.PublicKey
	for i := range n {
		out = append(out, user(t, "k"+string(rune('a'+i))).PublicKey())
	}
	slices.SortFunc(out, func(a, b ed25519.PublicKey) int { return bytes.Compare(a, b) })
	return out
}

// ids returns n distinct message IDs in ascending order.
func ids(n int) []message.ID {
	out := make([]message.ID, n)
	for i := range out {
		out[i][0], out[i][1], out[i][31] = byte(i>>8), byte(i), 0xee
	}
	return out
}

// validGenesis is a private group's genesis: version 1, no lists.
func validGenesis(t testing.TB) group.Descriptor {
	return group.Descriptor{
		Kind: group.KindPrivate, Name: "Crew \u2764\ufe0f", Owner: user(t, "owner").PublicKey(),
		Salt: bytes.Repeat([]byte{7}, group.SaltSize), Version: 1, EndsAtMS: 1e12, SlowModeSeconds: 30,
	}
}

// keyPart is an Op part with n key entries (sorted by member).
func keyPart(n int) group.OpPart {
	var p group.OpPart
	for i := range n {
		p.Keys = append(p.Keys, group.KeyEntry{
			Member: bytes.Repeat([]byte{byte(i + 1)}, 32), Enc: bytes.Repeat([]byte{9}, 32), SealedKey: bytes.Repeat([]byte{8}, 48),
		})
	}
	return p
}

func validOp(act group.Action, key *group.KeyDelivery, parts int) group.Op {
	op := group.Op{Parents: ids(2), Action: act, Key: key}
	for i := range parts {
		op.Parts = append(op.Parts, [32]byte{byte(i + 1)})
	}
	return op
}

// validContents has one of every content and every Op action.
func validContents(t testing.TB) []group.Content {
	t.Helper()
	u := user(t, "ada")
	announce := validGenesis(t)
	announce.Kind = group.KindAnnounce
	fresh := &group.KeyDelivery{Epoch: 3, KeyID: group.KeyID{1, 2, 3, 4, 5, 6, 7, 8}, Fresh: true}
	shared := &group.KeyDelivery{Epoch: 1, KeyID: group.KeyID{8, 7, 6, 5, 4, 3, 2, 1}}
	withBoth := keyPart(2)
	withBoth.Index, withBoth.Cut = 3, ids(3)
	return []group.Content{
		group.Text{Text: "hi \u200b there", Nick: "ada"},
		validGenesis(t),
		announce,
		group.Delete{Reason: "spam"},
		group.Delete{},
		group.Profile{Nick: "Zoë", X25519: x25519Of(t, u)},
		validOp(group.Settings{Name: "Renamed", EndsAtMS: 2e12, SlowModeSeconds: 5}, nil, 0),
		validOp(group.SetRole{Member: u.PublicKey(), Role: group.RoleAdmin}, nil, 0),
		validOp(group.SetRole{Member: u.PublicKey(), Role: group.RolePoster}, nil, 0),
		validOp(group.SetRole{Member: u.PublicKey(), Role: group.RoleMember}, nil, 1),
		validOp(group.Ban{Member: u.PublicKey(), Reason: "flood"}, nil, 1),
		validOp(group.Unban{Member: u.PublicKey()}, nil, 0),
		validOp(group.Remove{Member: u.PublicKey()}, fresh, 2),
		validOp(group.Add{Member: u.PublicKey()}, shared, 1),
		validOp(group.Add{Member: u.PublicKey()}, fresh, 1),
		validOp(group.Rekey{}, fresh, 1),
		keyPart(3),
		group.OpPart{Index: 1, Cut: ids(4)},
		withBoth,
		group.Reaction{Emoji: "👍🏽"},
		group.Reaction{Emoji: "1️⃣"},
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	for _, c := range validContents(t) {
		b, err := group.EncodePayload(c)
		if err != nil {
			t.Fatalf("EncodePayload(%T): %v", c, err)
		}
		back, err := group.DecodePayload(c.MessageKind(), b)
		if err != nil {
			t.Fatalf("DecodePayload(%T): %v", c, err)
		}
		if !cmp.Equal(back, c) {
			t.Errorf("%T round trip: %s", c, cmp.Diff(c, back))
		}
		// One encoding only: an unknown field, a repeated field or a
		// trailing byte is refused.
		for name, bad := range map[string][]byte{
			"unknown field": protowire.AppendVarint(protowire.AppendTag(slices.Clone(b), 15, protowire.VarintType), 1),
			"trailing byte": append(slices.Clone(b), 0),
			"doubled":       append(slices.Clone(b), b...),
		} {
			if len(b) == 0 && name == "doubled" {
				continue // an empty payload doubled is itself
			}
			if _, err := group.DecodePayload(c.MessageKind(), bad); !errors.Is(err, group.ErrBadPayload) {
				t.Errorf("%T with %s: %v, want %v", c, name, err, group.ErrBadPayload)
			}
		}
	}
	// What travels in the envelope's ref is not in the payload.
	for _, c := range []group.Content{group.Text{Text: "x", Ref: message.ID{1}}, group.Delete{Target: message.ID{1}}, group.OpPart{Op: message.ID{1}, Cut: ids(1)}} {
		b, err := group.EncodePayload(c)
		if err != nil {
			t.Fatal(err)
		}
		if back, _ := group.DecodePayload(c.MessageKind(), b); cmp.Equal(back, c) {
			t.Errorf("%T's ref went through the payload", c)
		}
	}
}

func TestPayloadRefuses(t *testing.T) {
	ks := keys(t, 3)
	d := func(edit func(*group.Descriptor)) group.Descriptor {
		x := validGenesis(t)
		edit(&x)
		return x
	}
	op := func(edit func(*group.Op)) group.Op {
		x := validOp(group.Ban{Member: ks[0]}, nil, 1)
		edit(&x)
		return x
	}
	fresh := &group.KeyDelivery{Epoch: 3, KeyID: group.KeyID{1}, Fresh: true}
	part := func(edit func(*group.OpPart)) group.OpPart {
		x := keyPart(2)
		x.Cut = ids(2)
		edit(&x)
		return x
	}
	for name, c := range map[string]group.Content{
		"text empty":         group.Text{},
		"descriptor kind 0":  d(func(x *group.Descriptor) { x.Kind = 0 }),
		"descriptor kind 4":  d(func(x *group.Descriptor) { x.Kind = 4 }),
		"name empty":         d(func(x *group.Descriptor) { x.Name = "" }),
		"name blank":         d(func(x *group.Descriptor) { x.Name = " \t" }),
		"name too long":      d(func(x *group.Descriptor) { x.Name = strings.Repeat("n", 65) }),
		"name newline":       d(func(x *group.Descriptor) { x.Name = "a\nb" }),
		"name escape":        d(func(x *group.Descriptor) { x.Name = "a\x1b[2Jb" }),
		"name not UTF-8":     d(func(x *group.Descriptor) { x.Name = "a\xffb" }),
		"short owner":        d(func(x *group.Descriptor) { x.Owner = x.Owner[:31] }),
		"short salt":         d(func(x *group.Descriptor) { x.Salt = x.Salt[:15] }),
		"slow mode too long": d(func(x *group.Descriptor) { x.SlowModeSeconds = group.MaxSlowModeSeconds + 1 }),
		// Changed with issue 13: a descriptor is only ever the genesis.
		"version 0":             d(func(x *group.Descriptor) { x.Version = 0 }),
		"version 2":             d(func(x *group.Descriptor) { x.Version = 2 }),
		"genesis with admins":   d(func(x *group.Descriptor) { x.Admins = ks[:1] }),
		"genesis with posters":  d(func(x *group.Descriptor) { x.Posters = ks[:1] }),
		"genesis with removed":  d(func(x *group.Descriptor) { x.Removed = ks[:1] }),
		"genesis with banned":   d(func(x *group.Descriptor) { x.Banned = ks[:1] }),
		"reason too long":       group.Delete{Reason: strings.Repeat("r", group.MaxReasonLen+1)},
		"reason control":        group.Delete{Reason: "a\x07"},
		"reason not UTF-8":      group.Delete{Reason: "a\xff"},
		"profile no nick":       group.Profile{X25519: bytes.Repeat([]byte{9}, 32)},
		"profile short x25519":  group.Profile{Nick: "n", X25519: bytes.Repeat([]byte{9}, 31)},
		"profile zero x25519":   group.Profile{Nick: "n", X25519: make([]byte, 32)},
		"profile order-1 point": group.Profile{Nick: "n", X25519: append([]byte{1}, make([]byte, 31)...)},

		"op without parents":   op(func(x *group.Op) { x.Parents = nil }),
		"op parents unsorted":  op(func(x *group.Op) { slices.Reverse(x.Parents) }),
		"op parent repeated":   op(func(x *group.Op) { x.Parents[1] = x.Parents[0] }),
		"op too many parents":  op(func(x *group.Op) { x.Parents = ids(group.MaxParents + 1) }),
		"op too many parts":    op(func(x *group.Op) { x.Parts = make([][32]byte, group.MaxParts+1) }),
		"op without action":    op(func(x *group.Op) { x.Action = nil }),
		"op unknown role":      op(func(x *group.Op) { x.Action = group.SetRole{Member: ks[0], Role: 3} }),
		"op role short member": op(func(x *group.Op) { x.Action = group.SetRole{Member: ks[0][:31]} }),
		"ban short member":     op(func(x *group.Op) { x.Action = group.Ban{Member: ks[0][:5]} }),
		"ban reason control":   op(func(x *group.Op) { x.Action = group.Ban{Member: ks[0], Reason: "a\x1b"} }),
		"ban reason too long": op(func(x *group.Op) {
			x.Action = group.Ban{Member: ks[0], Reason: strings.Repeat("r", group.MaxReasonLen+1)}
		}),
		"settings empty name":      op(func(x *group.Op) { x.Action = group.Settings{} }),
		"settings slow mode":       op(func(x *group.Op) { x.Action = group.Settings{Name: "n", SlowModeSeconds: group.MaxSlowModeSeconds + 1} }),
		"settings with a key":      op(func(x *group.Op) { x.Action, x.Key = group.Settings{Name: "n"}, fresh }),
		"ban with a key":           op(func(x *group.Op) { x.Key = fresh }),
		"remove without a key":     op(func(x *group.Op) { x.Action = group.Remove{Member: ks[0]} }),
		"add without a key":        op(func(x *group.Op) { x.Action = group.Add{Member: ks[0]} }),
		"rekey without a key":      op(func(x *group.Op) { x.Action = group.Rekey{} }),
		"remove with a shared key": op(func(x *group.Op) { x.Action, x.Key = group.Remove{Member: ks[0]}, &group.KeyDelivery{Epoch: 1} }),
		"rekey with a shared key":  op(func(x *group.Op) { x.Action, x.Key = group.Rekey{}, &group.KeyDelivery{Epoch: 2} }),
		"key of epoch 0":           op(func(x *group.Op) { x.Action, x.Key = group.Add{Member: ks[0]}, &group.KeyDelivery{} }),
		"fresh key of epoch 1":     op(func(x *group.Op) { x.Action, x.Key = group.Rekey{}, &group.KeyDelivery{Epoch: 1, Fresh: true} }),
		"key without parts":        op(func(x *group.Op) { x.Action, x.Key, x.Parts = group.Rekey{}, fresh, nil }),

		"part empty":            group.OpPart{},
		"part index negative":   part(func(x *group.OpPart) { x.Index = -1 }),
		"part index too high":   part(func(x *group.OpPart) { x.Index = group.MaxParts }),
		"part cut too long":     part(func(x *group.OpPart) { x.Cut = ids(group.MaxCut + 1) }),
		"part cut unsorted":     part(func(x *group.OpPart) { slices.Reverse(x.Cut) }),
		"part cut repeated":     part(func(x *group.OpPart) { x.Cut[1] = x.Cut[0] }),
		"part keys unsorted":    part(func(x *group.OpPart) { slices.Reverse(x.Keys) }),
		"part keys repeated":    part(func(x *group.OpPart) { x.Keys[1] = x.Keys[0] }),
		"part short member":     part(func(x *group.OpPart) { x.Keys[0].Member = x.Keys[0].Member[:31] }),
		"part short enc":        part(func(x *group.OpPart) { x.Keys[0].Enc = x.Keys[0].Enc[:31] }),
		"part short sealed key": part(func(x *group.OpPart) { x.Keys[0].SealedKey = x.Keys[0].SealedKey[:32] }),
		"part long sealed key":  part(func(x *group.OpPart) { x.Keys[0].SealedKey = append(x.Keys[0].SealedKey, 0) }),
		"unknown content":       unknownContent{},
	} {
		t.Run(name, func(t *testing.T) {
			if b, err := group.EncodePayload(c); !errors.Is(err, group.ErrBadPayload) {
				t.Errorf("EncodePayload = %x, %v; want %v", b, err, group.ErrBadPayload)
			}
		})
	}
	if _, err := group.DecodePayload(message.Kind(99), nil); !errors.Is(err, group.ErrBadPayload) {
		t.Errorf("unknown kind: %v", err)
	}
}

type unknownContent struct{}

func (unknownContent) MessageKind() message.Kind { return message.KindText + 100 }

// What the decoder refuses that EncodePayload cannot even write: fields of
// the wrong size, out-of-range enums and indexes, and the fields of
// retired descriptor versions.
func TestPayloadDecodeRefuses(t *testing.T) {
	parent := bytes.Repeat([]byte{1}, 32)
	member := bytes.Repeat([]byte{2}, 32)
	ban := func(edit func(*grouppb.Op)) []byte {
		pb := &grouppb.Op{Parents: [][]byte{parent}, Action: &grouppb.Op_Ban{Ban: &grouppb.Ban{Member: member}}}
		edit(pb)
		return marshal(t, pb)
	}
	gen := marshal(t, rawGenesis(validGenesis(t)))
	for name, c := range map[string]struct {
		kind    message.Kind
		payload []byte
	}{
		"op parent of 31 bytes": {message.KindOp, ban(func(pb *grouppb.Op) { pb.Parents[0] = parent[:31] })},
		"op part digest 31":     {message.KindOp, ban(func(pb *grouppb.Op) { pb.Parts = [][]byte{parent[:31]} })},
		"op key ID of 7 bytes": {message.KindOp, ban(func(pb *grouppb.Op) {
			pb.Action = &grouppb.Op_Rekey{Rekey: &grouppb.Rekey{}}
			pb.Key = &grouppb.KeyDelivery{Epoch: 2, KeyId: make([]byte, 7), Fresh: true}
			pb.Parts = [][]byte{parent}
		})},
		"op role 3":              {message.KindOp, ban(func(pb *grouppb.Op) { pb.Action = &grouppb.Op_Role{Role: &grouppb.SetRole{Member: member, Role: 3}} })},
		"op role -1":             {message.KindOp, ban(func(pb *grouppb.Op) { pb.Action = &grouppb.Op_Role{Role: &grouppb.SetRole{Member: member, Role: -1}} })},
		"op empty":               {message.KindOp, nil},
		"part index 64":          {message.KindOpPart, marshal(t, &grouppb.OpPart{Index: group.MaxParts, Cut: [][]byte{parent}})},
		"part index 2^32-1":      {message.KindOpPart, marshal(t, &grouppb.OpPart{Index: 1<<32 - 1, Cut: [][]byte{parent}})},
		"part cut of 33 bytes":   {message.KindOpPart, marshal(t, &grouppb.OpPart{Cut: [][]byte{append(parent, 0)}})},
		"part empty":             {message.KindOpPart, nil},
		"genesis with removed":   {message.KindDescriptor, protowire.AppendBytes(protowire.AppendTag(slices.Clone(gen), 8, protowire.BytesType), member)},
		"genesis kind 2^31-1":    {message.KindDescriptor, marshal(t, &grouppb.Descriptor{Kind: 1<<31 - 1, Name: "n", Owner: member, Salt: make([]byte, group.SaltSize), Version: 1})},
		"retired kind 4 (ban)":   {message.Kind(4), marshal(t, &grouppb.Ban{Member: member})},
		"retired kind 5 (rekey)": {message.Kind(5), nil},
	} {
		t.Run(name, func(t *testing.T) {
			if got, err := group.DecodePayload(c.kind, c.payload); !errors.Is(err, group.ErrBadPayload) {
				t.Errorf("DecodePayload = %+v, %v; want %v", got, err, group.ErrBadPayload)
			}
		})
	}
}

// An Op about a member must name one: 32 bytes. An empty member encodes,
// decodes and passes Check's field rules today, and the authority then
// converts it with key32, which panics: any admin, or former admin on a
// state where it was one, crashes every node that checks such an Op.
func TestOpNamesAMember(t *testing.T) {
	fresh := &group.KeyDelivery{Epoch: 2, KeyID: group.KeyID{1}, Fresh: true}
	for _, act := range []group.Action{group.SetRole{Role: group.RoleAdmin}, group.Ban{}, group.Unban{}, group.Remove{}, group.Add{}} {
		op := validOp(act, nil, 0)
		switch act.(type) {
		case group.Remove, group.Add:
			op = validOp(act, fresh, 1)
		}
		if b, err := group.EncodePayload(op); !errors.Is(err, group.ErrBadPayload) {
			t.Errorf("EncodePayload of a %s without a member = %x, %v; want %v", act.ActionName(), b, err, group.ErrBadPayload)
		}
	}
	// Checked by a node, whether the owner or an admin signed it, it must
	// not panic. Each Op goes to a fresh group: a panic in Check leaves the
	// Op in the authority, where it breaks every later resolve too.
	for _, kind := range []group.Kind{group.KindOpen, group.KindPrivate} {
		for _, by := range []string{"alice", "bob"} {
			for _, pb := range []*grouppb.Op{
				{Action: &grouppb.Op_Ban{Ban: &grouppb.Ban{}}},
				{Action: &grouppb.Op_Role{Role: &grouppb.SetRole{Role: grouppb.Role_ROLE_MEMBER}}},
				{Action: &grouppb.Op_Unban{Unban: &grouppb.Unban{}}},
			} {
				alice, history := create(t, "alice", kind, time.Time{})
				bob := join(t, alice, "bob", at(1), history...)
				grant := alice.own(t)(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(2)))
				bob.deliver(t, at(2), grant...)
				var ctl []byte
				if kind == group.KindPrivate {
					ctl = controlKey(t, alice)
				}
				signer := map[string]*peer{"alice": alice, "bob": bob}[by]
				for _, h := range alice.s.Heads() {
					pb.Parents = append(pb.Parents, bytes.Clone(h[:]))
				}
				m := forgeRaw(t, signer.u, alice.s.ID(), message.KindOp, message.ID{}, 0, ctl, marshal(t, pb), at(3))
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s group, %T by %s: Check panics: %v", kind, pb.Action, by, r)
						}
					}()
					if _, v, err := alice.s.Check(m, at(3)); v != message.Reject || !errors.Is(err, group.ErrBadPayload) {
						t.Errorf("%s group, %T by %s: %s, %v; want reject, %v", kind, pb.Action, by, v, err, group.ErrBadPayload)
					}
				}()
			}
		}
	}
}
