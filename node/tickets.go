package node

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/group"
	"starling/peering"
	"starling/store"
)

// maxGroupRelays bounds the relays a group's record remembers: links are
// advice, and a pile of them must not grow the record without end.
const maxGroupRelays = 16

// tickets is the node's side of relay tickets (peering.Tickets): which
// tickets to hand a relay, and, on an organiser relay, whether a ticket
// admits its holder.
type tickets struct{ n *Node }

var _ peering.Tickets = tickets{}

// For lists a ticket for each joined group that names relay (an invite's
// relays, or those this user put in an invite): one this node signs afresh
// where this user is the group's owner or an admin, else the one its
// invite carried.
func (t tickets) For(relay peer.ID) ([][]byte, error) {
	groups, err := t.n.store.Groups()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, g := range groups {
		if !slices.Contains(g.Relays, relay.String()) {
			continue
		}
		if st := t.n.groups.get(g.ID); st != nil && st.IsAdmin(t.n.cfg.User.PublicKey()) {
			if tk, err := st.Ticket(t.n.cfg.User, t.n.cfg.Clock()); err == nil {
				out = append(out, tk.Bytes())
				continue
			}
		}
		if len(g.Ticket) == group.TicketSize {
			out = append(out, g.Ticket)
		}
	}
	return out, nil
}

// Check reports whether a ticket admits its holder to this relay: the
// relay must carry the ticket's group.
func (t tickets) Check(tk group.Ticket, now time.Time) error {
	st := t.n.groups.get(tk.Group)
	if st == nil {
		return fmt.Errorf("%w: this relay does not carry group %s", group.ErrBadTicket, tk.Group.Short())
	}
	return st.CheckTicket(tk, now)
}

// useRelays records relay addresses (an invite's, or those this user puts
// in an invite) with the group, and ticket if it is better than the one
// the group holds, then starts using the relays: new ones are dialled and
// reserved on, and those in use already get this node's tickets again, so
// that a relay that refused the node before admits it now.
func (n *Node) useRelays(g store.Group, addrs []string, ticket []byte) store.Group {
	if len(addrs) == 0 {
		return g
	}
	changed := false
	for _, id := range peering.RelayIDs(addrs) {
		if !slices.Contains(g.Relays, id) {
			g.Relays = append(g.Relays, id)
			changed = true
		}
	}
	if len(g.Relays) > maxGroupRelays {
		g.Relays = slices.Clone(g.Relays[len(g.Relays)-maxGroupRelays:])
	}
	if n.betterTicket(g, ticket) {
		g.Ticket = slices.Clone(ticket)
		changed = true
	}
	if changed {
		if err := n.store.PutGroup(g); err != nil {
			n.log.Warn("could not keep the group's relays", "group", g.Name, "err", err)
		}
	}
	n.peers.AddRelays(addrs)
	return g
}

// betterTicket reports whether ticket admits this node to the group's
// relays (it checks out against the group as this node knows it) for
// longer than the one the group holds.
func (n *Node) betterTicket(g store.Group, ticket []byte) bool {
	if len(ticket) == 0 || bytes.Equal(ticket, g.Ticket) {
		return false
	}
	tk, err := group.ParseTicket(ticket)
	if err != nil {
		return false
	}
	if st := n.groups.get(g.ID); st == nil || st.CheckTicket(tk, n.cfg.Clock()) != nil {
		return false
	}
	old, err := group.ParseTicket(g.Ticket)
	return err != nil || tk.NotAfter.After(old.NotAfter)
}
