package alerts

import (
	"context"
	"crypto/ed25519"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

// fakeNode is one created group and nothing of a network: what the
// service sends comes back through Stored as if the store had it.
type fakeNode struct {
	st     *group.State
	svc    *Service
	relays map[peer.ID]bool
	held   map[message.ID]*message.Message
	peers  []peer.ID
	asked  atomic.Int64 // TopicPeers calls
}

func (f *fakeNode) Group(g message.GroupID) *group.State {
	if g == f.st.ID() {
		return f.st
	}
	return nil
}
func (f *fakeNode) Groups() []*group.State { return []*group.State{f.st} }
func (f *fakeNode) Resolve(ref string) (*group.State, error) {
	if ref != f.st.Name() {
		return nil, group.ErrNotJoined
	}
	return f.st, nil
}

func (f *fakeNode) Send(_ context.Context, _ string, c group.Content) (*message.Message, int, error) {
	m, err := f.st.Compose(f.svc.cfg.User, c, f.svc.cfg.Clock())
	if err != nil {
		return nil, 0, err
	}
	f.held[m.ID] = m
	f.svc.Stored([]store.Stored{{Msg: m}})
	return m, 0, nil
}

func (f *fakeNode) TopicPeers(message.GroupID) []peer.ID        { f.asked.Add(1); return f.peers }
func (f *fakeNode) RelaysFirst(message.GroupID, int) []peer.ID  { return nil }
func (f *fakeNode) IsRelay(p peer.ID) bool                      { return f.relays[p] }
func (f *fakeNode) Blocked(ed25519.PublicKey) bool              { return false }
func (f *fakeNode) Has(id message.ID) (bool, error)             { return f.held[id] != nil, nil }
func (f *fakeNode) Put(context.Context, *message.Message) error { return nil }
func (f *fakeNode) Get(id message.ID) (store.Stored, error) {
	return store.Stored{Msg: f.held[id]}, nil
}
func (f *fakeNode) Judge(peer.ID, message.GroupID, []byte) (*message.Message, message.Verdict, error) {
	return nil, message.Ignore, errors.New("the fake judges nothing")
}
func (f *fakeNode) NewStream(context.Context, peer.ID, protocol.ID) (network.Stream, error) {
	return nil, errors.New("the fake has no network")
}

func newUser(t *testing.T, name string) *identity.User {
	t.Helper()
	u, err := identity.NewUser(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newService(t *testing.T, owner, me *identity.User) (*Service, *fakeNode) {
	t.Helper()
	st, _, err := group.Create(owner, group.KindAnnounce, "stage", time.Time{}, time.Now(), group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNode{st: st, relays: map[peer.ID]bool{}, held: map[message.ID]*message.Message{}}
	svc, err := New(Config{Node: f, User: me, Go: func(func(context.Context)) {}})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return svc, f
}

// Only the owner and admins send alerts; a stranger is refused before
// anything is composed.
func TestSendRules(t *testing.T) {
	owner := newUser(t, "olga")
	stranger, f := newService(t, owner, newUser(t, "sam"))
	ctx := context.Background()
	if _, _, err := stranger.Send(ctx, "stage", "evacuate now"); !errors.Is(err, group.ErrNotAllowed) {
		t.Fatalf("a stranger's alert: %v, want ErrNotAllowed", err)
	}
	if len(f.held) != 0 {
		t.Fatalf("a refused alert left %d messages", len(f.held))
	}
	if _, err := New(Config{Node: f, User: owner}); err == nil {
		t.Fatal("New without Go: no error")
	}
}

// A thousand throwaway keys cost the reach nothing: acks pushed by one
// peer count at most alertPushesPerPeer, and acks a non-relay serves in a
// pull are held but vouch for nobody. An organiser relay's are counted,
// and Acked never exceeds the devices seen.
func TestAckSybils(t *testing.T) {
	owner := newUser(t, "olga")
	svc, f := newService(t, owner, owner)
	a, _, err := svc.Send(context.Background(), "stage", "Exit B is closed")
	if err != nil {
		t.Fatal(err)
	}
	ack := func() []byte {
		m, err := f.st.ComposeAck(newUser(t, "x"), a.ID, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return m.Raw
	}
	const sybils = 50
	pusher, server, relay := peer.ID("pusher"), peer.ID("server"), peer.ID("relay")
	f.relays[relay] = true
	taken := 0
	for range sybils {
		if svc.takeAck(pusher, ack(), true) {
			taken++
		}
		svc.takeAck(server, ack(), false)
	}
	if taken != alertPushesPerPeer {
		t.Fatalf("one peer pushed %d acks and %d were taken, want %d", sybils, taken, alertPushesPerPeer)
	}
	r, err := svc.Reach(f.st.ID(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Acked != alertPushesPerPeer || r.AckKeys != alertPushesPerPeer+sybils {
		t.Fatalf("after %d sybil pushes and %d served acks: acked %d, ack keys %d; want %d and %d", sybils, sybils, r.Acked, r.AckKeys, alertPushesPerPeer, alertPushesPerPeer+sybils)
	}
	if r.Acked > r.Devices {
		t.Fatalf("acked %d of %d devices", r.Acked, r.Devices)
	}
	for range 3 {
		if !svc.takeAck(relay, ack(), false) {
			t.Fatal("an organiser relay's served ack was refused")
		}
	}
	if r, _ = svc.Reach(f.st.ID(), a.ID); r.Acked != alertPushesPerPeer+3 {
		t.Fatalf("after 3 acks a relay served: acked %d, want %d", r.Acked, alertPushesPerPeer+3)
	}
	if svc.takeAck(pusher, []byte("not an ack"), true) || svc.Stats().AcksRejected == 0 {
		t.Fatal("garbage was taken as an ack, or not counted as refused")
	}
}

// Idle costs nothing: with no alert live, Run returns at once, keeps no
// goroutine and asks nothing of the node for an hour (virtual time). An
// alert stored starts the rounds again (Config.Go), once, and they end
// when it is no longer live. Devices seen come from joins as they happen
// and from the topic when a reach is asked.
func TestIdleRunDoesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		owner := newUser(t, "olga")
		svc, f := newService(t, owner, owner)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var rounds, running atomic.Int64 // runs of Run's rounds started, and running
		svc.cfg.Go = func(fn func(context.Context)) {
			isRounds := reflect.ValueOf(fn).Pointer() == reflect.ValueOf(svc.rounds).Pointer()
			if isRounds {
				rounds.Add(1)
			}
			wg.Go(func() {
				if isRounds {
					running.Add(1)
					defer running.Add(-1)
				}
				fn(ctx)
			})
		}
		svc.Run(ctx) // returns: nothing is live
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := f.asked.Load(); n != 0 {
			t.Fatalf("an idle hour asked the node for topic peers %d times", n)
		}
		if n := rounds.Load(); n != 0 {
			t.Fatalf("an idle hour started the rounds %d times", n)
		}
		svc.PeerJoined(f.st.ID(), "early")
		f.peers = []peer.ID{"now-1", "now-2"}
		a, _, err := svc.Send(ctx, "stage", "Doors open")
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n, m := rounds.Load(), running.Load(); n != 1 || m != 1 {
			t.Fatalf("a stored alert started the rounds %d times, %d running; want 1, 1", n, m)
		}
		r, err := svc.Reach(f.st.ID(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Devices != 3 {
			t.Fatalf("devices seen %d, want 3 (one join, two on the topic now)", r.Devices)
		}
		time.Sleep(alertLive + 2*time.Second)
		synctest.Wait()
		if n, m := rounds.Load(), running.Load(); n != 1 || m != 0 {
			t.Fatalf("with the alert no longer live: rounds started %d times, %d running; want 1, 0", n, m)
		}
		cancel()
		wg.Wait()
	})
}
