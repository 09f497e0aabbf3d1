package group

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"starling/identity"
	"starling/message"
)

// Invite links. A link is
//
//	starling://join?g=GROUP&o=OWNER&d=GENESIS[&s=SECRET&e=EPOCH[&k=KEY]][&r=RELAY]...[&tk=TICKET]
//
// g: group ID (64 lower-case hex digits); o: the owner's fingerprint; d: the
// group's genesis descriptor envelope (base64url without padding; in a
// private group sealed under the control key that s gives); private groups
// only: s: the secret, e: the current epoch (decimal, from 1), k: that
// epoch's key (absent when e is 1, whose key derives from s); r: a relay
// multiaddr, repeatable (node parses it); tk: a relay ticket (Ticket) signed
// by an owner or admin. Every parameter but r appears at most once, unknown
// parameters are refused (a link from a newer version fails clearly rather
// than losing what it says), and the whole link is at most MaxInviteLen
// bytes. A carrier link (carrier.go) has t and c instead of d, s, e and k.
//
// The joiner learns the rest of the group (its Ops) by catch-up. In a
// private group the key in the link is what admits them (see members.go): a
// link made before a removal admits nobody to what is sent after it.
const (
	inviteScheme = "starling"
	inviteHost   = "join"
	// InvitePrefix starts every invite link.
	InvitePrefix = inviteScheme + "://" + inviteHost + "?"
	// MaxInviteLen caps an invite link in bytes.
	MaxInviteLen = 8 << 10
	// MaxInviteRelays caps the relay addresses in a link.
	MaxInviteRelays = 16
	// MaxRelayLen caps one relay address in bytes.
	MaxRelayLen = 512
)

var b64 = base64.RawURLEncoding.Strict()

// Invite is what a link carries. ParseInvite returns only verified invites.
type Invite struct {
	Group message.GroupID
	Owner identity.Fingerprint
	// Descriptor is the group's genesis envelope. The joining node stores
	// it like any message.
	Descriptor *message.Message
	// Secret, Epoch and Key are a private group's: Key is Epoch's key, nil
	// when Epoch is 1.
	Secret []byte
	Epoch  uint64
	Key    []byte
	// Topic and Control are a carrier link's (Carrier): the private group's
	// topic name and control key. Such a link has no Descriptor, Secret or
	// epoch key.
	Topic   string
	Control []byte
	Relays  []string
	// Ticket, when set, admits the holder to the invite's relays under an
	// invite-only ACL (see Ticket); only links with relays carry one.
	Ticket []byte
}

// Link returns the starling://join link, parameters in a fixed order.
func (inv Invite) Link() string {
	var b strings.Builder
	b.WriteString(inviteScheme + "://" + inviteHost + "?g=" + inv.Group.String() + "&o=" + string(inv.Owner))
	if inv.Descriptor != nil {
		b.WriteString("&d=" + b64.EncodeToString(inv.Descriptor.Raw))
	}
	if inv.Secret != nil {
		b.WriteString("&s=" + b64.EncodeToString(inv.Secret) + "&e=" + strconv.FormatUint(inv.Epoch, 10))
	}
	if inv.Key != nil {
		b.WriteString("&k=" + b64.EncodeToString(inv.Key))
	}
	if inv.Carrier() {
		inv.carrierLink(&b)
	}
	for _, r := range inv.Relays {
		b.WriteString("&r=" + url.QueryEscape(r))
	}
	if inv.Ticket != nil {
		b.WriteString("&tk=" + b64.EncodeToString(inv.Ticket))
	}
	return b.String()
}

// ParseInvite parses and verifies a link strictly: the genesis decodes,
// its signature verifies, it describes group g, its owner has fingerprint o,
// commits to g with its salt and signed it. Errors wrap ErrBadInvite and
// say which part is wrong.
func ParseInvite(link string) (Invite, error) {
	inv, err := parseInvite(link)
	if err != nil {
		return Invite{}, fmt.Errorf("%w: %v", ErrBadInvite, err)
	}
	if _, err := inv.Verify(); err != nil {
		return Invite{}, err
	}
	return inv, nil
}

