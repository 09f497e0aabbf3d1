package group_test

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"starling/group"
	"starling/group/grouppb"
	"starling/identity"
	"starling/message"
)

// forgeOp signs an Op by u and its parts (their indexes and the Op's
// digests filled in), sealed under ctl when it is not nil, skipping every
// check of package group but the payloads' own field rules, as an attacker
// (or a buggy admin) would. It returns the Op first, then its parts.
func forgeOp(t testing.TB, u *identity.User, id message.GroupID, ctl []byte, op group.Op, parts []group.OpPart, now time.Time) []*message.Message {
	t.Helper()
	op.Parts = nil
	for i := range parts {
		parts[i].Index = i
		b, err := group.EncodePayload(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		op.Parts = append(op.Parts, sha256.Sum256(b))
	}
	om := forge(t, u, id, op, message.ID{}, 0, ctl, now)
	out := []*message.Message{om}
	for _, p := range parts {
		out = append(out, forge(t, u, id, p, om.ID, 0, ctl, now))
	}
	return out
}

// forgeRaw signs a message of any kind by u around payload, sealed under
// key at epoch when key is not nil: for payloads EncodePayload refuses.
func forgeRaw(t testing.TB, u *identity.User, id message.GroupID, kind message.Kind, ref message.ID, epoch uint64, key, payload []byte, now time.Time) *message.Message {
	t.Helper()
	b := message.Body{Version: message.Version, Group: id, Author: u.PublicKey(), SentAtMS: message.TimeMS(now), Kind: kind, Ref: ref, Epoch: epoch}
	if key != nil {
		var err error
		if payload, err = group.Seal(key, &b, payload); err != nil {
			t.Fatal(err)
		}
	}
	b.Payload = payload
	m, err := message.Sign(u.PrivateKey(), b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// marshal encodes a protobuf message as package group does (deterministic).
func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// controlKey returns the control key of p's private group, as a carrier
// link gives it.
func controlKey(t testing.TB, p *peer) []byte {
	t.Helper()
	inv, err := p.s.CarrierInvite(nil)
	if err != nil {
		t.Fatal(err)
	}
	return inv.Control
}

// secretOf returns the secret of p's private group.
func secretOf(t testing.TB, p *peer) []byte {
	t.Helper()
	inv, err := p.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	return inv.Secret
}

// epochOne returns the epoch-1 key of p's private group.
func epochOne(t testing.TB, p *peer) []byte {
	t.Helper()
	k, err := group.FirstEpochKey(secretOf(t, p), p.s.ID())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustDescriptor(t testing.TB, p *peer) (group.Descriptor, *message.Message) {
	t.Helper()
	d, m, ok := p.s.Descriptor()
	if !ok {
		t.Fatalf("%s knows no genesis", p.u.Name)
	}
	return d, m
}

func mustContent(t testing.TB, s *group.State, m *message.Message) group.Content {
	t.Helper()
	c, err := s.Open(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rawRekey is a Rekey Op's protobuf with the given key delivery, which
// may break the field rules EncodePayload applies.
func rawRekey(parents []message.ID, epoch uint64, fresh bool) *grouppb.Op {
	pb := &grouppb.Op{
		Action: &grouppb.Op_Rekey{Rekey: &grouppb.Rekey{}},
		Key:    &grouppb.KeyDelivery{Epoch: epoch, KeyId: make([]byte, group.KeyIDSize), Fresh: fresh},
		Parts:  [][]byte{make([]byte, 32)},
	}
	for _, p := range parents {
		pb.Parents = append(pb.Parents, bytes.Clone(p[:]))
	}
	return pb
}

// sortEntries sorts key entries by member, as a part needs them.
func sortEntries(es ...group.KeyEntry) []group.KeyEntry {
	slices.SortFunc(es, func(a, b group.KeyEntry) int { return bytes.Compare(a.Member, b.Member) })
	return es
}
