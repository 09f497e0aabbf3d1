package gossip

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/group"
	"starling/message"
	"starling/message/messagepb"
)

const (
	self   = peer.ID("self")
	remote = peer.ID("remote")
)

// testValidator judges messages for group a at a fixed time.
func testValidator(a message.GroupID, now time.Time, seen func(message.ID) bool, policy func(peer.ID, *message.Message) message.Verdict) *validator {
	name := group.Topic(a)
	return &validator{
		self: self,
		now:  func() time.Time { return now },
		in:   funcs{seen: seen, judge: policy},
		group: func(topic string) (message.GroupID, bool) {
			return a, topic == name
		},
		stats: &counters{},
		log:   slog.New(slog.DiscardHandler),
	}
}

func TestCheck(t *testing.T) {
	a, b := groupID(t, "alpha"), groupID(t, "bravo")
	key, banned := newKey(t), newKey(t)
	now := time.Now()
	ok := textMsg(t, key, a, "ok")
	stored := textMsg(t, key, a, "stored")
	forged := bytes.Clone(ok.Raw)
	forged[len(forged)-1] ^= 1
	seen := func(id message.ID) bool { return id == stored.ID }
	policy := func(_ peer.ID, m *message.Message) message.Verdict {
		if m.Body.Author.Equal(banned.Public()) {
			return message.Reject
		}
		if string(m.Body.Payload) == string(mustText(t, "quiet")) {
			return message.Ignore
		}
		return message.Accept
	}
	v := testValidator(a, now, seen, policy)

	cases := []struct {
		name   string
		from   peer.ID
		topic  string
		data   []byte
		result message.Verdict
		why    stat
	}{
		{"valid", remote, group.Topic(a), ok.Raw, message.Accept, statAccepted},
		{"topic not joined", remote, group.Topic(b), ok.Raw, message.Ignore, ignNotJoined},
		{"empty", remote, group.Topic(a), nil, message.Reject, rejMalformed},
		{"garbage", remote, group.Topic(a), []byte{0xff, 0xff}, message.Reject, rejMalformed},
		{"too large", remote, group.Topic(a), make([]byte, message.MaxEnvelopeSize+1), message.Reject, rejTooLarge},
		{"non-canonical", remote, group.Topic(a), rawEnvelope(rawField{2, ok.Signature}, rawField{1, ok.BodyBytes}), message.Reject, rejNonCanonical},
		{"wrong group", remote, group.Topic(a), textMsg(t, key, b, "b").Raw, message.Reject, rejWrongGroup},
		{"forged", remote, group.Topic(a), forged, message.Reject, rejBadSignature},
		{"future", remote, group.Topic(a), textMsg(t, key, a, "later", func(b *message.Body) {
			b.SentAtMS = message.TimeMS(now.Add(message.MaxFutureSkew + time.Second))
		}).Raw, message.Ignore, ignFutureSkew},
		{"slightly ahead", remote, group.Topic(a), textMsg(t, key, a, "soon", func(b *message.Body) {
			b.SentAtMS = message.TimeMS(now.Add(message.MaxFutureSkew - time.Second))
		}).Raw, message.Accept, statAccepted},
		{"expired", remote, group.Topic(a), textMsg(t, key, a, "gone", func(b *message.Body) {
			b.ExpiresMS = message.TimeMS(now)
		}).Raw, message.Ignore, ignExpired},
		{"newer version", remote, group.Topic(a), signedRaw(t, key, &messagepb.Body{
			Version: message.Version + 1, GroupId: a[:], Author: key.Public().(ed25519.PublicKey), SentAtMs: 1, Kind: messagepb.Kind_KIND_TEXT,
		}), message.Ignore, ignVersion},
		{"unknown kind", remote, group.Topic(a), signedRaw(t, key, &messagepb.Body{
			Version: message.Version, GroupId: a[:], Author: key.Public().(ed25519.PublicKey), SentAtMs: 1, Kind: 77,
		}), message.Ignore, ignUnknownKind},
		{"bad payload", remote, group.Topic(a), signedRaw(t, key, &messagepb.Body{
			Version: message.Version, GroupId: a[:], Author: key.Public().(ed25519.PublicKey), SentAtMs: 1, Kind: messagepb.Kind_KIND_TEXT,
		}), message.Reject, rejBadPayload},
		{"stored", remote, group.Topic(a), stored.Raw, message.Ignore, ignSeen},
		{"stored but own", self, group.Topic(a), stored.Raw, message.Accept, statAccepted},
		{"policy reject", remote, group.Topic(a), textMsg(t, banned, a, "spam").Raw, message.Reject, rejPolicy},
		{"policy ignore", remote, group.Topic(a), textMsg(t, key, a, "quiet").Raw, message.Ignore, ignPolicy},
		{"policy on own", self, group.Topic(a), textMsg(t, banned, a, "spam").Raw, message.Reject, rejPolicy},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, vd := v.check(c.from, c.topic, c.data)
			if vd.result != c.result || vd.why != c.why {
				t.Fatalf("check = %s (%s, %v), want %s (%s)", vd.result, vd.why, vd.err, c.result, c.why)
			}
			if (m != nil) != (c.result == message.Accept) {
				t.Errorf("message returned = %v for %s", m != nil, vd.result)
			}
			if c.result != message.Accept && vd.err == nil {
				t.Error("no error says why")
			}
		})
	}
}

