package admission

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"starling/message"
	"starling/store"
)

// Limits are the numbers a node may set. Zero fields take the defaults
// (DefaultLimits; RelayLimits for an organiser relay).
type Limits struct {
	// Burst and Rate: an author keeps at most Burst messages per window of
	// Burst/Rate seconds of sent_at. Every node should use the same, so that
	// what one node keeps, the others keep too.
	Burst int
	Rate  float64
	// GroupBytes caps what a group stores; AuthorBytes what one author
	// stores in a group. Envelope bytes.
	GroupBytes, AuthorBytes int64
	// PeerBurst and PeerRate (bytes, bytes per second) size each peer's
	// token bucket; AddrBurst and AddrRate each address's.
	PeerBurst, PeerRate int64
	AddrBurst, AddrRate int64
	// History is how far back a channel, which has no creation date,
	// accepts messages.
	History time.Duration
	// RateHorizon is how far back of now sent_at windows are kept.
	RateHorizon time.Duration
	// MaxAuthors bounds the authors tracked per group, MaxTracked the
	// peers and addresses with a bucket.
	MaxAuthors, MaxTracked int
}

// DefaultLimits are an attendee's limits.
var DefaultLimits = Limits{
	Burst:       20,
	Rate:        2,
	GroupBytes:  64 << 20,
	AuthorBytes: 1 << 20,
	PeerBurst:   4 << 20,
	PeerRate:    32 << 10,
	AddrBurst:   8 << 20,
	AddrRate:    64 << 10,
	History:     30 * 24 * time.Hour,
	RateHorizon: 24 * time.Hour,
	MaxAuthors:  1 << 16,
	MaxTracked:  1 << 16,
}

// RelayLimits are an organiser relay's: it keeps an event's whole history
// for late joiners, so its groups are larger; the rest is as for everyone.
var RelayLimits = func() Limits {
	l := DefaultLimits
	l.GroupBytes = 512 << 20
	return l
}()

// WithDefaults returns l with its zero fields taken from def.
func (l Limits) WithDefaults(def Limits) Limits {
	fill := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	if l.Burst == 0 {
		l.Burst = def.Burst
	}
	if l.Rate == 0 {
		l.Rate = def.Rate
	}
	fill(&l.GroupBytes, def.GroupBytes)
	fill(&l.AuthorBytes, def.AuthorBytes)
	fill(&l.PeerBurst, def.PeerBurst)
	fill(&l.PeerRate, def.PeerRate)
	fill(&l.AddrBurst, def.AddrBurst)
	fill(&l.AddrRate, def.AddrRate)
	if l.History == 0 {
		l.History = def.History
	}
	if l.RateHorizon == 0 {
		l.RateHorizon = def.RateHorizon
	}
	if l.MaxAuthors == 0 {
		l.MaxAuthors = def.MaxAuthors
	}
	if l.MaxTracked == 0 {
		l.MaxTracked = def.MaxTracked
	}
	return l
}

func (l Limits) validate() error {
	switch {
	case l.Burst < 1 || !(l.Rate > 0):
		return fmt.Errorf("burst %d and rate %g must be positive", l.Burst, l.Rate)
	case l.GroupBytes < message.MaxEnvelopeSize || l.AuthorBytes < message.MaxEnvelopeSize:
		return fmt.Errorf("group bytes %d and author bytes %d must hold at least one envelope of %d bytes",
			l.GroupBytes, l.AuthorBytes, message.MaxEnvelopeSize)
	case l.PeerBurst < message.MaxEnvelopeSize || l.AddrBurst < message.MaxEnvelopeSize:
		return fmt.Errorf("peer burst %d and address burst %d must hold at least one envelope of %d bytes",
			l.PeerBurst, l.AddrBurst, message.MaxEnvelopeSize)
	case l.PeerRate < 0 || l.AddrRate < 0 || l.History < 0 || l.RateHorizon < 0:
		return errors.New("rates and durations must not be negative")
	case l.MaxAuthors < 1 || l.MaxTracked < 1:
		return fmt.Errorf("max authors %d and max tracked %d must be positive", l.MaxAuthors, l.MaxTracked)
	}
	return nil
}

// Store is what admission needs of the message store; *store.Store
// satisfies it.
type Store interface {
	// History returns a page of a group's messages, oldest first.
	History(q store.Query) (store.Page, error)
	// Delete removes messages for good (tombstones), so that nobody
	// fetches them again.
	Delete(ctx context.Context, ids ...message.ID) error
}

// Config sets up an Admission. Store is required.
type Config struct {
	Store Store
	// Self is this node's user: never limited.
	Self ed25519.PublicKey
	// Since returns the earliest sent_at a group accepts from others (its
	// creation), and false when it does not know one. Nil: only
	// Limits.History bounds channels. Called concurrently; must not block
	// for long.
	Since func(message.GroupID) (uint64, bool)
	// Limits are the numbers; zero fields take DefaultLimits.
	Limits Limits
	Logger *slog.Logger
	// Clock defaults to time.Now.
	Clock func() time.Time
}
