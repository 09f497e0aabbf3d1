package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"starling/internal/testwait"
	"starling/message"
)

// fakeDisk is a DiskConfig.FreeSpace whose answer the test sets.
type fakeDisk struct{ free atomic.Int64 }

func newFakeDisk(free int64) *fakeDisk {
	d := &fakeDisk{}
	d.free.Store(free)
	return d
}

func (d *fakeDisk) FreeSpace(string) (int64, error) { return d.free.Load(), nil }

// diskLog records what OnDisk reports.
type diskLog struct {
	mu     sync.Mutex
	states []string
}

func (l *diskLog) add(d Disk) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.states = append(l.states, d.Label())
}

func (l *diskLog) snapshot() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.states, " ")
}

// floorsOf returns the hard floor and the default Floor of a store opened
// with cfg.
func floorsOf(cfg Config) (hard, floor int64) {
	cfg = cfg.withDefaults()
	hard = hardFloor(badgerOptions("x", cfg))
	return hard, hard + DefaultOwnRoom
}

// TestDiskFloors walks a simulated disk down through both floors and back:
// below Floor received messages are refused and own ones still stored, below
// the hard floor nothing is written, reads work throughout, and the store
// recovers by itself when space comes back.
func TestDiskFloors(t *testing.T) {
	for _, b := range badgerBackends {
		t.Run(b.name, func(t *testing.T) {
			fd := newFakeDisk(1 << 40)
			var changes diskLog
			cfg := Config{Disk: DiskConfig{FreeSpace: fd.FreeSpace, CheckInterval: 5 * time.Millisecond}, OnDisk: changes.add}
			hard, floor := floorsOf(cfg)
			s, _ := b.open(t, "", cfg)
			ctx := context.Background()
			g := groupID("disk")
			ms := genMessages(t, 12, g, func(i int) uint64 { return uint64(1000 + i) })
			mustPut(t, s, ms[:2], OriginGossip)
			if d := s.Disk(); d.State != DiskOK || d.Floor != floor || d.HardFloor != hard || d.Reason() != "" {
				t.Fatalf("plenty of space: %+v (reason %q)", d, d.Reason())
			}

			fd.free.Store(floor - 1)
			testwait.Until(t, waitTimeout, "the low state", func() bool { return s.Disk().State == DiskLow })
			if _, err := s.Put(ctx, ms[2], OriginGossip); !errors.Is(err, ErrDiskFull) {
				t.Errorf("put below the floor: %v, want ErrDiskFull", err)
			}
			if err := s.Enqueue(ctx, ms[3], OriginCatchup); !errors.Is(err, ErrDiskFull) {
				t.Errorf("enqueue below the floor: %v, want ErrDiskFull", err)
			}
			if added, err := s.PutOwn(ctx, ms[4]); err != nil || !added {
				t.Errorf("own message below the floor: added %v, %v", added, err)
			}
			if err := s.PutGroup(Group{ID: g, Name: "disk"}); err != nil {
				t.Errorf("group record below the floor: %v", err)
			}
			if d := s.Disk(); !strings.Contains(d.Reason(), "messages from others are refused") {
				t.Errorf("reason when low: %q", d.Reason())
			}

			fd.free.Store(hard - 1)
			testwait.Until(t, waitTimeout, "the full state", func() bool { return s.Disk().State == DiskFull })
			if b.onDisk {
				// Below the hard floor an on-disk store goes read-only.
				testwait.Until(t, waitTimeout, "the read-only state", func() bool { return s.Disk().ReadOnly })
			}
			if _, err := s.PutOwn(ctx, ms[5]); !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "not saved") {
				t.Errorf("own message below the hard floor: %v, want ErrDiskFull saying it was not saved", err)
			}
			if err := s.PutGroup(Group{ID: g, Name: "renamed"}); !errors.Is(err, ErrDiskFull) {
				t.Errorf("group record below the hard floor: %v, want ErrDiskFull", err)
			}
			if err := s.Delete(ctx, ms[0].ID); !errors.Is(err, ErrDiskFull) {
				t.Errorf("delete below the hard floor: %v, want ErrDiskFull", err)
			}
			if err := s.RemoveOutbox(ms[4].ID); !errors.Is(err, ErrDiskFull) {
				t.Errorf("outbox removal below the hard floor: %v, want ErrDiskFull", err)
			}
			p, err := s.History(Query{Group: g})
			if err != nil || len(p.Messages) != 3 {
				t.Errorf("history on a full disk: %d messages, %v; want the 3 stored", len(p.Messages), err)
			}
			if out, err := s.Outbox(); err != nil || len(out) != 1 {
				t.Errorf("outbox on a full disk: %d, %v", len(out), err)
			}
			if d := s.Disk(); d.Refused < 5 {
				t.Errorf("refused counter %d, want at least 5", d.Refused)
			}

			fd.free.Store(1 << 40)
			testwait.Until(t, waitTimeout, "recovery", func() bool { return s.Disk().State == DiskOK })
			if added, err := s.Put(ctx, ms[2], OriginGossip); err != nil || !added {
				t.Errorf("put after recovery: added %v, %v", added, err)
			}
			if err := s.Delete(ctx, ms[0].ID); err != nil {
				t.Errorf("delete after recovery: %v", err)
			}
			want := "low full ok"
			if b.onDisk {
				want = "low full read-only ok"
			}
			if got := changes.snapshot(); got != want {
				t.Errorf("OnDisk saw %q, want %q", got, want)
			}
			checkHealthy(t, s)
		})
	}
}

