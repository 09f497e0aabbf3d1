package alerts

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"starling/group"
	"starling/identity"
	"starling/internal/ondemand"
	"starling/message"
	"starling/store"
)

// Node is what the alert service needs of the node it runs in. Every
// method must be safe for concurrent use and must not block on the
// service.
type Node interface {
	// Group returns a joined group's State, nil when it is not joined.
	Group(g message.GroupID) *group.State
	// Groups returns the States of the joined groups.
	Groups() []*group.State
	// Resolve returns the State of the joined group ref names (its name,
	// ID or a unique prefix of it).
	Resolve(ref string) (*group.State, error)
	// Send composes, signs and publishes content in the group ref names;
	// it returns how many peers took it by gossip.
	Send(ctx context.Context, ref string, c group.Content) (*message.Message, int, error)
	// TopicPeers are the peers on the group's topic now.
	TopicPeers(g message.GroupID) []peer.ID
	// RelaysFirst returns at most limit of the group's peers, organiser
	// relays first.
	RelaysFirst(g message.GroupID, limit int) []peer.ID
	// IsRelay reports whether p is one of this node's organiser relays.
	IsRelay(p peer.ID) bool
	// Blocked reports whether this user blocked author.
	Blocked(author ed25519.PublicKey) bool
	// Judge puts what a peer offered through the group's rules and
	// admission's budgets, exactly as a catch-up push.
	Judge(from peer.ID, g message.GroupID, raw []byte) (*message.Message, message.Verdict, error)
	Has(id message.ID) (bool, error)
	Get(id message.ID) (store.Stored, error)
	// Put stores a message Judge accepted, as learnt by catch-up.
	Put(ctx context.Context, m *message.Message) error
	// NewStream opens a stream of proto to p.
	NewStream(ctx context.Context, p peer.ID, proto protocol.ID) (network.Stream, error)
}

// Config configures a Service.
type Config struct {
	Node Node
	User *identity.User
	// Clock defaults to time.Now.
	Clock func() time.Time
	// Go runs background work on a goroutine its owner joins before it
	// shuts down, passing a context that ends then. Required.
	Go func(func(ctx context.Context))
	// AckAll acknowledges every alert as soon as it is stored, as if a
	// person had seen it (simulated attendees; a real device acknowledges
	// what it displayed with Ack).
	AckAll bool
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Service keeps a node's alerts: it takes them as they are stored, offers
// them, counts their acknowledgements and serves Protocol.
type Service struct {
	cfg Config
	log *slog.Logger
	book
	runs *ondemand.Worker // Run's rounds
}

// New builds a Service; the node calls Stored with every committed batch,
// serves Protocol with Serve and runs Run.
func New(cfg Config) (*Service, error) {
	if cfg.Node == nil || cfg.User == nil || cfg.Go == nil {
		return nil, errors.New("alerts: Config needs Node, User and Go")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: cfg.Logger, book: newBook(), runs: ondemand.New(false)}, nil
}
