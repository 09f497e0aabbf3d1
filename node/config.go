package node

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"starling/admission"
	"starling/gossip"
	"starling/identity"
	"starling/peering"
	"starling/pictures"
	"starling/store"
)

// Config configures a Node. Zero fields take the defaults documented on them.
type Config struct {
	// User signs this node's messages. Required.
	User *identity.User
	// TransportKey is the libp2p identity. Required.
	TransportKey crypto.PrivKey
	// StoreDir is the Badger directory; empty keeps the store in memory.
	StoreDir string
	// StoreEngine is the store's key-value engine (store.Config.Engine):
	// zero for Badger, store.EngineMemory for the simulator's many
	// in-memory nodes (StoreDir must then be empty).
	StoreEngine store.Engine
	// StoreMemTableSize tunes the store's memory (the simulator runs many
	// nodes); zero takes the store's default.
	StoreMemTableSize int64
	// StoreNoCompaction turns the store's compactors off (store.Config):
	// for the simulator's short-lived in-memory stores only.
	StoreNoCompaction bool
	// StoreDisk sets the store's free-space floors (store.DiskConfig): below
	// Floor the node ignores received messages, below the hard floor it
	// saves nothing, and started below it, it runs read-only. Zero values
	// take the store's defaults; an in-memory store has no floors unless
	// StoreDisk.FreeSpace is set.
	StoreDisk store.DiskConfig

	// ListenAddrs default to TCP, QUIC and WebSocket on every interface,
	// random ports.
	ListenAddrs []ma.Multiaddr
	// WebSocket configures the WebSocket listeners that browsers (the
	// phone page) connect to: the page they serve, their certificate.
	WebSocket peering.WebSocket
	// Transports, if set, replace the default transports: the
	// simulator passes QUIC over an in-memory network (x/simlibp2p's
	// QUICSimnet) here. They are applied after the node's own options.
	Transports []libp2p.Option
	// Peers are static peers, kept connected and redialled with backoff.
	Peers []peer.AddrInfo
	// Relays are organiser relays (full multiaddrs with /p2p/): kept
	// connected like static peers, trusted for peer exchange, and this node
	// holds a reservation on them (peering's reservations) and announces its
	// circuit addresses through them, so that peers that cannot reach it
	// directly reach it through them. Relays named by
	// invites join this list and are remembered across restarts.
	Relays []peer.AddrInfo
	// RelayService, if set, makes this node an organiser relay: a circuit
	// relay v2 service for other nodes (see RelayService).
	RelayService *peering.RelayService
	// Images sets how this node sends and fetches pictures.
	Images pictures.Policy
	// MDNS turns on LAN discovery. Only ever inside a network you own.
	MDNS bool
	// MDNSService is the mDNS service name; default "_starling._udp", so
	// Starling nodes do not answer every libp2p application on the Wi-Fi.
	MDNSService string
	// DisableKnownPeers stops the node redialling, at start-up, the peers
	// remembered in its store (false by default: it redials them).
	DisableKnownPeers bool

	// RedialMin and RedialMax bound the backoff between dials of a static
	// peer; defaults 1 s and 30 s.
	RedialMin, RedialMax time.Duration
	// OutboxInterval is how often queued messages are retried even without
	// a new peer; default 5 s.
	OutboxInterval time.Duration
	// SyncInterval is how often the node catches up with a random peer of
	// each group (jittered ±20 %), on top of catching up whenever a peer
	// joins a group. Default 1 min.
	SyncInterval time.Duration
	// RegossipWindow: a message this node learns by catch-up that was
	// sent at most this long ago is passed on by gossip, so the rest of
	// its group need not wait for their own catch-up rounds (a healed
	// partition, a relay that lost a burst). Older history is not: the
	// group has it already. Default 10 min; negative: never.
	RegossipWindow time.Duration
	// ConnectionGater, if set, vets every connection (tests use it to
	// partition a network; relays to enforce an ACL).
	ConnectionGater connmgr.ConnectionGater
	// DropGossip is for tests and simulations: the share (0 to 1) of
	// gossip messages from other peers to drop as if lost on the wire
	// (neither stored nor forwarded). Catch-up recovers them.
	DropGossip float64
	// AckAlerts acknowledges every alert as soon as it is stored, as if a
	// person saw it (the simulator's and headless nodes'; a client
	// acknowledges what it displayed with AckAlert).
	AckAlerts bool
	// Verified, if set, is shared by the nodes of one process (the
	// simulator's), which then check each message's signature once among
	// them instead of once each (see gossip.Verified). Nil for a real
	// node.
	Verified *gossip.Verified

	// Limits bound what other nodes may store here (package admission):
	// rates by sent_at per author, storage per group and per author, and
	// what each peer and address may bring. Zero fields take
	// admission.DefaultLimits, or admission.RelayLimits on an organiser
	// relay (RelayService set), whose groups are larger.
	Limits admission.Limits

	// GroupGrace is how long after a group's end time its messages are
	// still accepted; after it the node deletes the group's content and
	// keys. Zero: group.DefaultGrace (1 h); negative: none.
	GroupGrace time.Duration

	// SubscriberBuffer is each event subscriber's channel capacity; a
	// subscriber that falls this far behind is dropped (see Subscribe).
	// Default 1024.
	SubscriberBuffer int

	// Seed, if not zero, seeds the node's own random choices (which peer a
	// periodic catch-up asks, the jitter of redials and sync rounds), so
	// that a simulator's runs repeat. Zero: seeded at random.
	Seed uint64

	// Logger defaults to discarding everything.
	Logger *slog.Logger
	// Clock defaults to time.Now.
	Clock func() time.Time
}

// DefaultListenAddrs are used when Config.ListenAddrs is empty.
func DefaultListenAddrs() []ma.Multiaddr { return peering.DefaultListenAddrs() }

func (c *Config) fill() error {
	if c.User == nil {
		return errors.New("node: config has no user key")
	}
	if c.TransportKey == nil {
		return errors.New("node: config has no transport key")
	}
	if c.StoreEngine == store.EngineMemory && c.StoreDir != "" {
		return errors.New("node: the memory store engine keeps nothing on disk, but a store directory is set")
	}
	if err := c.Images.Fill(); err != nil {
		return fmt.Errorf("node: %w", err)
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
	if c.OutboxInterval <= 0 {
		c.OutboxInterval = 5 * time.Second
	}
	if c.SyncInterval <= 0 {
		c.SyncInterval = time.Minute
	}
	if c.RegossipWindow == 0 {
		c.RegossipWindow = 10 * time.Minute
	}
	if c.DropGossip < 0 || c.DropGossip > 1 {
		return fmt.Errorf("node: DropGossip %v is not a share between 0 and 1", c.DropGossip)
	}
	if c.SubscriberBuffer <= 0 {
		c.SubscriberBuffer = 1024
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return nil
}
