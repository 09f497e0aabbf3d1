package peering

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// TestCircuitAddrs: a node's circuit addresses go through every relay it
// uses from the start, reserved on or not, so that a reservation made,
// renewed or lapsed changes none of its addresses (each change is an
// identify push to every peer); they follow the relays' addresses
// although they are cached between changes.
func TestCircuitAddrs(t *testing.T) {
	const relayID = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"
	id, err := peer.Decode(relayID)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	rs := newRelaySet()
	check := func(step string, want ...string) {
		t.Helper()
		got := rs.circuitAddrs()
		if len(got) != len(want) {
			t.Fatalf("%s: %v, want %v", step, got, want)
		}
		for i, a := range got {
			if a.String() != want[i] {
				t.Fatalf("%s: %v, want %v", step, got, want)
			}
		}
	}
	check("no relay")
	rs.add(peer.AddrInfo{ID: id, Addrs: []ma.Multiaddr{ma.StringCast("/ip4/10.0.0.1/tcp/4001")}})
	one := "/ip4/10.0.0.1/tcp/4001/p2p/" + relayID + "/p2p-circuit"
	check("no reservation yet", one)
	rs.setReserved(id, now.Add(10*time.Minute))
	check("reserved", one)
	rs.add(peer.AddrInfo{ID: id, Addrs: []ma.Multiaddr{ma.StringCast("/ip4/10.0.0.1/udp/4001/quic-v1")}})
	two := "/ip4/10.0.0.1/udp/4001/quic-v1/p2p/" + relayID + "/p2p-circuit"
	check("a new relay address", one, two)
	rs.setReserved(id, time.Time{})
	check("the reservation lapsed", one, two)
}
