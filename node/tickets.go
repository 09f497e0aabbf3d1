package node

import (
	"fmt"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/group"
	"starling/peering"
)

// tickets is the node's side of relay tickets (peering.Tickets): which
// tickets its groups' invites carried for a relay, and, on an organiser
// relay, whether a ticket admits its holder.
type tickets struct{ n *Node }

var _ peering.Tickets = tickets{}

// For lists the tickets of the joined groups whose invites named relay.
func (t tickets) For(relay peer.ID) ([][]byte, error) {
	groups, err := t.n.store.Groups()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, g := range groups {
		if len(g.Ticket) == group.TicketSize && slices.Contains(g.Relays, relay.String()) {
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
