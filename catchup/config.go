package catchup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/catchup/wire"
	"starling/message"
	"starling/negentropy"
	"starling/store"
)

// ProtocolID is the libp2p protocol of a catch-up stream.
// Version 1.1.0 added Messages.gone; 1.0.0 peers reject that field, so the
// two do not speak to each other.
const ProtocolID = wire.ProtocolV1

// Protocol limits: both sides must agree on them, so they are constants of
// the protocol version, not settings.
const (
	// MaxFrameSize caps every frame read, length prefix excluded.
	MaxFrameSize = wire.MaxFrameSize
	// MaxBatchSize caps the IDs in a Want and the envelopes in a Messages
	// frame.
	MaxBatchSize = wire.MaxBatchSize
	// MaxPending caps the missing messages one session collects before it
	// stops reconciling (2 MiB of IDs); the next session continues.
	MaxPending = 1 << 16
)

// minFrame is the smallest frame limit that holds a Messages frame with one
// envelope of the largest size.
var minFrame = messagesFrameSize(messagesSize(0, message.MaxEnvelopeSize))

// Defaults for the zero fields of Config.
const (
	DefaultFrameSizeLimit     = 60000
	DefaultMaxFrame           = MaxFrameSize
	DefaultBatchSize          = 128
	DefaultMaxRounds          = 64
	DefaultMaxSessionsPerPeer = 2
	DefaultMaxSessionsPerAddr = 16
	DefaultMaxSessions        = 64
	DefaultStallTime          = 5 * time.Second
	DefaultIdleTime           = 30 * time.Second
	DefaultWorkBurst          = 64 << 20
	DefaultWorkRate           = 1 << 20
	DefaultSlowWait           = 10 * time.Second
	DefaultMinRate            = 4 << 10
	DefaultMaxRefused         = 1 << 15
	DefaultRefusedTTL         = 10 * time.Minute
	DefaultSessionTimeout     = 5 * time.Minute
	DefaultIOTimeout          = 30 * time.Second
	DefaultBanTime            = 10 * time.Minute
)

// Store is what catch-up needs of the message store; *store.Store satisfies
// it. Its methods are called concurrently from every session.
type Store interface {
	// Items returns the group's (sent_at_ms, ID) pairs in ascending order.
	Items(group message.GroupID) ([]store.Item, error)
	// Get returns a stored message or an error wrapping store.ErrNotFound
	// (also when the message was deleted or has expired).
	Get(id message.ID) (store.Stored, error)
	// Put stores a validated message; duplicates and deleted messages are
	// refused without an error.
	Put(ctx context.Context, m *message.Message, origin store.Origin) (bool, error)
	// Deleted reports whether this node deleted the message (holds its
	// tombstone): catch-up does not fetch it again.
	Deleted(id message.ID) bool
}

// Judge decides on each envelope a peer hands over in a session: the node's
// inbound pipeline, which judges it exactly as gossip's validator would and
// then applies admission. Check returns the decoded message with Accept;
// it is called concurrently and must not block on the network.
type Judge interface {
	Check(from peer.ID, group message.GroupID, raw []byte) (*message.Message, message.Verdict, error)
}

// CheckFunc is a function that is a Judge.
type CheckFunc func(from peer.ID, group message.GroupID, raw []byte) (*message.Message, message.Verdict, error)

// Check calls f.
func (f CheckFunc) Check(from peer.ID, group message.GroupID, raw []byte) (*message.Message, message.Verdict, error) {
	return f(from, group, raw)
}