func parseInvite(link string) (Invite, error) {
	if len(link) > MaxInviteLen {
		return Invite{}, fmt.Errorf("link is %d bytes, limit %d", len(link), MaxInviteLen)
	}
	rest, ok := strings.CutPrefix(link, inviteScheme+"://"+inviteHost+"?")
	if !ok {
		return Invite{}, fmt.Errorf("a link starts with %s://%s?", inviteScheme, inviteHost)
	}
	q, err := url.ParseQuery(rest)
	if err != nil {
		return Invite{}, fmt.Errorf("query: %v", err)
	}
	for name, vs := range q {
		switch name {
		case "g", "o", "d", "s", "e", "k", "t", "c", "tk":
			if len(vs) != 1 {
				return Invite{}, fmt.Errorf("parameter %s appears %d times", name, len(vs))
			}
		case "r":
		default:
			return Invite{}, fmt.Errorf("unknown parameter %q (is the link from a newer Starling?)", name)
		}
	}
	var inv Invite
	if inv.Group, err = message.ParseGroupID(q.Get("g")); err != nil || q.Get("g") != inv.Group.String() {
		return Invite{}, fmt.Errorf("g: want the group ID as 64 lower-case hex digits")
	}
	if inv.Owner, err = identity.ParseFingerprint(q.Get("o")); err != nil || string(inv.Owner) != q.Get("o") {
		return Invite{}, fmt.Errorf("o: want the owner's fingerprint as 32 lower-case base32 characters")
	}
	if err := parseRelays(q, &inv); err != nil {
		return Invite{}, err
	}
	if err := parseTicket(q, &inv); err != nil {
		return Invite{}, err
	}
	raw, err := b64Param(q, "d", 0)
	if err != nil {
		return Invite{}, err
	}
	if raw == nil {
		return Invite{}, fmt.Errorf("d: the link carries no descriptor")
	}
	if inv.Descriptor, err = message.Decode(raw); err != nil {
		return Invite{}, fmt.Errorf("d: %v", err)
	}
	if q.Has("t") {
		if err := parseCarrier(q, &inv); err != nil {
			return Invite{}, err
		}
		return inv, nil
	}
	if q.Has("c") {
		return Invite{}, fmt.Errorf("c: only a carrier link (with t) has it")
	}
	if inv.Secret, err = b64Param(q, "s", KeySize); err != nil {
		return Invite{}, err
	}
	if inv.Key, err = b64Param(q, "k", KeySize); err != nil {
		return Invite{}, err
	}
	if e := q.Get("e"); q.Has("e") {
		if inv.Epoch, err = strconv.ParseUint(e, 10, 64); err != nil || inv.Epoch == 0 || strconv.FormatUint(inv.Epoch, 10) != e {
			return Invite{}, fmt.Errorf("e: want an epoch from 1 in decimal")
		}
	}
	switch {
	case (inv.Secret == nil) != (inv.Epoch == 0):
		return Invite{}, fmt.Errorf("s and e come together")
	case inv.Secret == nil && inv.Key != nil:
		return Invite{}, fmt.Errorf("k needs s")
	case inv.Epoch == 1 && inv.Key != nil:
		return Invite{}, fmt.Errorf("k: epoch 1's key derives from s")
	case inv.Epoch > 1 && inv.Key == nil:
		return Invite{}, fmt.Errorf("k: epoch %d needs its key", inv.Epoch)
	}
	return inv, nil
}

func parseRelays(q url.Values, inv *Invite) error {
	inv.Relays = q["r"]
	if len(inv.Relays) > MaxInviteRelays {
		return fmt.Errorf("r: %d relays, limit %d", len(inv.Relays), MaxInviteRelays)
	}
	for _, r := range inv.Relays {
		if err := checkRelay(r); err != nil {
			return err
		}
	}
	return nil
}

// parseTicket reads tk: a relay ticket for this link's group, which only a
// link with relays has. Its signer is checked by the relay, not here.
func parseTicket(q url.Values, inv *Invite) error {
	raw, err := b64Param(q, "tk", TicketSize)
	if err != nil || raw == nil {
		return err
	}
	if len(inv.Relays) == 0 {
		return fmt.Errorf("tk: a relay ticket in a link that names no relay")
	}
	t, err := ParseTicket(raw)
	if err != nil {
		return fmt.Errorf("tk: %w", err)
	}
	if t.Group != inv.Group {
		return fmt.Errorf("tk: the ticket is for group %s, not this link's", t.Group.Short())
	}
	inv.Ticket = raw
	return nil
}

