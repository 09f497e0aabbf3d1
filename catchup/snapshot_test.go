package catchup

import (
	"sync/atomic"
	"testing"
	"time"

	"starling/message"
)

// Sessions share a group's snapshot while its version stays the same; a
// change gives the next session a new one, and at maxGenerations alive the
// newest is shared even though it is stale. Released snapshots are freed.
func TestSnapshotsShared(t *testing.T) {
	g := groupID("snapshots")
	st := newIndexStore(g, 1000)
	var ver atomic.Uint64
	ss := newSnapshots(Config{Store: st, Version: func(message.GroupID) uint64 { return ver.Load() }, Clock: time.Now}.withDefaults())
	live := func() int {
		ss.mu.Lock()
		defer ss.mu.Unlock()
		return len(ss.groups[g].live)
	}

	a, err := ss.acquire(g)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ss.acquire(g)
	if a != b || live() != 1 {
		t.Fatalf("two sessions at one version: %p and %p, %d alive; want one shared", a, b, live())
	}
	if !a.has(st.items[500].ID) || a.has(message.ID{1}) {
		t.Error("has does not match the snapshot's items")
	}

	ver.Add(1)
	c, _ := ss.acquire(g)
	if c == a || live() != 2 {
		t.Fatalf("after a change: same snapshot %v, %d alive; want a new one", c == a, live())
	}
	ver.Add(1)
	d, _ := ss.acquire(g)
	if d != c || live() != 2 {
		t.Fatalf("at %d generations: new snapshot %v, %d alive; want the newest shared", maxGenerations, d != c, live())
	}

	for _, s := range []*snapshot{a, b, c, d} {
		ss.release(s)
	}
	if live() != 0 {
		t.Fatalf("%d snapshots alive after every release", live())
	}
	e, _ := ss.acquire(g)
	defer ss.release(e)
	if e == c || e.version != ver.Load() {
		t.Error("a session after all were released did not get a fresh snapshot")
	}
}