// Config sets up a Service. Store, Joined and Judge are required; zero
// fields of the rest take the documented defaults.
type Config struct {
	Store Store
	// Joined reports whether this node is in a group. Sessions for other
	// groups are refused in both directions. Called concurrently; must not
	// block.
	Joined func(message.GroupID) bool
	// Judge judges each received envelope (see Judge).
	Judge Judge
	// Penalize, if set, is told about a peer that was cut off for
	// misbehaving in a session of group g (the zero GroupID: before its
	// Hello named a group), with a short reason: it broke the protocol or
	// sent a message Judge rejected, both provable. The peer is banned from
	// g's sessions for BanTime; other groups are not affected. Called from
	// session goroutines; must not block.
	Penalize func(p peer.ID, g message.GroupID, reason string)
	// Version, if set, returns a number that changes whenever the group's
	// stored set changes (a message stored or deleted). Sessions that start
	// while it stays the same share one snapshot of the group's index. Nil:
	// sessions share a snapshot built less than a second ago. Called
	// concurrently; must not block.
	Version func(message.GroupID) uint64
	// View, if set, returns a number that changes whenever this node's view
	// of the group changes in a way that may make a message it ignored
	// acceptable: an epoch key or a descriptor learnt, an author unblocked.
	// A message Judge ignored is not fetched again while the view stays the
	// same (and for at most RefusedTTL). Nil: only the TTL ends a refusal.
	// Called concurrently; must not block.
	View func(message.GroupID) uint64
	// Logger receives Info for the service's lifecycle, Debug per session
	// and Warn for misbehaving peers. Nil discards.
	Logger *slog.Logger
	// Clock stamps Results and times bans. Nil: time.Now. I/O deadlines
	// follow the real clock, as the network does.
	Clock func() time.Time

	// FrameSizeLimit caps the Negentropy messages this side builds:
	// DefaultFrameSizeLimit, at least negentropy.MinFrameSizeLimit and small
	// enough to fit a frame of MaxFrame bytes. Smaller means more rounds.
	FrameSizeLimit int
	// MaxFrame caps the frames this side builds: DefaultMaxFrame, at most
	// MaxFrameSize and large enough for one envelope of
	// message.MaxEnvelopeSize. Reads are capped at MaxFrameSize whatever it
	// is, since the peer may use the protocol's whole limit.
	MaxFrame int
	// BatchSize is how many IDs this side asks for per Want and how many
	// envelopes it pushes per frame: DefaultBatchSize, at most MaxBatchSize.
	BatchSize int
	// MaxRounds caps the Negentropy round trips of a session:
	// DefaultMaxRounds.
	MaxRounds int
	// MaxSessionsPerPeer, MaxSessionsPerAddr and MaxSessions cap
	// concurrent inbound sessions from one peer, from one address (an IPv4
	// address or an IPv6 /64) and in all; beyond them a new session ends a
	// stalled one (see StallTime) or gets "busy".
	MaxSessionsPerPeer int
	MaxSessionsPerAddr int
	MaxSessions        int
	// StallTime and IdleTime say when an inbound session is stalled, so
	// that a new session may take its slot: its peer has kept this node
	// waiting for its next frame for StallTime (default 5 s), or it has
	// moved no message for IdleTime (default 30 s). Honest sessions answer
	// within a round trip and move messages; hostile ones that hold slots
	// do neither.
	StallTime, IdleTime time.Duration
	// WorkBurst and WorkRate size each address's work account, in bytes:
	// the frames of its inbound sessions either way plus 4 KiB per
	// reconciliation round are charged to it, and it refills at WorkRate
	// per second up to WorkBurst (defaults 64 MiB and 1 MiB/s). An address
	// whose account is empty gets "busy", and its sessions are the first
	// to end when others need room.
	WorkBurst, WorkRate int64
	// SlowWait and MinRate end an outbound session (ErrSlow) whose peer
	// has kept this side waiting SlowWait in all (default 10 s) while the
	// session moved less than MinRate bytes, either way, per second of that
	// waiting (default 4 KiB/s), so that slow peers cannot hold the node's
	// outbound sessions. An honest peer answers within a round trip.
	SlowWait time.Duration
	MinRate  int64
	// MaxRefused is how many refused message IDs are remembered (default
	// 32,768, about 3 MiB), RefusedTTL for how long at most (default 10
	// min).
	MaxRefused int
	RefusedTTL time.Duration
	// SessionTimeout bounds a whole session, IOTimeout every single read
	// and write.
	SessionTimeout time.Duration
	IOTimeout      time.Duration
	// BanTime is how long a misbehaving peer is refused sessions of the
	// group it misbehaved in.
	BanTime time.Duration
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.FrameSizeLimit, DefaultFrameSizeLimit)
	def(&c.MaxFrame, DefaultMaxFrame)
	def(&c.BatchSize, DefaultBatchSize)
	def(&c.MaxRounds, DefaultMaxRounds)
	def(&c.MaxSessionsPerPeer, DefaultMaxSessionsPerPeer)
	def(&c.MaxSessionsPerAddr, DefaultMaxSessionsPerAddr)
	def(&c.MaxSessions, DefaultMaxSessions)
	def(&c.MaxRefused, DefaultMaxRefused)
	if c.WorkBurst == 0 {
		c.WorkBurst = DefaultWorkBurst
	}
	if c.WorkRate == 0 {
		c.WorkRate = DefaultWorkRate
	}
	if c.MinRate == 0 {
		c.MinRate = DefaultMinRate
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defDur(&c.SessionTimeout, DefaultSessionTimeout)
	defDur(&c.IOTimeout, DefaultIOTimeout)
	defDur(&c.BanTime, DefaultBanTime)
	defDur(&c.StallTime, DefaultStallTime)
	defDur(&c.IdleTime, DefaultIdleTime)
	defDur(&c.SlowWait, DefaultSlowWait)
	defDur(&c.RefusedTTL, DefaultRefusedTTL)
	return c
}

