package store

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/dgraph-io/badger/v4"

	"starling/message"
)

// TestMemEngineMatchesBadger drives an in-memory Badger and the memory
// engine through the same random writes (sets, sets of values with a
// shared part, sets with a TTL in the past or future, deletes, in
// transactions that commit or are discarded), and
// checks after each transaction that Get and every kind of iteration the
// store uses (forward and reverse, with and without a prefix, from Rewind
// and from Seek) see the same keys, values and TTLs in both.
func TestMemEngineMatchesBadger(t *testing.T) {
	bdb, err := badger.Open(badgerOptions("", Config{InMemory: true}.withDefaults()))
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	engines := []kvEngine{newBadgerEngine(bdb), newMemEngine()}
	defer engines[1].Close()

	rng := rand.New(rand.NewPCG(1, 2))
	// Keys from a small alphabet, so that prefixes, seeks and overwrites
	// meet often; "a" and "ab" and "abc" all occur.
	key := func() []byte {
		k := make([]byte, 1+rng.IntN(3))
		for i := range k {
			k[i] = "abc\xff"[rng.IntN(4)]
		}
		return k
	}
	now := uint64(time.Now().Unix())
	for round := range 300 {
		type op struct {
			del       bool
			k, v      []byte
			split     int // > 0: SetShared of v[:split-1] and v[split-1:]
			expiresAt uint64
		}
		var ops []op
		for range 1 + rng.IntN(6) {
			o := op{k: key(), v: fmt.Appendf(nil, "v%d", rng.IntN(1000))}
			if rng.IntN(3) == 0 {
				o.split = 1 + rng.IntN(len(o.v)+1)
			}
			switch rng.IntN(6) {
			case 0, 1:
				o.del = true
			case 2:
				o.expiresAt = now - 10 // already expired: hidden at once
			case 3:
				o.expiresAt = now + 3600
			}
			ops = append(ops, o)
		}
		commit := rng.IntN(5) > 0
		for _, e := range engines {
			txn := e.NewTransaction(true)
			for _, o := range ops {
				var err error
				switch {
				case o.del:
					err = txn.Delete(o.k)
				case o.split > 0:
					err = txn.SetShared(o.k, o.v[:o.split-1], o.v[o.split-1:], o.expiresAt)
				default:
					err = txn.SetEntry(o.k, o.v, o.expiresAt)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if commit {
				if err := txn.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			txn.Discard()
		}
		gets := [][]byte{key(), key(), key(), key(), key(), key(), key(), key()}
		var views [2]string
		for i, e := range engines {
			views[i] = engineView(t, e, gets)
		}
		if views[0] != views[1] {
			t.Fatalf("round %d: the engines differ\nbadger:\n%s\nmemory:\n%s", round, views[0], views[1])
		}
	}
}

// engineView describes what e shows: every iteration the store uses, and
// the Gets of gets.
func engineView(t *testing.T, e kvEngine, gets [][]byte) string {
	t.Helper()
	var b bytes.Buffer
	err := e.View(func(txn kvTxn) error {
		for _, prefix := range [][]byte{nil, []byte("a"), []byte("ab"), []byte("\xff")} {
			for _, reverse := range []bool{false, true} {
				it := txn.NewIterator(iterOptions{Prefix: prefix, Reverse: reverse})
				seeks := [][]byte{nil, prefix, append(slices.Clone(prefix), 0xff, 0xff), []byte("b")}
				for _, s := range seeks {
					fmt.Fprintf(&b, "prefix %q reverse %v seek %q:", prefix, reverse, s)
					if s == nil {
						it.Rewind()
					} else {
						it.Seek(s)
					}
					for ; it.Valid(); it.Next() {
						item := it.Item()
						v, err := item.ValueCopy(nil)
						if err != nil {
							return err
						}
						fmt.Fprintf(&b, " %q=%q@%d(%d)", item.Key(), v, item.ExpiresAt(), item.ValueSize())
					}
					b.WriteByte('\n')
				}
				it.Close()
			}
		}
		for _, k := range gets {
			item, err := txn.Get(k)
			switch {
			case errors.Is(err, errKeyNotFound):
				fmt.Fprintf(&b, "get %q: not found\n", k)
			case err != nil:
				return err
			default:
				v, _ := item.ValueCopy(nil)
				fmt.Fprintf(&b, "get %q: %q@%d\n", k, v, item.ExpiresAt())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestMemEngineTransactions: a read transaction keeps its snapshot while a
// write commits; a write transaction sees its own writes, in Get and in an
// iterator opened after them, and nobody else sees them before Commit; a
// discarded write leaves nothing; writes in a read transaction fail.
func TestMemEngineTransactions(t *testing.T) {
	e := newMemEngine()
	defer e.Close()
	if err := e.Update(func(txn kvTxn) error { return txn.Set([]byte("k1"), []byte("old")) }); err != nil {
		t.Fatal(err)
	}
	read := e.NewTransaction(false)
	defer read.Discard()
	if err := read.Set([]byte("x"), nil); !errors.Is(err, errReadOnlyTxn) {
		t.Errorf("set in a read transaction: %v", err)
	}

	w := e.NewTransaction(true)
	if err := w.Set([]byte("k1"), []byte("new")); err != nil {
		t.Fatal(err)
	}
	if err := w.Set([]byte("k2"), []byte("two")); err != nil {
		t.Fatal(err)
	}
	if got := getValue(t, w, "k1"); got != "new" {
		t.Errorf("the write sees k1 = %q, want its own write", got)
	}
	it := w.NewIterator(iterOptions{Prefix: []byte("k")})
	var keys []string
	for it.Rewind(); it.Valid(); it.Next() {
		keys = append(keys, string(it.Item().Key()))
	}
	it.Close()
	if !slices.Equal(keys, []string{"k1", "k2"}) {
		t.Errorf("the write's iterator sees %q", keys)
	}
	if got := getValue(t, read, "k1"); got != "old" {
		t.Errorf("a reader sees k1 = %q before the commit", got)
	}
	// A second writer waits for the first.
	second := make(chan struct{})
	go func() {
		defer close(second)
		if err := e.Update(func(txn kvTxn) error { return txn.Set([]byte("k3"), []byte("three")) }); err != nil {
			t.Error(err)
		}
	}()
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	w.Discard()
	<-second
	if got := getValue(t, read, "k1"); got != "old" {
		t.Errorf("an older reader sees k1 = %q after the commit, want its snapshot", got)
	}
	if _, err := read.Get([]byte("k2")); !errors.Is(err, errKeyNotFound) {
		t.Errorf("an older reader sees k2: %v", err)
	}
	_ = e.View(func(txn kvTxn) error {
		for k, want := range map[string]string{"k1": "new", "k2": "two", "k3": "three"} {
			if got := getValue(t, txn, k); got != want {
				t.Errorf("after both commits %s = %q, want %q", k, got, want)
			}
		}
		return nil
	})

	d := e.NewTransaction(true)
	if err := d.Delete([]byte("k1")); err != nil {
		t.Fatal(err)
	}
	d.Discard()
	d.Discard() // a second Discard is a no-op
	_ = e.View(func(txn kvTxn) error {
		if got := getValue(t, txn, "k1"); got != "new" {
			t.Errorf("after a discarded delete k1 = %q", got)
		}
		return nil
	})
	if err := e.Update(func(txn kvTxn) error { return txn.Set(nil, []byte("v")) }); err == nil {
		t.Error("an empty key was accepted")
	}
	e.Close()
	if err := e.View(func(txn kvTxn) error { _, err := txn.Get([]byte("k1")); return err }); !errors.Is(err, errEngineClosed) {
		t.Errorf("read after Close: %v, want errEngineClosed", err)
	}
}

// TestMemEngineConcurrent runs writers and readers at once (for the race
// detector): each write moves a value between two keys, so every snapshot
// must hold the same total.
func TestMemEngineConcurrent(t *testing.T) {
	e := newMemEngine()
	defer e.Close()
	const keys = 8
	put := func(txn kvTxn, i, v int) error { return txn.Set(fmt.Appendf(nil, "k%d", i), fmt.Appendf(nil, "%d", v)) }
	if err := e.Update(func(txn kvTxn) error {
		for i := range keys {
			if err := put(txn, i, 100); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sum := func(txn kvTxn) (int, error) {
		total := 0
		it := txn.NewIterator(iterOptions{Prefix: []byte("k")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var v int
			if err := it.Item().Value(func(b []byte) error { _, err := fmt.Sscan(string(b), &v); return err }); err != nil {
				return 0, err
			}
			total += v
		}
		return total, nil
	}
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for range 300 {
				err := e.Update(func(txn kvTxn) error {
					a, b := rng.IntN(keys), rng.IntN(keys)
					if a == b {
						return nil
					}
					va, err := getInt(txn, a)
					if err != nil {
						return err
					}
					vb, err := getInt(txn, b)
					if err != nil {
						return err
					}
					if err := put(txn, a, va-1); err != nil {
						return err
					}
					return put(txn, b, vb+1)
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 300 {
				if err := e.View(func(txn kvTxn) error {
					total, err := sum(txn)
					if err == nil && total != keys*100 {
						err = fmt.Errorf("a snapshot sums to %d, want %d", total, keys*100)
					}
					return err
				}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestMemEngineHasNoDisk: the memory engine refuses disk settings with a
// clear error rather than pretend to honour them, and reports no disk and
// no floors.
func TestMemEngineHasNoDisk(t *testing.T) {
	fd := newFakeDisk(1 << 40)
	_, err := Open("", Config{Engine: EngineMemory, Disk: DiskConfig{FreeSpace: fd.FreeSpace}})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("no disk")) {
		t.Errorf("memory engine with a FreeSpace: %v, want a refusal", err)
	}
	if _, err := Open("", Config{Engine: Engine(9)}); err == nil {
		t.Error("an unknown engine was accepted")
	}
	s, _ := backends[2].open(t, "", Config{})
	mustPut(t, s, []*message.Message{sign(t, testKey, groupID("m"), 1, "x")}, OriginGossip)
	if d := s.Disk(); d.State != DiskOK || d.Free != -1 || d.Floor != 0 || d.HardFloor != 0 || d.ReadOnly {
		t.Errorf("memory engine's disk: %+v", d)
	}
	if s.diskDone != nil || s.compactKick != nil || s.DiskWatched() {
		t.Error("the memory engine runs a disk monitor or compaction, or says it watches a disk")
	}
	for i, want := range []bool{true, false} { // Badger on disk, in memory
		if s, _ := backends[i].open(t, "", Config{}); s.DiskWatched() != want {
			t.Errorf("%s store: DiskWatched %v", backends[i].name, !want)
		}
	}
}

func getValue(t *testing.T, txn kvTxn, k string) string {
	t.Helper()
	item, err := txn.Get([]byte(k))
	if err != nil {
		t.Fatalf("get %s: %v", k, err)
	}
	v, _ := item.ValueCopy(nil)
	return string(v)
}

// getInt reads key k<i> as a number.
func getInt(txn kvTxn, i int) (int, error) {
	item, err := txn.Get(fmt.Appendf(nil, "k%d", i))
	if err != nil {
		return 0, err
	}
	var v int
	err = item.Value(func(b []byte) error { _, err := fmt.Sscan(string(b), &v); return err })
	return v, err
}

// TestMemEngineSharesBytes checks that two memory engines given the same
// shared bytes (SetShared: a message's envelope, which every store of the
// simulator holds) keep them once, and still read back each its own value.
func TestMemEngineSharesBytes(t *testing.T) {
	shared := bytes.Repeat([]byte("envelope "), 30)
	engines := []*memEngine{newMemEngine(), newMemEngine()}
	for i, e := range engines {
		defer e.Close()
		if err := e.Update(func(txn kvTxn) error {
			return txn.SetShared([]byte("m"), fmt.Appendf(nil, "head%d", i), bytes.Clone(shared), 0)
		}); err != nil {
			t.Fatal(err)
		}
	}
	var data [2]*byte
	for i, e := range engines {
		want := append(fmt.Appendf(nil, "head%d", i), shared...)
		if err := e.View(func(txn kvTxn) error {
			item, err := txn.Get([]byte("m"))
			if err != nil {
				return err
			}
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if !bytes.Equal(v, want) || item.ValueSize() != int64(len(want)) {
				t.Errorf("engine %d: value %q (size %d), want %q", i, v, item.ValueSize(), want)
			}
			it := txn.NewIterator(iterOptions{})
			defer it.Close()
			it.Rewind()
			if err := it.Item().Value(func(v []byte) error {
				if !bytes.Equal(v, want) {
					t.Errorf("engine %d: iterated value %q, want %q", i, v, want)
				}
				return nil
			}); err != nil {
				return err
			}
			data[i] = unsafe.StringData(item.(*memItem).e.shared.Value())
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if data[0] != data[1] {
		t.Error("the two engines hold two copies of the shared bytes")
	}
}
