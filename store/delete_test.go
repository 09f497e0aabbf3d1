package store

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"starling/message"
)

func testDelete(t *testing.T, b backend) {
	stored, deleted := newOnStoredLog(), &idLog{}
	s, _ := b.open(t, "", Config{OnStored: stored.add, OnDeleted: deleted.add})
	ctx := context.Background()
	g := groupID("moderated")
	texts := genMessages(t, 5, g, func(i int) uint64 { return uint64(100 + i) })
	ban := signKind(t, g, 103, message.KindOp, "op")
	own := sign(t, testKey, g, 104, "own, in the outbox")
	mustPut(t, s, append(slices.Clone(texts), ban), OriginGossip)
	if _, err := s.PutOwn(ctx, own); err != nil {
		t.Fatal(err)
	}
	unknown := message.ID{7, 7, 7}
	victims := []*message.Message{texts[1], ban, own}
	// Duplicates in one call, and an ID never stored.
	if err := s.Delete(ctx, texts[1].ID, ban.ID, own.ID, unknown, texts[1].ID); err != nil {
		t.Fatalf("delete: %v", err)
	}

	for _, m := range victims {
		if _, err := s.Get(m.ID); !errors.Is(err, ErrDeleted) || !errors.Is(err, ErrNotFound) {
			t.Errorf("get deleted %s: %v, want ErrDeleted wrapping ErrNotFound", m.ID.Short(), err)
		}
	}
	if _, err := s.Get(unknown); !errors.Is(err, ErrDeleted) {
		t.Errorf("get of a tombstoned unknown ID: %v, want ErrDeleted", err)
	}
	if _, err := s.Get(message.ID{8}); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrDeleted) {
		t.Errorf("get of an ID never seen: %v, want ErrNotFound only", err)
	}
	for _, id := range []message.ID{texts[1].ID, ban.ID, own.ID, unknown} {
		if has, err := s.Has(id); err != nil || !has {
			t.Errorf("has %s after delete: %v, %v; want true (seen)", id.Short(), has, err)
		}
		if !s.Deleted(id) {
			t.Errorf("deleted %s: false", id.Short())
		}
	}
	if s.Deleted(texts[0].ID) || s.Deleted(message.ID{8}) {
		t.Error("Deleted reports a message that was not deleted")
	}
	kept := []*message.Message{texts[0], texts[2], texts[3], texts[4]}
	if items, err := s.Items(g); err != nil || !slices.Equal(items, sortedItems(kept)) {
		t.Errorf("items after delete: %v, %v; want %v", items, err, sortedItems(kept))
	}
	if n, err := s.Count(g); err != nil || n != len(kept) {
		t.Errorf("count after delete: %d, %v", n, err)
	}
	if ids, _ := pageAll(t, s, g, false, 2); len(ids) != len(kept) {
		t.Errorf("history after delete: %d messages, want %d", len(ids), len(kept))
	}
	if ks, err := s.Kinds(g); err != nil || len(ks) != 0 {
		t.Errorf("kinds after delete: %d, %v; want none", len(ks), err)
	}
	wantOutbox(t, s)

	// Copies of deleted messages are refused quietly, by every verb.
	before, _ := stored.snapshot()
	for _, m := range victims {
		if added, err := s.Put(ctx, m, OriginCatchup); err != nil || added {
			t.Errorf("put of deleted %s: %v, %v; want false, nil", m.ID.Short(), added, err)
		}
		if added, err := s.PutOwn(ctx, m); err != nil || added {
			t.Errorf("own put of deleted %s: %v, %v; want false, nil", m.ID.Short(), added, err)
		}
		if err := s.Enqueue(ctx, m, OriginGossip); err != nil {
			t.Errorf("enqueue of deleted %s: %v", m.ID.Short(), err)
		}
	}
	// Delete runs after the Enqueues: a barrier. Deleting again is a no-op.
	if err := s.Delete(ctx, ban.ID); err != nil {
		t.Fatal(err)
	}
	if after, _ := stored.snapshot(); len(after) != len(before) {
		t.Errorf("OnStored heard of %d more messages after refused copies", len(after)-len(before))
	}
	wantOutbox(t, s)
	calls := deleted.snapshot()
	if len(calls) != 1 {
		t.Fatalf("OnDeleted called %d times, want once", len(calls))
	}
	want := []message.ID{texts[1].ID, ban.ID, own.ID}
	if !slices.Equal(calls[0], want) {
		t.Errorf("OnDeleted heard %v, want the three stored victims %v", calls[0], want)
	}
	if err := s.Delete(ctx); err != nil {
		t.Errorf("delete of nothing: %v", err)
	}
	checkHealthy(t, s)
}