// checkRelays checks the relay addresses for a new link.
func checkRelays(relays []string) error {
	if len(relays) > MaxInviteRelays {
		return fmt.Errorf("%d relays, limit %d", len(relays), MaxInviteRelays)
	}
	for _, r := range relays {
		if err := checkRelay(r); err != nil {
			return err
		}
	}
	return nil
}

func b64Param(q url.Values, name string, size int) ([]byte, error) {
	if !q.Has(name) {
		return nil, nil
	}
	b, err := b64.DecodeString(q.Get(name))
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%s: want base64url without padding", name)
	}
	if size > 0 && len(b) != size {
		return nil, fmt.Errorf("%s: %d bytes, want %d", name, len(b), size)
	}
	return b, nil
}

// checkRelay accepts what looks like a multiaddr; node parses it for real.
func checkRelay(r string) error {
	if len(r) == 0 || len(r) > MaxRelayLen || r[0] != '/' {
		return fmt.Errorf("r: want a multiaddr such as /ip4/192.0.2.1/tcp/4001/p2p/..., at most %d bytes", MaxRelayLen)
	}
	for i := 0; i < len(r); i++ {
		if r[i] <= ' ' || r[i] > '~' {
			return fmt.Errorf("r: %q has a space or a character that is not printable ASCII", r)
		}
	}
	return nil
}

// Verify checks the invite's descriptor against its group ID and owner
// fingerprint (see ParseInvite) and returns the opened descriptor. A
// carrier link has no descriptor: Verify checks its topic and returns a
// zero Descriptor. Errors wrap ErrBadInvite.
func (inv Invite) Verify() (Descriptor, error) {
	d, err := inv.verify()
	if err != nil {
		return Descriptor{}, fmt.Errorf("%w: %v", ErrBadInvite, err)
	}
	return d, nil
}

func (inv Invite) verify() (Descriptor, error) {
	genesisKey := inv.Control
	if inv.Carrier() {
		switch {
		case inv.Secret != nil || inv.Key != nil:
			return Descriptor{}, fmt.Errorf("a carrier link carries no secret or key")
		case !TopicPattern.MatchString(inv.Topic) || inv.Topic == Topic(inv.Group):
			return Descriptor{}, fmt.Errorf("the carrier link's topic is not a private group's")
		case inv.Owner == "":
			return Descriptor{}, fmt.Errorf("the carrier link names no owner")
		case len(inv.Control) != KeySize:
			return Descriptor{}, fmt.Errorf("the carrier link carries no control key")
		}
	} else if inv.Secret != nil {
		var err error
		if genesisKey, err = ControlKey(inv.Secret, inv.Group); err != nil {
			return Descriptor{}, err
		}
	}
	m := inv.Descriptor
	if m == nil {
		return Descriptor{}, fmt.Errorf("no descriptor")
	}
	if err := m.CheckBody(); err != nil {
		return Descriptor{}, fmt.Errorf("descriptor: %v", err)
	}
	if err := m.VerifySignature(); err != nil {
		return Descriptor{}, fmt.Errorf("descriptor: %v", err)
	}
	switch {
	case m.Body.Kind != message.KindDescriptor:
		return Descriptor{}, fmt.Errorf("d is a %s message, not a descriptor", m.Body.Kind)
	case m.Body.Group != inv.Group:
		return Descriptor{}, fmt.Errorf("the descriptor is for group %s, the link names %s", m.Body.Group.Short(), inv.Group.Short())
	case m.Body.Epoch != 0 || !m.Body.Ref.IsZero():
		return Descriptor{}, fmt.Errorf("the descriptor has an epoch or a ref")
	}
	payload := m.Body.Payload
	if genesisKey != nil {
		var err error
		if payload, err = Open(genesisKey, &m.Body, payload); err != nil {
			return Descriptor{}, fmt.Errorf("descriptor: %v (the link's key does not open it)", err)
		}
	}
	c, err := DecodePayload(message.KindDescriptor, payload)
	if err != nil {
		if genesisKey == nil {
			if _, sealed := SealedKeyID(payload); sealed {
				// Most likely a private group's link that lost its secret.
				return Descriptor{}, fmt.Errorf("the link carries no secret (s), which a private group's link needs to open its descriptor: is it cut off? (%v)", err)
			}
		}
		return Descriptor{}, fmt.Errorf("descriptor: %v", err)
	}
	d := c.(Descriptor)
	switch {
	case identity.FingerprintOf(d.Owner) != inv.Owner:
		return Descriptor{}, fmt.Errorf("the descriptor's owner %s is not the owner %s the link commits to",
			identity.FingerprintOf(d.Owner).Short(), inv.Owner.Short())
	case IDFor(d.Owner, d.Salt) != inv.Group:
		return Descriptor{}, fmt.Errorf("the descriptor's owner and salt do not give the group ID")
	case !bytes.Equal(m.Body.Author, d.Owner):
		return Descriptor{}, fmt.Errorf("the descriptor is not signed by its owner")
	case d.Kind == KindPrivate && genesisKey == nil:
		return Descriptor{}, fmt.Errorf("a private group's link carries no secret")
	case d.Kind != KindPrivate && genesisKey != nil:
		return Descriptor{}, fmt.Errorf("a %s group's link carries a secret; only private groups have one", d.Kind)
	}
	return d, nil
}

