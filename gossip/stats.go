package gossip

import (
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Stats counts what happened to messages from other peers since New. Every
// message that reaches validation lands in exactly one Accepted, Rejected*
// or Ignored* counter; the Dropped* counters are pubsub's full queues, whose
// messages catch-up recovers later.
type Stats struct {
	Accepted   uint64 // passed every check
	Delivered  uint64 // handed to Config.Deliver
	Duplicates uint64 // already seen by pubsub (within SeenTTL), dropped before validation

	RejectedMalformed    uint64 // not a well-formed envelope or body
	RejectedNonCanonical uint64 // a second encoding of a message
	RejectedTooLarge     uint64 // over message.MaxEnvelopeSize
	RejectedBadPayload   uint64 // payload breaks its kind's rules
	RejectedBadSignature uint64 // forged or corrupted signature
	RejectedWrongGroup   uint64 // body's group is not the topic's
	RejectedPolicy       uint64 // Config.Policy said message.Reject
	RejectedEnvelope     uint64 // pubsub-level: libp2p signature or author fields present

	IgnoredVersion     uint64 // body version this node does not speak
	IgnoredUnknownKind uint64 // kind this node does not know
	IgnoredFutureSkew  uint64 // dated more than message.MaxFutureSkew ahead
	IgnoredExpired     uint64 // past its expiry
	IgnoredSeen        uint64 // Config.Seen said it is stored
	IgnoredPolicy      uint64 // Config.Policy said message.Ignore
	IgnoredNotJoined   uint64 // its group was left while it queued
	IgnoredOther       uint64 // an error this version does not classify

	DroppedValidation   uint64 // validation queue full or throttled
	DroppedPeerQueue    uint64 // RPCs dropped: a peer's outbound queue was full, or pubsub had none for it
	DroppedSubscription uint64 // accepted but the group's buffer was full (Deliver too slow)

	// SendRepairs counts connections reset because pubsub held no stream
	// to a peer in our topics (see sendGuard).
	SendRepairs uint64
}

// Rejected sums the Rejected* counters.
func (s Stats) Rejected() uint64 {
	return s.RejectedMalformed + s.RejectedNonCanonical + s.RejectedTooLarge + s.RejectedBadPayload +
		s.RejectedBadSignature + s.RejectedWrongGroup + s.RejectedPolicy + s.RejectedEnvelope
}

// Ignored sums the Ignored* counters.
func (s Stats) Ignored() uint64 {
	return s.IgnoredVersion + s.IgnoredUnknownKind + s.IgnoredFutureSkew + s.IgnoredExpired +
		s.IgnoredSeen + s.IgnoredPolicy + s.IgnoredNotJoined + s.IgnoredOther
}

// Stats returns the counters. Each is read atomically; together they are not
// one snapshot.
func (g *Gossip) Stats() Stats {
	c := &g.stats
	return Stats{
		Accepted:             c.get(statAccepted),
		Delivered:            c.get(statDelivered),
		Duplicates:           c.get(statDuplicate),
		RejectedMalformed:    c.get(rejMalformed),
		RejectedNonCanonical: c.get(rejNonCanonical),
		RejectedTooLarge:     c.get(rejTooLarge),
		RejectedBadPayload:   c.get(rejBadPayload),
		RejectedBadSignature: c.get(rejBadSignature),
		RejectedWrongGroup:   c.get(rejWrongGroup),
		RejectedPolicy:       c.get(rejPolicy),
		RejectedEnvelope:     c.get(rejEnvelope),
		IgnoredVersion:       c.get(ignVersion),
		IgnoredUnknownKind:   c.get(ignUnknownKind),
		IgnoredFutureSkew:    c.get(ignFutureSkew),
		IgnoredExpired:       c.get(ignExpired),
		IgnoredSeen:          c.get(ignSeen),
		IgnoredPolicy:        c.get(ignPolicy),
		IgnoredNotJoined:     c.get(ignNotJoined),
		IgnoredOther:         c.get(ignOther),
		DroppedValidation:    c.get(dropValidation),
		DroppedPeerQueue:     c.get(dropPeerQueue),
		DroppedSubscription:  c.get(dropSubscription),
		SendRepairs:          c.get(statSendRepairs),
	}
}

// stat names one counter; validation verdicts carry one too.
type stat uint8

const (
	statAccepted stat = iota
	statDelivered
	statDuplicate
	rejMalformed
	rejNonCanonical
	rejTooLarge
	rejBadPayload
	rejBadSignature
	rejWrongGroup
	rejPolicy
	rejEnvelope
	ignVersion
	ignUnknownKind
	ignFutureSkew
	ignExpired
	ignSeen
	ignPolicy
	ignNotJoined
	ignOther
	dropValidation
	dropPeerQueue
	dropSubscription
	statSendRepairs
	numStats
)

var statNames = [numStats]string{
	"accepted", "delivered", "duplicate",
	"malformed", "non-canonical", "too large", "bad payload", "bad signature", "wrong group", "policy", "pubsub envelope",
	"version", "unknown kind", "future skew", "expired", "seen", "policy", "not joined", "other",
	"validation queue", "peer queue", "subscription buffer",
	"send repairs",
}

func (s stat) String() string {
	if s < numStats {
		return statNames[s]
	}
	return "unknown"
}

type counters [numStats]atomic.Uint64

func (c *counters) inc(s stat) {
	if s < numStats {
		c[s].Add(1)
	}
}

func (c *counters) get(s stat) uint64 { return c[s].Load() }

// tracer counts what pubsub drops or rejects before our validator sees it.
// Pubsub calls it synchronously from its loops, so it only increments.
type tracer struct {
	nopTracer
	c *counters
}

func (t tracer) RejectMessage(_ *pubsub.Message, reason string) {
	switch reason {
	case pubsub.RejectValidationQueueFull, pubsub.RejectValidationThrottled:
		t.c.inc(dropValidation)
	case pubsub.RejectMissingSignature, pubsub.RejectInvalidSignature, pubsub.RejectUnexpectedSignature,
		pubsub.RejectUnexpectedAuthInfo, pubsub.RejectSelfOrigin:
		t.c.inc(rejEnvelope)
	}
	// RejectValidationFailed and RejectValidationIgnored: the validator
	// counted them with their reason.
}

func (t tracer) DuplicateMessage(*pubsub.Message)     { t.c.inc(statDuplicate) }
func (t tracer) DropRPC(*pubsub.RPC, peer.ID)         { t.c.inc(dropPeerQueue) }
func (t tracer) UndeliverableMessage(*pubsub.Message) { t.c.inc(dropSubscription) }
func (t tracer) ThrottlePeer(peer.ID)                 { t.c.inc(dropValidation) }

// nopTracer ignores every event; tracers embed it and override what they
// need.
type nopTracer struct{}

var _ pubsub.RawTracer = nopTracer{}

func (nopTracer) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (nopTracer) OnClosedOutboundStream(peer.ID)                       {}
func (nopTracer) Join(string)                                          {}
func (nopTracer) Leave(string)                                         {}
func (nopTracer) Graft(peer.ID, string)                                {}
func (nopTracer) Prune(peer.ID, string)                                {}
func (nopTracer) ValidateMessage(*pubsub.Message)                      {}
func (nopTracer) DeliverMessage(*pubsub.Message)                       {}
func (nopTracer) RejectMessage(*pubsub.Message, string)                {}
func (nopTracer) DuplicateMessage(*pubsub.Message)                     {}
func (nopTracer) ThrottlePeer(peer.ID)                                 {}
func (nopTracer) RecvRPC(*pubsub.RPC)                                  {}
func (nopTracer) SendRPC(*pubsub.RPC, peer.ID)                         {}
func (nopTracer) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}
func (nopTracer) DropRPC(*pubsub.RPC, peer.ID)                         {}
func (nopTracer) UndeliverableMessage(*pubsub.Message)                 {}