// validate reports the first setting that cannot work.
func (c Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("Config.Store is required")
	case c.Joined == nil:
		return errors.New("Config.Joined is required")
	case c.Judge == nil:
		return errors.New("Config.Judge is required (the node's inbound pipeline)")
	case c.MaxFrame < minFrame || c.MaxFrame > MaxFrameSize:
		return fmt.Errorf("Config.MaxFrame %d: must be between %d and %d", c.MaxFrame, minFrame, MaxFrameSize)
	case c.FrameSizeLimit < negentropy.MinFrameSizeLimit || helloFrameSize(c.FrameSizeLimit) > c.MaxFrame:
		return fmt.Errorf("Config.FrameSizeLimit %d: must be at least %d and leave room for framing within MaxFrame (%d)",
			c.FrameSizeLimit, negentropy.MinFrameSizeLimit, c.MaxFrame)
	case c.BatchSize < 1 || c.BatchSize > MaxBatchSize:
		return fmt.Errorf("Config.BatchSize %d: must be between 1 and %d", c.BatchSize, MaxBatchSize)
	case c.MaxRounds < 1:
		return fmt.Errorf("Config.MaxRounds %d: must be positive", c.MaxRounds)
	case c.MaxSessionsPerPeer < 1 || c.MaxSessionsPerAddr < 1 || c.MaxSessions < 1:
		return fmt.Errorf("Config.MaxSessionsPerPeer %d, MaxSessionsPerAddr %d and MaxSessions %d: must be positive",
			c.MaxSessionsPerPeer, c.MaxSessionsPerAddr, c.MaxSessions)
	case c.SessionTimeout < 0 || c.IOTimeout < 0 || c.BanTime < 0 || c.StallTime < 0 || c.IdleTime < 0 || c.SlowWait < 0:
		return errors.New("Config.SessionTimeout, IOTimeout, BanTime, StallTime, IdleTime and SlowWait must not be negative")
	case c.MaxRefused < 0 || c.RefusedTTL < 0:
		return errors.New("Config.MaxRefused and RefusedTTL must not be negative")
	case c.WorkBurst < 0 || c.WorkRate < 0 || c.MinRate < 0:
		return errors.New("Config.WorkBurst, WorkRate and MinRate must not be negative")
	}
	return nil
}
