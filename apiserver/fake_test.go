package apiserver_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"starling/apiserver"
	"starling/catchup"
	"starling/delivery"
	"starling/gossip"
	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/relay"
	"starling/store"
)

// fakeBackend is an apiserver.Backend without a network: groups and messages live
// in a real in-memory store, so history paging and cursors behave as in a
// node; peers, gossip and the event stream are whatever the test says.
type fakeBackend struct {
	user    *identity.User
	peerID  peer.ID
	addrs   []ma.Multiaddr
	started time.Time
	store   *store.Store

	// subscribed receives every subscription as it starts, so a test can
	// feed it events and end it.
	subscribed chan *fakeSub

	mu         sync.Mutex
	sendPeers  int   // what Send reports
	groupsErr  error // what Groups fails with, if set
	connected  []peer.AddrInfo
	groupPeers map[message.GroupID][]peer.ID
	syncs      []catchup.Result // what Sync reports, in order; LastSync takes the newest good one per group
	delivered  map[message.ID]delivery.Status
	relays     []relay.Link

	// deliveries feeds every delivery subscription (tests open one at a
	// time).
	deliveries chan delivery.Status
}

var _ apiserver.Backend = (*fakeBackend)(nil)

// fixedKey derives a key from a name, so golden output stays the same.
func fixedKey(name string) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, name)
	return ed25519.NewKeyFromSeed(seed)
}

func fixedPeerID(t testing.TB, name string) peer.ID {
	t.Helper()
	k, err := crypto.UnmarshalEd25519PrivateKey(fixedKey(name))
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newFakeBackend(t testing.TB) *fakeBackend {
	t.Helper()
	s, err := store.Open("", store.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return &fakeBackend{
		user:       mustUser(t, "alice", fixedKey("alice")),
		peerID:     fixedPeerID(t, "alice-transport"),
		addrs:      []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/4001")},
		started:    time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		store:      s,
		subscribed: make(chan *fakeSub, 16),
		sendPeers:  1,
		groupPeers: map[message.GroupID][]peer.ID{},
		delivered:  map[message.ID]delivery.Status{},
		deliveries: make(chan delivery.Status, 64),
	}
}

func (b *fakeBackend) Delivery(id message.ID) (delivery.Status, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.delivered[id]
	return d, ok
}

func (b *fakeBackend) SubscribeDeliveries(ctx context.Context) (<-chan delivery.Status, func() error) {
	return b.deliveries, func() error { return nil }
}

func (b *fakeBackend) Relays() []relay.Link {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.relays
}

func (b *fakeBackend) ID() peer.ID           { return b.peerID }
func (b *fakeBackend) Addrs() []ma.Multiaddr { return b.addrs }
func (b *fakeBackend) User() *identity.User  { return b.user }
func (b *fakeBackend) Started() time.Time    { return b.started }
func (b *fakeBackend) GossipStats() gossip.Stats {
	return gossip.Stats{Accepted: 7, RejectedMalformed: 1}
}

func (b *fakeBackend) Join(ctx context.Context, name string) (store.Group, error) {
	id, norm, err := group.OpenChannelID(name)
	if err != nil {
		return store.Group{}, err
	}
	if g, err := b.store.Group(id); err == nil {
		return g, nil
	}
	g := store.Group{ID: id, Name: norm, Kind: "open", JoinedAt: b.started.Add(time.Minute)}
	return g, b.store.PutGroup(g)
}

func (b *fakeBackend) LeftGroups() ([]store.Group, error) { return b.store.LeftGroups() }

func (b *fakeBackend) JoinChannel(ctx context.Context, name string) (store.Group, error) {
	return b.Join(ctx, name)
}

func (b *fakeBackend) Leave(ctx context.Context, ref string) (store.Group, error) {
	g, err := b.ResolveGroup(ref)
	if err != nil {
		return store.Group{}, err
	}
	return g, b.store.RemoveGroup(g.ID)
}

func (b *fakeBackend) Groups() ([]store.Group, error) {
	b.mu.Lock()
	err := b.groupsErr
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return b.store.Groups()
}

func (b *fakeBackend) ResolveGroup(ref string) (store.Group, error) {
	if id, err := message.ParseGroupID(ref); err == nil {
		if g, err := b.store.Group(id); err == nil {
			return g, nil
		}
	}
	id, norm, err := group.OpenChannelID(ref)
	if err != nil {
		return store.Group{}, err
	}
	g, err := b.store.Group(id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Group{}, fmt.Errorf("%w: %s", group.ErrNotJoined, norm)
	}
	return g, err
}

func (b *fakeBackend) Send(ctx context.Context, ref, text string) (*message.Message, int, error) {
	g, err := b.ResolveGroup(ref)
	if err != nil {
		return nil, 0, err
	}
	m, err := signText(b.user, g.ID, text, time.Now())
	if err != nil {
		return nil, 0, err
	}
	if _, err := b.store.PutOwn(ctx, m); err != nil {
		return nil, 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sendPeers > 0 {
		b.delivered[m.ID] = delivery.Status{ID: m.ID, Group: g.ID, State: delivery.Sent, Peers: b.sendPeers}
	}
	return m, b.sendPeers, nil
}

func signText(u *identity.User, gid message.GroupID, text string, at time.Time) (*message.Message, error) {
	payload, err := message.EncodeText(message.Text{Text: text, Nick: u.Name})
	if err != nil {
		return nil, err
	}
	return message.Sign(u.PrivateKey(), message.Body{Group: gid, SentAtMS: message.TimeMS(at), Kind: message.KindText, Payload: payload})
}

func (b *fakeBackend) History(ref string, q store.Query) (store.Group, store.Page, error) {
	g, err := b.ResolveGroup(ref)
	if err != nil {
		return store.Group{}, store.Page{}, err
	}
	q.Group = g.ID
	p, err := b.store.History(q)
	return g, p, err
}

func (b *fakeBackend) Sync(ctx context.Context, ref string) ([]catchup.Result, error) {
	if ref != "" {
		if _, err := b.ResolveGroup(ref); err != nil {
			return nil, err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.syncs), nil
}

func (b *fakeBackend) LastSync(gid message.GroupID) (catchup.Result, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range slices.Backward(b.syncs) {
		if r.Group == gid && r.Err == nil {
			return r, true
		}
	}
	return catchup.Result{}, false
}

func (b *fakeBackend) Count(gid message.GroupID) (int, error) { return b.store.Count(gid) }

func (b *fakeBackend) OutboxLen() (int, error) {
	out, err := b.store.Outbox()
	return len(out), err
}

func (b *fakeBackend) ConnectedPeers() []peer.AddrInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.connected
}

func (b *fakeBackend) GroupPeers(gid message.GroupID) []peer.ID {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.groupPeers[gid]
}

// fakeSub is one subscription; the test sends on c and calls end.
type fakeSub struct {
	c    chan store.Stored
	mu   sync.Mutex
	err  error
	done bool
}

func (s *fakeSub) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.done, s.err = true, err
		close(s.c)
	}
}

// send delivers an event unless the subscription has ended.
func (s *fakeSub) send(st store.Stored) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return false
	}
	s.c <- st // buffered; tests send few
	return true
}

