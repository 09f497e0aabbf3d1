package store

import (
	"fmt"
	"strings"
	"testing"

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
	for _, tb := range s.db.Tables() {
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
