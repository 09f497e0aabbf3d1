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

	"starling/admission"
	"starling/alerts"
	"starling/catchup"
	"starling/catchup/schedule"
	"starling/conversation"
	"starling/delivery"
	"starling/gossip"
	"starling/group"
	"starling/identity"
	"starling/internal/ondemand"
	"starling/message"
	"starling/moderation"
	"starling/netwatch"
	"starling/peering"
	"starling/pictures"
	"starling/relay"
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
	catchup *catchup.Service
	hub     *hub[store.Stored]
	started time.Time

	sched        *schedule.Scheduler // when to catch up with whom
	versions     *storeVersions
	rand         *peering.Random
	penalties    *penalties
	groups       *groupSet
	left         *groupSet // the States of left groups whose history was read (Open)
	groupCfg     group.Config
	admit        *admission.Admission
	own          *ownRate
	creation     *creations
	effects      *effectQueue
	regossip     *regossiper // what catch-up taught, passed on (regossip.go)
	blocks       *blockList
	peers        *peering.Service // connectivity
	pending      *pending
	held         *held
	deliveries   *delivery.Tracker
	deliveryHub  *hub[delivery.Status]
	in           *inbound        // the path of what other nodes send (inbound.go)
	clock        *netwatch.Clock // this clock against the peers', for `starling doctor` (netwatch.go)
	pictures     *pictures.Service
	conversation *conversation.Service
	moderation   *moderation.Service
	fetcher      *catchup.Fetcher // picture chunks by ID
	alerts       *alerts.Service  // organiser alerts, their acks and reach

	// ctx lives from New until shutdown; background work derives from it.
	ctx    context.Context
	cancel context.CancelFunc
	// goMu orders goFunc's wg.Add before Close's wg.Wait; closing is set
	// under it once Close begins.
	goMu    sync.Mutex
	closing bool
	wg      sync.WaitGroup

	// outboxLoop is drainOutbox, which the node starts itself (kicks
	// before then wait).
	outboxLoop *ondemand.Worker
	diskKick   chan struct{} // the store's disk state changed (disk.go)

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
		outboxLoop: ondemand.New(true),
		diskKick:   make(chan struct{}, 1),
		started:    cfg.Clock(),
		hub:        newHub[store.Stored](cfg.SubscriberBuffer),
		versions:   newStoreVersions(),
		creation:   &creations{known: map[message.GroupID]uint64{}, asked: map[message.GroupID]time.Time{}},
		rand:       peering.NewRandom(cfg.Seed),
		penalties:  newPenalties(cfg.Clock),
		groups:     newGroupSet(),
		left:       newGroupSet(),
		effects:    newEffectQueue(),
		regossip:   &regossiper{},
		blocks:     newBlockList(),
		pending:    newPending(),
		held:       newHeld(),
		clock:      netwatch.NewClock(),
	}
	n.creation.n = n
	n.deliveryHub = newHub[delivery.Status](cfg.SubscriberBuffer)
	n.deliveries = delivery.NewTracker(0, cfg.Clock, func(s delivery.Status) { n.deliveryHub.publish(s) })
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.in = &inbound{
		log: cfg.Logger, clock: cfg.Clock, ctx: n.ctx,
		groups: n.groups, blocks: n.blocks, pending: n.pending,
	}
	if cfg.DropGossip > 0 {
		n.in.lose = func() bool { return n.rand.Float64() < cfg.DropGossip }
	}
	if err := n.build(); err != nil {
		n.cancel()
		return nil, errors.Join(err, n.release())
	}
	return n, nil
}

// build acquires the node's parts in order; release frees whichever exist.
func (n *Node) build() error {
	cfg := n.cfg
	var err error
	n.store, err = store.Open(cfg.StoreDir, store.Config{
		InMemory:     cfg.StoreDir == "",
		Engine:       cfg.StoreEngine,
		MemTableSize: cfg.StoreMemTableSize,
		NoCompaction: cfg.StoreNoCompaction,
		Logger:       cfg.Logger.With("component", "store"),
		OnStored:     n.in.stored,
		OnDeleted:    n.deleted,
		Clock:        cfg.Clock,
		Disk:         cfg.StoreDisk,
		OnDisk:       n.onDisk,
	})
	if err != nil {
		return err
	}
	n.in.store = n.store
	if err := n.buildServices(); err != nil {
		return err
	}
	n.groupCfg = groupConfig(n.store, cfg.GroupGrace)
	if err := n.newAdmission(); err != nil {
		return err
	}
	n.in.admit = n.admit
	if err := n.blocks.load(n.store); err != nil {
		return err
	}
	if err := n.trackOutbox(); err != nil {
		return err
	}
	n.peers, err = peering.New(peering.Config{
		TransportKey: cfg.TransportKey, ListenAddrs: cfg.ListenAddrs, Transports: cfg.Transports,
		Peers: cfg.Peers, Relays: cfg.Relays, RelayService: cfg.RelayService,
		MDNS: cfg.MDNS, MDNSService: cfg.MDNSService, DialKnown: !cfg.DisableKnownPeers,
		RedialMin: cfg.RedialMin, RedialMax: cfg.RedialMax, ConnectionGater: cfg.ConnectionGater,
		Known: n.store, Tickets: tickets{n}, Random: n.rand, WebSocket: cfg.WebSocket,
		Logger: cfg.Logger.With("component", "peering"), Clock: cfg.Clock,
	})
	if err != nil {
		return err
	}
	n.host = n.peers.Host()
	n.log = cfg.Logger.With("self", peering.Short(n.host.ID()))
	n.in.log, n.in.self, n.in.source = n.log, n.host.ID(), n.source
	n.host.SetStreamHandler(alerts.Protocol, n.alerts.Serve)
	n.gossip, err = gossip.New(n.host, gossip.Config{
		Logger:     n.log.With("component", "gossip"),
		Clock:      cfg.Clock,
		Inbound:    n.in,
		OnPeerJoin: n.peerJoined,
		AppScore:   n.appScore,
		// Every peer reached through a relay appears under its IP.
		ColocationWhitelist: n.peers.RelayIPs(),
		PeerExchange:        cfg.RelayService != nil,
		HubDegree:           n.peers.HubDegree(),
		Verified:            cfg.Verified,
	})
	if err != nil {
		return err
	}
	n.in.validate = n.gossip.Check
	n.catchup, err = catchup.New(n.host, catchup.Config{
		Store:    catchupStore{n.store, n.held},
		Joined:   n.joined,
		Judge:    n.in,
		Penalize: n.penalize,
		Version:  n.versions.version,
		View:     n.view,
		Logger:   n.log.With("component", "catchup"),
		Clock:    cfg.Clock,
	})
	if err != nil {
		return err
	}
	n.in.refuse, n.in.onStored = n.catchup.Refuse, n.stored
	n.fetcher, err = catchup.NewFetcher(n.host, catchup.FetchConfig{
		Store: n.store, Serve: n.serveChunk, Logger: n.log.With("component", "fetch"), Clock: cfg.Clock,
	})
	if err != nil {
		return err
	}
	groups, err := n.store.Groups()
	if err != nil {
		return err
	}
	for _, g := range groups {
		st, err := loadState(n.store, g, cfg.User, n.groupCfg)
		if err != nil {
			// One group's broken state must not keep the node (and every
			// other group) down.
			n.log.Error("could not load a joined group; leave it and join it again with a fresh link", "group", g.Name, "id", g.ID.Short(), "err", err)
			continue
		}
		if err := n.gossip.JoinTopic(g.ID, st.Topic()); err != nil {
			return fmt.Errorf("rejoin group %s: %w", g.Name, err)
		}
		n.groups.put(st)
		n.reconcileTombstones(st)
	}
	return nil
}