// FromInvite joins the group of a verified invite as me: the invite's
// genesis is applied and its keys are kept. The node stores inv.Descriptor,
// publishes me's profile (NewProfile, Compose), sealed under the link's key,
// which makes me a member unless the link is stale, learns the group's Ops
// by catch-up, and dials inv.Relays.
func FromInvite(inv Invite, me *identity.User, cfg Config) (*State, error) {
	if inv.Carrier() {
		return nil, fmt.Errorf("%w: a carrier link joins as a carrier, which reads nothing (Carry)", ErrBadInvite)
	}
	d, err := inv.Verify()
	if err != nil {
		return nil, err
	}
	s, err := newCreated(inv.Group, d.Kind, d.Owner, me, cfg)
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	if d.Kind == KindPrivate {
		if err := s.setSecret(inv.Secret); err != nil {
			return nil, fmt.Errorf("join: %w", err)
		}
		if inv.Key != nil {
			s.addKeyLocked(inv.Epoch, inv.Key)
		}
		s.linkEpoch = inv.Epoch
	}
	s.Apply(inv.Descriptor, d)
	return s, nil
}

// LinkKey returns the epoch and key this node would put in an invite link:
// the current key (0 and nil when it holds none, or the group is not
// private).
func (s *State) linkKey() (uint64, []byte, bool) {
	var (
		epoch uint64
		key   []byte
		ok    bool
	)
	s.readView(func(v *view) { epoch, key, ok = s.sendKeyIn(v) })
	return epoch, key, ok
}

// Invite returns an invite to this group with the given relay addresses.
// Name-derived channels have none: people join them by name.
func (s *State) Invite(relays []string) (Invite, error) {
	if s.channel != "" {
		return Invite{}, fmt.Errorf("invite: %q is an open channel; people join it by name", s.channel)
	}
	if s.carrier != nil {
		return Invite{}, fmt.Errorf("invite: %w: this node can pass on only its carrier link (CarrierInvite)", ErrUnreadable)
	}
	if err := checkRelays(relays); err != nil {
		return Invite{}, fmt.Errorf("invite: %w", err)
	}
	d, genesis, ok := s.Descriptor()
	if !ok {
		return Invite{}, fmt.Errorf("invite: the group's genesis is not known yet")
	}
	inv := Invite{Group: s.id, Owner: identity.FingerprintOf(d.Owner), Descriptor: genesis, Relays: slices.Clone(relays)}
	if s.kind == KindPrivate {
		epoch, key, ok := s.linkKey()
		if !ok {
			return Invite{}, fmt.Errorf("invite: %w", s.noKeyReason(s.self))
		}
		inv.Secret, inv.Epoch = slices.Clone(s.secret), epoch
		if epoch > 1 {
			inv.Key = slices.Clone(key)
		}
	}
	if n := len(inv.Link()); n > MaxInviteLen {
		return Invite{}, fmt.Errorf("invite: the link would be %d bytes, limit %d; use fewer relays", n, MaxInviteLen)
	}
	return inv, nil
}

// LogValue keeps the secret and keys out of logs.
func (inv Invite) LogValue() slog.Value {
	return slog.GroupValue(slog.String("group", inv.Group.Short()), slog.String("owner", inv.Owner.Short()),
		slog.Bool("private", inv.Secret != nil), slog.Bool("carrier", inv.Carrier()), slog.Int("relays", len(inv.Relays)))
}
