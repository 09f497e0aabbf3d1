package gossip

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unique"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/message"
)

// pubsubResult is pubsub's form of a verdict. No verdict at all (a policy
// that forgot to answer) is never taken for an accept: it is ignored.
func pubsubResult(v message.Verdict) pubsub.ValidationResult {
	switch v {
	case message.Accept:
		return pubsub.ValidationAccept
	case message.Reject:
		return pubsub.ValidationReject
	default:
		return pubsub.ValidationIgnore
	}
}

// pubsubID is pubsub's message ID: SHA-256 of the whole envelope, so a copy
// with a forged signature or a re-encoding never shares an ID with the
// genuine message (see the package comment). It needs no parsing, so
// malformed data gets an ID like any other.
//
// The ID is interned (unique.Make): pubsub keeps it in its seen cache,
// delivery records and message cache, and the nodes of one process (the
// simulator's thousand) that compute a message's ID close together share
// one copy instead of one each. Interning is weak, so it keeps nothing
// alive, and a node on its own pays a map lookup per message.
func pubsubID(pm *pb.Message) string {
	sum := sha256.Sum256(pm.GetData())
	return unique.Make(string(sum[:])).Value()
}

// verdict is a decision and the counter it goes to; err says why for
// anything but Accept.
type verdict struct {
	result message.Verdict
	why    stat
	err    error
}

var accepted = verdict{result: message.Accept, why: statAccepted}

// prechecked marks a local publish that Publish has validated already, so
// the pubsub validator does not verify the signature a second time. It only
// ever comes from this process: validator data does not travel.
type prechecked struct{ m *message.Message }

// validator judges every message on every topic. Its fields are set once.
type validator struct {
	self  peer.ID
	now   func() time.Time
	in    Inbound
	group func(topic string) (message.GroupID, bool)
	sigs  *Verified
	stats *counters
	log   *slog.Logger
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
	if vd.result == message.Accept && from != v.self {
		switch r := v.in.AdmitLive(from, m); r {
		case message.Accept:
		case message.Reject:
			vd = verdict{message.Reject, rejPolicy, errors.New("rejected by live policy")}
		default:
			vd = verdict{message.Ignore, ignPolicy, fmt.Errorf("live policy said %s", r)}
		}
	}
	if from != v.self {
		v.stats.inc(vd.why)
		if vd.result != message.Accept {
			v.log.Debug("message not accepted", "from", from, "result", vd.result, "reason", vd.why, "err", vd.err)
		}
	}
	if vd.result == message.Accept {
		pm.ValidatorData = m
	}
	return pubsubResult(vd.result)
}

// check applies the rules cheapest first and returns the decoded message
// with the decision. Seen is not asked about messages from this host.
func (v *validator) check(from peer.ID, topic string, data []byte) (*message.Message, verdict) {
	gid, ok := v.group(topic)
	if !ok {
		// A message still in the queue when its group was left.
		return nil, verdict{message.Ignore, ignNotJoined, fmt.Errorf("topic %q is not joined", topic)}
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
		return nil, verdict{message.Reject, rejWrongGroup, fmt.Errorf("message of group %s on the topic of group %s", m.Body.Group.Short(), gid.Short())}
	}
	now := v.now()
	if err := m.CheckTime(now); err != nil {
		return nil, classify(err)
	}
	if askSeen && from != v.self && v.in.Seen(m.ID) {
		return nil, verdict{message.Ignore, ignSeen, fmt.Errorf("message %s is already stored", m.ID.Short())}
	}
	if err := m.CheckBody(); err != nil {
		return nil, classify(err)
	}
	if err := v.sigs.verify(m); err != nil {
		return nil, classify(err)
	}
	switch r := v.in.Judge(from, m); r {
	case message.Accept:
	case message.Reject:
		return nil, verdict{message.Reject, rejPolicy, errors.New("rejected by group policy")}
	default:
		return nil, verdict{message.Ignore, ignPolicy, fmt.Errorf("group policy said %s", r)}
	}
	return m, accepted
}

// classify maps the message package's errors to decisions
// (message.VerdictOf) and the counters they go to.
func classify(err error) verdict {
	for _, c := range []struct {
		sentinel error
		why      stat
	}{
		// A bad text payload wraps ErrBadPayload and the inner decode
		// error, so ErrBadPayload goes first.
		{message.ErrBadPayload, rejBadPayload},
		{message.ErrTooLarge, rejTooLarge},
		{message.ErrNonCanonical, rejNonCanonical},
		{message.ErrMalformed, rejMalformed},
		{message.ErrBadSignature, rejBadSignature},
		{message.ErrVersion, ignVersion},
		{message.ErrUnknownKind, ignUnknownKind},
		{message.ErrFutureSkew, ignFutureSkew},
		{message.ErrExpired, ignExpired},
	} {
		if errors.Is(err, c.sentinel) {
			return verdict{message.VerdictOf(err), c.why, err}
		}
	}
	return verdict{message.VerdictOf(err), ignOther, err}
}

// Check judges a message of group gid that arrived some other way than
// gossip (catch-up) by exactly the validator's rules, in the same order:
// format, group binding, time, body, signature, Config.Policy. It does not
// ask Config.Seen (the caller's store deduplicates) and counts nothing in
// Stats. The error says why for anything but Accept.
func (g *Gossip) Check(from peer.ID, gid message.GroupID, raw []byte) (*message.Message, message.Verdict, error) {
	m, v := g.val.checkGroup(from, gid, raw, false)
	return m, v.result, v.err
}