// TestDiskNoWriteCrossesTheFloor: a write that would take the disk below a
// floor is refused even though the last measure left room above it.
func TestDiskNoWriteCrossesTheFloor(t *testing.T) {
	g := groupID("edge")
	ms := genMessages(t, 20, g, func(i int) uint64 { return uint64(i + 100) })
	cost := int64(len(ms[0].Raw)) + writeOverhead
	fd := newFakeDisk(0)
	cfg := Config{Disk: DiskConfig{FreeSpace: fd.FreeSpace, CheckInterval: time.Hour}}
	hard, floor := floorsOf(cfg)
	fd.free.Store(floor + 2*cost + cost/2)
	s, _ := backends[1].open(t, "", cfg)
	ctx := context.Background()
	stored := 0
	for _, m := range ms {
		_, err := s.Put(ctx, m, OriginGossip)
		switch {
		case err == nil:
			stored++
			fd.free.Add(-cost) // the simulated disk fills as the store writes
		case !errors.Is(err, ErrDiskFull):
			t.Fatal(err)
		}
	}
	if stored != 2 {
		t.Errorf("%d messages stored with room for 2 above the floor", stored)
	}
	fd.free.Store(hard + cost/2)
	s.disk.measure()
	if _, err := s.PutOwn(ctx, ms[19]); !errors.Is(err, ErrDiskFull) {
		t.Errorf("own message that would cross the hard floor: %v, want ErrDiskFull", err)
	}
}

