// Package schedule decides when a node reconciles which group with which
// peer. Sessions start when a peer joins a group's topic (after
// joinSyncDelay, by the side with the smaller peer ID), every Interval with
// a random peer of each group that this node may differ from (quiet.go),
// again shortly after a session that stopped short (followUpDelay), with
// every peer of a group that learnt an epoch key (Resync), and on demand
// (SyncNow). At most maxConcurrentSyncs run at once; a peer that answers
// too slowly is left alone for slowCooldown while the group has others.
package schedule

import (
	"context"
	"errors"
	"log/slog"
	"starling/catchup"
	"starling/message"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

const (
	// minSyncGap keeps the periodic round from repeating a session that
	// just ran. A peer (re)joining a group always starts one: that is when
	// the two may have diverged.
	minSyncGap = 10 * time.Second
	// maxConcurrentSyncs bounds the sessions this node starts at once.
	maxConcurrentSyncs = 4
	// syncQueue bounds pending automatic sessions; when it is full a
	// request is dropped, and the periodic round makes up for it.
	syncQueue = 256
	// joinSyncDelay lets the outbox and the GossipSub mesh go first when a
	// peer joins a group (on average; see spread).
	joinSyncDelay = 2 * time.Second
	// maxOnDemandPeers bounds the peers `starling sync` asks per group.
	maxOnDemandPeers = 8
	// maxRepeats bounds how often a session runs again at once because the
	// group learnt an epoch key while it ran.
	maxRepeats = 2
	// slowCooldown is how long the node leaves a peer alone after a session
	// with it ended because the peer answered too slowly (or timed out):
	// automatic sessions go to the group's other peers meanwhile, so slow
	// peers cannot hold the node's few outbound sessions. `starling sync`
	// still asks it.
	slowCooldown = 5 * time.Minute
	// maxSlowPeers and maxTried bound the syncer's per-peer maps: a slow
	// peer is forgotten first when its cooldown ends, then the one whose
	// cooldown ends soonest; a start time older than minSyncGap means
	// nothing and is dropped.
	maxSlowPeers = 1024
	maxTried     = 4096
	// followUpDelay is how long after a session that failed or stopped
	// short, or after live gossip ignored a peer's messages for exceeding
	// the rate limit, the node catches up with that peer again. So a burst
	// beyond the live limit, or a session cut by a flaky link, completes
	// within seconds rather than at the next periodic round.
	followUpDelay = 5 * time.Second
)

// Node is what the scheduler needs of the node it runs in. Every method
// must be safe for concurrent use.
type Node interface {
	// Self is this node's peer ID.
	Self() peer.ID
	// Joined lists the groups whose topics the node is on.
	Joined() []message.GroupID
	// TopicPeers are the peers on the group's topic now.
	TopicPeers(g message.GroupID) []peer.ID
	// Banned reports whether catch-up banned p from g.
	Banned(p peer.ID, g message.GroupID) bool
	// Sync runs one session with p over g.
	Sync(ctx context.Context, p peer.ID, g message.GroupID) (catchup.Result, error)
	// Summary is g's summary now.
	Summary(g message.GroupID) Summary
	// Confirmed reports whether this node knows g's whole state without a
	// session (a private group it created since it started; every other
	// kind): when not, it starts a session itself when a peer joins.
	Confirmed(g message.GroupID) bool
	// KickOutbox: a peer joined a group, so queued messages may go out.
	KickOutbox()
	// Synced reports a session with p over g that completed.
	Synced(g message.GroupID, p peer.ID, res catchup.Result)
}

// Random is the scheduler's source of chance (a seeded node's is
// repeatable).
type Random interface {
	Jitter(d time.Duration) time.Duration
	IntN(n int) int
	Shuffle(n int, swap func(i, j int))
}

// Config configures a Scheduler. Every field is required but Logger.
type Config struct {
	Node   Node
	Random Random
	// Interval is the periodic round's mean interval.
	Interval time.Duration
	Clock    func() time.Time
	// Go runs background work on a goroutine its owner joins before it
	// shuts down, passing a context that ends then.
	Go func(func(ctx context.Context))
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Scheduler schedules a node's catch-up sessions; Run runs it.
type Scheduler struct {
	cfg Config
	log *slog.Logger
	book
}

// New builds a Scheduler.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Node == nil || cfg.Random == nil || cfg.Interval <= 0 || cfg.Clock == nil || cfg.Go == nil {
		return nil, errors.New("schedule: Config needs Node, Random, Interval, Clock and Go")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{cfg: cfg, log: cfg.Logger, book: newBook()}, nil
}

// spread draws a delay from half of d to one and a half times it. Sessions
// that many nodes start at one moment (all of a venue's attendees joining
// their groups when the doors open, and again when the relay they all
// asked answered them busy) then reach a busy relay spread over d, not at
// once: at once, only as many as its session limit (64) get in per wave,
// and the rest, retrying together, meet the same limit again.
func (s *Scheduler) spread(d time.Duration) time.Duration {
	return d/2 + time.Duration(s.cfg.Random.IntN(int(d)))
}

// after runs f after d on a goroutine the node joins, unless it shuts
// down first.
func (s *Scheduler) after(d time.Duration, f func(ctx context.Context)) {
	s.cfg.Go(func(ctx context.Context) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
			f(ctx)
		}
	})
}
