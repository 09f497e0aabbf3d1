package gossip

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"starling/group"
	"starling/internal/testwait"
	"starling/message"
	"starling/message/messagepb"
	"starling/sim/memnet/memtest"
)

// TestMain fails the run if any goroutine outlives the tests: every Gossip
// and host is closed in t.Cleanup, and pubsub's goroutines follow its
// context within goleak's retries.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait for the network; deliveries take a few
// heartbeats (1 s each) at worst.
const waitTimeout = 20 * time.Second

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

// inbox records what a node's Deliver received.
type inbox struct {
	mu   sync.Mutex
	got  map[message.ID]int
	from map[message.ID]peer.ID
}

func (b *inbox) deliver(r Received) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.got == nil {
		b.got, b.from = make(map[message.ID]int), make(map[message.ID]peer.ID)
	}
	b.got[r.Msg.ID]++
	b.from[r.Msg.ID] = r.From
}

func (b *inbox) count(id message.ID) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got[id]
}

func (b *inbox) total() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, c := range b.got {
		n += c
	}
	return n
}

type node struct {
	h    host.Host
	g    *Gossip
	in   *inbox
	mesh *meshTracer
}

// funcs is an Inbound made of optional functions: a missing one says
// not seen, accept, or discard.
type funcs struct {
	seen    func(message.ID) bool
	judge   func(peer.ID, *message.Message) message.Verdict
	live    func(peer.ID, *message.Message) message.Verdict
	deliver func(Received)
}

func (f funcs) Seen(id message.ID) bool { return f.seen != nil && f.seen(id) }

func (f funcs) Judge(p peer.ID, m *message.Message) message.Verdict {
	if f.judge == nil {
		return message.Accept
	}
	return f.judge(p, m)
}

func (f funcs) AdmitLive(p peer.ID, m *message.Message) message.Verdict {
	if f.live == nil {
		return message.Accept
	}
	return f.live(p, m)
}

func (f funcs) Deliver(r Received) {
	if f.deliver != nil {
		f.deliver(r)
	}
}

// newNode starts a Gossip on a fresh host; in's deliver defaults to the
// node's inbox.
func newNode(t testing.TB, cfg Config, in funcs) *node {
	t.Helper()
	n := &node{h: newHost(t), in: &inbox{}, mesh: &meshTracer{}}
	if in.deliver == nil {
		in.deliver = n.in.deliver
	}
	cfg.Inbound = in
	cfg.Tracer = n.mesh
	g, err := New(n.h, cfg)
	if err != nil {
		t.Fatalf("new gossip: %v", err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	n.g = g
	return n
}

func (n *node) join(t testing.TB, gids ...message.GroupID) {
	t.Helper()
	for _, gid := range gids {
		if err := n.g.Join(gid); err != nil {
			t.Fatalf("join: %v", err)
		}
	}
}

func (n *node) publish(t testing.TB, m *message.Message) {
	t.Helper()
	if _, err := n.g.Publish(context.Background(), m); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

// waitPeer waits until n sees p on the group's topic. That is enough for
// n's own (flood) publishes to reach p.
func (n *node) waitPeer(t testing.TB, gid message.GroupID, p peer.ID) {
	t.Helper()
	testwait.Until(t, waitTimeout, fmt.Sprintf("%s to see %s on group %s", n.h.ID(), p, gid.Short()), func() bool {
		return slices.Contains(n.g.Peers(gid), p)
	})
}

// waitMesh waits until n has grafted p into its mesh for the group, which
// messages n forwards need: GossipSub forwards only to mesh peers, and a
// message relayed before the mesh forms can be lost (catch-up's job).
func (n *node) waitMesh(t testing.TB, gid message.GroupID, p peer.ID) {
	t.Helper()
	testwait.Until(t, waitTimeout, fmt.Sprintf("%s to graft %s on group %s", n.h.ID(), p, gid.Short()), func() bool {
		return n.mesh.has(group.Topic(gid), p)
	})
}

func groupID(t testing.TB, name string) message.GroupID {
	t.Helper()
	gid, _, err := group.OpenChannelID(name)
	if err != nil {
		t.Fatal(err)
	}
	return gid
}

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// textMsg signs a text message for gid, sent now; edit may change the body
// before signing.
func textMsg(t testing.TB, key ed25519.PrivateKey, gid message.GroupID, text string, edit ...func(*message.Body)) *message.Message {
	t.Helper()
	payload, err := message.EncodeText(message.Text{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	b := message.Body{Group: gid, SentAtMS: message.TimeMS(time.Now()), Kind: message.KindText, Payload: payload}
	for _, e := range edit {
		e(&b)
	}
	m, err := message.Sign(key, b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// signedRaw signs a body that message.Sign would refuse (such as an unknown
// kind), the way a newer peer would.
func signedRaw(t testing.TB, key ed25519.PrivateKey, b *messagepb.Body) []byte {
	t.Helper()
	det := proto.MarshalOptions{Deterministic: true}
	body, err := det.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	sig := ed25519.Sign(key, append([]byte("starling/message/v1\x00"), body...))
	raw, err := det.Marshal(&messagepb.Envelope{Body: body, Signature: sig})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// rawEnvelope encodes (field number, bytes) pairs in the order given,
// canonical or not.
func rawEnvelope(fields ...rawField) []byte {
	var out []byte
	for _, f := range fields {
		out = protowire.AppendTag(out, f.num, protowire.BytesType)
		out = protowire.AppendBytes(out, f.val)
	}
	return out
}

type rawField struct {
	num protowire.Number
	val []byte
}

// attacker is a plain pubsub instance with Starling's wire settings and no
// validator: it publishes whatever bytes it is given.
type attacker struct {
	h      host.Host
	ps     *pubsub.PubSub
	topics map[string]*pubsub.Topic
	mesh   *meshTracer
}

func newAttacker(t testing.TB) *attacker {
	t.Helper()
	h := newHost(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	mesh := &meshTracer{}
	ps, err := pubsub.NewGossipSub(ctx, h,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(pubsubID),
		pubsub.WithRawTracer(mesh))
	if err != nil {
		t.Fatalf("attacker pubsub: %v", err)
	}
	return &attacker{h: h, ps: ps, topics: make(map[string]*pubsub.Topic), mesh: mesh}
}

// join subscribes the attacker to the group's topic and waits until victim
// is in its mesh: the attacker does not flood-publish, so before that its
// messages reach nobody.
func (a *attacker) join(t testing.TB, gid message.GroupID, victim peer.ID) {
	t.Helper()
	name := group.Topic(gid)
	top, err := a.ps.Join(name)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := top.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Cancel)
	a.topics[name] = top
	testwait.Until(t, waitTimeout, "attacker to graft its victim", func() bool { return a.mesh.has(name, victim) })
}

func (a *attacker) send(t testing.TB, gid message.GroupID, data []byte) {
	t.Helper()
	top := a.topics[group.Topic(gid)]
	if err := top.Publish(context.Background(), data); err != nil {
		t.Fatalf("attacker publish: %v", err)
	}
}