// A tombstone that comes before its target refuses the target, and learns
// the target's group from it.
func testDeleteBeforeArrival(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{})
	ctx := context.Background()
	g := groupID("early tombstone")
	late := sign(t, testKey, g, 50, "arrives after its deletion")
	if err := s.Delete(ctx, late.ID); err != nil {
		t.Fatal(err)
	}
	if v := rawGet(t, s, tombstoneKey(late.ID)); len(v) != 0 {
		t.Fatalf("tombstone of an unknown target holds %x, want nothing", v)
	}
	if added, err := s.Put(ctx, late, OriginGossip); err != nil || added {
		t.Fatalf("put after the tombstone: %v, %v; want false, nil", added, err)
	}
	if v := rawGet(t, s, tombstoneKey(late.ID)); !bytes.Equal(v, g[:]) {
		t.Errorf("tombstone after its target came: %x, want group %x", v, g[:])
	}
	if n, err := s.Count(g); err != nil || n != 0 {
		t.Errorf("count: %d, %v; want 0", n, err)
	}
	checkHealthy(t, s)
}

func testKinds(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{})
	g, other := groupID("control"), groupID("other control")
	ms := []*message.Message{
		signKind(t, g, 30, message.KindOpPart, "op-part"),
		signKind(t, g, 10, message.KindDescriptor, "descriptor v1"),
		signKind(t, g, 20, message.KindProfile, "profile"),
		signKind(t, g, 20, message.KindDescriptor, "descriptor v2"),
		signKind(t, g, 40, message.KindDelete, "delete"),
		signKind(t, other, 5, message.KindDescriptor, "another group's"),
	}
	texts := genMessages(t, 20, g, func(i int) uint64 { return uint64(1 + i*3) })
	mustPut(t, s, append(slices.Clone(ms), texts...), OriginGossip)
	ids := func(sts []Stored) []message.ID { return storedIDs(sts) }
	byTime := func(ms ...*message.Message) []message.ID {
		var out []message.ID
		for _, it := range sortedItems(ms) {
			out = append(out, it.ID)
		}
		return out
	}

	all, err := s.Kinds(g)
	if err != nil {
		t.Fatal(err)
	}
	if want := byTime(ms[:5]...); !slices.Equal(ids(all), want) {
		t.Errorf("every control message: %v, want %v in (sent_at, id) order", ids(all), want)
	}
	descs, err := s.Kinds(g, message.KindDescriptor, message.KindDescriptor)
	if err != nil {
		t.Fatal(err)
	}
	if want := byTime(ms[1], ms[3]); !slices.Equal(ids(descs), want) {
		t.Errorf("descriptors: %v, want %v", ids(descs), want)
	}
	some, err := s.Kinds(g, message.KindDelete, message.KindOpPart)
	if err != nil {
		t.Fatal(err)
	}
	if want := byTime(ms[0], ms[4]); !slices.Equal(ids(some), want) {
		t.Errorf("deletes and rekeys: %v, want %v", ids(some), want)
	}
	if got, err := s.Kinds(other); err != nil || len(got) != 1 || got[0].Msg.ID != ms[5].ID {
		t.Errorf("other group: %v, %v", ids(got), err)
	}
	if _, err := s.Kinds(g, message.KindProfile, message.KindText); err == nil {
		t.Error("Kinds of text succeeded; texts are not in the kind index")
	}
	if n, err := s.Count(g); err != nil || n != 25 {
		t.Errorf("count: %d, %v; want every kind counted", n, err)
	}
	checkHealthy(t, s)
}

// Drop removes like Delete but leaves no tombstone: the message may come
// back.
func testDrop(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{})
	ctx := context.Background()
	g := groupID("dropped")
	ms := genMessages(t, 3, g, func(i int) uint64 { return uint64(100 + i) })
	mustPut(t, s, ms, OriginGossip)
	if err := s.Drop(ctx, ms[1].ID, message.ID{9}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ms[1].ID); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrDeleted) {
		t.Errorf("get of a dropped message: %v, want ErrNotFound and not ErrDeleted", err)
	}
	if s.Deleted(ms[1].ID) || s.Deleted(message.ID{9}) {
		t.Error("a drop left a tombstone")
	}
	if ok, err := s.Has(ms[1].ID); err != nil || ok {
		t.Errorf("has a dropped message: %v %v", ok, err)
	}
	if n, err := s.Count(g); err != nil || n != 2 {
		t.Errorf("count after a drop: %d %v", n, err)
	}
	if added, err := s.Put(ctx, ms[1], OriginCatchup); err != nil || !added {
		t.Errorf("put again after a drop: %v %v", added, err)
	}
	if n, err := s.Count(g); err != nil || n != 3 {
		t.Errorf("count after the message came back: %d %v", n, err)
	}
}
