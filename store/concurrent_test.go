package store

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"starling/message"
)

// TestConcurrentWriters is a bank-style invariant test: writers put
// overlapping sets of messages at once through every write verb while readers
// check that each snapshot is consistent. At the end every message is stored
// once, OnStored saw each once, at most one writer was told "added" per
// message, and the outbox holds exactly the own messages that were added.
func TestConcurrentWriters(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testConcurrentWriters(t, b) })
	}
}

func testConcurrentWriters(t *testing.T, b backend) {
	const (
		writers  = 6
		perGroup = 150
	)
	groups := []message.GroupID{groupID("c1"), groupID("c2"), groupID("c3")}
	var all []*message.Message
	for gi, g := range groups {
		all = append(all, genMessages(t, perGroup, g, func(i int) uint64 { return uint64(1000 + (i+gi)%40) })...)
	}
	log := newOnStoredLog()
	s, _ := b.open(t, "", Config{MaxBatch: 7, QueueSize: 16, OnStored: log.add})
	ctx := context.Background()

	var (
		mu       sync.Mutex
		addedBy  = map[message.ID]int{} // how many calls reported added
		ownAdded = map[message.ID]bool{}
		wg       sync.WaitGroup
		done     = make(chan struct{})
		failures atomic.Int32
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			// Each writer takes about two thirds of the messages, in its
			// own order, so the sets overlap heavily.
			for _, i := range rng.Perm(len(all)) {
				if rng.IntN(3) == 0 {
					continue
				}
				m := all[i]
				var added bool
				var err error
				switch w % 3 {
				case 0:
					added, err = s.Put(ctx, m, OriginGossip)
				case 1:
					err = s.Enqueue(ctx, m, OriginCatchup)
				default:
					added, err = s.PutOwn(ctx, m)
				}
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					failures.Add(1)
					return
				}
				if added {
					mu.Lock()
					addedBy[m.ID]++
					if w%3 == 2 {
						ownAdded[m.ID] = true
					}
					mu.Unlock()
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := 0; i < 200; i++ {
				select {
				case <-done:
					return
				default:
				}
				if err := s.Check(); err != nil {
					t.Errorf("check during writes: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	readers.Wait()
	if failures.Load() > 0 {
		return
	}
	// Put everything once more, so that the messages no writer picked are
	// stored too. Every Enqueue returned before the first of these Puts was
	// queued, and the writer takes the queue in order: when it returns, the
	// enqueued messages are committed.
	mustPut(t, s, all, OriginGossip)

	seen, order := log.snapshot()
	if len(order) != len(all) {
		t.Errorf("OnStored reported %d messages, want %d", len(order), len(all))
	}
	for _, m := range all {
		if seen[m.ID] != 1 {
			t.Errorf("OnStored saw %s %d times", m.ID.Short(), seen[m.ID])
		}
		if addedBy[m.ID] > 1 {
			t.Errorf("%d calls were told they added %s", addedBy[m.ID], m.ID.Short())
		}
	}
	for gi, g := range groups {
		items, err := s.Items(g)
		if err != nil {
			t.Fatal(err)
		}
		want := sortedItems(all[gi*perGroup : (gi+1)*perGroup])
		if !slices.Equal(items, want) {
			t.Errorf("group %d: %d items, want %d in order", gi, len(items), len(want))
		}
		if n, err := s.Count(g); err != nil || n != perGroup {
			t.Errorf("group %d: count %d, %v", gi, n, err)
		}
	}
	out, err := s.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(ownAdded) {
		t.Errorf("outbox has %d messages, PutOwn added %d", len(out), len(ownAdded))
	}
	for _, m := range out {
		if !ownAdded[m.ID] {
			t.Errorf("outbox holds %s, which PutOwn did not add", m.ID.Short())
		}
	}
	checkHealthy(t, s)
}

// TestConcurrentDeletes races writers against a deleter and Check. Whatever
// the interleaving: a deleted message is never visible, its copies are
// refused, OnDeleted reports exactly the deleted messages that OnStored had
// reported, and the store stays consistent throughout.
func TestConcurrentDeletes(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testConcurrentDeletes(t, b) })
	}
}

func testConcurrentDeletes(t *testing.T, b backend) {
	g := groupID("contested")
	all := genMessages(t, 300, g, func(i int) uint64 { return uint64(1 + i%50) })
	stored, deleted := newOnStoredLog(), &idLog{}
	s, _ := b.open(t, "", Config{MaxBatch: 5, QueueSize: 8, OnStored: stored.add, OnDeleted: deleted.add})
	ctx := context.Background()
	victims := map[message.ID]bool{}
	for i, m := range all {
		if i%3 == 0 {
			victims[m.ID] = true
		}
	}

	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			for _, i := range rng.Perm(len(all)) {
				var err error
				switch w {
				case 0:
					_, err = s.Put(ctx, all[i], OriginGossip)
				case 1:
					err = s.Enqueue(ctx, all[i], OriginCatchup)
				default:
					_, err = s.PutOwn(ctx, all[i])
				}
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(99, 11))
		for _, i := range rng.Perm(len(all)) {
			if victims[all[i].ID] {
				if err := s.Delete(ctx, all[i].ID); err != nil {
					t.Errorf("delete: %v", err)
					return
				}
			}
		}
	})
	wg.Go(func() {
		for range 20 {
			if err := s.Check(); err != nil {
				t.Errorf("check during deletes: %v", err)
				return
			}
		}
	})
	wg.Wait()
	mustPut(t, s, all, OriginGossip) // a barrier behind every Enqueue

	storedSeen, _ := stored.snapshot()
	deletedSeen := map[message.ID]int{}
	for _, call := range deleted.snapshot() {
		for _, id := range call {
			deletedSeen[id]++
		}
	}
	var kept []*message.Message
	for _, m := range all {
		switch {
		case !victims[m.ID]:
			kept = append(kept, m)
			if deletedSeen[m.ID] != 0 {
				t.Errorf("OnDeleted reported %s, which was never deleted", m.ID.Short())
			}
		case !s.Deleted(m.ID):
			t.Errorf("deleted %s has no tombstone", m.ID.Short())
		case deletedSeen[m.ID] != storedSeen[m.ID]:
			t.Errorf("%s: stored %d times and deleted %d times, want equal", m.ID.Short(), storedSeen[m.ID], deletedSeen[m.ID])
		}
	}
	if items, err := s.Items(g); err != nil || !slices.Equal(items, sortedItems(kept)) {
		t.Errorf("items: %d, %v; want the %d not deleted", len(items), err, len(kept))
	}
	out, err := s.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range out {
		if victims[m.ID] {
			t.Errorf("outbox holds deleted %s", m.ID.Short())
		}
	}
	checkHealthy(t, s)
}
