package catchup

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"go.uber.org/goleak"

	"starling/message"
	"starling/sim/memnet/memtest"
	"starling/store"
)

// TestMain fails the run if any goroutine outlives the tests: every
// Service, store and host is closed in t.Cleanup, and Close joins every
// session.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait in the tests (and every Sync's context):
// under -race on a shared two-core machine, moving 5,000 messages with
// their signature checks has taken more than 20 s.
const waitTimeout = 60 * time.Second

func newHost(t testing.TB) host.Host {
	t.Helper()
	h, err := libp2p.New(append(memtest.HostOptions(t, "127.0.0.1"), libp2p.DisableRelay())...)
	if err != nil {
		t.Fatalf("new host: %v", err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func connect(t testing.TB, a, b host.Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := a.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
		t.Fatalf("connect %s to %s: %v", a.ID(), b.ID(), err)
	}
}

func groupID(name string) message.GroupID { return sha256.Sum256([]byte("catchup test group " + name)) }

func keyFrom(seed string) ed25519.PrivateKey {
	sum := sha256.Sum256([]byte(seed))
	return ed25519.NewKeyFromSeed(sum[:])
}

var testKey = keyFrom("starling catchup test key")

// baseMS is the send time of generated messages: an hour before the clock
// of a virtual-time test starts (midnight UTC, 2000-01-01), so they are
// neither expired nor in the future, on virtual time and on real time.
var baseMS = message.TimeMS(time.Date(1999, 12, 31, 23, 0, 0, 0, time.UTC))

// virtual is a subtest body run on virtual time over an in-memory network
// (memtest.Run): the hosts newHost starts in it are on that network, and
// no wait in it depends on how busy the machine is.
func virtual(f func(t *testing.T)) func(t *testing.T) {
	return func(t *testing.T) { memtest.Run(t, f) }
}

// sign makes a signed text message.
func sign(t testing.TB, g message.GroupID, sentAtMS uint64, text string) *message.Message {
	t.Helper()
	payload, err := message.EncodeText(message.Text{Text: text, Nick: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := message.Sign(testKey, message.Body{Group: g, SentAtMS: sentAtMS, Kind: message.KindText, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// gen makes n distinct messages of g named by tag, with send times from
// sentAt(i).
func gen(t testing.TB, g message.GroupID, tag string, n int, sentAt func(i int) uint64) []*message.Message {
	t.Helper()
	ms := make([]*message.Message, n)
	for i := range ms {
		ms[i] = sign(t, g, sentAt(i), fmt.Sprintf("%s %d", tag, i))
	}
	return ms
}

// poolGroup is the group of pooled messages.
var poolGroup = groupID("pool")

// pools caches signed messages across tests: signing thousands is the
// slowest part of the tests under the race detector.
var pools struct {
	sync.Mutex
	m map[string][]*message.Message
}

// pool returns n messages of poolGroup, the same ones for the same name and
// sentAt on every call.
func pool(t testing.TB, name string, n int, sentAt func(int) uint64) []*message.Message {
	t.Helper()
	pools.Lock()
	defer pools.Unlock()
	if pools.m == nil {
		pools.m = make(map[string][]*message.Message)
	}
	ms := pools.m[name]
	for i := len(ms); i < n; i++ {
		ms = append(ms, sign(t, poolGroup, sentAt(i), fmt.Sprintf("pool %s %d", name, i)))
	}
	pools.m[name] = ms
	return ms[:n]
}

// spread gives message i its own millisecond; sameTime crowds them into ten.
func spread(i int) uint64   { return baseMS + uint64(i) }
func sameTime(i int) uint64 { return baseMS + uint64(i%10) }

// check mirrors gossip.Check: format, group binding, time, body, signature.
func check(now func() time.Time) func(peer.ID, message.GroupID, []byte) (*message.Message, message.Verdict, error) {
	return func(_ peer.ID, gid message.GroupID, raw []byte) (*message.Message, message.Verdict, error) {
		m, err := message.Decode(raw)
		if err != nil {
			return nil, classify(err), err
		}
		if m.Body.Group != gid {
			return nil, message.Reject, fmt.Errorf("message of group %s in group %s", m.Body.Group.Short(), gid.Short())
		}
		if err := m.CheckTime(now()); err != nil {
			return nil, classify(err), err
		}
		if err := m.CheckBody(); err != nil {
			return nil, classify(err), err
		}
		if err := m.VerifySignature(); err != nil {
			return nil, message.Reject, err
		}
		return m, message.Accept, nil
	}
}

func classify(err error) message.Verdict {
	for _, ignored := range []error{message.ErrVersion, message.ErrUnknownKind, message.ErrFutureSkew, message.ErrExpired} {
		if errors.Is(err, ignored) && !errors.Is(err, message.ErrBadPayload) {
			return message.Ignore
		}
	}
	return message.Reject
}

// penalties records Config.Penalize calls.
type penalties struct {
	mu     sync.Mutex
	got    []peer.ID
	groups []message.GroupID
	why    []string
}

func (p *penalties) penalize(id peer.ID, g message.GroupID, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, id)
	p.groups = append(p.groups, g)
	p.why = append(p.why, reason)
}

// inGroups returns the groups of the penalties, in order.
func (p *penalties) inGroups() []message.GroupID {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.groups)
}

func (p *penalties) peers() []peer.ID {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

// node is a host with an in-memory store and a catch-up Service.
type node struct {
	h   host.Host
	st  *store.Store
	svc *Service
	pen *penalties
}

// newNode starts a node joined to groups; cfg's Store, Joined, Check and
// Penalize are filled in unless set.
func newNode(t testing.TB, cfg Config, groups ...message.GroupID) *node {
	t.Helper()
	n := &node{h: newHost(t), st: openStore(t), pen: &penalties{}}
	if cfg.Store == nil {
		cfg.Store = n.st
	}
	if cfg.Joined == nil {
		cfg.Joined = func(g message.GroupID) bool { return slices.Contains(groups, g) }
	}
	if cfg.Judge == nil {
		cfg.Judge = CheckFunc(check(time.Now))
	}
	if cfg.Penalize == nil {
		cfg.Penalize = n.pen.penalize
	}
	svc, err := New(n.h, cfg)
	if err != nil {
		t.Fatalf("new service: %v", err)
	}
	t.Cleanup(func() {
		if err := svc.Close(); err != nil {
			t.Errorf("close service: %v", err)
		}
	})
	n.svc = svc
	return n
}

// openStore opens an in-memory store, closed at cleanup.
func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open("", store.Config{InMemory: true})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return st
}

// put stores messages in the node's store.
func (n *node) put(t testing.TB, ms ...*message.Message) {
	t.Helper()
	putAll(t, n.st, ms...)
}

// putAll stores messages as received ones, concurrently so the writer
// batches them.
func putAll(t testing.TB, st *store.Store, ms ...*message.Message) {
	t.Helper()
	errs := make(chan error, len(ms))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, m := range ms {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := st.Put(context.Background(), m, store.OriginGossip); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("put: %v", err)
	}
}

// ids returns the IDs a node holds of a group, sorted.
func (n *node) ids(t testing.TB, g message.GroupID) []message.ID {
	t.Helper()
	items, err := n.st.Items(g)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]message.ID, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	slices.SortFunc(out, func(a, b message.ID) int { return slices.Compare(a[:], b[:]) })
	return out
}

// idsOf returns the sorted IDs of message sets.
func idsOf(sets ...[]*message.Message) []message.ID {
	out := []message.ID{}
	for _, ms := range sets {
		for _, m := range ms {
			out = append(out, m.ID)
		}
	}
	slices.SortFunc(out, func(a, b message.ID) int { return slices.Compare(a[:], b[:]) })
	return slices.Compact(out)
}

// storeOK fails the test if the node's store is inconsistent.
func (n *node) storeOK(t testing.TB) {
	t.Helper()
	if err := n.st.Check(); err != nil {
		t.Errorf("store check: %v", err)
	}
}

func (n *node) sync(t testing.TB, p peer.ID, g message.GroupID) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	res, err := n.svc.Sync(ctx, p, g)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return res
}

// pair starts two connected nodes joined to groups.
func pair(t testing.TB, clientCfg, serverCfg Config, groups ...message.GroupID) (client, server *node) {
	t.Helper()
	client, server = newNode(t, clientCfg, groups...), newNode(t, serverCfg, groups...)
	connect(t, client.h, server.h)
	return client, server
}
