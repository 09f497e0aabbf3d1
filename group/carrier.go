package group

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"starling/identity"
	"starling/message"
)

// Carriers. A carrier is a node that stores, forwards and serves a private
// group's messages without being able to read them: a relay, or a friend's
// always-on box. Its link, CarrierInvite's, names the group, its owner, its
// topic and its end time, and nothing that opens content (no secret, no
// epoch key, no descriptor):
//
//	starling://join?g=GROUP&o=OWNER&t=TOPIC[&end=ENDS_AT_MS][&r=RELAY]...
//
// t: the 64 hex digits of the private topic (after "/starling/1/g/"); end:
// the group's end time in Unix milliseconds, absent when it never ends.
//
// A carrier's Check judges what needs no key: the group binding, the epoch
// and ref rules of each kind, the sealed payload's form, a Rekey's payload,
// that a first-version descriptor (the one without a parent) is signed by
// the owner, and the end time from its link. It accepts the rest unread,
// applies no control message (it cannot tell admins from members) and its
// Open fails with ErrUnreadable. The end time is the one in the link: if
// the group is extended later, the carrier drops it at the old time unless
// it is given a new carrier link.

// ErrUnreadable means this node carries a private group's messages (it
// joined with a carrier link) but holds no key to read them.
var ErrUnreadable = errors.New("this node carries the group's messages but holds no key to read them")

// carrierInfo is what a carrier knows of its group besides the ID.
type carrierInfo struct {
	topic    string
	owner    identity.Fingerprint
	endsAtMS uint64
}

// Carrier reports whether inv is a carrier link (it names a topic and
// carries no descriptor, secret or key).
func (inv Invite) Carrier() bool { return inv.Topic != "" }

// CarrierInvite returns a carrier link to this private group with the given
// relay addresses: a node that joins with it stores and forwards the
// group's ciphertext and can read none of it. A carrier may pass its own
// link on.
func (s *State) CarrierInvite(relays []string) (Invite, error) {
	if s.kind != KindPrivate {
		return Invite{}, fmt.Errorf("carrier invite: a %s group's messages are readable by all; a relay joins it with an ordinary invite", s.kind)
	}
	if err := checkRelays(relays); err != nil {
		return Invite{}, fmt.Errorf("carrier invite: %w", err)
	}
	inv := Invite{Group: s.id, Topic: s.Topic(), Relays: append([]string(nil), relays...)}
	if s.carrier != nil {
		inv.Owner, inv.EndsAtMS = s.carrier.owner, s.carrier.endsAtMS
	} else {
		d, _, ok := s.Descriptor()
		if !ok {
			return Invite{}, errors.New("carrier invite: the group's descriptor is not known yet")
		}
		inv.Owner, inv.EndsAtMS = identity.FingerprintOf(d.Owner), d.EndsAtMS
	}
	if n := len(inv.Link()); n > MaxInviteLen {
		return Invite{}, fmt.Errorf("carrier invite: the link would be %d bytes, limit %d; use fewer relays", n, MaxInviteLen)
	}
	return inv, nil
}

// Carry joins the group of a carrier link as a carrier: the State accepts
// well-formed, signed messages of the group on its topic (see the rules
// above) and reads none. Errors wrap ErrBadInvite.
func Carry(inv Invite, cfg Config) (*State, error) {
	if !inv.Carrier() {
		return nil, fmt.Errorf("%w: not a carrier link (it names no topic); join it as a member", ErrBadInvite)
	}
	if _, err := inv.Verify(); err != nil {
		return nil, err
	}
	return newCarrier(inv.Group, carrierInfo{topic: inv.Topic, owner: inv.Owner, endsAtMS: inv.EndsAtMS}, cfg), nil
}

func newCarrier(id message.GroupID, ci carrierInfo, cfg Config) *State {
	s := newState(id, KindPrivate, cfg)
	s.carrier = &ci
	return s
}

// IsCarrier reports whether this node carries the group without reading it
// (joined with a carrier link).
func (s *State) IsCarrier() bool { return s.carrier != nil }

// parseCarrier reads the carrier parameters of a link whose query has t.
func parseCarrier(q url.Values, inv *Invite) error {
	for _, p := range []string{"d", "s", "e", "k", "dk"} {
		if _, ok := q[p]; ok {
			return fmt.Errorf("a carrier link (with t) carries no %s", p)
		}
	}
	t := q["t"][0]
	if inv.Topic = topicPrefix + t; !TopicPattern.MatchString(inv.Topic) {
		return fmt.Errorf("t: want the topic as 64 lower-case hex digits")
	}
	if inv.Topic == Topic(inv.Group) {
		return fmt.Errorf("t: a private group's topic is not the one its ID names")
	}
	if x, ok := q["end"]; ok {
		ms, err := strconv.ParseUint(x[0], 10, 64)
		if err != nil || ms == 0 || strconv.FormatUint(ms, 10) != x[0] {
			return fmt.Errorf("end: want the end time in Unix milliseconds, from 1, in decimal")
		}
		inv.EndsAtMS = ms
	}
	return nil
}

// carrierLink writes the carrier parameters.
func (inv Invite) carrierLink(b *strings.Builder) {
	b.WriteString("&t=" + strings.TrimPrefix(inv.Topic, topicPrefix))
	if inv.EndsAtMS != 0 {
		b.WriteString("&end=" + strconv.FormatUint(inv.EndsAtMS, 10))
	}
}

// checkCarrier is Check for a carrier: everything it can judge without a
// key. Accepted messages come back without content.
func (s *State) checkCarrier(m *message.Message, now time.Time) (Content, Verdict, error) {
	b := &m.Body
	if end := s.EndsAt(); !end.IsZero() && now.After(end.Add(s.cfg.grace())) {
		return nil, Reject, fmt.Errorf("%w: it ended at %s", ErrGroupExpired, end.UTC().Format(time.RFC3339))
	}
	switch {
	case b.Kind == message.KindRekey:
		if b.Epoch < 2 || !b.Ref.IsZero() {
			return nil, Reject, fmt.Errorf("%w: a rekey needs an epoch from 2 and no ref", ErrBadPayload)
		}
		if _, err := DecodePayload(b.Kind, b.Payload); err != nil {
			return nil, Reject, err
		}
		return nil, Accept, nil
	case b.Epoch == 0:
		return nil, Reject, fmt.Errorf("%w: unsealed %s in a private group", ErrBadPayload, b.Kind)
	}
	if _, ok := SealedKeyID(b.Payload); !ok {
		return nil, Reject, fmt.Errorf("%w: sealed payload of %d bytes", ErrBadPayload, len(b.Payload))
	}
	switch b.Kind {
	case message.KindText:
	case message.KindDelete:
		if b.Ref.IsZero() {
			return nil, Reject, fmt.Errorf("%w: a deletion names no message", ErrBadPayload)
		}
	case message.KindDescriptor:
		// Only version 1 has no parent, and only the owner signs it.
		if b.Ref.IsZero() && identity.FingerprintOf(b.Author) != s.carrier.owner {
			return nil, Reject, fmt.Errorf("%w: only the owner signs version 1", ErrNotAllowed)
		}
	case message.KindBan, message.KindProfile:
		if !b.Ref.IsZero() {
			return nil, Reject, fmt.Errorf("%w: a %s has no ref", ErrBadPayload, b.Kind)
		}
	default:
		return nil, Ignore, fmt.Errorf("%w: %s", message.ErrUnknownKind, b.Kind)
	}
	return nil, Accept, nil
}