// Map returns the counters by name (snake case), for status output and
// metrics.
func (s Stats) Map() map[string]uint64 {
	return map[string]uint64{
		"accepted":               s.Accepted,
		"delivered":              s.Delivered,
		"duplicates":             s.Duplicates,
		"rejected_malformed":     s.RejectedMalformed,
		"rejected_non_canonical": s.RejectedNonCanonical,
		"rejected_too_large":     s.RejectedTooLarge,
		"rejected_bad_payload":   s.RejectedBadPayload,
		"rejected_bad_signature": s.RejectedBadSignature,
		"rejected_wrong_group":   s.RejectedWrongGroup,
		"rejected_policy":        s.RejectedPolicy,
		"rejected_envelope":      s.RejectedEnvelope,
		"ignored_version":        s.IgnoredVersion,
		"ignored_unknown_kind":   s.IgnoredUnknownKind,
		"ignored_future_skew":    s.IgnoredFutureSkew,
		"ignored_expired":        s.IgnoredExpired,
		"ignored_seen":           s.IgnoredSeen,
		"ignored_policy":         s.IgnoredPolicy,
		"ignored_not_joined":     s.IgnoredNotJoined,
		"ignored_other":          s.IgnoredOther,
		"dropped_validation":     s.DroppedValidation,
		"dropped_peer_queue":     s.DroppedPeerQueue,
		"dropped_subscription":   s.DroppedSubscription,
		"send_repairs":           s.SendRepairs,
	}
}
