package sim

import (
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	ma "github.com/multiformats/go-multiaddr"
)

// connectivity summarises how connected the attendees are at the end: peers
// per attendee, how many of those connections run through a relay circuit
// and, with mesh set, the mean GossipSub mesh size in the first group.
func connectivity(p *plan, hosts []host.Host, mesh func(i int) (int, bool), at time.Duration) []event {
	attendees := p.attendees()
	if len(attendees) == 0 {
		return nil
	}
	var peers, conns, relayed, meshSum, members int
	for _, a := range attendees {
		nw := hosts[a].Network()
		peers += len(nw.Peers())
		for _, c := range nw.Conns() {
			conns++
			if _, err := c.RemoteMultiaddr().ValueForProtocol(ma.P_CIRCUIT); err == nil {
				relayed++
			}
		}
		if mesh != nil {
			if n, ok := mesh(a); ok {
				meshSum += n
				members++
			}
		}
	}
	n := float64(len(attendees))
	detail := fmt.Sprintf("attendees hold %.1f peers on average; %d of their %d connections run through relay circuits",
		float64(peers)/n, relayed, conns)
	if members > 0 {
		detail += fmt.Sprintf("; their mean GossipSub mesh in %s has %.1f peers", p.groups[0].Name, float64(meshSum)/float64(members))
	}
	return []event{{At: at, Kind: EventHealth, Detail: detail}}
}
