package group

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"starling/identity"
	"starling/message"
)

// Carriers. A carrier is a node that stores, forwards and serves a private
// group's messages without being able to read them: a relay, or a friend's
// always-on box. Its link, CarrierInvite's, names the group, its owner, its
// genesis, its topic and the group's control key, and nothing that opens
// what members say (no secret, no epoch key):
//
//	starling://join?g=GROUP&o=OWNER&d=GENESIS&t=TOPIC&c=CONTROL_KEY[&r=RELAY]...
//
// t: the 64 hex digits of the private topic (after "/starling/1/g/"); c:
// the control key (ControlKey, base64url), which opens the genesis (d), the
// Ops and their parts.
//
// So a carrier judges the group's authority like a member (roles, bans,
// removals and their cuts, settings and the end time) and applies the
// tombstones and bans it can check; it cannot read texts, profiles or
// deletions, so it cannot tell members from strangers, and its Open of those
// fails with ErrUnreadable.

// ErrUnreadable means this node carries a private group's messages (it
// joined with a carrier link) but holds no key to read them.
var ErrUnreadable = errors.New("this node carries the group's messages but holds no key to read them")

// ErrCarried means a member's link was given for a group this node already
// carries without reading it: it must leave the group and join again with
// the member's link.
var ErrCarried = errors.New("this node carries the group without reading it")

// carrierInfo is what a carrier knows of its group besides the ID.
type carrierInfo struct {
	topic string
	owner identity.Fingerprint
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
	d, genesis, ok := s.Descriptor()
	if !ok {
		return Invite{}, errors.New("carrier invite: the group's genesis is not known yet")
	}
	inv := Invite{
		Group: s.id, Owner: identity.FingerprintOf(d.Owner), Descriptor: genesis,
		Topic: s.Topic(), Control: slices.Clone(s.ctlKey), Relays: append([]string(nil), relays...),
	}
	if n := len(inv.Link()); n > MaxInviteLen {
		return Invite{}, fmt.Errorf("carrier invite: the link would be %d bytes, limit %d; use fewer relays", n, MaxInviteLen)
	}
	return inv, nil
}

// Carry joins the group of a carrier link as a carrier: the State judges
// the group's authority and accepts well-formed, signed messages of the
// group on its topic that the authority allows, and reads none. Errors wrap
// ErrBadInvite.
func Carry(inv Invite, cfg Config) (*State, error) {
	if !inv.Carrier() {
		return nil, fmt.Errorf("%w: not a carrier link (it names no topic); join it as a member", ErrBadInvite)
	}
	d, err := inv.Verify()
	if err != nil {
		return nil, err
	}
	s, err := newCarrier(inv.Group, carrierInfo{topic: inv.Topic, owner: inv.Owner}, inv.Control, cfg)
	if err != nil {
		return nil, err
	}
	s.Apply(inv.Descriptor, d)
	return s, nil
}

func newCarrier(id message.GroupID, ci carrierInfo, ctl []byte, cfg Config) (*State, error) {
	if len(ctl) != KeySize {
		return nil, fmt.Errorf("%w: the control key has %d bytes, want %d", ErrBadInvite, len(ctl), KeySize)
	}
	s, err := newCreated(id, KindPrivate, nil, nil, cfg)
	if err != nil {
		return nil, err
	}
	s.carrier, s.ctlKey = &ci, slices.Clone(ctl)
	return s, nil
}

// IsCarrier reports whether this node carries the group without reading it
// (joined with a carrier link).
func (s *State) IsCarrier() bool { return s.carrier != nil }

// parseCarrier reads the carrier parameters of a link whose query has t.
func parseCarrier(q url.Values, inv *Invite) error {
	for _, p := range []string{"s", "e", "k"} {
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
	c, err := b64Param(q, "c", KeySize)
	if err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("c: a carrier link carries the group's control key")
	}
	inv.Control = c
	return nil
}

// carrierLink writes the carrier parameters.
func (inv Invite) carrierLink(b *strings.Builder) {
	b.WriteString("&t=" + strings.TrimPrefix(inv.Topic, topicPrefix))
	b.WriteString("&c=" + b64.EncodeToString(inv.Control))
}
