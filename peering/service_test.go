package peering

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"go.uber.org/goleak"

	"starling/group"
	"starling/internal/testwait"
	"starling/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// memKnown is a KnownPeers in memory.
type memKnown struct {
	mu    sync.Mutex
	peers map[string]store.Peer
}

func (k *memKnown) Peers() ([]store.Peer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []store.Peer
	for _, p := range k.peers {
		out = append(out, p)
	}
	return out, nil
}

func (k *memKnown) PutPeer(p store.Peer) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.peers == nil {
		k.peers = map[string]store.Peer{}
	}
	k.peers[p.ID] = p
	return nil
}

func (k *memKnown) has(id peer.ID) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.peers[id.String()]
	return ok
}

// noTickets is an attendee's Tickets with no groups.
type noTickets struct{}

func (noTickets) For(peer.ID) ([][]byte, error)       { return nil, nil }
func (noTickets) Check(group.Ticket, time.Time) error { return nil }

func loopbackConfig(t *testing.T) Config {
	t.Helper()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		TransportKey: key,
		ListenAddrs:  []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")},
		Known:        &memKnown{},
		Tickets:      noTickets{},
		RedialMin:    50 * time.Millisecond,
		RedialMax:    time.Second,
	}
}

// run starts sv.Run and returns a function that stops it and reports what
// Run returned.
func run(t *testing.T, sv *Service) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sv.Run(ctx) }()
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute):
			t.Fatal("Run did not return within a minute of its context ending")
			return nil
		}
	}
}

// waitFor waits for cond with a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, time.Minute, what, cond)
}

// TestServiceKeepsStaticPeerAndStops checks the service's lifetime: a
// static peer is dialled and remembered, a dropped connection is redialled,
// and when Run's context ends Run returns with every goroutine it started
// ended (goleak in TestMain checks the last part).
func TestServiceKeepsStaticPeerAndStops(t *testing.T) {
	a, err := New(loopbackConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	cfg := loopbackConfig(t)
	cfg.Peers = []peer.AddrInfo{{ID: a.Host().ID(), Addrs: a.Host().Addrs()}}
	known := cfg.Known.(*memKnown)
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	stopA, stopB := run(t, a), run(t, b)
	connected := func() bool { return b.Host().Network().Connectedness(a.Host().ID()) == network.Connected }
	waitFor(t, "b connects to its static peer", connected)
	waitFor(t, "b remembers its static peer", func() bool { return known.has(a.Host().ID()) })

	if err := b.Host().Network().ClosePeer(a.Host().ID()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b redials its static peer", connected)

	if err := stopB(); err != nil {
		t.Errorf("b's Run: %v", err)
	}
	if err := stopA(); err != nil {
		t.Errorf("a's Run: %v", err)
	}
}

func TestServiceRunTwice(t *testing.T) {
	sv, err := New(loopbackConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer sv.Close()
	stop := run(t, sv)
	waitFor(t, "Run starts", func() bool {
		sv.goMu.Lock()
		defer sv.goMu.Unlock()
		return sv.ctx != nil
	})
	if err := sv.Run(context.Background()); err == nil {
		t.Error("a second Run while the first runs: no error")
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	cfg := loopbackConfig(t)
	cfg.TransportKey = nil
	if _, err := New(cfg); err == nil {
		t.Error("New without a transport key: no error")
	}
	cfg = loopbackConfig(t)
	cfg.Known = nil
	if _, err := New(cfg); err == nil {
		t.Error("New without KnownPeers: no error")
	}
}
