package catchup

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"

	"starling/internal/testwait"
	"starling/message"
	"starling/store"
)

// indexStore is a Store that holds only a group's index: what a server
// reads to reconcile. Items returns a fresh slice on every call, as the real
// store does, so the benchmark pays what a real session pays.
type indexStore struct {
	group message.GroupID
	items []store.Item
}

func newIndexStore(g message.GroupID, n int) *indexStore {
	s := &indexStore{group: g, items: make([]store.Item, n)}
	for i := range s.items {
		var seed [8]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i))
		s.items[i] = store.Item{SentAtMS: baseMS + uint64(i), ID: sha256.Sum256(seed[:])}
	}
	return s
}

func (s *indexStore) Items(g message.GroupID) ([]store.Item, error) {
	if g != s.group {
		return nil, nil
	}
	return slices.Clone(s.items), nil
}

func (s *indexStore) Get(id message.ID) (store.Stored, error) {
	return store.Stored{}, fmt.Errorf("get %s: %w", id.Short(), store.ErrNotFound)
}

func (s *indexStore) Put(context.Context, *message.Message, store.Origin) (bool, error) {
	return false, nil
}

func (s *indexStore) Deleted(message.ID) bool { return false }

// holdStream is a client that sent Hello, read the server's first answer
// and now holds the session open without a word, as the attacker in issue
// 14 did.
func holdStream(b *testing.B, from host.Host, to host.Host, g message.GroupID) network.Stream {
	b.Helper()
	r := openRaw(b, from, to.ID())
	if f := r.hello(g); f.GetReconcile() == nil {
		b.Fatalf("server answered Hello with %s", kindName(f))
	}
	return r.st
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkHeldSessionMemory measures what held catch-up sessions cost a
// server whose group holds 10,000 or 100,000 messages: the live heap with 1
// and with 64 sessions that sent Hello and wait, less the heap before them.
// It reports the total and the cost per session. The clients are on other
// hosts in the same process; their share (one stream and a small buffer
// each) is included, the messages themselves are not (the store holds only
// the index, which is all a reconciling server reads).
func BenchmarkHeldSessionMemory(b *testing.B) {
	for _, size := range []int{10_000, 100_000} {
		for _, held := range []int{1, 64} {
			b.Run(fmt.Sprintf("messages=%d/sessions=%d", size, held), func(b *testing.B) {
				g := groupID("memory")
				st := newIndexStore(g, size)
				server := newNode(b, Config{Store: st, MaxSessionsPerPeer: held, MaxSessionsPerAddr: held, MaxSessions: held,
					SessionTimeout: time.Hour, IOTimeout: time.Hour}, g)
				clients := make([]host.Host, (held+1)/2)
				for i := range clients {
					clients[i] = newHost(b)
					connect(b, clients[i], server.h)
				}
				var total uint64
				for b.Loop() {
					before := heapInUse()
					streams := make([]network.Stream, 0, held)
					for i := range held {
						streams = append(streams, holdStream(b, clients[i%len(clients)], server.h, g))
					}
					after := heapInUse()
					total = after - min(before, after)
					for _, s := range streams {
						_ = s.Reset()
					}
					testwait.Until(b, waitTimeout, "the server to end the held sessions", func() bool { return server.svc.slots.count() == 0 })
				}
				b.ReportMetric(float64(total)/(1<<20), "MiB-total")
				b.ReportMetric(float64(total)/float64(held)/(1<<10), "KiB/session")
				b.ReportMetric(float64(total)/float64(size)/float64(held), "B/msg/session")
			})
		}
	}
	// What 64 held libp2p streams cost by themselves, both ends in this
	// process: the part of the figures above that is not catch-up's.
	b.Run("streams-only/sessions=64", func(b *testing.B) {
		const proto = "/starling/bench/hold"
		server := newHost(b)
		server.SetStreamHandler(proto, func(st network.Stream) {
			defer func() { _ = st.Reset() }()
			buf := make([]byte, 1)
			_, _ = st.Read(buf)
			_, _ = st.Write(buf)
			_, _ = st.Read(buf)
		})
		client := newHost(b)
		connect(b, client, server)
		var total uint64
		for b.Loop() {
			before := heapInUse()
			var streams []network.Stream
			for range 64 {
				st, err := client.NewStream(context.Background(), server.ID(), proto)
				if err != nil {
					b.Fatal(err)
				}
				buf := []byte{1}
				if _, err := st.Write(buf); err != nil {
					b.Fatal(err)
				}
				if _, err := st.Read(buf); err != nil {
					b.Fatal(err)
				}
				streams = append(streams, st)
			}
			after := heapInUse()
			total = after - min(before, after)
			for _, st := range streams {
				_ = st.Reset()
			}
		}
		b.ReportMetric(float64(total)/(1<<20), "MiB-total")
		b.ReportMetric(float64(total)/64/(1<<10), "KiB/session")
	})
}
