package store

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"starling/message"
)

// testKey is a fixed author key, so test messages are reproducible.
var testKey = keyFrom("starling store test key")

func keyFrom(seed string) ed25519.PrivateKey {
	sum := sha256.Sum256([]byte(seed))
	return ed25519.NewKeyFromSeed(sum[:])
}

func groupID(name string) message.GroupID { return sha256.Sum256([]byte("test group " + name)) }

// sign makes a signed text message with the given key, group and send time.
func sign(tb testing.TB, key ed25519.PrivateKey, g message.GroupID, sentAtMS uint64, text string) *message.Message {
	tb.Helper()
	payload, err := message.EncodeText(message.Text{Text: text, Nick: "tester"})
	if err != nil {
		tb.Fatal(err)
	}
	m, err := message.Sign(key, message.Body{Group: g, SentAtMS: sentAtMS, Kind: message.KindText, Payload: payload})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// genMessages makes n messages in group g with send times from sentAt(i).
func genMessages(tb testing.TB, n int, g message.GroupID, sentAt func(i int) uint64) []*message.Message {
	tb.Helper()
	ms := make([]*message.Message, n)
	for i := range ms {
		ms[i] = sign(tb, testKey, g, sentAt(i), fmt.Sprintf("message %d of %s", i, g.Short()))
	}
	return ms
}

// sortedItems returns the index items of ms in (sent_at, id) order.
func sortedItems(ms []*message.Message) []Item {
	items := make([]Item, len(ms))
	for i, m := range ms {
		items[i] = Item{SentAtMS: m.Body.SentAtMS, ID: m.ID}
	}
	slices.SortFunc(items, compareItems)
	return items
}

func compareItems(a, b Item) int {
	return cmp.Or(cmp.Compare(a.SentAtMS, b.SentAtMS), slices.Compare(a.ID[:], b.ID[:]))
}

// testClock is a Config.Clock that starts at a fixed time and advances a
// millisecond per reading.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.UnixMilli(1_700_000_000_000)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

// backend opens stores of one kind for the shared suite.
type backend struct {
	name   string
	onDisk bool
	engine Engine
}

// backends: Badger on disk and in memory, and the memory engine (memkv.go).
var backends = []backend{{name: "disk", onDisk: true}, {name: "memory"}, {name: "memkv", engine: EngineMemory}}

// badgerBackends are the backends on Badger, for what only Badger has:
// compaction, and the disk floors (the memory engine has no disk).
var badgerBackends = backends[:2]

// open opens a store in dir (a fresh one when dir is "", which Open creates)
// and closes it at cleanup.
func (b backend) open(t testing.TB, dir string, cfg Config) (*Store, string) {
	t.Helper()
	if b.onDisk && dir == "" {
		dir = freshDir(t)
	}
	cfg.InMemory = !b.onDisk
	cfg.Engine = b.engine
	s, err := Open(dir, cfg)
	if err != nil {
		t.Fatalf("open %s store: %v", b.name, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s, dir
}

// freshDir names a directory that does not exist yet, inside the test's
// temporary directory (which the testing package makes 0755).
func freshDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "store")
}

func mustPut(t testing.TB, s *Store, ms []*message.Message, origin Origin) {
	t.Helper()
	for _, m := range ms {
		if _, err := s.Put(context.Background(), m, origin); err != nil {
			t.Fatalf("put %s: %v", m.ID.Short(), err)
		}
	}
}

// storedIDs returns the IDs of a page's messages.
func storedIDs(sts []Stored) []message.ID {
	ids := make([]message.ID, len(sts))
	for i, st := range sts {
		ids[i] = st.Msg.ID
	}
	return ids
}

// onStoredLog records what OnStored reports.
type onStoredLog struct {
	mu    sync.Mutex
	calls int
	seen  map[message.ID]int
	order []message.ID
}

func newOnStoredLog() *onStoredLog { return &onStoredLog{seen: map[message.ID]int{}} }

func (l *onStoredLog) add(sts []Stored) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	for _, st := range sts {
		l.seen[st.Msg.ID]++
		l.order = append(l.order, st.Msg.ID)
	}
}

func (l *onStoredLog) snapshot() (map[message.ID]int, []message.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.seen), slices.Clone(l.order)
}

// signKind makes a signed message of any kind with an opaque payload.
func signKind(tb testing.TB, g message.GroupID, sentAtMS uint64, kind message.Kind, payload string) *message.Message {
	tb.Helper()
	m, err := message.Sign(testKey, message.Body{Group: g, SentAtMS: sentAtMS, Kind: kind, Payload: []byte(payload)})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// manualClock is a Config.Clock that stands still until set.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// idLog records what OnDeleted reports.
type idLog struct {
	mu    sync.Mutex
	calls [][]message.ID
}

func (l *idLog) add(ids []message.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, ids)
}

func (l *idLog) snapshot() [][]message.ID {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// waitTimeout bounds every wait for the store's background work (flushes,
// expiry sweeps, disk checks); a wait ends as soon as its condition holds.
const waitTimeout = 20 * time.Second
