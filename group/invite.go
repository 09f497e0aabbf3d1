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

// Invite links. A member's link is
//
//	starling://join?g=GROUP[&a=1][&e=EPOCH&s=SECRET[&k=KEY]][&r=RELAY]...[&tk=TICKET]&o=OWNER
//
// g: group ID (32 bytes in base64url without padding; 64 lower-case hex
// digits are read too); a=1: the group is an announcement channel; private
// groups only: e: the current epoch (decimal, from 1), s: the secret, k:
// that epoch's key (absent when e is 1, whose key derives from s); r: a relay
// multiaddr, repeatable (node parses it); tk: a relay ticket (Ticket) signed
// by an owner or admin, without the group ID that g gives (a whole ticket is
// read too); o: the owner's fingerprint, always last, so that a link that
// lost its end says so (see cutOff). Every parameter but r appears at most
// once, unknown parameters are refused (a link from a newer version fails
// clearly rather than losing what it says), and the whole link is at most
// MaxInviteLen bytes.
//
// The link carries no descriptor: the joiner learns the group's genesis and
// Ops by catch-up from a member or relay, and accepts the genesis only if it
// commits to g and its owner has fingerprint o (checkGenesis). So the link
// stays short enough for a QR code that fits an 80-column terminal. Links
// made before this (with d, the genesis envelope, in base64url) are read
// and checked as they were. A carrier link (carrier.go) still carries d,
// and t and c instead of s, e and k.
//
// An open channel, which anyone joins by name, has a link too, so that a QR
// code can carry it: starling://join?n=NAME&g=ID, whose g is the ID the
// name gives (a check that the name arrived whole).
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
	// Channel is an open channel's name: its link carries nothing else but
	// relays.
	Channel string
	// Announce marks an announcement channel.
	Announce bool
	// Descriptor is the group's genesis envelope, when the link carries it
	// (carrier links and links made before the genesis was left out); the
	// joining node stores it like any message. Without it the joiner
	// learns the genesis by catch-up.
	Descriptor *message.Message
	// Secret, Epoch and Key are a private group's: Key is Epoch's key, nil
	// when Epoch is 1.
	Secret []byte
	Epoch  uint64
	Key    []byte
	// Topic and Control are a carrier link's (Carrier): the private group's
	// topic name and control key. Such a link has no Secret or epoch key.
	Topic   string
	Control []byte
	Relays  []string
	// Ticket, when set, admits the holder to the invite's relays under an
	// invite-only ACL (see Ticket); only links with relays carry one. It
	// is the whole ticket (TicketSize bytes); the link leaves out its group.
	Ticket []byte
}

// Kind is the kind of group the link is for.
func (inv Invite) Kind() Kind {
	switch {
	case inv.Carrier() || inv.Secret != nil:
		return KindPrivate
	case inv.Announce:
		return KindAnnounce
	}
	return KindOpen
}

// Link returns the starling://join link, parameters in a fixed order with
// the owner's fingerprint (a channel's ID) last.
func (inv Invite) Link() string {
	var b strings.Builder
	b.WriteString(InvitePrefix)
	if inv.Channel != "" {
		b.WriteString("n=" + url.QueryEscape(inv.Channel))
		inv.relayParams(&b)
		b.WriteString("&g=" + b64.EncodeToString(inv.Group[:]))
		return b.String()
	}
	b.WriteString("g=" + b64.EncodeToString(inv.Group[:]))
	if inv.Announce {
		b.WriteString("&a=1")
	}
	if inv.Secret != nil {
		b.WriteString("&e=" + strconv.FormatUint(inv.Epoch, 10) + "&s=" + b64.EncodeToString(inv.Secret))
	}
	if inv.Key != nil {
		b.WriteString("&k=" + b64.EncodeToString(inv.Key))
	}
	if inv.Descriptor != nil {
		b.WriteString("&d=" + b64.EncodeToString(inv.Descriptor.Raw))
	}
	if inv.Carrier() {
		inv.carrierLink(&b)
	}
	inv.relayParams(&b)
	if inv.Ticket != nil {
		b.WriteString("&tk=" + b64.EncodeToString(linkTicket(inv.Ticket, inv.Group)))
	}
	b.WriteString("&o=" + string(inv.Owner))
	return b.String()
}

