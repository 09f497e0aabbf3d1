package gossip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p-pubsub/timecache"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/group"
	"starling/message"
)

// Errors callers can test for with errors.Is.
var (
	ErrNotJoined     = errors.New("group is not joined; join it first")
	ErrNoPeers       = errors.New("no peers on the group's topic yet; keep the message queued and send it when a peer joins")
	ErrClosed        = errors.New("gossip is closed")
	ErrRefused       = errors.New("message refused by validation")
	ErrTooManyGroups = errors.New("too many groups joined; leave one first")
)

// Defaults for zero Config fields.
const (
	DefaultQueueSize = 1024
	// DefaultInboundQueue bounds the default InboundQueueSize of a node
	// that is not a hub.
	DefaultInboundQueue = 256
	DefaultMaxTopics    = 512
	DefaultSeenTTL      = 10 * time.Minute
)

// Received is an accepted message from another peer.
type Received struct {
	Msg *message.Message
	// From is the peer that forwarded the message, not necessarily its author.
	From peer.ID
}

// Inbound is the node's side of what gossip receives. Seen, Judge and
// AdmitLive run on pubsub's validation goroutines, concurrently: each must
// be cheap, must not block and must not write to disk. Deliver runs on a
// group's reader goroutine, one message at a time per group.
type Inbound interface {
	// Seen reports whether a message is already stored; such a message is
	// ignored, which stops re-broadcast loops. It is not asked about
	// messages this host publishes.
	Seen(id message.ID) bool
	// Judge applies the stateful rules (the local block list, the group's
	// rules), after the stateless ones and the signature. It also runs on
	// this host's own publishes, with from set to the host's ID. Reject only
	// what no honest peer would forward, since every peer that forwarded
	// the message loses score; Ignore what may just be a view this node does
	// not share.
	Judge(from peer.ID, m *message.Message) message.Verdict
	// AdmitLive runs after Judge for messages other peers send by gossip,
	// never for Check (catch-up) or this host's publishes: admission's
	// budgets and rates.
	AdmitLive(from peer.ID, m *message.Message) message.Verdict
	// Deliver receives each accepted message from another peer. It may
	// block briefly: while it does, pubsub buffers up to InboundQueueSize
	// messages for the group and then drops (counted in
	// Stats.DroppedSubscription); catch-up recovers them.
	Deliver(Received)
}

// acceptAll is the Inbound of a Gossip configured without one.
type acceptAll struct{}

func (acceptAll) Seen(message.ID) bool                                { return false }
func (acceptAll) Judge(peer.ID, *message.Message) message.Verdict     { return message.Accept }
func (acceptAll) AdmitLive(peer.ID, *message.Message) message.Verdict { return message.Accept }
func (acceptAll) Deliver(Received)                                    {}

