package admission

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"go.uber.org/goleak"

	"starling/message"
	"starling/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeGroup is a group whose admins and slow mode the test sets.
type fakeGroup struct {
	id     message.GroupID
	mu     sync.Mutex
	admins map[string]bool
	slow   time.Duration
}

func newGroup(name string, admins ...ed25519.PublicKey) *fakeGroup {
	g := &fakeGroup{id: sha256.Sum256([]byte("admission test " + name)), admins: map[string]bool{}}
	for _, a := range admins {
		g.admins[string(a)] = true
	}
	return g
}

func (g *fakeGroup) ID() message.GroupID { return g.id }
func (g *fakeGroup) IsAdmin(pub ed25519.PublicKey) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.admins[string(pub)]
}
func (g *fakeGroup) SlowMode() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.slow
}

type author struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

func newAuthor(seed string) author {
	sum := sha256.Sum256([]byte("admission author " + seed))
	priv := ed25519.NewKeyFromSeed(sum[:])
	return author{pub: priv.Public().(ed25519.PublicKey), priv: priv}
}

// text signs a text of about size bytes by a, sent at sentAt.
func (a author) text(t testing.TB, g message.GroupID, sentAt time.Time, size int, tag string) *message.Message {
	t.Helper()
	body := tag + strings.Repeat(".", max(0, size-150-len(tag)))
	payload, err := message.EncodeText(message.Text{Text: body})
	if err != nil {
		t.Fatal(err)
	}
	m, err := message.Sign(a.priv, message.Body{Version: message.Version, Group: g, Author: a.pub,
		SentAtMS: message.TimeMS(sentAt), Kind: message.KindText, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func openStore(t testing.TB, onStored func([]store.Stored)) *store.Store {
	t.Helper()
	st, err := store.Open("", store.Config{InMemory: true, OnStored: onStored})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

type fixture struct {
	t   testing.TB
	st  *store.Store
	adm *Admission
	now time.Time
	mu  sync.Mutex
}

func newFixture(t testing.TB, lim Limits, self ed25519.PublicKey) *fixture {
	t.Helper()
	f := &fixture{t: t, now: time.Now()}
	var adm atomic.Pointer[Admission]
	f.st = openStore(t, func(batch []store.Stored) {
		if a := adm.Load(); a != nil {
			a.Stored(batch)
		}
	})
	a, err := New(Config{Store: f.st, Self: self, Limits: lim, Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	adm.Store(a)
	f.adm = a
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// offer admits m from src and, when accepted, stores it as the node
// would. It returns the admission error (nil for Accept).
func (f *fixture) offer(src Source, g Group, m *message.Message) error {
	f.t.Helper()
	v, err := f.adm.Admit(src, g, m)
	if v == message.Accept {
		if err != nil {
			f.t.Fatalf("message.Accept with error %v", err)
		}
		if _, err := f.st.Put(context.Background(), m, store.OriginGossip); err != nil {
			f.t.Fatal(err)
		}
		return nil
	}
	if err == nil {
		f.t.Fatalf("verdict %s without an error", v)
	}
	return err
}

var fromPeer = Source{Way: Catchup, Peer: peer.ID("peer one"), Addr: "192.0.2.1"}

// An author keeps Burst messages per window of sent_at, whatever the order
// they arrive in; the next window starts afresh.
func TestRateBySentAt(t *testing.T) {
	for _, reverse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reverse=%v", reverse), func(t *testing.T) {
			f := newFixture(t, Limits{Burst: 5, Rate: 1}, nil) // windows of 5 s
			g := newGroup("rate")
			ann := newAuthor("ann")
			base := time.UnixMilli(int64(message.TimeMS(f.now.Add(-time.Hour))) / 5000 * 5000)
			var ms []*message.Message
			for i := range 8 {
				ms = append(ms, ann.text(t, g.id, base.Add(time.Duration(i)*100*time.Millisecond), 200, fmt.Sprint(i)))
			}
			if reverse {
				for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
					ms[i], ms[j] = ms[j], ms[i]
				}
			}
			var limited int
			for _, m := range ms {
				if err := f.offer(fromPeer, g, m); errors.Is(err, ErrRateLimited) {
					limited++
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if limited != 3 {
				t.Errorf("%d of 8 in one window refused, want 3", limited)
			}
			if err := f.offer(fromPeer, g, ann.text(t, g.id, base.Add(5*time.Second), 200, "next")); err != nil {
				t.Errorf("a message in the next window: %v", err)
			}
		})
	}
}

// Slow mode allows one text per window of its length, by sent_at; admins
// are not limited.
func TestSlowMode(t *testing.T) {
	admin := newAuthor("admin")
	f := newFixture(t, Limits{}, nil)
	g := newGroup("slow", admin.pub)
	g.slow = 30 * time.Second
	bob := newAuthor("bob")
	at := time.UnixMilli(int64(message.TimeMS(f.now.Add(-time.Hour))) / 30000 * 30000)
	if err := f.offer(fromPeer, g, bob.text(t, g.id, at, 200, "1")); err != nil {
		t.Fatal(err)
	}
	if err := f.offer(fromPeer, g, bob.text(t, g.id, at.Add(10*time.Second), 200, "2")); !errors.Is(err, ErrSlowMode) {
		t.Errorf("a second text 10 s later: %v, want ErrSlowMode", err)
	}
	if err := f.offer(fromPeer, g, bob.text(t, g.id, at.Add(30*time.Second), 200, "3")); err != nil {
		t.Errorf("a text 30 s later: %v", err)
	}
	for i := range 3 {
		if err := f.offer(fromPeer, g, admin.text(t, g.id, at.Add(time.Duration(i)*time.Second), 200, fmt.Sprint(i))); err != nil {
			t.Errorf("admin's text %d: %v", i, err)
		}
	}
}

// A message dated before the group began is ignored, unless the owner or
// an admin sent it; channels accept History back from now.
func TestLowerBound(t *testing.T) {
	admin := newAuthor("admin")
	created := message.TimeMS(time.Now().Add(-time.Hour))
	f := newFixture(t, Limits{History: 24 * time.Hour}, nil)
	g, channel := newGroup("bounded", admin.pub), newGroup("channel")
	f.adm.cfg.Since = func(id message.GroupID) (uint64, bool) { return created, id == g.id }
	bob := newAuthor("bob")
	early := time.UnixMilli(int64(created)).Add(-time.Minute)
	if err := f.offer(fromPeer, g, bob.text(t, g.id, early, 200, "early")); !errors.Is(err, ErrTooOld) {
		t.Errorf("a text before the group began: %v, want ErrTooOld", err)
	}
	if err := f.offer(fromPeer, g, admin.text(t, g.id, early, 200, "admin")); err != nil {
		t.Errorf("the admin's text before the group began: %v", err)
	}
	if err := f.offer(fromPeer, channel, bob.text(t, channel.id, f.now.Add(-48*time.Hour), 200, "old")); !errors.Is(err, ErrTooOld) {
		t.Errorf("a channel text older than History: %v, want ErrTooOld", err)
	}
	if err := f.offer(fromPeer, channel, bob.text(t, channel.id, f.now.Add(-time.Hour), 200, "recent")); err != nil {
		t.Errorf("a recent channel text: %v", err)
	}
}

// One author stores at most AuthorBytes in a group, however their
// messages are spread over time.
func TestAuthorBudget(t *testing.T) {
	f := newFixture(t, Limits{AuthorBytes: 64 << 10}, nil)
	g := newGroup("author")
	flood := newAuthor("flood")
	var kept int64
	for i := range 200 {
		m := flood.text(t, g.id, f.now.Add(-time.Duration(i)*time.Minute), 1000, fmt.Sprint(i))
		if err := f.offer(fromPeer, g, m); err == nil {
			kept += int64(len(m.Raw))
		} else if !errors.Is(err, ErrAuthorFull) {
			t.Fatal(err)
		}
	}
	if kept > 64<<10 || kept < 60<<10 {
		t.Errorf("the author stored %d bytes, want just under %d", kept, 64<<10)
	}
}

// A peer brings at most its bucket whatever keys it signs with, its
// address shares one bucket across peers, and a trusted relay has none.
func TestPeerAndAddressBudgets(t *testing.T) {
	f := newFixture(t, Limits{PeerBurst: 100 << 10, PeerRate: 1, AddrBurst: 150 << 10, AddrRate: 1}, nil)
	g := newGroup("peers")
	send := func(src Source, tag string, n int) (kept int64) {
		for i := range n {
			m := newAuthor(fmt.Sprint(tag, i)).text(t, g.id, f.now, 1000, tag)
			if err := f.offer(src, g, m); err == nil {
				kept += int64(len(m.Raw))
			} else if !errors.Is(err, ErrThrottled) {
				t.Fatal(err)
			}
		}
		return kept
	}
	one := Source{Way: Gossip, Peer: "sybil one", Addr: "192.0.2.7"}
	kept := send(one, "one", 300)
	if kept > 100<<10 || kept < 90<<10 {
		t.Errorf("one peer with 300 keys stored %d bytes, want just under %d", kept, 100<<10)
	}
	if !f.adm.Throttled(one) {
		t.Error("the peer is not throttled after using its bucket")
	}
	two := Source{Way: Catchup, Peer: "sybil two", Addr: "192.0.2.7"}
	if more := send(two, "two", 300); kept+more > 150<<10 {
		t.Errorf("a second peer on the address stored %d bytes after the first's %d; the address's bucket holds %d", more, kept, 150<<10)
	}
	relay := Source{Way: Gossip, Peer: "relay", Addr: "192.0.2.7", Trusted: true}
	if kept := send(relay, "relay", 50); kept < 40<<10 {
		t.Errorf("a trusted relay stored %d bytes, want all 50 messages", kept)
	}
	f.advance(time.Hour)
	if f.adm.Throttled(one) {
		t.Error("the bucket did not refill")
	}
}

// A full group drops its oldest texts, never this user's or an admin's,
// and ignores what is older than what went.
func TestGroupBudgetEvictsOldest(t *testing.T) {
	me, admin := newAuthor("me"), newAuthor("admin")
	f := newFixture(t, Limits{GroupBytes: 200 << 10, AuthorBytes: 1 << 20, PeerBurst: 1 << 30, AddrBurst: 1 << 30}, me.pub)
	g := newGroup("full", admin.pub)
	trusted := Source{Way: Gossip, Peer: "relay", Trusted: true}
	start := f.now.Add(-10 * time.Hour)
	var protected, others []*message.Message
	for i := range 20 {
		at := start.Add(time.Duration(i) * time.Second)
		for _, a := range []author{me, admin} {
			m := a.text(t, g.id, at, 2000, fmt.Sprint(i))
			if a.pub.Equal(me.pub) {
				if _, err := f.st.PutOwn(context.Background(), m); err != nil {
					t.Fatal(err)
				}
			} else if err := f.offer(trusted, g, m); err != nil {
				t.Fatal(err)
			}
			protected = append(protected, m)
		}
	}
	for i := range 400 {
		m := newAuthor(fmt.Sprint("crowd", i%40)).text(t, g.id, start.Add(time.Duration(i)*time.Minute), 1000, fmt.Sprint(i))
		if err := f.offer(trusted, g, m); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		others = append(others, m)
	}
	if got := f.adm.GroupBytes(g.id); got > 200<<10 {
		t.Errorf("the group counts %d bytes, over its %d", got, 200<<10)
	}
	for _, m := range protected {
		if ok, _ := f.st.Has(m.ID); !ok || f.st.Deleted(m.ID) {
			t.Fatalf("a message of this user or an admin went: %s", m.ID.Short())
		}
	}
	if !f.st.Deleted(others[0].ID) {
		t.Error("the oldest text is still stored")
	}
	if f.st.Deleted(others[len(others)-1].ID) {
		t.Error("the newest text went")
	}
	old := newAuthor("late").text(t, g.id, start.Add(time.Minute), 1000, "old")
	if err := f.offer(trusted, g, old); !errors.Is(err, ErrGroupFull) {
		t.Errorf("a text older than what went: %v, want ErrGroupFull", err)
	}

	// A new Admission over the same store (a restart) counts what is kept.
	again, err := New(Config{Store: f.st, Self: me.pub, Limits: f.adm.lim, Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := again.GroupBytes(g.id), f.adm.GroupBytes(g.id); got != want {
		t.Errorf("after a restart the group counts %d bytes, before %d", got, want)
	}
}
