package peering

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"starling/group"
	"starling/store"
)

// KnownPeers is where the service remembers the peers and relays it met,
// so that a restart finds them again: the node's store. Safe for
// concurrent use.
type KnownPeers interface {
	Peers() ([]store.Peer, error)
	PutPeer(store.Peer) error
}

// Tickets is the node's side of relay tickets (see TicketProtocol): the
// groups it joined know which tickets their invites carried, and an
// organiser relay's groups know who may sign one. Safe for concurrent use;
// must not block on the network.
type Tickets interface {
	// For lists the tickets of the joined groups whose invites named relay.
	For(relay peer.ID) ([][]byte, error)
	// Check reports whether a ticket admits its holder to this relay: it
	// is for a group the relay carries, unexpired, and signed by someone
	// who may.
	Check(t group.Ticket, now time.Time) error
}

// Config configures a Service. Zero fields take the defaults documented
// on them; the node passes its own Config's fields through.
type Config struct {
	// TransportKey is the libp2p identity. Required.
	TransportKey crypto.PrivKey
	// ListenAddrs default to TCP, QUIC and WebSocket on every interface,
	// random ports (DefaultListenAddrs).
	ListenAddrs []ma.Multiaddr
	// Transports, if set, replace the default TCP, QUIC and WebSocket
	// transports (the simulator's in-memory network).
	Transports []libp2p.Option
	// WebSocket configures the WebSocket listeners, for browsers: the page
	// they serve and their certificate. Unused with Transports.
	WebSocket WebSocket
	// Peers are static peers, kept connected and redialled with backoff.
	Peers []peer.AddrInfo
	// Relays are organiser relays: kept connected, handed this node's
	// tickets and reserved on (relays.go).
	Relays []peer.AddrInfo
	// RelayService, if set, makes this node an organiser relay.
	RelayService *RelayService
	// MDNS turns on LAN discovery under MDNSService (default
	// "_starling._udp"). Only ever inside a network you own.
	MDNS        bool
	MDNSService string
	// DialKnown redials the peers remembered in Known at start-up.
	DialKnown bool
	// RedialMin and RedialMax bound the backoff between dials of a static
	// peer; defaults 1 s and 30 s.
	RedialMin, RedialMax time.Duration
	// ConnectionGater, if set, vets every connection.
	ConnectionGater connmgr.ConnectionGater
	// Known remembers peers; Tickets answers for relay tickets. Required.
	Known   KnownPeers
	Tickets Tickets
	// Random is the seeded source of the service's own random choices
	// (jitter, Redial's seeds). Nil: seeded at random.
	Random *Random
	// Logger defaults to discarding everything; Clock to time.Now.
	Logger *slog.Logger
	Clock  func() time.Time
}

// DefaultListenAddrs are used when Config.ListenAddrs is empty.
func DefaultListenAddrs() []ma.Multiaddr {
	var out []ma.Multiaddr
	for _, s := range []string{
		"/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1", "/ip4/0.0.0.0/tcp/0/ws",
		"/ip6/::/tcp/0", "/ip6/::/udp/0/quic-v1", "/ip6/::/tcp/0/ws",
	} {
		out = append(out, ma.StringCast(s))
	}
	return out
}