// Config configures a Gossip. Zero fields take the documented defaults.
type Config struct {
	// Logger receives lifecycle lines at Info and per-message lines at Debug.
	// Nil discards. Pubsub's own lines pass only from Warn up.
	Logger *slog.Logger
	// Clock is used for the future-skew and expiry rules. Nil: time.Now.
	Clock func() time.Time

	// Inbound is where what gossip receives goes: the node's inbound
	// pipeline (see Inbound). Nil accepts every valid message and discards
	// it (a pure relay).
	Inbound Inbound
	// OnPeerJoin is told when a peer subscribes to a joined group's topic,
	// including the peers already there when the group is joined. Optional;
	// it runs on the group's event goroutine and must not block.
	OnPeerJoin func(message.GroupID, peer.ID)

	// QueueSize sizes each peer's outbound queue (pubsub's default is 32),
	// and the inbound queues unless InboundQueueSize does. Zero:
	// DefaultQueueSize.
	QueueSize int
	// InboundQueueSize sizes the validation queue and each group's
	// subscription buffer (pubsub's default is 32 for each); pubsub
	// allocates both whole, 8 bytes a message, for the node's life. Zero:
	// QueueSize on a hub (HubDegree), which takes every attendee's
	// messages; else the smaller of QueueSize and DefaultInboundQueue: a
	// node that is not a hub gets each message once or a few times, and
	// history comes by catch-up, not through these queues.
	InboundQueueSize int
	// MaxTopics caps the groups this host joins and the subscriptions a peer
	// may announce in one RPC (pubsub drops a whole RPC over the limit, so a
	// host must not join more than its peers accept). Zero: DefaultMaxTopics.
	MaxTopics int
	// SeenTTL is how long pubsub remembers a message ID, refreshed each time
	// the message is seen again. Zero: DefaultSeenTTL.
	SeenTTL time.Duration
	// Verified, if set, is shared with the other nodes of this process,
	// which then check each message's signature once among them (see
	// Verified): the simulator's. Nil: this node checks every one.
	Verified *Verified

	// AppScore is the application part of a peer's score (P5), e.g. positive
	// for the organiser's relay. Nil: 0 for everyone. It must be cheap, safe
	// for concurrent use and must not block.
	AppScore func(peer.ID) float64
	// ColocationWhitelist lists networks exempt from the IP-colocation
	// penalty (P6): the relay's addresses, since every relayed peer appears
	// under them. Loopback is always exempt.
	ColocationWhitelist []*net.IPNet
	// PeerExchange makes this host send peer records (PX) to the peers it
	// prunes from a full mesh, so they find other topic peers through it:
	// for organiser relays. Peers accept PX only from a peer whose score
	// reaches AcceptPXThreshold, which takes a high AppScore.
	PeerExchange bool
	// HubDegree, if positive, makes this host a hub with this mesh degree
	// in every topic (HubParams): for organiser relays, which on
	// client-isolated Wi-Fi are the only path between attendees, so each
	// attendee should get a message from them at once rather than by
	// gossip or catch-up. Zero keeps GossipSub's defaults (D = 6).
	HubDegree int

	// Tracer, if set, also receives pubsub's raw trace events (tests,
	// metrics). It is called synchronously from pubsub's loops and must not
	// block.
	Tracer pubsub.RawTracer
}

