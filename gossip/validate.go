package gossip

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/message"
)

// Result is a validation decision.
type Result int

const (
	// Accept delivers the message and forwards it.
	Accept Result = iota
	// Ignore drops the message without penalising the peer that sent it:
	// duplicates, over-rate, not yet valid, from a newer version.
	Ignore
	// Reject drops the message and lowers the score of every peer that
	// forwarded it: forgeries and policy violations.
	Reject
)

func (r Result) String() string {
	switch r {
	case Accept:
		return "accept"
	case Ignore:
		return "ignore"
	case Reject:
		return "reject"
	default:
		return fmt.Sprintf("result(%d)", int(r))
	}
}

func (r Result) pubsub() pubsub.ValidationResult {
	switch r {
	case Accept:
		return pubsub.ValidationAccept
	case Reject:
		return pubsub.ValidationReject
	default:
		return pubsub.ValidationIgnore
	}
}

// pubsubID is pubsub's message ID: SHA-256 of the whole envelope, so a copy
// with a forged signature or a re-encoding never shares an ID with the
// genuine message (see the package comment). It needs no parsing, so
// malformed data gets an ID like any other.
func pubsubID(pm *pb.Message) string {
	sum := sha256.Sum256(pm.GetData())
	return string(sum[:])
}

// verdict is a decision and the counter it goes to; err says why for
// anything but Accept.
type verdict struct {
	result Result
	why    stat
	err    error
}

var accepted = verdict{result: Accept, why: statAccepted}

// prechecked marks a local publish that Publish has validated already, so
// the pubsub validator does not verify the signature a second time. It only
// ever comes from this process: validator data does not travel.
type prechecked struct{ m *message.Message }

// validator judges every message on every topic. Its fields are set once.
type validator struct {
	self   peer.ID
	now    func() time.Time
	seen   func(message.ID) bool
	policy func(peer.ID, *message.Message) Result
	live   func(peer.ID, *message.Message) Result
	group  func(topic string) (message.GroupID, bool)
	stats  *counters
	log    *slog.Logger
}

// validate is the pubsub validator. For an accepted message it leaves the
// decoded *message.Message in ValidatorData for the reader.
func (v *validator) validate(_ context.Context, from peer.ID, pm *pubsub.Message) pubsub.ValidationResult {
	if from == v.self {
		if pc, ok := pm.ValidatorData.(prechecked); ok && pc.m != nil && bytes.Equal(pc.m.Raw, pm.GetData()) {
			return pubsub.ValidationAccept
		}
	}
	m, vd := v.check(from, pm.GetTopic(), pm.GetData())
	if vd.result == Accept && from != v.self && v.live != nil {
		switch r := v.live(from, m); r {
		case Accept:
		case Reject:
			vd = verdict{Reject, rejPolicy, errors.New("rejected by live policy")}
		default:
			vd = verdict{Ignore, ignPolicy, fmt.Errorf("live policy said %s", r)}
		}
	}
	if from != v.self {
		v.stats.inc(vd.why)
		if vd.result != Accept {
			v.log.Debug("message not accepted", "from", from, "result", vd.result, "reason", vd.why, "err", vd.err)
		}
	}
	if vd.result == Accept {
		pm.ValidatorData = m
	}
	return vd.result.pubsub()
}

// check applies the rules cheapest first and returns the decoded message
// with the decision. Seen is not asked about messages from this host.
func (v *validator) check(from peer.ID, topic string, data []byte) (*message.Message, verdict) {
	gid, ok := v.group(topic)
	if !ok {
		// A message still in the queue when its group was left.
		return nil, verdict{Ignore, ignNotJoined, fmt.Errorf("topic %q is not joined", topic)}
	}
	return v.checkGroup(from, gid, data, true)
}

// checkGroup applies the rules for a message that should belong to gid. Seen
// is asked only with askSeen and never about messages from this host.
func (v *validator) checkGroup(from peer.ID, gid message.GroupID, data []byte, askSeen bool) (*message.Message, verdict) {
	m, err := message.Decode(data)
	if err != nil {
		return nil, classify(err)
	}
	if m.Body.Group != gid {
		return nil, verdict{Reject, rejWrongGroup, fmt.Errorf("message of group %s on the topic of group %s", m.Body.Group.Short(), gid.Short())}
	}
	now := v.now()
	if err := m.CheckTime(now); err != nil {
		return nil, classify(err)
	}
	if askSeen && from != v.self && v.seen != nil && v.seen(m.ID) {
		return nil, verdict{Ignore, ignSeen, fmt.Errorf("message %s is already stored", m.ID.Short())}
	}
	if err := m.CheckBody(); err != nil {
		return nil, classify(err)
	}
	if err := m.VerifySignature(); err != nil {
		return nil, classify(err)
	}
	if v.policy != nil {
		switch r := v.policy(from, m); r {
		case Accept:
		case Reject:
			return nil, verdict{Reject, rejPolicy, errors.New("rejected by group policy")}
		default:
			return nil, verdict{Ignore, ignPolicy, fmt.Errorf("group policy said %s", r)}
		}
	}
	return m, accepted
}

// classify maps the message package's errors to decisions. A newer peer may
// send versions and kinds this one does not know, so those are Ignored, as is
// anything unexpected; broken or forged messages are Rejected.
func classify(err error) verdict {
	for _, c := range []struct {
		sentinel error
		result   Result
		why      stat
	}{
		// A bad text payload wraps ErrBadPayload and the inner decode
		// error, so ErrBadPayload goes first.
		{message.ErrBadPayload, Reject, rejBadPayload},
		{message.ErrTooLarge, Reject, rejTooLarge},
		{message.ErrNonCanonical, Reject, rejNonCanonical},
		{message.ErrMalformed, Reject, rejMalformed},
		{message.ErrBadSignature, Reject, rejBadSignature},
		{message.ErrVersion, Ignore, ignVersion},
		{message.ErrUnknownKind, Ignore, ignUnknownKind},
		{message.ErrFutureSkew, Ignore, ignFutureSkew},
		{message.ErrExpired, Ignore, ignExpired},
	} {
		if errors.Is(err, c.sentinel) {
			return verdict{c.result, c.why, err}
		}
	}
	return verdict{Ignore, ignOther, err}
}

// Check judges a message of group gid that arrived some other way than
// gossip (catch-up) by exactly the validator's rules, in the same order:
// format, group binding, time, body, signature, Config.Policy. It does not
// ask Config.Seen (the caller's store deduplicates) and counts nothing in
// Stats. The error says why for anything but Accept.
func (g *Gossip) Check(from peer.ID, gid message.GroupID, raw []byte) (*message.Message, Result, error) {
	m, v := g.val.checkGroup(from, gid, raw, false)
	return m, v.result, v.err
}
