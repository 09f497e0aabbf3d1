package peering

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// TestCircuitAddrs: a node's circuit addresses follow its reservations
// and its relays' addresses, although they are cached between changes.
func TestCircuitAddrs(t *testing.T) {
	const relayID = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"
	id, err := peer.Decode(relayID)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	rs := newRelaySet()
	rs.add(peer.AddrInfo{ID: id, Addrs: []ma.Multiaddr{ma.StringCast("/ip4/10.0.0.1/tcp/4001")}})
	check := func(at time.Time, want ...string) {
		t.Helper()
		got := rs.circuitAddrs(at)
		if len(got) != len(want) {
			t.Fatalf("at +%s: %v, want %v", at.Sub(now), got, want)
		}
		for i, a := range got {
			if a.String() != want[i] {
				t.Fatalf("at +%s: %v, want %v", at.Sub(now), got, want)
			}
		}
	}
	check(now) // no reservation yet
	rs.setReserved(id, now.Add(10*time.Minute))
	one := "/ip4/10.0.0.1/tcp/4001/p2p/" + relayID + "/p2p-circuit"
	check(now, one)
	check(now.Add(time.Minute), one)
	rs.add(peer.AddrInfo{ID: id, Addrs: []ma.Multiaddr{ma.StringCast("/ip4/10.0.0.1/udp/4001/quic-v1")}})
	two := "/ip4/10.0.0.1/udp/4001/quic-v1/p2p/" + relayID + "/p2p-circuit"
	check(now.Add(2*time.Minute), one, two)
	check(now.Add(11 * time.Minute)) // the reservation ended
	rs.setReserved(id, now.Add(time.Hour))
	check(now.Add(12*time.Minute), one, two)
}