func mustText(t *testing.T, s string) []byte {
	t.Helper()
	p, err := message.EncodeText(message.Text{Text: s})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// validate counts only other peers' messages, hands the decoded message on,
// and trusts a precheck only for the host's own publish of the same bytes.
func TestValidateHook(t *testing.T) {
	a := groupID(t, "alpha")
	key := newKey(t)
	v := testValidator(a, time.Now(), nil, nil)
	ok := textMsg(t, key, a, "ok")
	topic := group.Topic(a)
	pm := func(data []byte, vd any) *pubsub.Message {
		return &pubsub.Message{Message: &pb.Message{Data: data, Topic: &topic}, ValidatorData: vd}
	}

	in := pm(ok.Raw, nil)
	if r := v.validate(context.Background(), remote, in); r != pubsub.ValidationAccept {
		t.Fatalf("remote valid message: %v", r)
	}
	if got, _ := in.ValidatorData.(*message.Message); got == nil || got.ID != ok.ID {
		t.Errorf("validator data = %v, want the decoded message", in.ValidatorData)
	}
	if got := v.stats.get(statAccepted); got != 1 {
		t.Errorf("accepted = %d, want 1", got)
	}

	garbage := []byte("garbage")
	if r := v.validate(context.Background(), remote, pm(garbage, prechecked{ok})); r != pubsub.ValidationReject {
		t.Errorf("remote message with validator data: %v, want reject", r)
	}
	if r := v.validate(context.Background(), self, pm(garbage, prechecked{ok})); r != pubsub.ValidationReject {
		t.Errorf("own publish whose precheck is for other bytes: %v, want reject", r)
	}
	if r := v.validate(context.Background(), self, pm(ok.Raw, prechecked{ok})); r != pubsub.ValidationAccept {
		t.Errorf("own prechecked publish: %v, want accept", r)
	}
	if got := v.stats.get(rejMalformed); got != 1 {
		t.Errorf("malformed = %d, want 1 (own publishes are not counted)", got)
	}
}

func TestResultMapping(t *testing.T) {
	for r, want := range map[message.Verdict]pubsub.ValidationResult{
		message.Accept: pubsub.ValidationAccept,
		message.Ignore: pubsub.ValidationIgnore,
		message.Reject: pubsub.ValidationReject,
		// No verdict (a policy that forgot to answer) is never an accept.
		message.Verdict(0):  pubsub.ValidationIgnore,
		message.Verdict(42): pubsub.ValidationIgnore,
	} {
		if got := pubsubResult(r); got != want {
			t.Errorf("%s maps to %v, want %v", r, got, want)
		}
	}
	if got := classify(errors.New("something new")); got.result != message.Ignore || got.why != ignOther {
		t.Errorf("an unknown error classifies as %s (%s), want ignore (other)", got.result, got.why)
	}
}

// The pubsub ID covers the whole envelope: a forged copy of a message never
// shares the genuine message's ID.
func TestPubsubID(t *testing.T) {
	key := newKey(t)
	m := textMsg(t, key, groupID(t, "alpha"), "x")
	forged := bytes.Clone(m.Raw)
	forged[len(forged)-1] ^= 1
	id := func(data []byte) string { return pubsubID(&pb.Message{Data: data}) }
	if id(m.Raw) == id(forged) {
		t.Error("a forged signature does not change the pubsub ID")
	}
	if id(m.Raw) != id(bytes.Clone(m.Raw)) {
		t.Error("the pubsub ID is not a function of the bytes")
	}
	if id(nil) == "" {
		t.Error("no ID for empty data")
	}
}

// Whatever the bytes, check does not panic, and it accepts only what
// message.Verify accepts for the topic's group.
func FuzzCheck(f *testing.F) {
	a := message.GroupID{1}
	_, key, _ := ed25519.GenerateKey(nil)
	payload, _ := message.EncodeText(message.Text{Text: "seed"})
	m, err := message.Sign(key, message.Body{Group: a, SentAtMS: 1, Kind: message.KindText, Payload: payload})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(m.Raw)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00, 0x12, 0x00})
	now := time.UnixMilli(1000)
	v := testValidator(a, now, nil, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, vd := v.check(remote, group.Topic(a), data)
		if vd.result != message.Accept {
			return
		}
		want, err := message.Verify(data, now)
		if err != nil || want.Body.Group != a || got.ID != want.ID {
			t.Fatalf("accepted data that message.Verify judges %v", err)
		}
	})
}