// release closes, in reverse order of build, every part that exists.
func (n *Node) release() error {
	var errs []error
	if n.fetcher != nil {
		errs = append(errs, n.fetcher.Close())
	}
	if n.catchup != nil {
		errs = append(errs, n.catchup.Close())
	}
	if n.gossip != nil {
		errs = append(errs, n.gossip.Close())
	}
	if n.peers != nil {
		errs = append(errs, n.peers.Close())
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
	}
	return errors.Join(errs...)
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
	n.goFunc(func(ctx context.Context) {
		if err := n.peers.Run(ctx); err != nil {
			n.log.Error("connectivity stopped", "err", err)
		}
	})
	n.goFunc(n.drainOutbox)
	n.goFunc(n.sched.Run)
	n.goFunc(n.runEffects)
	if n.store.DiskWatched() {
		n.goFunc(n.watchDisk) // the simulator's stores have no disk to watch
	}
	n.goFunc(n.alerts.Run)
	n.goFunc(func(context.Context) {
		for _, st := range n.groups.all() {
			n.publishProfile(st.ID())
		}
	})
}

// goFunc runs f in a goroutine that Close waits for. Once Close has
// begun it runs nothing: a goroutine started while Close waits would race
// its Wait.
func (n *Node) goFunc(f func(ctx context.Context)) {
	n.goMu.Lock()
	defer n.goMu.Unlock()
	if n.closing {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f(n.ctx)
	}()
}

// relayAppScore is the gossip app score of an organiser relay: enough to
// take its peer exchange.
const relayAppScore = 2 * gossip.AcceptPXThreshold

// appScore is gossip's application score of a peer: the penalties it has
// earned, and a bonus for the organiser relays, whose peer exchange this
// node takes.
func (n *Node) appScore(p peer.ID) float64 {
	s := n.penalties.score(p)
	if s == 0 && n.peers.IsRelay(p) {
		return relayAppScore
	}
	return s
}

// Close shuts the node down: background work, gossip, the host, then the
// store, so that every message already received is written. It is for a
// node whose Run was never called; Run calls it on the way out.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.runOnce.Do(func() {}) // a closed node cannot be run
		n.goMu.Lock()
		n.closing = true
		n.goMu.Unlock()
		n.cancel()
		n.wg.Wait()
		n.hub.close()
		n.deliveryHub.close()
		n.closeErr = n.release()
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

// Connect dials a peer once, within a dial timeout.
func (n *Node) Connect(ctx context.Context, info peer.AddrInfo) error {
	return n.peers.Connect(ctx, info)
}

// Relays lists the organiser relays this node uses and how its link to
// each stands.
func (n *Node) Relays() []relay.Link { return n.peers.Relays() }

// Open decodes a stored message of a joined group for display, unsealing it
// in a private group.
func (n *Node) Open(m *message.Message) (group.Content, error) {
	st := n.groups.get(m.Body.Group)
	if st == nil {
		var err error
		if st, err = n.leftState(m.Body.Group); err != nil {
			return nil, err
		}
	}
	return st.Open(m)
}

// leftState returns the State of a group this user left, from what the
// store kept of it, so that its history can still be read.
func (n *Node) leftState(id message.GroupID) (*group.State, error) {
	if st := n.left.get(id); st != nil {
		return st, nil
	}
	g, err := n.store.LeftGroup(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", group.ErrNotJoined, id.Short())
	}
	if err != nil {
		return nil, err
	}
	st, err := loadState(n.store, g, n.cfg.User, n.groupCfg)
	if err != nil {
		return nil, err
	}
	n.left.put(st)
	return st, nil
}