// relayParams writes the relays. A multiaddr's slashes and colons need no
// escaping in a query, so they stay as they are: shorter, and readable.
func (inv Invite) relayParams(b *strings.Builder) {
	for _, r := range inv.Relays {
		e := url.QueryEscape(r)
		e = strings.NewReplacer("%2F", "/", "%3A", ":").Replace(e)
		b.WriteString("&r=" + e)
	}
}

// ParseInvite parses and verifies a link strictly: a descriptor in it
// decodes, its signature verifies, it describes group g, its owner has
// fingerprint o, commits to g with its salt and signed it. White space in
// the link (a link copied across lines) is dropped. Errors wrap
// ErrBadInvite, say which part is wrong, and say that the link looks cut
// off when it does not end as a whole link does.
func ParseInvite(link string) (Invite, error) {
	link = strings.Join(strings.Fields(link), "")
	inv, err := parseInvite(link)
	if err == nil {
		var d Descriptor
		if d, err = inv.verify(); err == nil {
			if inv.Descriptor != nil && d.Kind == KindAnnounce {
				inv.Announce = true
			}
			return inv, nil
		}
	}
	if cutOff(link) {
		return Invite{}, fmt.Errorf("%w: this link looks cut off: copy all of it (it ends with o= and the owner's 32-character fingerprint), or scan its QR code (%v)", ErrBadInvite, err)
	}
	return Invite{}, fmt.Errorf("%w: %v", ErrBadInvite, err)
}

// cutOff reports whether link does not end as a whole link does: with the
// owner's fingerprint, or a channel link's group ID.
func cutOff(link string) bool {
	i := strings.LastIndexAny(link, "?&")
	if i < 0 {
		return true
	}
	name, value, _ := strings.Cut(link[i+1:], "=")
	switch name {
	case "o":
		fp, err := identity.ParseFingerprint(value)
		return err != nil || string(fp) != value
	case "g":
		// Only an open channel's link, which starts with its name, ends
		// with g.
		_, err := parseGroupParam(value)
		return err != nil || !strings.HasPrefix(link, InvitePrefix+"n=")
	}
	return true
}

// parseGroupParam reads g: base64url, or the 64 hex digits of older links.
func parseGroupParam(v string) (message.GroupID, error) {
	var g message.GroupID
	if len(v) == 64 {
		id, err := message.ParseGroupID(v)
		if err != nil || v != id.String() {
			return g, fmt.Errorf("g: want the group ID in base64url (or 64 lower-case hex digits)")
		}
		return id, nil
	}
	b, err := b64.DecodeString(v)
	if err != nil || len(b) != len(g) {
		return g, fmt.Errorf("g: want the group ID in base64url (or 64 lower-case hex digits)")
	}
	copy(g[:], b)
	return g, nil
}