func (c *Config) fill() error {
	switch {
	case c.TransportKey == nil:
		return errors.New("peering: config has no transport key")
	case c.Known == nil || c.Tickets == nil:
		return errors.New("peering: config has no Known or Tickets")
	}
	if len(c.ListenAddrs) == 0 {
		c.ListenAddrs = DefaultListenAddrs()
	}
	if c.MDNSService == "" {
		c.MDNSService = "_starling._udp"
	}
	if c.RedialMin <= 0 {
		c.RedialMin = time.Second
	}
	if c.RedialMax < c.RedialMin {
		c.RedialMax = max(30*time.Second, c.RedialMin)
	}
	if c.Random == nil {
		c.Random = NewRandom(0)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return nil
}

// Service keeps a node connected: its libp2p host, LAN discovery, static
// peers and relays kept connected, reservations held, hole punching, and
// for an organiser relay the relay service and its tickets. New listens;
// Run runs the background work until its context ends; Close closes the
// host once Run has returned.
type Service struct {
	cfg    Config
	log    *slog.Logger
	host   host.Host
	relays *relaySet
	rand   *Random
	watch  *watch  // network facts for `starling doctor` (watch.go)
	keeper *Keeper // keeps the static peers and relays connected
	// reservations holds this node's reservations on its relays.
	reservations *reservations

	// goMu orders goFunc's wg.Add before Run's wg.Wait; ctx is Run's,
	// nil before Run and after it returned.
	goMu sync.Mutex
	ctx  context.Context
	wg   sync.WaitGroup
}

// New builds the host, listening on cfg.ListenAddrs.
func New(cfg Config) (*Service, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	sv := &Service{cfg: cfg, log: cfg.Logger, relays: newRelaySet(), rand: cfg.Random, watch: newWatch(cfg)}
	if err := sv.loadRelays(); err != nil {
		return nil, err
	}
	circuits := func() []ma.Multiaddr { return sv.relays.circuitAddrs(sv.cfg.Clock()) }
	h, err := newHost(cfg, circuits)
	if err != nil {
		return nil, err
	}
	sv.host = h
	sv.log = cfg.Logger.With("self", Short(h.ID()))
	sv.keeper = sv.newKeeper()
	sv.reservations = &reservations{sv: sv}
	if cfg.RelayService != nil {
		h.SetStreamHandler(TicketProtocol, sv.serveTickets)
	}
	return sv, nil
}

// Host returns the libp2p host.
func (sv *Service) Host() host.Host { return sv.host }

// Run keeps the node connected until ctx ends, then returns once every
// goroutine it started has ended.
func (sv *Service) Run(ctx context.Context) error {
	sv.goMu.Lock()
	if sv.ctx != nil {
		sv.goMu.Unlock()
		return errors.New("peering: Run called twice")
	}
	sv.ctx = ctx
	sv.goMu.Unlock()
	// Run's own goroutine watches identify once the rest has started
	// (one goroutine fewer a node); it subscribes first, so that it
	// misses none of the peers the starts below connect.
	ids, err := sv.host.EventBus().Subscribe(new(event.EvtPeerIdentificationCompleted))
	if err != nil {
		sv.log.Error("cannot watch identify", "err", err)
	}
	sv.goFunc(sv.keeper.Run)
	sv.goFunc(sv.reservations.run)
	sv.startRelays()
	for _, p := range sv.cfg.Peers {
		sv.keepConnected(p)
	}
	if sv.cfg.DialKnown {
		sv.goFunc(sv.dialKnownPeers)
	}
	if sv.cfg.MDNS {
		sv.goFunc(sv.runMDNS)
		sv.goFunc(sv.watch.mdns.Run)
	}
	if ids != nil {
		sv.watchConnections(ctx, ids)
	}
	<-ctx.Done()
	sv.goMu.Lock()
	sv.ctx = closedCtx
	sv.goMu.Unlock()
	sv.wg.Wait()
	return nil
}

// closedCtx marks a Service whose Run has returned: goFunc starts nothing.
var closedCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// goFunc runs f in a goroutine that Run waits for; before Run (and after
// it) it runs nothing: Run starts what the set of relays and peers holds.
func (sv *Service) goFunc(f func(ctx context.Context)) {
	sv.goMu.Lock()
	defer sv.goMu.Unlock()
	if sv.ctx == nil || sv.ctx.Err() != nil {
		return
	}
	ctx := sv.ctx
	sv.wg.Add(1)
	go func() {
		defer sv.wg.Done()
		f(ctx)
	}()
}

// Close closes the host. Call it after Run has returned (or without Run).
func (sv *Service) Close() error {
	if err := sv.host.Close(); err != nil {
		return fmt.Errorf("close the host: %w", err)
	}
	return nil
}

// AddRelays starts using the relays at the given addresses (an invite's):
// kept connected, remembered, reserved on. Bad addresses are logged and
// skipped: the invite itself was verified, its relay list is only advice.
func (sv *Service) AddRelays(addrs []string) { sv.dialRelays(addrs) }

// IsRelay reports whether p is one of the organiser relays this node uses.
func (sv *Service) IsRelay(p peer.ID) bool { return sv.relays.has(p) }

// RelayIPs lists the networks of the relays' addresses, exempt from
// gossip's IP-colocation penalty: every peer reached through a relay
// appears under its IP.
func (sv *Service) RelayIPs() []*net.IPNet { return sv.relays.ips() }

// IsRelayService reports whether this node is an organiser relay.
func (sv *Service) IsRelayService() bool { return sv.cfg.RelayService != nil }
