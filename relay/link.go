package relay

import (
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Link is how an attendee's node stands with one organiser relay it uses:
// what the node reports and interfaces show in their status bars.
type Link struct {
	ID    peer.ID
	Addrs []ma.Multiaddr
	// Connected: a connection to the relay is open.
	Connected bool
	// Ready: the relay took this node's tickets or needs none.
	Ready bool
	// Reserved: this node holds a reservation on the relay, so peers that
	// cannot reach it directly reach it through the relay.
	Reserved bool
}