func parseInvite(link string) (Invite, error) {
	if len(link) > MaxInviteLen {
		return Invite{}, fmt.Errorf("link is %d bytes, limit %d", len(link), MaxInviteLen)
	}
	rest, ok := strings.CutPrefix(link, InvitePrefix)
	if !ok {
		return Invite{}, fmt.Errorf("a link starts with %s", InvitePrefix)
	}
	q, err := url.ParseQuery(rest)
	if err != nil {
		return Invite{}, fmt.Errorf("query: %v", err)
	}
	for name, vs := range q {
		switch name {
		case "g", "o", "n", "a", "d", "s", "e", "k", "t", "c", "tk":
			if len(vs) != 1 {
				return Invite{}, fmt.Errorf("parameter %s appears %d times", name, len(vs))
			}
		case "r":
		default:
			return Invite{}, fmt.Errorf("unknown parameter %q (is the link from a newer Starling?)", name)
		}
	}
	var inv Invite
	if inv.Group, err = parseGroupParam(q.Get("g")); err != nil {
		return Invite{}, err
	}
	if err := parseRelays(q, &inv); err != nil {
		return Invite{}, err
	}
	if q.Has("n") {
		return parseChannel(q, inv)
	}
	if inv.Owner, err = identity.ParseFingerprint(q.Get("o")); err != nil || string(inv.Owner) != q.Get("o") {
		return Invite{}, fmt.Errorf("o: want the owner's fingerprint as 32 lower-case base32 characters")
	}
	if err := parseTicket(q, &inv); err != nil {
		return Invite{}, err
	}
	if a := q.Get("a"); q.Has("a") {
		if a != "1" {
			return Invite{}, fmt.Errorf("a: want 1 (an announcement channel) or nothing")
		}
		inv.Announce = true
	}
	raw, err := b64Param(q, "d", 0)
	if err != nil {
		return Invite{}, err
	}
	if raw != nil {
		if inv.Descriptor, err = message.Decode(raw); err != nil {
			return Invite{}, fmt.Errorf("d: %v", err)
		}
	}
	if q.Has("t") {
		if raw == nil {
			return Invite{}, fmt.Errorf("d: a carrier link carries the group's descriptor")
		}
		if inv.Announce {
			return Invite{}, fmt.Errorf("a: a carrier link is for a private group")
		}
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
	case inv.Secret != nil && inv.Announce:
		return Invite{}, fmt.Errorf("a: a private group's link (with s) is not an announcement channel's")
	}
	return inv, nil
}

