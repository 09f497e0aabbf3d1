package group

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"starling/identity"
	"starling/message"
)

// A Ticket lets its holder reserve a slot on an organiser relay that runs
// with an invite-only ACL. An owner or admin of a group signs it into the
// group's invites; a relay that carries the group admits whoever presents
// it until it expires. It is a bearer token, like the invite it comes from.
//
// On the wire (TicketSize bytes):
//
//	version(1) = 1 || group(32) || not_after unix seconds (8, big-endian) || signer(32) || signature(64)
//
// The signature covers ticketContext, then every byte before it.
type Ticket struct {
	Group    message.GroupID
	NotAfter time.Time
	Signer   ed25519.PublicKey
	raw      []byte
}

// TicketSize is the length of an encoded ticket.
const TicketSize = 1 + 32 + 8 + ed25519.PublicKeySize + ed25519.SignatureSize

// DefaultTicketLifetime is how long a ticket lasts for a group with no end
// time.
const DefaultTicketLifetime = 30 * 24 * time.Hour

const (
	ticketVersion = 1
	ticketContext = "starling/relay-ticket/v1\x00"
	ticketSigned  = 1 + 32 + 8 + ed25519.PublicKeySize
)

// ErrBadTicket marks a ticket that does not decode or verify.
var ErrBadTicket = errors.New("bad relay ticket")

// SignTicket makes a ticket for group, valid until notAfter, signed by u.
func SignTicket(u *identity.User, g message.GroupID, notAfter time.Time) Ticket {
	raw := make([]byte, 0, TicketSize)
	raw = append(raw, ticketVersion)
	raw = append(raw, g[:]...)
	raw = binary.BigEndian.AppendUint64(raw, uint64(max(notAfter.Unix(), 0)))
	raw = append(raw, u.PublicKey()...)
	raw = append(raw, ed25519.Sign(u.PrivateKey(), append([]byte(ticketContext), raw...))...)
	t, _ := ParseTicket(raw) // cannot fail: built above
	return t
}

// ParseTicket decodes a ticket and checks its signature. It does not check
// the time or who signed: see (*State).CheckTicket.
func ParseTicket(raw []byte) (Ticket, error) {
	if len(raw) != TicketSize {
		return Ticket{}, fmt.Errorf("%w: %d bytes, want %d", ErrBadTicket, len(raw), TicketSize)
	}
	if raw[0] != ticketVersion {
		return Ticket{}, fmt.Errorf("%w: version %d, this starling knows %d", ErrBadTicket, raw[0], ticketVersion)
	}
	signer := ed25519.PublicKey(raw[41:ticketSigned])
	if !ed25519.Verify(signer, append([]byte(ticketContext), raw[:ticketSigned]...), raw[ticketSigned:]) {
		return Ticket{}, fmt.Errorf("%w: the signature does not verify", ErrBadTicket)
	}
	secs := binary.BigEndian.Uint64(raw[33:41])
	if secs > 1<<40 {
		return Ticket{}, fmt.Errorf("%w: expiry %d is out of range", ErrBadTicket, secs)
	}
	t := Ticket{NotAfter: time.Unix(int64(secs), 0), Signer: append(ed25519.PublicKey(nil), signer...), raw: append([]byte(nil), raw...)}
	copy(t.Group[:], raw[1:33])
	return t, nil
}

// Bytes returns the encoded ticket.
func (t Ticket) Bytes() []byte { return append([]byte(nil), t.raw...) }

// Ticket signs a ticket for this group as u, valid until the group's end
// time plus the grace period, or for DefaultTicketLifetime from now when
// the group has no end. Only the owner or an admin may: a relay refuses
// anyone else's.
func (s *State) Ticket(u *identity.User, now time.Time) (Ticket, error) {
	if !s.IsAdmin(u.PublicKey()) {
		return Ticket{}, fmt.Errorf("relay ticket: %w: only the owner or an admin signs tickets", ErrNotAllowed)
	}
	until := now.Add(DefaultTicketLifetime)
	if end := s.EndsAt(); !end.IsZero() {
		until = end.Add(s.cfg.grace())
	}
	return SignTicket(u, s.id, until), nil
}

// CheckTicket reports whether a ticket admits its holder to a relay that
// carries this group: it is for this group, unexpired, and signed by the
// owner or an admin.
func (s *State) CheckTicket(t Ticket, now time.Time) error {
	switch {
	case t.Group != s.id:
		return fmt.Errorf("%w: it is for group %s, not %s", ErrBadTicket, t.Group.Short(), s.id.Short())
	case now.After(t.NotAfter):
		return fmt.Errorf("%w: it expired at %s; ask for a new invite", ErrBadTicket, t.NotAfter.UTC().Format(time.RFC3339))
	case s.Expired(now):
		return fmt.Errorf("%w: the group has ended", ErrBadTicket)
	case !s.signsTickets(t.Signer):
		return fmt.Errorf("%w: signed by %s, who is not an owner or admin of the group",
			ErrBadTicket, identity.FingerprintOf(t.Signer).Short())
	}
	return nil
}

// signsTickets reports whether pub may sign this group's tickets: the owner
// or an admin as the group's authority stands (a demoted admin's tickets
// stop working), or the owner that the link this node joined with names (a
// carrier's link, or a member's, which carries no genesis: a relay that
// joined with it may not have learnt the genesis yet).
func (s *State) signsTickets(pub ed25519.PublicKey) bool {
	fp := identity.FingerprintOf(pub)
	if s.carrier != nil && fp == s.carrier.owner || s.linkOwner != "" && fp == s.linkOwner && s.LinkError() == nil {
		return true
	}
	return s.IsAdmin(pub)
}
