package node_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/message"
)

// pxAttendees is more attendees than a GossipSub mesh of degree 6 keeps
// (Dhi 12), so a relay of that degree prunes some of them from its mesh.
const pxAttendees = 15

// TestRelayPeerExchange: attendees that know only the relay (given
// GossipSub's default mesh degree), in a group with more of them than the
// relay's mesh keeps, are pruned with peer
// exchange records and connect to each other; their own scoring trusts the
// relay's records (AppScore above AcceptPXThreshold). The gossip mesh then
// no longer hangs on the relay alone.
func TestRelayPeerExchange(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 16 nodes")
	}
	t.Parallel()
	virtual(t, testRelayPeerExchange)
}

func testRelayPeerExchange(t *testing.T) {
	r := startNode(t, "relay", asRelay(nil), withMeshDegree(6))
	r.join(t, "hall")
	attendees := make([]*testNode, pxAttendees)
	for i := range attendees {
		attendees[i] = startNode(t, "attendee", withRelay(r))
		attendees[i].join(t, "hall")
	}
	for _, a := range attendees {
		waitUntil(t, a.name+" is connected to the relay", func() bool { return a.connectedTo(r.ID()) })
	}

	// Nobody dialled another attendee: any attendee-to-attendee connection
	// came from the relay's peer exchange.
	peered := func() (n int) {
		for i, a := range attendees {
			for _, b := range attendees[i+1:] {
				if a.connectedTo(b.ID()) {
					n++
				}
			}
		}
		return n
	}
	waitUntil(t, "attendees connect to each other through the relay's peer exchange", func() bool {
		return peered() >= pxAttendees/2
	}, func() string {
		return fmt.Sprint("attendee pairs connected: ", peered())
	})

	// Every attendee's message reaches everyone, the relay included.
	var msgs []*message.Message
	for i, a := range attendees {
		msgs = append(msgs, a.send(t, "hall", fmt.Sprint("hello from ", i)))
	}
	requireConverged(t, append(attendees, r), map[string][]*message.Message{"hall": msgs})
}

// TestRelayMeshHoldsEveryAttendee: a relay with its default mesh degree
// keeps every attendee in its mesh, more than GossipSub's Dhi of 12, so on
// client-isolated Wi-Fi each gets a message from it at once.
func TestRelayMeshHoldsEveryAttendee(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 16 nodes")
	}
	t.Parallel()
	virtual(t, testRelayMeshHoldsEveryAttendee)
}

func testRelayMeshHoldsEveryAttendee(t *testing.T) {
	r := startNode(t, "relay", asRelay(nil))
	r.join(t, "hall")
	attendees := make([]*testNode, pxAttendees)
	for i := range attendees {
		attendees[i] = startNode(t, "attendee", withRelay(r))
		attendees[i].join(t, "hall")
	}
	hall := r.joined["hall"]
	inMesh := func() int {
		mesh := map[peer.ID]bool{}
		for _, p := range r.MeshPeers(hall) {
			mesh[p] = true
		}
		n := 0
		for _, a := range attendees {
			if mesh[a.ID()] {
				n++
			}
		}
		return n
	}
	waitUntil(t, "the relay's mesh holds every attendee", func() bool { return inMesh() == pxAttendees },
		func() string { return fmt.Sprint("attendees in the relay's mesh: ", inMesh()) })
	// It still holds them after each of the next three heartbeats (1 s
	// apart): nothing was pruned. This waits for no event but lets the
	// heartbeats pass, on virtual time: exactly three of them, at no cost
	// in real time, however busy the machine.
	for i := range 3 {
		time.Sleep(time.Second)
		if n := inMesh(); n != pxAttendees {
			t.Fatalf("%d s after it held every attendee, the relay pruned its mesh to %d of %d", i+1, n, pxAttendees)
		}
	}
}
