package peering

import (
	"fmt"
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify"
	"github.com/prometheus/client_golang/prometheus"
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

// TestRelayStreamsForEveryAttendee: a relay keeps a GossipSub stream each
// way with every attendee and serves their catch-up sessions. libp2p's
// default per-protocol limit (512 inbound, plus 256 a GB) left about a
// third of 2,000 attendees without a gossip stream in the simulator
// (sim/testdata/relay2000.yaml: 36 % delivered, nothing by catch-up, since
// the relay was not in their topic). The protocols are named here as
// strings: peering does not link pubsub or catch-up.
func TestRelayStreamsForEveryAttendee(t *testing.T) {
	relay, err := relayResourceManager(RelayService{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	const attendees = 4000
	for _, proto := range []protocol.ID{"/meshsub/1.2.0", "/starling/catchup/2.0.0"} {
		var open []network.StreamManagementScope
		for i := range attendees {
			for _, dir := range []network.Direction{network.DirOutbound, network.DirInbound} {
				s, err := relay.OpenStream(peer.ID(fmt.Sprintf("peer-%d", i)), dir)
				if err != nil {
					t.Fatalf("%s stream %d (%s): %v", proto, i, dir, err)
				}
				open = append(open, s)
				if err := s.SetProtocol(proto); err != nil {
					t.Fatalf("%s stream %d (%s): %v", proto, i, dir, err)
				}
			}
		}
		for _, s := range open {
			s.Done()
		}
	}
}

// TestResourceManagerStatistics: the resource manager keeps its Prometheus
// statistics only where a Registerer exports them (a relay given one); an
// attendee's, and a relay's without one, count nothing.
func TestResourceManagerStatistics(t *testing.T) {
	reg := prometheus.NewRegistry()
	rcmgr.MustRegisterWith(reg) // the statistics are package-wide collectors
	attendee, err := attendeeResourceManager(400)
	if err != nil {
		t.Fatal(err)
	}
	quiet, err := relayResourceManager(RelayService{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	exported, err := relayResourceManager(RelayService{Registerer: prometheus.NewRegistry()}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		rm    network.ResourceManager
		count bool
	}{{"attendee", attendee, false}, {"relay", quiet, false}, {"relay with a Registerer", exported, true}} {
		t.Run(tc.name, func(t *testing.T) {
			defer tc.rm.Close()
			before := streamsCounted(t, reg)
			s, err := tc.rm.OpenStream(peer.ID("peer"), network.DirInbound)
			if err != nil {
				t.Fatal(err)
			}
			during := streamsCounted(t, reg)
			s.Done()
			if counted := during != before; counted != tc.count {
				t.Errorf("an open stream counted: %v (streams %v, then %v), want %v", counted, before, during, tc.count)
			}
		})
	}
}

// streamsCounted sums the resource managers' libp2p_rcmgr_streams gauges.
func streamsCounted(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() == "libp2p_rcmgr_streams" {
			for _, m := range f.GetMetric() {
				sum += m.GetGauge().GetValue()
			}
		}
	}
	return sum
}