func (b *fakeBackend) Subscribe(ctx context.Context) (<-chan store.Stored, func() error) {
	s := &fakeSub{c: make(chan store.Stored, 64)}
	stop := context.AfterFunc(ctx, func() { s.end(nil) })
	b.subscribed <- s
	return s.c, func() error {
		stop()
		s.end(nil)
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.err
	}
}

func mustUser(t testing.TB, name string, key ed25519.PrivateKey) *identity.User {
	t.Helper()
	u, err := identity.UserFromKey(name, key)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The group-management part of the fake: messages open as in an open group;
// the rest is exercised against a real node in node_test.go.

var errFake = errors.New("not supported by the fake backend")

func (b *fakeBackend) Open(m *message.Message) (group.Content, error) {
	return group.DecodePayload(m.Body.Kind, m.Body.Payload)
}

func (b *fakeBackend) CreateGroup(context.Context, group.Kind, string, time.Time) (store.Group, error) {
	return store.Group{}, errFake
}

func (b *fakeBackend) GroupState(ref string) (store.Group, *group.State, error) {
	g, err := b.ResolveGroup(ref)
	if err != nil {
		return store.Group{}, nil, err
	}
	st, err := group.NewChannel(g.Name, group.Config{})
	return g, st, err
}

func (b *fakeBackend) Invite(string, []string) (string, error)        { return "", errFake }
func (b *fakeBackend) CarrierInvite(string, []string) (string, error) { return "", errFake }

func (b *fakeBackend) RemoveMember(context.Context, string, identity.Fingerprint) error {
	return errFake
}

func (b *fakeBackend) AddMember(context.Context, string, identity.Fingerprint) error {
	return errFake
}

func (b *fakeBackend) Unban(context.Context, string, identity.Fingerprint) (*message.Message, int, error) {
	return nil, 0, errFake
}

func (b *fakeBackend) DeleteMessage(context.Context, string, message.ID, string) (*message.Message, int, error) {
	return nil, 0, errFake
}

func (b *fakeBackend) Ban(context.Context, string, identity.Fingerprint, string) (*message.Message, int, error) {
	return nil, 0, errFake
}

func (b *fakeBackend) UpdateGroup(context.Context, string, group.Update) (*message.Message, error) {
	return nil, errFake
}

func (b *fakeBackend) SetBlock(identity.Fingerprint, string) (ed25519.PublicKey, error) {
	return nil, errFake
}

func (b *fakeBackend) BlockMode(ed25519.PublicKey) string { return "" }

func (b *fakeBackend) Whois(identity.Fingerprint) (ed25519.PublicKey, map[message.GroupID]string, error) {
	return nil, nil, errFake
}
