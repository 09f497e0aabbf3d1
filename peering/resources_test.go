package peering

import (
	"fmt"
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify"
)

// TestIdentifyOnEveryConnection opens identify streams to as many peers at
// once as a node keeps connections: libp2p's own limit (about 256 here)
// refused the rest, and those peers never got a GossipSub stream.
func TestIdentifyOnEveryConnection(t *testing.T) {
	attendee, err := attendeeResourceManager(400)
	if err != nil {
		t.Fatal(err)
	}
	relay, err := relayResourceManager(RelayService{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		rm    network.ResourceManager
		conns int
	}{{"attendee", attendee, 400}, {"relay", relay, 2000}} {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.rm.Close()
			var open []network.StreamManagementScope
			defer func() {
				for _, s := range open {
					s.Done()
				}
			}()
			for i := range tc.conns {
				for _, dir := range []network.Direction{network.DirOutbound, network.DirInbound} {
					s, err := tc.rm.OpenStream(peer.ID(fmt.Sprintf("peer-%d", i)), dir)
					if err != nil {
						t.Fatalf("stream %d (%s): %v", i, dir, err)
					}
					open = append(open, s)
					if err := s.SetProtocol(identify.ID); err != nil {
						t.Fatalf("identify stream %d (%s): %v", i, dir, err)
					}
				}
			}
		})
	}
}
