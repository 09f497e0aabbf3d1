package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"starling/message"
)

// Each store benchmark has a raw Badger floor beside it, measured in the same
// run with the same Badger options: BenchmarkIngest vs BenchmarkRawBadgerBatch,
// BenchmarkPutOwn vs BenchmarkRawBadgerSynced, BenchmarkHistory vs
// BenchmarkRawPrefixScan.

const ingestCount = 10_000 // messages per ingest operation

var benchGroup = groupID("bench")

// benchPool holds pre-signed messages, grown on demand, so that signing is
// never timed.
var benchPool struct {
	sync.Mutex
	ms []*message.Message
}

func benchMessages(b *testing.B, n int) []*message.Message {
	b.Helper()
	benchPool.Lock()
	defer benchPool.Unlock()
	base := uint64(1_700_000_000_000)
	for i := len(benchPool.ms); i < n; i++ {
		// Ten messages per millisecond, so send times repeat.
		benchPool.ms = append(benchPool.ms, sign(b, testKey, benchGroup, base+uint64(i/10),
			fmt.Sprintf("benchmark message %d, about as long as a chat line usually is", i)))
	}
	return benchPool.ms[:n]
}

func benchStore(b *testing.B, cfg Config) *Store {
	b.Helper()
	s, err := Open(b.TempDir(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func closeStore(b *testing.B, s *Store) {
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

// reportRate reports messages per second of timed work.
func reportRate(b *testing.B, perOp int, elapsed time.Duration) {
	b.ReportMetric(float64(perOp*b.N)/elapsed.Seconds(), "msgs/s")
}

// BenchmarkIngest stores ingestCount pre-signed messages in a fresh on-disk
// store per operation, through the writer: from one goroutine with Enqueue,
// and from 16 goroutines with Put (the writer batches whatever is queued).
func BenchmarkIngest(b *testing.B) {
	ms := benchMessages(b, ingestCount)
	ctx := context.Background()
	run := func(b *testing.B, ingest func(s *Store)) {
		for range b.N {
			b.StopTimer()
			s := benchStore(b, Config{})
			b.StartTimer()
			ingest(s)
			b.StopTimer()
			if n, _ := s.Count(benchGroup); n != len(ms) {
				b.Fatalf("stored %d of %d", n, len(ms))
			}
			closeStore(b, s)
			b.StartTimer()
		}
		reportRate(b, len(ms), b.Elapsed())
	}
	b.Run("Enqueue", func(b *testing.B) {
		run(b, func(s *Store) {
			for _, m := range ms[:len(ms)-1] {
				if err := s.Enqueue(ctx, m, OriginGossip); err != nil {
					b.Fatal(err)
				}
			}
			// The writer takes the queue in order: this Put returns once
			// everything before it has committed.
			if _, err := s.Put(ctx, ms[len(ms)-1], OriginGossip); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("Put16", func(b *testing.B) {
		run(b, func(s *Store) {
			const workers = 16
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := w; i < len(ms); i += workers {
						if _, err := s.Put(ctx, ms[i], OriginGossip); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	})
}

// BenchmarkRawBadgerBatch is the floor for BenchmarkIngest: the same keys and
// values, in raw Badger transactions of DefaultMaxBatch messages, no writer.
func BenchmarkRawBadgerBatch(b *testing.B) {
	ms := benchMessages(b, ingestCount)
	now := time.Now()
	for range b.N {
		b.StopTimer()
		db := rawBadger(b)
		b.StartTimer()
		for i := 0; i < len(ms); i += DefaultMaxBatch {
			txn := db.NewTransaction(true)
			for _, m := range ms[i:min(i+DefaultMaxBatch, len(ms))] {
				rawSetMessage(b, badgerTxn{txn}, m, now, false)
			}
			if err := txn.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	reportRate(b, len(ms), b.Elapsed())
}

func rawBadger(b *testing.B) *badger.DB {
	b.Helper()
	db, err := badger.Open(badgerOptions(b.TempDir(), Config{}.withDefaults()))
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// rawSetMessage writes what the writer writes for m.
func rawSetMessage(b *testing.B, txn kvTxn, m *message.Message, now time.Time, outbox bool) {
	st := Stored{Msg: m, Origin: OriginGossip, ReceivedAt: now}
	err := txn.Set(messageKey(m.ID), encodeRecord(st))
	if err == nil {
		err = txn.Set(indexKey(m.Body.Group, m.Body.SentAtMS, m.ID), nil)
	}
	if err == nil && outbox {
		err = txn.Set(outboxKey(m.ID), make([]byte, 8))
	}
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPutOwn stores one own message per operation, synced to disk.
func BenchmarkPutOwn(b *testing.B) {
	ms := benchMessages(b, b.N)
	s := benchStore(b, Config{})
	defer closeStore(b, s)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.PutOwn(ctx, ms[i]); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, 1, b.Elapsed())
}

// BenchmarkRawBadgerSynced is the floor for BenchmarkPutOwn: one raw Badger
// transaction with the same three keys per operation, committed and synced.
func BenchmarkRawBadgerSynced(b *testing.B) {
	ms := benchMessages(b, b.N)
	db := rawBadger(b)
	defer db.Close()
	now := time.Now()
	b.ResetTimer()
	for i := range b.N {
		txn := db.NewTransaction(true)
		rawSetMessage(b, badgerTxn{txn}, ms[i], now, true)
		if err := txn.Commit(); err != nil {
			b.Fatal(err)
		}
		if err := db.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, 1, b.Elapsed())
}

// historyStore is an on-disk store holding ingestCount messages of one group.
func historyStore(b *testing.B) *Store {
	b.Helper()
	ms := benchMessages(b, ingestCount)
	s := benchStore(b, Config{})
	ctx := context.Background()
	for _, m := range ms {
		if err := s.Enqueue(ctx, m, OriginGossip); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.Put(ctx, ms[0], OriginGossip); err != nil { // waits for the queue
		b.Fatal(err)
	}
	return s
}

// BenchmarkHistory reads the first page of 100 and the whole group of 10,000
// in one page.
func BenchmarkHistory(b *testing.B) {
	s := historyStore(b)
	defer closeStore(b, s)
	for _, limit := range []int{100, ingestCount} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			for range b.N {
				p, err := s.History(Query{Group: benchGroup, Limit: limit})
				if err != nil || len(p.Messages) != limit {
					b.Fatal(len(p.Messages), err)
				}
			}
			reportRate(b, limit, b.Elapsed())
		})
	}
}

// BenchmarkRawPrefixScan is the floor for BenchmarkHistory: the same index
// prefix iteration and value fetches in raw Badger, without decoding.
func BenchmarkRawPrefixScan(b *testing.B) {
	s := historyStore(b)
	defer closeStore(b, s)
	for _, limit := range []int{100, ingestCount} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			for range b.N {
				n := 0
				err := s.db.View(func(txn kvTxn) error {
					prefix := indexPrefix(benchGroup)
					it := txn.NewIterator(iterOptions{Prefix: prefix})
					defer it.Close()
					for it.Seek(prefix); it.ValidForPrefix(prefix) && n < limit; it.Next() {
						_, _, id, _ := parseIndexKey(it.Item().Key())
						item, err := txn.Get(messageKey(id))
						if err != nil {
							return err
						}
						if _, err := item.ValueCopy(nil); err != nil {
							return err
						}
						n++
					}
					return nil
				})
				if err != nil || n != limit {
					b.Fatal(n, err)
				}
			}
			reportRate(b, limit, b.Elapsed())
		})
	}
}

// BenchmarkDecode is what History adds to the raw scan per message: decoding
// the stored envelope again.
func BenchmarkDecode(b *testing.B) {
	m := benchMessages(b, 1)[0]
	rec := encodeRecord(Stored{Msg: m, Origin: OriginGossip, ReceivedAt: time.Now()})
	for b.Loop() {
		if _, err := decodeRecord(m.ID, rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHas is the gossip validator's duplicate check.
func BenchmarkHas(b *testing.B) {
	s := historyStore(b)
	defer closeStore(b, s)
	ms := benchMessages(b, ingestCount)
	i := 0
	for b.Loop() {
		if ok, err := s.Has(ms[i%len(ms)].ID); err != nil || !ok {
			b.Fatal(ok, err)
		}
		i++
	}
}

// checkCount is the store size BenchmarkCheck walks.
const checkCount = 100_000

// BenchmarkCheck walks an on-disk store of checkCount messages (each with
// its index entry) as `starling store check` does: keys, decoding and
// partners only, and with every signature verified too.
func BenchmarkCheck(b *testing.B) {
	ms := benchMessages(b, checkCount)
	s := benchStore(b, Config{})
	defer closeStore(b, s)
	ctx := context.Background()
	for _, m := range ms {
		if err := s.Enqueue(ctx, m, OriginGossip); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.PutOwn(ctx, sign(b, testKey, benchGroup, 1, "last")); err != nil { // waits for the queue
		b.Fatal(err)
	}
	for _, sigs := range []bool{false, true} {
		b.Run(fmt.Sprintf("signatures=%v", sigs), func(b *testing.B) {
			start, cpu := time.Now(), cpuTime()
			for range b.N {
				r, err := s.Inspect(CheckOptions{Signatures: sigs})
				if err != nil || r.Total != 0 || r.Messages != checkCount+1 {
					b.Fatalf("%d messages, %v, %v", r.Messages, r.Err(), err)
				}
			}
			reportRate(b, checkCount, time.Since(start))
			// CPU time too: on a shared machine it varies less than the
			// wall clock.
			b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// BenchmarkMemPut stores 200 messages one Put at a time in a fresh store on
// the memory engine, as the simulator's nodes do at low load: each is a
// write transaction of its own, copying the tree nodes it changes.
func BenchmarkMemPut(b *testing.B) {
	ms := benchMessages(b, 200)
	ctx := context.Background()
	b.ReportAllocs()
	for range b.N {
		b.StopTimer()
		s, err := Open("", Config{Engine: EngineMemory})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, m := range ms {
			if _, err := s.Put(ctx, m, OriginGossip); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		closeStore(b, s)
		b.StartTimer()
	}
	reportRate(b, len(ms), b.Elapsed())
}
