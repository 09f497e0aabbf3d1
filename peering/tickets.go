package peering

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	relayv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	"github.com/multiformats/go-multistream"

	"starling/group"
)

// TicketProtocol is the stream protocol on which a node hands its relay
// tickets to an organiser relay before it asks for a reservation.
//
// The client writes a uvarint count (at most maxTickets) and that many
// tickets of group.TicketSize bytes; the relay answers with one status byte
// and a uvarint-prefixed reason of at most maxReason bytes.
const TicketProtocol protocol.ID = "/starling/relay-ticket/1.0.0"

// RelayACL decides who may use an organiser relay. The node feeds it the
// peers that present valid tickets.
type RelayACL interface {
	relayv2.ACLFilter
	// Open reports whether the relay admits everyone, tickets or not.
	Open() bool
	// Admit lets p reserve slots and open circuits until until: it
	// presented a valid ticket.
	Admit(p peer.ID, until time.Time)
}

const (
	maxTickets    = 16
	maxReason     = 200
	ticketTimeout = 10 * time.Second

	ticketRefused  byte = 0
	ticketAdmitted byte = 1
	ticketOpen     byte = 2
)

// serveTickets answers TicketProtocol on a relay: it checks each ticket
// against the group it names, which the relay must carry, and admits the
// peer until the latest expiry among the valid ones.
func (sv *Service) serveTickets(s network.Stream) {
	defer s.Close()
	_ = s.SetDeadline(time.Now().Add(ticketTimeout))
	p := s.Conn().RemotePeer()
	acl := sv.cfg.RelayService.ACL
	status, reason := ticketOpen, "this relay is open"
	if acl != nil && !acl.Open() {
		until, err := sv.checkTickets(bufio.NewReader(io.LimitReader(s, 10+maxTickets*group.TicketSize)))
		if err != nil {
			status, reason = ticketRefused, err.Error()
			sv.log.Info("relay refused a peer's tickets", "peer", Short(p), "err", err)
		} else {
			status, reason = ticketAdmitted, "admitted until "+until.UTC().Format(time.RFC3339)
			acl.Admit(p, until)
			sv.log.Debug("relay admitted a peer", "peer", Short(p), "until", until)
		}
	}
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	msg := binary.AppendUvarint([]byte{status}, uint64(len(reason)))
	if _, err := s.Write(append(msg, reason...)); err != nil {
		s.Reset()
	}
}

// checkTickets reads a ticket request and returns the latest expiry among
// the tickets that admit their holder.
func (sv *Service) checkTickets(r *bufio.Reader) (time.Time, error) {
	count, err := binary.ReadUvarint(r)
	if err != nil {
		return time.Time{}, fmt.Errorf("read the ticket count: %w", err)
	}
	switch {
	case count == 0:
		return time.Time{}, errors.New("no ticket; join with a current invite that names this relay")
	case count > maxTickets:
		return time.Time{}, fmt.Errorf("%d tickets; send at most %d", count, maxTickets)
	}
	now := sv.cfg.Clock()
	var until time.Time
	var errs []error
	buf := make([]byte, group.TicketSize)
	for range count {
		if _, err := io.ReadFull(r, buf); err != nil {
			return time.Time{}, fmt.Errorf("read a ticket: %w", err)
		}
		t, err := group.ParseTicket(buf)
		if err == nil {
			err = sv.cfg.Tickets.Check(t, now)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if t.NotAfter.After(until) {
			until = t.NotAfter
		}
	}
	if until.IsZero() {
		return time.Time{}, fmt.Errorf("no valid ticket: %w", errors.Join(errs...))
	}
	return until, nil
}

// presentTickets hands a relay the tickets of the groups whose invites
// named it, and marks it ready for a reservation unless it refused them. A relay
// that does not speak TicketProtocol (a plain libp2p relay) is ready at
// once.
func (sv *Service) presentTickets(ctx context.Context, relay peer.ID) {
	ctx, cancel := context.WithTimeout(ctx, ticketTimeout)
	defer cancel()
	status, reason, err := sv.sendTickets(ctx, relay)
	switch {
	case errors.Is(err, multistream.ErrNotSupported[protocol.ID]{}):
		sv.relays.setReady(relay, true)
	case err != nil:
		sv.log.Debug("could not hand tickets to relay; trying again on the next connection", "relay", Short(relay), "err", err)
	case status == ticketRefused:
		sv.log.Warn("relay refused this node; join with a current invite that names the relay",
			"relay", Short(relay), "reason", reason)
		sv.relays.setReady(relay, false)
	default:
		sv.log.Info("relay accepted this node", "relay", Short(relay), "reason", reason)
		sv.relays.setReady(relay, true)
	}
}

func (sv *Service) sendTickets(ctx context.Context, relay peer.ID) (byte, string, error) {
	tickets, err := sv.cfg.Tickets.For(relay)
	if err != nil {
		return 0, "", err
	}
	tickets = tickets[:min(len(tickets), maxTickets)]
	s, err := sv.host.NewStream(ctx, relay, TicketProtocol)
	if err != nil {
		return 0, "", err
	}
	defer s.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	msg := binary.AppendUvarint(nil, uint64(len(tickets)))
	for _, t := range tickets {
		msg = append(msg, t...)
	}
	if _, err := s.Write(msg); err != nil {
		return 0, "", err
	}
	_ = s.CloseWrite()
	r := bufio.NewReader(io.LimitReader(s, 1+10+maxReason))
	status, err := r.ReadByte()
	if err != nil {
		return 0, "", fmt.Errorf("read the relay's answer: %w", err)
	}
	size, err := binary.ReadUvarint(r)
	if err != nil || size > maxReason {
		return 0, "", fmt.Errorf("read the relay's reason: bad length (%v)", err)
	}
	reason := make([]byte, size)
	if _, err := io.ReadFull(r, reason); err != nil {
		return 0, "", fmt.Errorf("read the relay's reason: %w", err)
	}
	return status, string(reason), nil
}