func (c Config) withDefaults() (Config, error) {
	switch {
	case c.QueueSize < 0:
		return c, fmt.Errorf("queue size %d is negative", c.QueueSize)
	case c.InboundQueueSize < 0:
		return c, fmt.Errorf("inbound queue size %d is negative", c.InboundQueueSize)
	case c.MaxTopics < 0:
		return c, fmt.Errorf("max topics %d is negative", c.MaxTopics)
	case c.SeenTTL < 0:
		return c, fmt.Errorf("seen TTL %s is negative", c.SeenTTL)
	case c.HubDegree < 0:
		return c, fmt.Errorf("hub degree %d is negative", c.HubDegree)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	switch {
	case c.InboundQueueSize > 0:
	case c.HubDegree > 0:
		c.InboundQueueSize = c.QueueSize
	default:
		c.InboundQueueSize = min(c.QueueSize, DefaultInboundQueue)
	}
	if c.MaxTopics == 0 {
		c.MaxTopics = DefaultMaxTopics
	}
	if c.Inbound == nil {
		c.Inbound = acceptAll{}
	}
	if c.SeenTTL == 0 {
		c.SeenTTL = DefaultSeenTTL
	}
	if c.AppScore == nil {
		c.AppScore = func(peer.ID) float64 { return 0 }
	}
	return c, nil
}

// Gossip is GossipSub on one host. Its methods are safe for concurrent use.
type Gossip struct {
	host   host.Host
	cfg    Config
	log    *slog.Logger
	ps     *pubsub.PubSub
	ctx    context.Context // pubsub's lifetime; cancelled by Close
	cancel context.CancelFunc
	val    *validator
	stats  counters
	scores atomic.Pointer[map[peer.ID]float64]
	mesh   meshTracer
	guard  *sendGuard
	bg     sync.WaitGroup // guardSends, while it runs (startGuard)
	// bgMu guards bgClosed, set as Close begins waiting for bg.
	bgMu     sync.Mutex
	bgClosed bool

	// opMu serialises Join, Leave and Close, which call into pubsub and wait
	// for goroutines. It is never taken by Publish, Peers or the validator.
	opMu sync.Mutex

	// mu guards the fields below and is never held across a blocking call.
	mu     sync.RWMutex
	topics map[message.GroupID]*topic
	// names maps the topic names the validator accepts to their groups. A
	// name is added before its subscription starts and removed after it
	// ends, so no message is ever accepted without the group binding check.
	names  map[string]message.GroupID
	closed bool
}

// New starts GossipSub on h. Close stops it; there is no other way. Other
// code must not start pubsub on the same host.
func New(h host.Host, cfg Config) (*Gossip, error) {
	if h == nil {
		return nil, errors.New("gossip: no libp2p host")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("gossip: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &Gossip{
		host:   h,
		cfg:    cfg,
		log:    cfg.Logger,
		ctx:    ctx,
		cancel: cancel,
		topics: make(map[message.GroupID]*topic),
		names:  make(map[string]message.GroupID),
		guard:  newSendGuard(cfg.Clock),
	}
	g.guard.start = g.startGuard
	g.val = &validator{
		self:  h.ID(),
		now:   cfg.Clock,
		in:    cfg.Inbound,
		group: g.groupOf,
		sigs:  cfg.Verified,
		stats: &g.stats,
		log:   g.log,
	}
	opts, err := g.options()
	if err != nil {
		cancel()
		return nil, err
	}
	ps, err := pubsub.NewGossipSub(ctx, h, opts...)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("gossip: start gossipsub: %w", err)
	}
	g.ps = ps
	g.log.Info("gossipsub started", "peer", h.ID(), "queue", cfg.QueueSize, "inbound_queue", cfg.InboundQueueSize, "seen_ttl", cfg.SeenTTL)
	return g, nil
}

func (g *Gossip) options() ([]pubsub.Option, error) {
	opts, err := Settings(g.cfg, g.val.validate)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		pubsub.WithLogger(slog.New(minLevel{g.log.Handler(), slog.LevelWarn}).With("subsystem", "pubsub")),
		pubsub.WithPeerScoreInspect(pubsub.PeerScoreInspectFn(g.storeScores), scoreSnapshotInterval),
		pubsub.WithRawTracer(tracer{c: &g.stats}),
		pubsub.WithRawTracer(&g.mesh),
		pubsub.WithRawTracer(g.guard),
	)
	if g.cfg.Tracer != nil {
		opts = append(opts, pubsub.WithRawTracer(g.cfg.Tracer))
	}
	return opts, nil
}