// TestDiskReadOnlyStart opens a store with data on a simulated disk below
// the hard floor: it opens read-only, every read works, every write fails
// with ErrDiskFull, and once there is room it reopens for writing by itself
// and keeps everything.
func TestDiskReadOnlyStart(t *testing.T) {
	dir := freshDir(t)
	g := groupID("ro")
	ms := genMessages(t, 6, g, func(i int) uint64 { return uint64(100 + i) })
	{
		s, err := Open(dir, Config{})
		if err != nil {
			t.Fatal(err)
		}
		mustPut(t, s, ms[:3], OriginGossip)
		if _, err := s.PutOwn(context.Background(), ms[3]); err != nil {
			t.Fatal(err)
		}
		if err := s.PutGroup(Group{ID: g, Name: "ro"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	fd := newFakeDisk(3 << 20)
	var changes diskLog
	s, err := Open(dir, Config{Disk: DiskConfig{FreeSpace: fd.FreeSpace, CheckInterval: 5 * time.Millisecond}, OnDisk: changes.add})
	if err != nil {
		t.Fatalf("open on a full disk: %v", err)
	}
	defer s.Close()
	d := s.Disk()
	if !d.ReadOnly || d.State != DiskFull || !strings.Contains(d.Reason(), "read-only") || strings.Contains(d.Reason(), "\n") {
		t.Fatalf("on a full disk: %+v, reason %q; want read-only with a one-line reason", d, d.Reason())
	}
	p, err := s.History(Query{Group: g})
	if err != nil || len(p.Messages) != 4 {
		t.Errorf("history read-only: %d, %v", len(p.Messages), err)
	}
	if gs, err := s.Groups(); err != nil || len(gs) != 1 {
		t.Errorf("groups read-only: %v, %v", gs, err)
	}
	if out, err := s.Outbox(); err != nil || len(out) != 1 {
		t.Errorf("outbox read-only: %d, %v", len(out), err)
	}
	if err := s.Check(); err != nil {
		t.Errorf("check read-only: %v", err)
	}
	ctx := context.Background()
	if _, err := s.PutOwn(ctx, ms[4]); !errors.Is(err, ErrDiskFull) {
		t.Errorf("own message read-only: %v", err)
	}
	if _, err := s.Put(ctx, ms[4], OriginGossip); !errors.Is(err, ErrDiskFull) {
		t.Errorf("put read-only: %v", err)
	}
	if err := s.PutPeer(Peer{ID: "12D3KooWx"}); !errors.Is(err, ErrDiskFull) {
		t.Errorf("peer record read-only: %v", err)
	}

	fd.free.Store(1 << 40)
	testwait.Until(t, waitTimeout, "the store to reopen for writing", func() bool { return !s.Disk().ReadOnly && s.Disk().State == DiskOK })
	if _, err := s.PutOwn(ctx, ms[4]); err != nil {
		t.Errorf("own message after reopening: %v", err)
	}
	mustPut(t, s, ms[5:], OriginGossip)
	if got := changes.snapshot(); got != "ok" {
		t.Errorf("OnDisk saw %q, want %q", got, "ok")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p, err := s.History(Query{Group: g}); err != nil || len(p.Messages) != 6 {
		t.Errorf("after reopening: %d messages, %v; want 6", len(p.Messages), err)
	}
	checkHealthy(t, s)
}

// TestDiskReserve: the reserve file is made while there is room, released
// when the disk falls below the hard floor, and made again only once there
// is room for it above the hard floor; until then the store stays full.
func TestDiskReserve(t *testing.T) {
	dir := freshDir(t)
	fd := newFakeDisk(1 << 40)
	cfg := Config{Disk: DiskConfig{FreeSpace: fd.FreeSpace, CheckInterval: time.Hour}}
	s, _ := backends[0].open(t, dir, cfg)
	reserve := filepath.Join(dir, reserveName)
	size := reserveSize(badgerOptions(dir, cfg.withDefaults()))
	if fi, err := os.Stat(reserve); err != nil || fi.Size() != size || allocated(fi) < size {
		t.Fatalf("reserve file after Open: %v, %v; want %d bytes allocated", fi, err, size)
	}
	if d := s.Disk(); d.Reserve != size {
		t.Errorf("Disk().Reserve = %d, want %d", d.Reserve, size)
	}
	hard := s.Disk().HardFloor
	fd.free.Store(hard - 1)
	if d := s.disk.measure(); d.State != DiskFull || d.Reserve != 0 {
		t.Fatalf("below the hard floor: %+v", d)
	}
	if _, err := os.Stat(reserve); !os.IsNotExist(err) {
		t.Errorf("reserve file still there below the hard floor: %v", err)
	}
	fd.free.Store(hard + size/2) // above the hard floor, but without room for the reserve
	if d := s.disk.measure(); d.State != DiskFull {
		t.Errorf("with no room to take the reserve back: %s, want full", d.State)
	}
	fd.free.Store(1 << 40)
	if d := s.disk.measure(); d.State != DiskOK || d.Reserve != size {
		t.Errorf("with room again: %+v", d)
	}
	if _, err := os.Stat(reserve); err != nil {
		t.Errorf("reserve file not made again: %v", err)
	}
}

// TestDiskInMemory: an in-memory store without a FreeSpace has no floors.
func TestDiskInMemory(t *testing.T) {
	s, _ := backends[1].open(t, "", Config{})
	if d := s.Disk(); d.State != DiskOK || d.Free != -1 {
		t.Errorf("in-memory store: %+v", d)
	}
	mustPut(t, s, []*message.Message{sign(t, testKey, groupID("m"), 1, "x")}, OriginGossip)
}

// TestDiskGuardAccounting checks the writer's arithmetic between measures:
// a received write that would cross Floor is refused and moves the state to
// low, own writes keep their room down to the hard floor, and one that would
// cross it is refused and moves the state to full.
func TestDiskGuardAccounting(t *testing.T) {
	fd := newFakeDisk(0)
	cfg := Config{Disk: DiskConfig{FreeSpace: fd.FreeSpace, CheckInterval: time.Hour}}.withDefaults()
	g := newDiskGuard("x", cfg, badgerOptions("x", cfg))
	take := func(k writeKind, n int64) error {
		err := g.take(k, n)
		if err == nil {
			fd.free.Add(-n) // the disk fills as the store writes
		}
		return err
	}
	fd.free.Store(g.floor + 10<<20)
	g.measure()
	if err := take(writeReceived, 6<<20); err != nil {
		t.Fatal(err)
	}
	if err := take(writeReceived, 6<<20); !errors.Is(err, ErrDiskFull) || g.cur.Load().State != DiskLow {
		t.Fatalf("a received write crossing Floor: %v, state %s", err, g.cur.Load().State)
	}
	room := fd.free.Load() - g.hard // from 4 MiB above Floor down to the hard floor
	if err := take(writeOwn, room-1); err != nil {
		t.Errorf("an own write with room above the hard floor: %v", err)
	}
	if err := take(writeOwn, 2); !errors.Is(err, ErrDiskFull) || g.cur.Load().State != DiskFull {
		t.Errorf("an own write crossing the hard floor: %v, state %s", err, g.cur.Load().State)
	}
}
