package store

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"starling/internal/testwait"
	"starling/message"
)

// TestNoCompactionKeepsWriting: a store without compactors (the
// simulator's) takes more level-0 tables than Badger's stall point (15)
// without blocking, and reads back every message.
func TestNoCompactionKeepsWriting(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 20 MiB")
	}
	s, _ := backend{name: "memory"}.open(t, "", Config{MemTableSize: MinMemTableSize, NoCompaction: true})
	g := groupID("busy")
	pad := strings.Repeat("x", 900)
	const n = 20_000
	ms := make([]*message.Message, 0, n)
	for i := range n {
		ms = append(ms, sign(t, testKey, g, uint64(1_700_000_000_000+i), fmt.Sprint(i, pad)))
	}
	mustPut(t, s, ms, OriginGossip)
	l0 := 0
	for _, tb := range badgerDB(s.db).Tables() {
		if tb.Level == 0 {
			l0++
		}
	}
	if l0 <= 15 {
		t.Fatalf("only %d level-0 tables: the test wrote too little to pass Badger's stall point", l0)
	}
	if got, err := s.Count(g); err != nil || got != n {
		t.Fatalf("Count = %d, %v; want %d", got, err, n)
	}
	for _, m := range []*message.Message{ms[0], ms[n/2], ms[n-1]} {
		if ok, err := s.Has(m.ID); err != nil || !ok {
			t.Fatalf("Has(%s) = %v, %v after %d level-0 tables", m.ID.Short(), ok, err, l0)
		}
	}
}

// TestIdleStoreWakesNoCompactor: an open store, disk or memory, runs none
// of Badger's compactors, which wake every 50 ms whatever the load; the
// store compacts on demand instead (compact.go).
func TestIdleStoreWakesNoCompactor(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			b.open(t, "", Config{})
			buf := make([]byte, 1<<20)
			stacks := string(buf[:runtime.Stack(buf, true)])
			if strings.Contains(stacks, "runCompactor") {
				t.Fatal("a Badger compactor runs in an open store")
			}
		})
	}
}

// TestCompactionOnDemand: writes that leave many level-0 tables get them
// compacted below level0Compact, on disk and in memory, without a
// stall, and every message reads back.
func TestCompactionOnDemand(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 20 MiB")
	}
	for _, b := range badgerBackends {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t, "", Config{MemTableSize: MinMemTableSize})
			g := groupID("busy")
			pad := strings.Repeat("x", 900)
			const n = 20_000
			ms := make([]*message.Message, 0, n)
			for i := range n {
				ms = append(ms, sign(t, testKey, g, uint64(1_700_000_000_000+i), fmt.Sprint(i, pad)))
			}
			mustPut(t, s, ms, OriginGossip)
			testwait.Until(t, time.Minute, "level 0 compacted", func() bool {
				s.dbMu.RLock()
				defer s.dbMu.RUnlock()
				return level0Tables(badgerDB(s.db)) < level0Compact
			}, func() string {
				s.dbMu.RLock()
				defer s.dbMu.RUnlock()
				return fmt.Sprintf("%d level-0 tables", level0Tables(badgerDB(s.db)))
			})
			levels := 0
			for _, l := range badgerDB(s.db).Levels() {
				if l.NumTables > 0 {
					levels++
				}
			}
			if levels == 0 {
				t.Fatal("no table at any level after 20 MiB of writes")
			}
			if got, err := s.Count(g); err != nil || got != n {
				t.Fatalf("Count = %d, %v; want %d", got, err, n)
			}
			for _, m := range []*message.Message{ms[0], ms[n/2], ms[n-1]} {
				if ok, err := s.Has(m.ID); err != nil || !ok {
					t.Fatalf("Has(%s) = %v, %v after compaction", m.ID.Short(), ok, err)
				}
			}
		})
	}
}