// Settings are the pubsub options that set how Starling's GossipSub
// behaves on the wire and what it costs: no libp2p signing, content-hash
// message IDs, flood publishing, queue sizes, the seen-message cache, the
// topic filter, peer scoring, peer exchange, the GossipSub parameters
// (Params, or HubParams for a hub), the validation workers (one but on a
// hub), with validate as the default validator.
// Each topic also takes TopicScoreParams. New uses them; the simulator's
// bare baseline runs plain pubsub with exactly these, so that the
// comparison measures what Starling adds on top of GossipSub.
func Settings(cfg Config, validate pubsub.ValidatorEx) ([]pubsub.Option, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("gossip: %w", err)
	}
	opts := []pubsub.Option{
		// The application signs; libp2p signing would cost a second
		// signature check per message and tie messages to a transport key.
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(pubsubID),
		// Off by default in v0.19.0; right for small chat messages, and it
		// reaches topic peers before the mesh has formed.
		pubsub.WithFloodPublish(true),
		pubsub.WithValidateQueueSize(cfg.InboundQueueSize),
		pubsub.WithPeerOutboundQueueSize(cfg.QueueSize),
		pubsub.WithSeenMessagesStrategy(timecache.Strategy_LastSeen),
		pubsub.WithSeenMessagesTTL(cfg.SeenTTL),
		pubsub.WithSubscriptionFilter(pubsub.WrapLimitSubscriptionFilter(
			pubsub.NewRegexpSubscriptionFilter(group.TopicPattern), cfg.MaxTopics)),
		// A default validator covers every topic from the start, so there is
		// no moment in Join or Leave when a subscribed topic has none.
		// Inline: it is CPU-bound and never blocks, so it runs on pubsub's
		// validation workers without a goroutine per message.
		pubsub.WithDefaultValidator(validate, pubsub.WithValidatorInline(true)),
		pubsub.WithPeerScore(scoreParams(cfg), scoreThresholds()),
	}
	if cfg.PeerExchange {
		opts = append(opts, pubsub.WithPeerExchange(true))
	}
	params := Params()
	if cfg.HubDegree > 0 {
		params = HubParams(cfg.HubDegree)
	} else {
		// One validation worker, not one per CPU: validation runs inline
		// (a signature check, tens of microseconds), and a node that is
		// not a hub receives each message once or a few times, so one
		// worker keeps up with thousands a second. Each worker is a
		// goroutine for the node's whole life; a hub keeps one per CPU.
		opts = append(opts, pubsub.WithValidateWorkers(1))
	}
	opts = append(opts, pubsub.WithGossipSubParams(params))
	return opts, nil
}

// pxConnectors is how many goroutines dial the peers that prunes suggest
// (peer exchange) at once; GossipSub's default is 8. Each one waits for
// work for the node's whole life, and an attendee learns a handful of
// peers per prune from a relay, so two suffice. In the simulator's hall
// of 1,000 that is six idle goroutines, about 30 KB of stack and their
// share of the GC's target, less per node.
const pxConnectors = 2

// Params are GossipSub's parameters for a node that is not a hub: its
// defaults but for pxConnectors.
func Params() pubsub.GossipSubParams {
	p := pubsub.DefaultGossipSubParams()
	p.Connectors = pxConnectors
	return p
}

// HubParams are GossipSub's parameters for a hub of mesh degree d (at
// least 6): it grafts topic peers until d are in its mesh (Dlo = D = d)
// and prunes only above 2d, keeping the two thirds that score best. Other
// parameters are Params'.
func HubParams(d int) pubsub.GossipSubParams {
	d = max(d, 6)
	p := Params()
	p.D, p.Dlo, p.Dhi = d, d, 2*d
	p.Dscore = 2 * d / 3
	p.Dout = 2
	return p
}

// Close leaves every group, stops pubsub and removes its stream handlers
// from the host. It returns after every goroutine this package started has
// exited; pubsub's own goroutines stop shortly after. Closing twice is a
// no-op. The host stays open: it belongs to the caller.
func (g *Gossip) Close() error {
	g.opMu.Lock()
	defer g.opMu.Unlock()

	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	topics := g.topics
	g.topics = make(map[message.GroupID]*topic)
	g.mu.Unlock()

	var errs []error
	for _, t := range topics {
		if err := g.stopTopic(t); err != nil {
			errs = append(errs, fmt.Errorf("leave group %s: %w", t.group.Short(), err))
		}
	}
	g.cancel()
	g.bgMu.Lock()
	g.bgClosed = true
	g.bgMu.Unlock()
	g.bg.Wait()
	for _, p := range pubsub.GossipSubDefaultProtocols {
		g.host.RemoveStreamHandler(p)
	}
	g.log.Info("gossipsub stopped", "groups", len(topics))
	return errors.Join(errs...)
}

// groupOf maps a topic name to its joined group; the validator's lookup.
func (g *Gossip) groupOf(name string) (message.GroupID, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	gid, ok := g.names[name]
	return gid, ok
}

func (g *Gossip) isClosed() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.closed
}

// minLevel passes on only records at or above level: pubsub logs one Info
// line per dropped message, which Stats already counts.
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.level}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.level}
}