// parseChannel reads an open channel's link: n, g and relays only, and g
// must be the ID that n gives.
func parseChannel(q url.Values, inv Invite) (Invite, error) {
	for name := range q {
		if name != "n" && name != "g" && name != "r" {
			return Invite{}, fmt.Errorf("%s: an open channel's link (with n) has only n, g and r", name)
		}
	}
	id, norm, err := OpenChannelID(q.Get("n"))
	if err != nil {
		return Invite{}, fmt.Errorf("n: %v", err)
	}
	if id != inv.Group {
		return Invite{}, fmt.Errorf("g: not the ID of channel %q", norm)
	}
	inv.Channel = norm
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
// link with relays has. A link leaves out the ticket's group, which g gives
// (linkTicket); a whole ticket, as older links carry, is read too. Its
// signer is checked by the relay, not here.
func parseTicket(q url.Values, inv *Invite) error {
	raw, err := b64Param(q, "tk", 0)
	if err != nil || raw == nil {
		return err
	}
	if len(inv.Relays) == 0 {
		return fmt.Errorf("tk: a relay ticket in a link that names no relay")
	}
	switch len(raw) {
	case TicketSize - len(inv.Group):
		raw = slices.Concat(raw[:1], inv.Group[:], raw[1:])
	case TicketSize:
	default:
		return fmt.Errorf("tk: %d bytes, want %d", len(raw), TicketSize-len(inv.Group))
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

// linkTicket is a ticket as a link carries it: without the group ID, which
// the link's g gives. A ticket for another group goes whole, and parseTicket
// then refuses it.
func linkTicket(raw []byte, g message.GroupID) []byte {
	if len(raw) != TicketSize || !bytes.Equal(raw[1:1+len(g)], g[:]) {
		return raw
	}
	return slices.Concat(raw[:1], raw[1+len(g):])
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

// Verify checks the invite's descriptor, if it carries one, against its
// group ID and owner fingerprint (see ParseInvite) and returns the opened
// descriptor; a link without one gets a zero Descriptor (the joiner checks
// the genesis when it arrives). A carrier link's topic is checked too.
// Errors wrap ErrBadInvite.
func (inv Invite) Verify() (Descriptor, error) {
	d, err := inv.verify()
	if err != nil {
		return Descriptor{}, fmt.Errorf("%w: %v", ErrBadInvite, err)
	}
	return d, nil
}

func (inv Invite) verify() (Descriptor, error) {
	if inv.Channel != "" {
		id, norm, err := OpenChannelID(inv.Channel)
		switch {
		case err != nil:
			return Descriptor{}, err
		case id != inv.Group || norm != inv.Channel:
			return Descriptor{}, fmt.Errorf("the link's group ID is not channel %q's", norm)
		case inv.Descriptor != nil || inv.Secret != nil || inv.Carrier() || inv.Ticket != nil || inv.Owner != "" || inv.Announce:
			return Descriptor{}, fmt.Errorf("an open channel's link carries only its name and relays")
		}
		return Descriptor{}, nil
	}
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
		case inv.Descriptor == nil:
			return Descriptor{}, fmt.Errorf("no descriptor")
		}
	} else if inv.Secret != nil {
		var err error
		if genesisKey, err = ControlKey(inv.Secret, inv.Group); err != nil {
			return Descriptor{}, err
		}
	}
	switch {
	case inv.Owner == "":
		return Descriptor{}, fmt.Errorf("the link names no owner")
	case inv.Secret != nil && inv.Announce:
		return Descriptor{}, fmt.Errorf("a private group's link is not an announcement channel's")
	}
	m := inv.Descriptor
	if m == nil {
		return Descriptor{}, nil
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
	case inv.Announce && d.Kind != KindAnnounce:
		return Descriptor{}, fmt.Errorf("the link says an announcement channel, its descriptor a %s group", d.Kind)
	}
	return d, nil
}

// FromInvite joins the group of a verified invite as me, and keeps its
// keys. The State starts from the link's group ID, kind and owner
// fingerprint; it takes the genesis the link carries, if any, and
// otherwise accepts the one catch-up brings that commits to the group ID
// and is signed by that owner (checkGenesis). Until then it accepts
// nothing else of the group (its messages wait, see ErrStale). The node
// stores inv.Descriptor when there is one, publishes me's profile
// (NewProfile, Compose) once it can, sealed under the link's key, which
// makes me a member unless the link is stale, learns the group's Ops by
// catch-up, and dials inv.Relays.
func FromInvite(inv Invite, me *identity.User, cfg Config) (*State, error) {
	if inv.Carrier() {
		return nil, fmt.Errorf("%w: a carrier link joins as a carrier, which reads nothing (Carry)", ErrBadInvite)
	}
	if inv.Channel != "" {
		return nil, fmt.Errorf("%w: an open channel's link joins the channel by its name (NewChannel)", ErrBadInvite)
	}
	d, err := inv.Verify()
	if err != nil {
		return nil, err
	}
	kind := inv.Kind()
	if inv.Descriptor != nil {
		kind = d.Kind
	}
	s, err := newCreated(inv.Group, kind, d.Owner, me, cfg)
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	s.linkOwner = inv.Owner
	if kind == KindPrivate {
		if err := s.setSecret(inv.Secret); err != nil {
			return nil, fmt.Errorf("join: %w", err)
		}
		if inv.Key != nil {
			s.addKeyLocked(inv.Epoch, inv.Key)
		}
		s.linkEpoch = inv.Epoch
	}
	if inv.Descriptor != nil {
		s.Apply(inv.Descriptor, d)
	}
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

// Invite returns an invite to this group with the given relay addresses:
// for an open channel, a link with its name; for a created group, one
// without its descriptor, which joiners learn from the group's members.
func (s *State) Invite(relays []string) (Invite, error) {
	if err := checkRelays(relays); err != nil {
		return Invite{}, fmt.Errorf("invite: %w", err)
	}
	if s.channel != "" {
		return Invite{Group: s.id, Channel: s.channel, Relays: slices.Clone(relays)}, nil
	}
	if s.carrier != nil {
		return Invite{}, fmt.Errorf("invite: %w: this node can pass on only its carrier link (CarrierInvite)", ErrUnreadable)
	}
	d, _, ok := s.Descriptor()
	if !ok {
		return Invite{}, fmt.Errorf("invite: the group's genesis is not known yet; this node learns it from the group's members")
	}
	inv := Invite{Group: s.id, Owner: identity.FingerprintOf(d.Owner), Announce: s.kind == KindAnnounce, Relays: slices.Clone(relays)}
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
