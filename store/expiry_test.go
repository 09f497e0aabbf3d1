package store

import (
	"bytes"
	"context"
	"errors"
	"github.com/dgraph-io/badger/v4"
	"slices"
	"testing"
	"time"

	"starling/internal/testwait"
	"starling/message"
)

// expiryFixture fills a group with everything a group can have in the store:
// texts, control messages, own messages in the outbox, a tombstone, a group
// record and a state; and a second group with a little of each, which must
// stay untouched.
type expiryFixture struct {
	g, other   message.GroupID
	msgs       []*message.Message // of g, own ones included
	own        *message.Message   // of g, in the outbox
	dead       *message.Message   // of g, deleted
	otherMsgs  []*message.Message
	otherOwn   *message.Message
	orphanTomb message.ID // a tombstone whose target never came
}

func newExpiryFixture(t *testing.T, s *Store, base uint64) *expiryFixture {
	t.Helper()
	ctx := context.Background()
	f := &expiryFixture{g: groupID("ending"), other: groupID("lasting"), orphanTomb: message.ID{0xdd}}
	f.msgs = append(genMessages(t, 12, f.g, func(i int) uint64 { return base + uint64(i) }),
		signKind(t, f.g, base+3, message.KindDescriptor, "descriptor"),
		signKind(t, f.g, base+4, message.KindOpPart, "op-part"))
	f.dead = sign(t, testKey, f.g, base+5, "deleted before the end")
	mustPut(t, s, append(slices.Clone(f.msgs), f.dead), OriginGossip)
	f.own = sign(t, testKey, f.g, base+6, "own")
	f.otherOwn = sign(t, testKey, f.other, base+6, "own, lasting")
	f.otherMsgs = append(genMessages(t, 4, f.other, func(i int) uint64 { return base + uint64(i) }),
		signKind(t, f.other, base+1, message.KindProfile, "profile"))
	mustPut(t, s, f.otherMsgs, OriginGossip)
	for _, m := range []*message.Message{f.own, f.otherOwn} {
		if _, err := s.PutOwn(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	f.msgs = append(f.msgs, f.own)
	f.otherMsgs = append(f.otherMsgs, f.otherOwn)
	if err := s.Delete(ctx, f.dead.ID, f.orphanTomb); err != nil {
		t.Fatal(err)
	}
	for _, g := range []message.GroupID{f.g, f.other} {
		if err := s.PutGroup(Group{ID: g, Name: g.Short(), Kind: "open"}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutGroupState(g, []byte("secrets of "+g.Short())); err != nil {
			t.Fatal(err)
		}
	}
	checkHealthy(t, s)
	return f
}

// keys returns every key the group of ms holds: of each message, its
// record, index entries and outbox entry; the tombstones; the group record
// and state.
func groupKeys(g message.GroupID, ms []*message.Message, own *message.Message, tombs ...message.ID) [][]byte {
	keys := [][]byte{groupKey(g), stateKey(g)}
	for _, m := range ms {
		keys = append(keys, messageKey(m.ID), indexKey(g, m.Body.SentAtMS, m.ID))
		if k := kindKeyOf(m); k != nil {
			keys = append(keys, k)
		}
		if m == own {
			keys = append(keys, outboxKey(m.ID))
		}
	}
	for _, id := range tombs {
		keys = append(keys, tombstoneKey(id))
	}
	return keys
}

// ttls returns the TTL of each key; a missing key fails the test.
func ttls(t *testing.T, s *Store, keys [][]byte) []uint64 {
	t.Helper()
	out := make([]uint64, len(keys))
	err := s.db.View(func(txn kvTxn) error {
		for i, k := range keys {
			item, err := txn.Get(k)
			if err != nil {
				t.Errorf("key %q: %v", k, err)
				continue
			}
			out[i] = item.ExpiresAt()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantTTL(t *testing.T, s *Store, keys [][]byte, want uint64) {
	t.Helper()
	for i, got := range ttls(t, s, keys) {
		if got != want {
			t.Errorf("key %q has TTL %d, want %d", keys[i], got, want)
		}
	}
}

// wantGone fails unless every key in keys is deleted: not merely hidden by
// its TTL. It reads each key's latest version.
func wantGone(t *testing.T, s *Store, keys [][]byte) {
	t.Helper()
	gone := func(key []byte, ttl uint64) {
		if slices.ContainsFunc(keys, func(k []byte) bool { return bytes.Equal(k, key) }) {
			t.Errorf("key %q is still there (TTL %d)", key, ttl)
		}
	}
	if mem, ok := s.db.(*memEngine); ok {
		// Hidden entries are still in the tree; deleted ones are not.
		mem.snap.Load().Scan(func(e *memEntry) bool {
			gone(e.key(), e.expiresAt)
			return true
		})
		return
	}
	err := badgerDB(s.db).View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{AllVersions: true})
		defer it.Close()
		var last []byte
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			if bytes.Equal(item.Key(), last) {
				continue // an older version
			}
			last = item.KeyCopy(nil)
			if item.IsDeletedOrExpired() && item.ExpiresAt() == 0 {
				continue // deleted
			}
			gone(last, item.ExpiresAt())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// wantUntouched checks that the other group kept everything.
func (f *expiryFixture) wantUntouched(t *testing.T, s *Store) {
	t.Helper()
	wantTTL(t, s, groupKeys(f.other, f.otherMsgs, f.otherOwn), 0)
	if n, err := s.Count(f.other); err != nil || n != len(f.otherMsgs) {
		t.Errorf("other group: %d messages, %v; want %d", n, err, len(f.otherMsgs))
	}
	out, err := s.Outbox()
	if err != nil || !slices.ContainsFunc(out, func(m *message.Message) bool { return m.ID == f.otherOwn.ID }) {
		t.Errorf("the other group's own message left the outbox (%v)", err)
	}
	if !s.Deleted(f.orphanTomb) {
		t.Error("the tombstone of no known group went")
	}
}

// wantRefused checks that the group takes nothing any more.
func (f *expiryFixture) wantRefused(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	late := sign(t, testKey, f.g, 1, "after the end")
	if added, err := s.Put(ctx, late, OriginGossip); err != nil || added {
		t.Errorf("put into an expired group: %v, %v; want false, nil", added, err)
	}
	if added, err := s.PutOwn(ctx, late); err != nil || added {
		t.Errorf("own put into an expired group: %v, %v; want false, nil", added, err)
	}
	if err := s.PutGroup(Group{ID: f.g, Name: "again"}); !errors.Is(err, ErrExpired) {
		t.Errorf("put group of an expired group: %v, want ErrExpired", err)
	}
	if err := s.PutGroupState(f.g, []byte("x")); !errors.Is(err, ErrExpired) {
		t.Errorf("put state of an expired group: %v, want ErrExpired", err)
	}
}

// wantEmpty checks that no read sees anything of the group.
func (f *expiryFixture) wantEmpty(t *testing.T, s *Store) {
	t.Helper()
	if n, err := s.Count(f.g); err != nil || n != 0 {
		t.Errorf("count: %d, %v; want 0", n, err)
	}
	if ks, err := s.Kinds(f.g); err != nil || len(ks) != 0 {
		t.Errorf("kinds: %d, %v; want none", len(ks), err)
	}
	if _, err := s.Group(f.g); !errors.Is(err, ErrNotFound) {
		t.Errorf("group record: %v, want ErrNotFound", err)
	}
	if _, err := s.GroupState(f.g); !errors.Is(err, ErrNotFound) {
		t.Errorf("group state: %v, want ErrNotFound", err)
	}
	for _, m := range f.msgs {
		if _, err := s.Get(m.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("get %s: %v, want ErrNotFound", m.ID.Short(), err)
		}
	}
}

// testExpireByTTL lets Badger's TTL end a group in real time, with no sweep:
// everything of the group vanishes at once, and Check and every read stay
// clean while it does.
func testExpireByTTL(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{SweepInterval: -1})
	f := newExpiryFixture(t, s, message.TimeMS(time.Now()))
	at := time.Now().Add(1500 * time.Millisecond)
	if err := s.ExpireGroup(f.g, at); err != nil {
		t.Fatal(err)
	}
	// Written after ExpireGroup: takes the TTL as it is written.
	late := signKind(t, f.g, message.TimeMS(time.Now()), message.KindProfile, "late profile")
	mustPut(t, s, []*message.Message{late}, OriginGossip)
	f.msgs = append(f.msgs, late)
	ttl := badgerExpiry(at)
	wantTTL(t, s, groupKeys(f.g, f.msgs, f.own, f.dead.ID), ttl)
	f.wantUntouched(t, s)
	checkHealthy(t, s)

	testwait.Until(t, waitTimeout, "the group to expire", func() bool {
		checkHealthy(t, s)
		if _, err := s.History(Query{Group: f.g, Limit: 3}); err != nil {
			t.Fatalf("history while expiring: %v", err)
		}
		if _, err := s.Kinds(f.g); err != nil {
			t.Fatalf("kinds while expiring: %v", err)
		}
		if _, err := s.Outbox(); err != nil {
			t.Fatalf("outbox while expiring: %v", err)
		}
		n, err := s.Count(f.g)
		return err == nil && n == 0
	})
	f.wantEmpty(t, s)
	wantOutbox(t, s, f.otherOwn)
	if s.Deleted(f.dead.ID) {
		t.Error("the group's tombstone outlived the group")
	}
	f.wantRefused(t, s)
	f.wantUntouched(t, s)
	checkHealthy(t, s)
}

// testExpireMoves moves an expiry later, then removes it: every key of the
// group follows. The same expiry twice rewrites nothing.
func testExpireMoves(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{})
	f := newExpiryFixture(t, s, 1000)
	keys := groupKeys(f.g, f.msgs, f.own, f.dead.ID)
	soon, later := time.Now().Add(time.Hour), time.Now().Add(2*time.Hour+time.Millisecond)
	for _, at := range []time.Time{soon, later} {
		if err := s.ExpireGroup(f.g, at); err != nil {
			t.Fatal(err)
		}
		wantTTL(t, s, keys, badgerExpiry(at))
		checkHealthy(t, s)
	}
	if err := s.RemoveOutbox(f.own.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.ExpireGroup(f.g, later); err != nil { // unchanged: nothing to do
		t.Fatal(err)
	}
	wantOutbox(t, s, f.otherOwn)
	if err := s.ExpireGroup(f.g, time.Time{}); err != nil {
		t.Fatal(err)
	}
	wantTTL(t, s, groupKeys(f.g, f.msgs, nil, f.dead.ID), 0)
	if found, err := s.view2(expiryKey(f.g)); err != nil || found {
		t.Errorf("expiry record after removing the expiry: %v, %v", found, err)
	}
	if err := s.ExpireGroup(groupID("never"), time.Time{}); err != nil {
		t.Errorf("removing an expiry that is not there: %v", err)
	}
	f.wantUntouched(t, s)
	checkHealthy(t, s)
}

// testExpirePast: an expiry that has passed purges the group at once.
func testExpirePast(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{SweepInterval: -1})
	f := newExpiryFixture(t, s, 1000)
	keys := groupKeys(f.g, f.msgs, f.own, f.dead.ID)
	if err := s.ExpireGroup(f.g, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	wantGone(t, s, keys)
	f.wantEmpty(t, s)
	f.wantRefused(t, s)
	f.wantUntouched(t, s)
	checkHealthy(t, s)
}

// testSweep: once the store's clock passes a group's expiry, the sweep
// purges the group for good, long before Badger's TTL would hide it, and the
// store keeps refusing it after a restart.
func testSweep(t *testing.T, b backend) {
	now := time.Now()
	clock := &manualClock{now: now}
	cfg := Config{Clock: clock.Now, SweepInterval: 5 * time.Millisecond}
	s, dir := b.open(t, "", cfg)
	f := newExpiryFixture(t, s, 1000)
	keys := groupKeys(f.g, f.msgs, f.own, f.dead.ID)
	at := now.Add(time.Hour)
	if err := s.ExpireGroup(f.g, at); err != nil {
		t.Fatal(err)
	}
	wantTTL(t, s, keys, badgerExpiry(at))
	clock.Set(at)
	testwait.Until(t, waitTimeout, "the sweep", func() bool {
		n, err := s.Count(f.g)
		return err == nil && n == 0
	})
	// The sweep's task is still committing the records; ExpireGroup queues
	// behind it.
	if err := s.ExpireGroup(f.g, at); err != nil {
		t.Fatal(err)
	}
	wantGone(t, s, keys)
	f.wantEmpty(t, s)
	f.wantRefused(t, s)
	f.wantUntouched(t, s)
	checkHealthy(t, s)
	if !b.onDisk {
		return
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, _ = b.open(t, dir, cfg)
	f.wantRefused(t, s)
	checkHealthy(t, s)
}

func testDeleteGroup(t *testing.T, b backend) {
	deleted := &idLog{}
	s, _ := b.open(t, "", Config{OnDeleted: deleted.add})
	f := newExpiryFixture(t, s, 1000)
	keys := groupKeys(f.g, f.msgs, f.own, f.dead.ID)
	if err := s.ExpireGroup(f.g, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	calls := len(deleted.snapshot())
	for range 2 {
		if err := s.DeleteGroup(f.g); err != nil {
			t.Fatal(err)
		}
	}
	wantGone(t, s, append(keys, expiryKey(f.g)))
	f.wantEmpty(t, s)
	f.wantUntouched(t, s)
	if got := len(deleted.snapshot()); got != calls {
		t.Errorf("OnDeleted called %d times for DeleteGroup, want never", got-calls)
	}
	// A deleted group that had not expired may come back.
	if added, err := s.Put(context.Background(), f.msgs[0], OriginGossip); err != nil || !added {
		t.Errorf("put after DeleteGroup: %v, %v; want true", added, err)
	}
	wantTTL(t, s, [][]byte{messageKey(f.msgs[0].ID)}, 0)
	checkHealthy(t, s)
}

// view2 reports whether key exists.
func (s *Store) view2(key []byte) (bool, error) {
	found := false
	err := s.view(func(txn kvTxn) error {
		var err error
		found, err = exists(txn, key)
		return err
	})
	return found, err
}
