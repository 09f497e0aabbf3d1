package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"starling/gossip"
	"starling/identity"
	"starling/message"
	"starling/store"
)

// ErrClosed is returned by methods of a node that has shut down.
var ErrClosed = errors.New("node is shut down")

// Node is one Starling peer.
type Node struct {
	cfg     Config
	log     *slog.Logger
	host    host.Host
	store   *store.Store
	gossip  *gossip.Gossip
	hub     *hub
	started time.Time

	// ctx lives from New until shutdown; background work derives from it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	outboxKick chan struct{}

	runOnce   sync.Once
	closeOnce sync.Once
	closeErr  error
}

// New builds a node: it opens the store, starts listening and joins the
// groups the store remembers. Call Run to run it, or Close to release it.
func New(cfg Config) (*Node, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	n := &Node{
		cfg:        cfg,
		outboxKick: make(chan struct{}, 1),
		started:    cfg.Clock(),
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.hub = newHub(cfg.SubscriberBuffer)

	var err error
	n.store, err = store.Open(cfg.StoreDir, store.Config{
		InMemory:     cfg.StoreDir == "",
		MemTableSize: cfg.StoreMemTableSize,
		Logger:       cfg.Logger.With("component", "store"),
		OnStored:     n.hub.publish,
		Clock:        cfg.Clock,
	})
	if err != nil {
		n.cancel()
		return nil, err
	}
	n.host, err = newHost(cfg)
	if err != nil {
		n.cancel()
		return nil, errors.Join(err, n.store.Close())
	}
	n.log = cfg.Logger.With("self", short(n.host.ID()))
	n.gossip, err = gossip.New(n.host, gossip.Config{
		Logger:     n.log.With("component", "gossip"),
		Clock:      cfg.Clock,
		Seen:       n.seen,
		Deliver:    n.deliver,
		OnPeerJoin: func(message.GroupID, peer.ID) { n.kickOutbox() },
	})
	if err != nil {
		n.cancel()
		return nil, errors.Join(err, n.host.Close(), n.store.Close())
	}
	groups, err := n.store.Groups()
	if err == nil {
		for _, g := range groups {
			if err = n.gossip.Join(g.ID); err != nil {
				break
			}
		}
	}
	if err != nil {
		n.cancel()
		return nil, errors.Join(fmt.Errorf("rejoin stored groups: %w", err), n.gossip.Close(), n.host.Close(), n.store.Close())
	}
	return n, nil
}

// Run runs the node's background work (peer dialling, discovery, outbox)
// until ctx ends, then shuts the node down and returns. It returns at once
// with ErrClosed if the node was already closed or run.
func (n *Node) Run(ctx context.Context) error {
	ran := false
	n.runOnce.Do(func() { ran = true })
	if !ran || n.ctx.Err() != nil {
		return ErrClosed
	}
	n.log.Info("node running", "addrs", n.Addrs(), "fingerprint", n.cfg.User.Fingerprint())
	n.startBackground()
	select {
	case <-ctx.Done():
	case <-n.ctx.Done():
	}
	return n.Close()
}

func (n *Node) startBackground() {
	n.goFunc(n.watchConnections)
	for _, p := range n.cfg.Peers {
		n.goFunc(func(ctx context.Context) { n.keepConnected(ctx, p) })
	}
	if !n.cfg.DisableKnownPeers {
		n.goFunc(n.dialKnownPeers)
	}
	if n.cfg.MDNS {
		n.goFunc(n.runMDNS)
	}
	n.goFunc(n.drainOutbox)
}

// goFunc runs f in a goroutine that Close waits for.
func (n *Node) goFunc(f func(ctx context.Context)) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f(n.ctx)
	}()
}

// Close shuts the node down: background work, gossip, the host, then the
// store, so that every message already received is written. It is for a
// node whose Run was never called; Run calls it on the way out.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.runOnce.Do(func() {}) // a closed node cannot be run
		n.cancel()
		n.wg.Wait()
		n.hub.close()
		n.closeErr = errors.Join(n.gossip.Close(), n.host.Close(), n.store.Close())
		n.log.Info("node stopped")
	})
	return n.closeErr
}

// ID returns the libp2p peer ID (the transport identity).
func (n *Node) ID() peer.ID { return n.host.ID() }

// User returns the user identity that signs this node's messages.
func (n *Node) User() *identity.User { return n.cfg.User }

// Host returns the libp2p host, for tests and the simulator.
func (n *Node) Host() host.Host { return n.host }

// Store returns the node's store, for tests and the simulator.
func (n *Node) Store() *store.Store { return n.store }

// Addrs returns the node's full listen multiaddrs, ending in /p2p/ID.
func (n *Node) Addrs() []ma.Multiaddr {
	addrs, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()})
	if err != nil {
		return nil
	}
	return addrs
}

// seen is the gossip validator's duplicate check.
func (n *Node) seen(id message.ID) bool {
	ok, err := n.store.Has(id)
	return err == nil && ok
}

// deliver hands a message accepted by gossip to the store's batched writer;
// subscribers hear of it once it is committed.
func (n *Node) deliver(r gossip.Received) {
	if err := n.store.Enqueue(n.ctx, r.Msg, store.OriginGossip); err != nil && n.ctx.Err() == nil {
		n.log.Warn("could not queue a received message for the store", "msg", r.Msg, "err", err)
	}
}
